import type { SliceCreator } from './types.js';

export type Theme = 'light' | 'dark';
export const VIEWS = ['workspace', 'clusters', 'routing', 'budget', 'traces', 'qe', 'live', 'compare', 'runs', 'export'] as const;
export type ViewId = (typeof VIEWS)[number];

export interface UiSlice {
  theme: Theme;
  view: ViewId;
  setTheme(theme: Theme): void;
  setView(view: ViewId): void;
}

const THEME_KEY = 'cascade-lab.theme';

function initialTheme(): Theme {
  const saved = globalThis.localStorage?.getItem(THEME_KEY);
  if (saved === 'light' || saved === 'dark') return saved;
  return globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export const createUiSlice: SliceCreator<UiSlice> = (set) => ({
  theme: initialTheme(),
  view: 'workspace',
  setTheme: (theme) => {
    globalThis.localStorage?.setItem(THEME_KEY, theme);
    set({ theme });
  },
  setView: (view) => set({ view }),
});
