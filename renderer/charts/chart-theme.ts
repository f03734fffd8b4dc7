/**
 * Concrete colours for hand-drawn SVG charts. They are values, not CSS variables, because an
 * exported SVG or PNG is read outside the page, where the variables do not exist.
 */
export interface ChartTheme {
  background: string;
  text: string;
  muted: string;
  grid: string;
  band: string;
  bandCurrent: string;
  frontier: string;
  point: string;
  accent: string;
}

export function chartTheme(dark: boolean): ChartTheme {
  return dark
    ? { background: '#1d1f22', text: '#ececec', muted: '#a9a9a9', grid: '#2c2f33', band: '#26292d', bandCurrent: '#3a3f46', frontier: '#8fb8ff', point: '#ffffff', accent: '#ffb366' }
    : { background: '#ffffff', text: '#1b1b1b', muted: '#5d5d5d', grid: '#e3e3df', band: '#f1f1ee', bandCurrent: '#d9dde3', frontier: '#1d4f91', point: '#111111', accent: '#b34700' };
}
