import { useEffect, useState } from 'react';
import type { RunInfo } from '../../core/app-api.js';
import { formatReasons } from '../../core/unanswered.js';
import { count, cost, ms, pct } from '../format.js';
import { useApp } from '../store/index.js';

type TierRow = RunInfo['tiers'][number];

const unansweredOf = (t: TierRow) => Object.values(t.unanswered).reduce((a, n) => a + n, 0);

/** A tier's end of run: answered, right, unanswered by reason, time, tokens, cost and the timing medians. */
function TierSummary({ t }: { t: TierRow }) {
  const s = t.summary;
  if (!s) return null;
  const unanswered = unansweredOf(t);
  return (
    <p className="hint" data-testid={`run-summary-${t.tier}`}>
      <strong>{t.tier}</strong>: {count(s.answered)} answered, {count(s.correct)} right ({pct(s.accuracy)}) · {count(unanswered)} unanswered
      {unanswered > 0 && ` (${formatReasons(t.unanswered)})`} · {s.elapsedS.toFixed(1)} s · {count(s.inputTokens)} tokens in, {count(s.outputTokens)} out ·
      {' '}{cost(s.costUsd, 'USD')} · median TTFT {ms(s.ttftMsMedian)}, TPOT {ms(s.tpotMsMedian)}
    </p>
  );
}

function RunRow({ run }: { run: RunInfo }) {
  const pause = useApp((s) => s.pauseRun);
  const resume = useApp((s) => s.resumeRun);
  const openRun = useApp((s) => s.openRun);
  const setView = useApp((s) => s.setView);
  const busy = useApp((s) => s.workspaceBusy || s.tuning);
  const done = run.tiers.reduce((a, t) => a + t.done, 0);
  const total = run.total * Math.max(1, run.tiers.length);
  return (
    <article className="panel" aria-label={`Run ${run.runId}`}>
      <h3>
        {run.runId} · {run.dataSet} · <span data-testid="run-state">{run.state}</span>
      </h3>
      <progress className="progress" max={total} value={done} aria-label={`Progress of run ${run.runId}`}>{done} / {total}</progress>
      <p className="hint">{done} of {total} queries done · started {run.startedAt} · writes {run.outDir}</p>
      <table className="data">
        <thead><tr><th scope="col">Tier</th><th scope="col">Done</th><th scope="col">Unanswered</th><th scope="col">Errors</th><th scope="col">Last error</th></tr></thead>
        <tbody>
          {run.tiers.map((t) => (
            <tr key={t.tier}>
              <td>{t.tier}</td><td>{t.done} / {run.total}</td>
              <td title="Queries the tier could not answer, recorded with the reason; the run goes on">{unansweredOf(t) ? `${unansweredOf(t)} (${formatReasons(t.unanswered)})` : '0'}</td>
              <td>{t.errors}</td><td className={t.lastError ? 'error' : ''}>{t.lastError ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {run.tiers.map((t) => <TierSummary key={t.tier} t={t} />)}
      <div className="row">
        {run.state === 'running' && <button type="button" className="btn" onClick={() => void pause(run.runId)}>Pause</button>}
        {run.state === 'paused' && <button type="button" className="btn" onClick={() => void resume(run.runId)}>Resume</button>}
        {run.state === 'done' && (
          <button
            type="button" className="btn btn-primary" disabled={busy}
            title="Load this run's answers and grades as the workspace's run log, and tune on it; the pool stays"
            onClick={() => {
              setView('workspace');
              void openRun(run.runId);
            }}
          >
            Open this run as a workspace
          </button>
        )}
        {run.state === 'done' && busy && <span className="muted">Opens once the workspace&apos;s tune under way has finished.</span>}
      </div>
    </article>
  );
}

export function RunsView() {
  const runs = useApp((s) => s.runs);
  const errors = useApp((s) => s.runErrors);
  const error = useApp((s) => s.runsError);
  const dataSets = useApp((s) => s.dataSets);
  const pool = useApp((s) => s.workspace?.pool);
  const loadRuns = useApp((s) => s.loadRuns);
  const startRun = useApp((s) => s.startRun);
  const [dataSet, setDataSet] = useState('');
  const [limit, setLimit] = useState('20');
  useEffect(() => void loadRuns(), [loadRuns]);
  return (
    <div className="view">
      <section className="panel" aria-labelledby="runs-title">
        <h2 id="runs-title">Benchmark runs</h2>
        <p className="hint">A run sends a data set's queries to every tier of the live pool and writes a run log you can load as a workspace.</p>
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            const n = Number(limit);
            if (dataSet) void startRun({ dataSet, ...(n > 0 && { limit: Math.floor(n) }) });
          }}
        >
          <label className="field">
            Data set
            <select value={dataSet} onChange={(e) => setDataSet(e.target.value)}>
              <option value="">Choose…</option>
              {dataSets.map((d) => <option key={d.id} value={d.id}>{d.simulated ? `SIMULATED — ${d.label}` : d.label}</option>)}
            </select>
          </label>
          <label className="field">
            First n queries (empty: all)
            <input type="number" min={1} value={limit} onChange={(e) => setLimit(e.target.value)} />
          </label>
          <button type="submit" className="btn btn-primary" disabled={!dataSet || !pool?.tiers.length}>Start run</button>
          {!pool?.tiers.length && <span className="muted">Add tiers to the live pool first.</span>}
        </form>
        {error && <p className="error" role="alert">{error}</p>}
      </section>
      {runs.length === 0 ? <p className="muted">No runs yet.</p> : runs.map((r) => <RunRow key={r.runId} run={r} />)}
      {errors.length > 0 && (
        <section className="panel" aria-labelledby="run-errors-title">
          <h2 id="run-errors-title">Latest tier errors</h2>
          <ul>
            {errors.map((e, i) => <li key={i}><strong>{e.tier}</strong> on {e.qid} ({e.runId}): {e.message}</li>)}
          </ul>
        </section>
      )}
    </div>
  );
}
