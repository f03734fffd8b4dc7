import { useState } from 'react';
import type { CostMetric, Settings } from '../../core/app-api.js';
import { PoolEditor } from '../components/PoolEditor.js';
import { RunLogLoader } from '../components/RunLogLoader.js';
import { formatReasons } from '../../core/unanswered.js';
import { count, cost as fmtCost, pct } from '../format.js';
import { useApp } from '../store/index.js';

const METRICS: readonly { id: CostMetric; label: string }[] = [
  { id: 'usd', label: 'USD (recorded cost, or list price × tokens)' },
  { id: 'tokens', label: 'Output tokens' },
  { id: 'tpot', label: 'Time per output token (ms)' },
  { id: 'latency', label: 'Latency (ms)' },
];

function SettingsForm({ settings }: { settings: Settings }) {
  const apply = useApp((s) => s.setSettings);
  const busy = useApp((s) => s.workspaceBusy || s.tuning);
  const [metric, setMetric] = useState<CostMetric>(settings.costMetric);
  const [train, setTrain] = useState(String(settings.split.trainFraction));
  const [seed, setSeed] = useState(String(settings.split.seed));
  const trainFraction = Number(train);
  const seedNumber = Number(seed);
  const valid = trainFraction > 0 && trainFraction < 1 && Number.isInteger(seedNumber) && seedNumber >= 0;
  return (
    <form
      className="row"
      onSubmit={(e) => {
        e.preventDefault();
        if (valid) void apply({ costMetric: metric, split: { trainFraction, seed: seedNumber } });
      }}
    >
      <label className="field">
        Cost metric
        <select value={metric} onChange={(e) => setMetric(e.target.value as CostMetric)}>
          {METRICS.map((m) => (
            <option key={m.id} value={m.id}>{m.label}</option>
          ))}
        </select>
      </label>
      <label className="field">
        Train share of queries
        <input type="number" min={0.05} max={0.95} step={0.05} value={train} onChange={(e) => setTrain(e.target.value)} aria-invalid={!(trainFraction > 0 && trainFraction < 1)} />
      </label>
      <label className="field">
        Split seed
        <input type="number" min={0} step={1} value={seed} onChange={(e) => setSeed(e.target.value)} aria-invalid={!(Number.isInteger(seedNumber) && seedNumber >= 0)} />
      </label>
      <button type="submit" className="btn btn-primary" disabled={!valid || busy}>Apply and re-tune</button>
      {!valid && <p className="error" role="alert">The train share must be between 0 and 1, the seed a whole number ≥ 0.</p>}
    </form>
  );
}

export function WorkspaceView() {
  const ws = useApp((s) => s.workspace);
  const error = useApp((s) => s.workspaceError);
  const tuneError = useApp((s) => s.tuneError);
  const tune = useApp((s) => s.tune);
  return (
    <div className="view">
      {ws?.simulated && (
        <p className="badge badge-simulated" role="note" data-testid="simulated-banner">
          SIMULATED POOL — this workspace is made-up demo data from a seeded simulator; its figures are not measurements.
        </p>
      )}
      <section className="panel" aria-labelledby="load-title">
        <h2 id="load-title">Run log</h2>
        <RunLogLoader />
        {error && <p className="error" role="alert">{error}</p>}
      </section>
      {ws && (
        <section className="panel" aria-labelledby="ws-title">
          <h2 id="ws-title">{ws.label}</h2>
          <p className="muted">
            {ws.source} · {count(ws.queries)} queries ({ws.tasks.map((t) => `${t.task} ${t.queries}`).join(', ')}) · {ws.models.length} models · cost in {ws.costUnit}
            {ws.tokensApproximate && ' · some token counts estimated with a tokenizer'}
          </p>
          {tune && (
            <p data-testid="tune-summary">
              Tuned: k = {tune.k} ({tune.kMode}), {tune.trainQueries} train / {tune.testQueries} test queries, in {(tune.durationMs / 1000).toFixed(1)} s{tune.fromCache && ' (read back from the tune cache: same run log, settings and engine)'}.
              {tune.warnings.map((w) => <span key={w} className="error"> {w}</span>)}
            </p>
          )}
          {tuneError && <p className="error" role="alert">{tuneError}</p>}
          <h3>Split and cost</h3>
          <SettingsForm key={JSON.stringify(ws.settings)} settings={ws.settings} />
          <h3>Models in the run log</h3>
          <div className="scroll">
            <table className="data">
              <thead>
                <tr><th scope="col">Model</th><th scope="col">Accuracy</th><th scope="col">Answered</th><th scope="col">Unanswered</th><th scope="col">Mean cost</th></tr>
              </thead>
              <tbody>
                {ws.models.map((m) => (
                  <tr key={m.model}>
                    <td>{m.model}</td><td>{pct(m.accuracy)}</td><td>{m.answered}</td>
                    <td>{m.unanswered}{Object.keys(m.unansweredReasons).length > 0 && ` (${formatReasons(m.unansweredReasons)})`}</td>
                    <td>{fmtCost(m.meanCost, ws.costUnit)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
      {ws && (
        <section className="panel" aria-labelledby="pool-title">
          <h2 id="pool-title">Live pool</h2>
          <PoolEditor key={JSON.stringify(ws.pool)} pool={ws.pool} status={ws.tierStatus} models={ws.models.map((m) => m.model)} />
        </section>
      )}
    </div>
  );
}
