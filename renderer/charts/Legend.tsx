import { markerPath, type SeriesStyle } from './palette.js';

interface LegendProps {
  label: string;
  items: readonly { label: string; style: SeriesStyle; line?: boolean }[];
}

/** A legend that repeats each series' marker shape (or dash), so it reads without colour. */
export function Legend({ label, items }: LegendProps) {
  return (
    <ul className="legend" aria-label={label}>
      {items.map((item) => (
        <li key={item.label}>
          <svg width="22" height="14" viewBox="-11 -7 22 14" aria-hidden="true">
            {item.line ? (
              <line x1="-10" x2="10" y1="0" y2="0" stroke={item.style.color} strokeWidth="2.5" strokeDasharray={item.style.dash} />
            ) : (
              <path d={markerPath(item.style.shape, 5)} fill={item.style.color} stroke="currentColor" strokeWidth="0.8" />
            )}
          </svg>
          {item.label}
        </li>
      ))}
    </ul>
  );
}
