import { useEffect, useMemo, useRef, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { ms } from '../format.js';
import { useApp } from '../store/index.js';
import { seriesStyle } from './palette.js';

/** TTFT and the running TPOT of a stream, from each token's arrival time (ms since the pass began). */
export function tokenTiming(times: readonly number[]): { ttft: number | null; tpot: number | null } {
  if (times.length === 0) return { ttft: null, tpot: null };
  return { ttft: times[0], tpot: times.length > 1 ? (times[times.length - 1] - times[0]) / (times.length - 1) : null };
}

const REDRAW_MS = 200;
const MAX_POINTS = 300;

/** `value`, updated at most once per `ms`, and always to the latest value once it stops changing. */
function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    const wait = last.current + ms - performance.now();
    const timer = setTimeout(() => {
      last.current = performance.now();
      setShown(value);
    }, Math.max(0, wait));
    return () => clearTimeout(timer);
  }, [value, ms]);
  return shown;
}

interface TimingPoint {
  token: number;
  gap: number;
  tpot: number;
}

/** Per-token gaps and running TPOT, averaged into at most MAX_POINTS buckets so a long stream stays cheap to draw. */
function timingPoints(times: readonly number[]): TimingPoint[] {
  const n = times.length - 1;
  if (n <= 0) return [];
  const per = Math.ceil(n / MAX_POINTS);
  const out: TimingPoint[] = [];
  for (let start = 1; start <= n; start += per) {
    const end = Math.min(n, start + per - 1);
    out.push({ token: end + 1, gap: (times[end] - times[start - 1]) / (end - start + 1), tpot: (times[end] - times[0]) / end });
  }
  return out;
}

/** The gap before each token and the running TPOT, redrawn as tokens arrive (at most five times a second). */
export function TokenTimingChart({ times, label }: { times: readonly number[]; label: string }) {
  const dark = useApp((s) => s.theme === 'dark');
  const drawn = useThrottled(times, REDRAW_MS);
  const data = useMemo(() => timingPoints(drawn), [drawn]);
  const { ttft, tpot } = tokenTiming(times);
  const gap = seriesStyle(0, dark);
  const run = seriesStyle(1, dark);
  return (
    <figure className="grow" aria-label={`${label}: TTFT ${ms(ttft)}, TPOT ${ms(tpot)}`}>
      <figcaption>
        <span data-testid="live-ttft">TTFT {ms(ttft)}</span> · <span data-testid="live-tpot">TPOT {ms(tpot)}</span> · {times.length} tokens
      </figcaption>
      <ResponsiveContainer width="100%" height={200}>
        <LineChart data={data} margin={{ top: 6, right: 12, bottom: 22, left: 4 }}>
          <CartesianGrid stroke="var(--grid)" />
          <XAxis dataKey="token" type="number" domain={[2, 'dataMax']} allowDecimals={false} stroke="var(--muted)" label={{ value: 'output token (index)', position: 'bottom', offset: 2, fill: 'var(--text)', fontSize: 12 }} />
          <YAxis width={52} stroke="var(--muted)" label={{ value: 'time (ms)', angle: -90, position: 'insideLeft', fill: 'var(--text)', fontSize: 12 }} />
          <Tooltip contentStyle={{ background: 'var(--panel)', borderColor: 'var(--border)' }} formatter={(v) => ms(Number(v))} />
          <Legend verticalAlign="top" height={20} />
          <Line dataKey="gap" name="gap before token" stroke={gap.color} dot={false} isAnimationActive={false} />
          <Line dataKey="tpot" name="running TPOT" stroke={run.color} strokeDasharray="6 3" strokeWidth={2} dot={false} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}
