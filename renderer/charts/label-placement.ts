/** Direct labels for a figure's points: beside each point, never on another label, inside the plot. */

export interface LabelRequest {
  /** The point labelled, in pixels. */
  x: number;
  y: number;
  text: string;
}

export interface PlacedLabel extends LabelRequest {
  lx: number;
  ly: number;
  anchor: 'start' | 'end' | 'middle';
  /** Drawn with a leader line back to its point when it had to move away. */
  leader: boolean;
}

/**
 * Places a label beside each point without overlapping another label or a point: the nearest of a
 * ring of candidate spots that is free and inside the box, further rings (with a leader line) when
 * the near ones are taken. Greedy, in the given order; hand-written because the chart library has
 * no label placement and the exported SVG must keep the labels.
 */
export function placeLabels(points: readonly LabelRequest[], obstacles: readonly { x: number; y: number }[], box: { left: number; right: number; top: number; bottom: number }, fontPx = 10): PlacedLabel[] {
  const taken: { x0: number; x1: number; y0: number; y1: number }[] = obstacles.map((o) => ({ x0: o.x - 5, x1: o.x + 5, y0: o.y - 5, y1: o.y + 5 }));
  const out: PlacedLabel[] = [];
  const charW = fontPx * 0.62;
  for (const p of points) {
    const w = p.text.length * charW;
    const h = fontPx + 2;
    let placed: PlacedLabel | null = null;
    // Where no spot is free, the one inside the box that overlaps the fewest others (nearer first).
    let fallback: { label: PlacedLabel; rect: (typeof taken)[number]; overlaps: number } | null = null;
    for (const ring of [1, 2, 3, 4.5, 6]) {
      const d = 8 * ring;
      const spots: [number, number, PlacedLabel['anchor']][] = [
        [d, 3, 'start'], [-d, 3, 'end'], [0, -d, 'middle'], [0, d + h - 2, 'middle'],
        [d * 0.8, -d * 0.8, 'start'], [-d * 0.8, -d * 0.8, 'end'], [d * 0.8, d * 0.8 + h / 2, 'start'], [-d * 0.8, d * 0.8 + h / 2, 'end'],
      ];
      for (const [dx, dy, anchor] of spots) {
        const lx = p.x + dx;
        const ly = p.y + dy;
        const x0 = anchor === 'start' ? lx : anchor === 'end' ? lx - w : lx - w / 2;
        const r = { x0, x1: x0 + w, y0: ly - h + 2, y1: ly + 2 };
        if (r.x0 < box.left || r.x1 > box.right || r.y0 < box.top || r.y1 > box.bottom) continue;
        const overlaps = taken.filter((o) => r.x0 < o.x1 && r.x1 > o.x0 && r.y0 < o.y1 && r.y1 > o.y0).length;
        const label: PlacedLabel = { ...p, lx, ly, anchor, leader: ring > 1 };
        if (overlaps === 0) {
          taken.push(r);
          placed = label;
          break;
        }
        if (!fallback || overlaps < fallback.overlaps) fallback = { label, rect: r, overlaps };
      }
      if (placed) break;
    }
    if (!placed && fallback) taken.push(fallback.rect);
    // Nowhere inside the box at all: beside the point all the same, so no model goes unnamed.
    out.push(placed ?? fallback?.label ?? { ...p, lx: p.x - 8, ly: p.y + 3, anchor: 'end', leader: false });
  }
  return out;
}
