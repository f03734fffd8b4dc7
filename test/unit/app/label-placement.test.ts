// Direct labels on the frontier: every single model named, none on top of another, all inside the plot.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../core/rng.js';
import { placeLabels, type PlacedLabel } from '../../../renderer/charts/label-placement.js';

const FONT = 10;
const box = { left: 60, right: 960, top: 70, bottom: 400 };

function rect(l: PlacedLabel) {
  const w = l.text.length * FONT * 0.62;
  const x0 = l.anchor === 'start' ? l.lx : l.anchor === 'end' ? l.lx - w : l.lx - w / 2;
  return { x0, x1: x0 + w, y0: l.ly - FONT, y1: l.ly + 2 };
}
const overlap = (a: ReturnType<typeof rect>, b: ReturnType<typeof rect>) => a.x0 < b.x1 && a.x1 > b.x0 && a.y0 < b.y1 && a.y1 > b.y0;

describe('placeLabels', () => {
  it('names 18 crowded points without two labels overlapping, inside the plot', () => {
    const r = mulberry32(7);
    // Crowded like the public log: most models between 70% and 95% accuracy, a few cost decades apart.
    const points = Array.from({ length: 18 }, (_, i) => ({ x: 100 + r() * 820, y: 90 + r() * 150, text: `model-${i}-${'x'.repeat(Math.floor(r() * 14))}` }));
    const labels = placeLabels(points, points, box, FONT);
    expect(labels.map((l) => l.text)).toEqual(points.map((p) => p.text));
    const rects = labels.map(rect);
    for (const [i, a] of rects.entries()) {
      expect(a.x0).toBeGreaterThanOrEqual(box.left);
      expect(a.x1).toBeLessThanOrEqual(box.right);
      for (const b of rects.slice(i + 1)) expect(overlap(a, b), `${labels[i].text}`).toBe(false);
    }
  });

  it('keeps a label near the plot\'s right edge inside it', () => {
    const [label] = placeLabels([{ x: 955, y: 200, text: 'claude-3-5-sonnet-20240620' }], [], box, FONT);
    expect(rect(label).x1).toBeLessThanOrEqual(box.right);
    expect(label.anchor).toBe('end');
  });
});
