import { useEffect, useMemo, useRef, useState, type PointerEvent } from 'react';
import { NotTuned } from '../components/NotTuned.js';
import { Bar, BarChart, CartesianGrid, LabelList, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { QeView as QeViewData } from '../../core/app-api.js';
import { Metric } from '../components/Metric.js';
import { num } from '../format.js';
import { useApp } from '../store/index.js';

type QeModel = QeViewData['models'][number];

// The plot area's horizontal extent inside the chart, fixed so a pointer x maps to a score without asking recharts.
const MARGIN = { top: 16, right: 20, bottom: 24, left: 22 };
const Y_AXIS_WIDTH = 60;
const AXIS_TITLE = { fill: 'var(--text)', fontSize: 12 };

function HatchDefs({ id, color }: { id: string; color: string }) {
  return (
    <defs>
      <pattern id={id} width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
        <rect width="6" height="6" fill="var(--panel)" />
        <line x1="0" y1="0" x2="0" y2="6" stroke={color} strokeWidth="3" />
      </pattern>
    </defs>
  );
}

/** Score histogram (correct solid, incorrect hatched) with a threshold line that can be dragged or set from the keyboard. */
function ScoreHistogram({ model }: { model: QeModel }) {
  const setThreshold = useApp((s) => s.setQeThreshold);
  const busy = useApp((s) => s.qeBusy);
  const dark = useApp((s) => s.theme === 'dark');
  const [draft, setDraft] = useState(model.threshold ?? 0.5);
  // A model the cascade never checks has no threshold; the line appears once the user sets one.
  const unset = model.threshold === null && draft === 0.5;
  const dragging = useRef(false);
  const wrapRef = useRef<HTMLDivElement>(null);
  useEffect(() => setDraft(model.threshold ?? 0.5), [model.threshold, model.model]);

  const data = useMemo(
    () => model.histogram.correct.map((c, i) => ({ mid: (model.histogram.edges[i] + model.histogram.edges[i + 1]) / 2, correct: c, incorrect: model.histogram.incorrect[i], n: c + model.histogram.incorrect[i] })),
    [model],
  );
  const solid = dark ? '#7fd49a' : '#1f6b3a';
  const hatch = dark ? '#ff8f85' : '#a3261b';

  function scoreAt(event: PointerEvent<HTMLDivElement>): number {
    const rect = event.currentTarget.getBoundingClientRect();
    const left = MARGIN.left + Y_AXIS_WIDTH;
    const right = rect.width - MARGIN.right;
    return Math.min(1, Math.max(0, (event.clientX - rect.left - left) / (right - left)));
  }
  const commit = (t: number) => void setThreshold(Number(t.toFixed(3)), model.model);
  const answers = data.reduce((a, d) => a + d.n, 0);
  const below = data.filter((d) => d.mid < draft).reduce((a, d) => a + d.n, 0);

  return (
    <figure className="grow">
      <figcaption>
        Score histogram of {model.model}'s answers on the test split ({answers} answers, {model.histogram.correct.length} bins of {num(model.histogram.edges[1] - model.histogram.edges[0], 2)}; the number over each bin counts its answers): the cascade escalates answers scoring below the threshold, about {answers ? Math.round((100 * below) / answers) : 0}% of them here.
      </figcaption>
      <div
        ref={wrapRef}
        className="drag-area"
        data-testid="qe-histogram"
        onPointerDown={(e) => {
          dragging.current = true;
          e.currentTarget.setPointerCapture(e.pointerId);
          setDraft(scoreAt(e));
        }}
        onPointerMove={(e) => dragging.current && setDraft(scoreAt(e))}
        onPointerUp={(e) => {
          if (!dragging.current) return;
          dragging.current = false;
          commit(scoreAt(e));
        }}
      >
        <ResponsiveContainer width="100%" height={320}>
          <BarChart data={data} margin={MARGIN} barGap={0} barCategoryGap={1}>
            <HatchDefs id="hatch-incorrect" color={hatch} />
            <CartesianGrid stroke="var(--grid)" vertical={false} />
            <XAxis dataKey="mid" type="number" domain={[0, 1]} ticks={[0, 0.2, 0.4, 0.6, 0.8, 1]} stroke="var(--muted)" label={{ value: 'QE score (calibrated probability the answer is right)', position: 'bottom', offset: 4, ...AXIS_TITLE }} />
            <YAxis width={Y_AXIS_WIDTH} stroke="var(--muted)" allowDecimals={false} label={{ value: 'answers per bin (test)', angle: -90, position: 'insideBottomLeft', offset: 14, ...AXIS_TITLE }} />
            <Tooltip contentStyle={{ background: 'var(--panel)', borderColor: 'var(--border)' }} labelFormatter={(v) => `score ≈ ${Number(v).toFixed(2)}`} />
            <Legend verticalAlign="top" height={24} />
            <Bar dataKey="correct" name="correct answers" stackId="answers" fill={solid} isAnimationActive={false} />
            <Bar dataKey="incorrect" name="incorrect answers" stackId="answers" fill="url(#hatch-incorrect)" stroke={hatch} isAnimationActive={false}>
              <LabelList dataKey="n" position="top" fontSize={10} fill="var(--text)" formatter={(v: unknown) => (Number(v) > 0 ? String(v) : '')} />
            </Bar>
            <ReferenceLine x={draft} stroke="var(--focus)" strokeWidth={3} strokeDasharray={unset ? '4 4' : undefined} label={{ value: unset ? 'no threshold: drag to set one' : `threshold ${draft.toFixed(2)}`, position: draft < 0.5 ? 'insideTopLeft' : 'insideTopRight', fill: 'var(--text)' }} />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <label className="slider-row">
        Threshold for {model.model}
        <input
          type="range"
          min={0}
          max={1}
          step={0.01}
          value={draft}
          disabled={busy}
          data-testid="qe-threshold"
          onChange={(e) => setDraft(Number(e.target.value))}
          onPointerUp={(e) => commit(Number(e.currentTarget.value))}
          onKeyUp={(e) => commit(Number(e.currentTarget.value))}
        />
        <output>{draft.toFixed(2)}</output>
      </label>
    </figure>
  );
}

function Reliability({ model }: { model: QeModel }) {
  const dark = useApp((s) => s.theme === 'dark');
  const colour = dark ? '#8fb8ff' : '#1d4f91';
  const total = model.reliability.reduce((a, b) => a + b.count, 0);
  return (
    <figure className="grow">
      <figcaption>
        Reliability of {model.model}'s QE scores on the test split: observed accuracy against the mean predicted score per bin ({model.reliability.length} non-empty bins, {total} answers; the number beside each point counts its answers). The dashed diagonal is perfect calibration.
      </figcaption>
      <ResponsiveContainer width="100%" height={320}>
        <LineChart data={model.reliability} margin={MARGIN}>
          <CartesianGrid stroke="var(--grid)" />
          <XAxis dataKey="predicted" type="number" domain={[0, 1]} ticks={[0, 0.2, 0.4, 0.6, 0.8, 1]} stroke="var(--muted)" label={{ value: 'mean predicted QE score in the bin', position: 'bottom', offset: 4, ...AXIS_TITLE }} />
          <YAxis width={Y_AXIS_WIDTH} type="number" domain={[0, 1]} stroke="var(--muted)" label={{ value: 'observed accuracy in the bin', angle: -90, position: 'insideBottomLeft', offset: 14, ...AXIS_TITLE }} />
          <Tooltip contentStyle={{ background: 'var(--panel)', borderColor: 'var(--border)' }} />
          <Legend verticalAlign="top" height={24} />
          <ReferenceLine segment={[{ x: 0, y: 0 }, { x: 1, y: 1 }]} stroke="var(--muted)" strokeDasharray="5 4" />
          <Line dataKey="observed" name="observed accuracy (n per bin beside each point)" stroke={colour} strokeWidth={2} dot={{ r: 4 }} isAnimationActive={false}>
            <LabelList dataKey="count" position="right" fontSize={10} fill="var(--text)" />
          </Line>
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}

export function QeView() {
  const qe = useApp((s) => s.qe);
  const error = useApp((s) => s.qeError);
  const [picked, setPicked] = useState<string | null>(null);
  if (!qe) {
    return (
      <div className="view">
        <section className="panel" aria-labelledby="qe-title">
          <h2 id="qe-title">Quality estimator</h2>
          {error ? <p className="error" role="alert">{error}</p> : <NotTuned what="QE" />}
        </section>
      </div>
    );
  }
  // By default the first model the cascade actually checks against a threshold.
  const model = qe.models.find((m) => m.model === picked) ?? qe.models.find((m) => m.threshold !== null) ?? qe.models[0];
  return (
    <div className="view">
      <section className="panel" aria-labelledby="qe-title">
        <h2 id="qe-title">Quality estimator</h2>
        <p className="muted">{qe.method}</p>
        <dl className="metrics">
          <Metric label="AUROC (all stage-1 answers)" value={num(qe.auroc)} testId="qe-auroc" />
          <Metric label="ECE (all)" value={num(qe.ece)} testId="qe-ece" />
          {model && <Metric label={`AUROC (${model.model})`} value={num(model.auroc)} />}
          {model && <Metric label={`ECE (${model.model})`} value={num(model.ece)} />}
          {model && <Metric label="Threshold" value={num(model.threshold, 2)} />}
        </dl>
        {error && <p className="error" role="alert">{error}</p>}
        {qe.models.length === 0 ? (
          <p className="muted">No stage-1 model has QE scores at this operating point.</p>
        ) : (
          <label className="field">
            Stage-1 model
            <select value={model.model} onChange={(e) => setPicked(e.target.value)}>
              {qe.models.map((m) => <option key={m.model} value={m.model}>{m.model} (AUROC {num(m.auroc, 2)})</option>)}
            </select>
          </label>
        )}
      </section>
      {model && (
        <section className="panel row" aria-label={`QE charts of ${model.model}`}>
          <ScoreHistogram key={model.model} model={model} />
          <Reliability model={model} />
        </section>
      )}
    </div>
  );
}
