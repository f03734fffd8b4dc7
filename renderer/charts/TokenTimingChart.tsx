import { useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { ms } from '../format.js';
import { useApp } from '../store/index.js';
import { seriesStyle } from './palette.js';

/** TTFT and the running TPOT of a stream, from each token's arrival time (ms since the pass began). */
export function tokenTiming(times: readonly number[]): { ttft: number | null; tpot: number | null } {
  if (times.length === 0) return { ttft: null, tpot: null };
  return { ttft: times[0], tpot: times.length > 1 ? (times[times.length - 1] - times[0]) / (times.length - 1) : null };
}

/** The gap before each token and the running TPOT, redrawn as tokens arrive. */
export function TokenTimingChart({ times, label }: { times: readonly number[]; label: string }) {
  const dark = useApp((s) => s.theme === 'dark');
  const data = useMemo(
    () => times.slice(1).map((t, i) => ({ token: i + 2, gap: t - times[i], tpot: (t - times[0]) / (i + 1) })),
    [times],
  );
  const { ttft, tpot } = tokenTiming(times);
  const gap = seriesStyle(0, dark);
  const run = seriesStyle(1, dark);
  return (
    <figure className="grow" aria-label={`${label}: TTFT ${ms(ttft)}, TPOT ${ms(tpot)}`}>
      <figcaption>
        <span data-testid="live-ttft">TTFT {ms(ttft)}</span> · <span data-testid="live-tpot">TPOT {ms(tpot)}</span> · {times.length} tokens
      </figcaption>
      <ResponsiveContainer width="100%" height={160}>
        <LineChart data={data} margin={{ top: 6, right: 12, bottom: 4, left: 4 }}>
          <CartesianGrid stroke="var(--grid)" />
          <XAxis dataKey="token" type="number" domain={[2, 'dataMax']} allowDecimals={false} stroke="var(--muted)" />
          <YAxis width={52} stroke="var(--muted)" label={{ value: 'ms', angle: -90, position: 'insideLeft', fill: 'var(--muted)' }} />
          <Tooltip contentStyle={{ background: 'var(--panel)', borderColor: 'var(--border)' }} formatter={(v) => ms(Number(v))} />
          <Legend verticalAlign="top" height={20} />
          <Line dataKey="gap" name="gap before token" stroke={gap.color} dot={false} isAnimationActive={false} />
          <Line dataKey="tpot" name="running TPOT" stroke={run.color} strokeDasharray="6 3" strokeWidth={2} dot={false} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}
