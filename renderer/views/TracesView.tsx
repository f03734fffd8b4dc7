import type { TraceDetail, TraceFilter, TraceRow } from '../../core/app-api.js';
import { PLAN_KIND_NAMES, traceSummary } from '../../core/cascade/explain.js';
import { NotTuned } from '../components/NotTuned.js';
import { cost as fmtCost, ms, num } from '../format.js';
import { useApp } from '../store/index.js';
import { PAGE_SIZE } from '../store/traces.js';

const ROLE_NAMES: Record<TraceRow['passes'][number]['role'], string> = { stage1: 'stage 1', partner: 'partner (run beside stage 1)', escalation: 'escalation' };

const triState = (v: boolean | undefined) => (v === undefined ? '' : v ? 'yes' : 'no');
const fromTriState = (v: string) => (v === '' ? undefined : v === 'yes');

function TraceFilters() {
  const filter = useApp((s) => s.traceFilter);
  const setFilter = useApp((s) => s.setTraceFilter);
  const k = useApp((s) => s.tune?.k ?? 0);
  const models = useApp((s) => s.routingTable?.models);
  const tasks = useApp((s) => s.workspace?.tasks);
  const change = (c: Partial<TraceFilter>) => setFilter(c);
  return (
    <form className="row" role="search" aria-label="Filter traces" onSubmit={(e) => e.preventDefault()}>
      <label className="field">
        Search text or id
        <input type="text" value={filter.search ?? ''} onChange={(e) => change({ search: e.target.value || undefined })} />
      </label>
      <label className="field">
        Cluster
        <select value={filter.cluster ?? ''} onChange={(e) => change({ cluster: e.target.value === '' ? undefined : Number(e.target.value) })}>
          <option value="">all</option>
          {Array.from({ length: k }, (_, c) => <option key={c} value={c}>{c}</option>)}
        </select>
      </label>
      <label className="field">
        Model (stage 1 or final)
        <select value={filter.model ?? ''} onChange={(e) => change({ model: e.target.value || undefined })}>
          <option value="">all</option>
          {models?.map((m) => <option key={m} value={m}>{m}</option>)}
        </select>
      </label>
      <label className="field">
        Task
        <select value={filter.task ?? ''} onChange={(e) => change({ task: e.target.value || undefined })}>
          <option value="">all</option>
          {tasks?.map((t) => <option key={t.task} value={t.task}>{t.task}</option>)}
        </select>
      </label>
      <label className="field">
        Escalated
        <select value={triState(filter.escalated)} onChange={(e) => change({ escalated: fromTriState(e.target.value) })}>
          <option value="">either</option><option value="yes">yes</option><option value="no">no</option>
        </select>
      </label>
      <label className="field">
        Correct
        <select value={triState(filter.correct)} onChange={(e) => change({ correct: fromTriState(e.target.value) })}>
          <option value="">either</option><option value="yes">yes</option><option value="no">no</option>
        </select>
      </label>
    </form>
  );
}

function TraceTable() {
  const page = useApp((s) => s.tracePage);
  const error = useApp((s) => s.tracesError);
  const openQid = useApp((s) => s.openQid);
  const openTrace = useApp((s) => s.openTrace);
  const setFilter = useApp((s) => s.setTraceFilter);
  const unit = useApp((s) => s.budget?.costUnit ?? '');
  if (error) return <p className="error" role="alert">{error}</p>;
  if (!page) return <NotTuned what="traces" />;
  const last = Math.min(page.offset + page.rows.length, page.total);
  return (
    <>
      <p className="muted" aria-live="polite">{page.total === 0 ? 'No test query matches.' : `Queries ${page.offset + 1}–${last} of ${page.total}`}</p>
      <div className="scroll">
        <table className="data" data-testid="trace-table">
          <thead>
            <tr>
              <th scope="col">Query</th><th scope="col">Task</th><th scope="col">Cluster</th><th scope="col">Stage-1 model</th>
              <th scope="col">Decision (plan: rule)</th><th scope="col">Escalated</th><th scope="col">Final model</th><th scope="col">Correct</th><th scope="col">Cost (all passes)</th>
            </tr>
          </thead>
          <tbody>
            {page.rows.map((r) => (
              <tr
                key={r.qid}
                className="selectable"
                tabIndex={0}
                aria-selected={r.qid === openQid}
                onClick={() => void openTrace(r.qid)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault();
                    void openTrace(r.qid);
                  }
                }}
              >
                <td>{r.qid}</td>
                <td>{r.task}</td>
                <td>{r.cluster}</td>
                <td>{r.stage1Model}</td>
                <td data-testid="trace-decision" title={r.plan}>{traceSummary(r)}</td>
                <td>{r.escalated ? '↑ yes' : 'no'}</td>
                <td>{r.finalModel}</td>
                <td>{r.correct === null ? '—' : r.correct ? '✓ yes' : '✗ no'}</td>
                <td>{fmtCost(r.cost, unit)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="row">
        <button type="button" className="btn" disabled={page.offset === 0} onClick={() => setFilter({ offset: Math.max(0, page.offset - PAGE_SIZE) })}>Previous page</button>
        <button type="button" className="btn" disabled={last >= page.total} onClick={() => setFilter({ offset: page.offset + PAGE_SIZE })}>Next page</button>
      </div>
    </>
  );
}

function Answers({ detail }: { detail: TraceDetail }) {
  const unit = useApp((s) => s.budget?.costUnit ?? '');
  const { row } = detail;
  // The answers of the plan's passes first, in their order, then the rest.
  const rank = (m: string) => {
    const i = row.passes.findIndex((p) => p.model === m);
    return i < 0 ? row.passes.length : i;
  };
  const answers = [...detail.answers].sort((a, b) => rank(a.model) - rank(b.model));
  return (
    <div className="answers" data-testid="trace-answers">
      {answers.map((a) => (
        <article key={a.model} className={`answer ${a.correct === null ? '' : a.correct ? 'correct' : 'wrong'}`} aria-label={`Answer of ${a.model}`}>
          <h4>
            {a.model}
            {rank(a.model) < row.passes.length && ` · pass ${rank(a.model) + 1} (${ROLE_NAMES[row.passes[rank(a.model)].role]})`}
          </h4>
          <div className="hint">
            {a.correct === null ? 'not answered' : a.correct ? '✓ correct' : '✗ wrong'} · answer {a.answer ?? '—'} · QE {num(a.qeScore, 2)} · {fmtCost(a.cost, unit)} · {a.outputTokens ?? '—'} tokens
          </div>
          <pre>{a.response ?? '(no response)'}</pre>
        </article>
      ))}
    </div>
  );
}

/** Every pass the plan ran, in order, with what the decision read from it. */
function Passes({ row }: { row: TraceRow }) {
  const unit = useApp((s) => s.budget?.costUnit ?? '');
  return (
    <table className="data" data-testid="trace-passes">
      <caption className="visually-hidden">Passes of the plan, in order</caption>
      <thead>
        <tr>
          <th scope="col">#</th><th scope="col">Role</th><th scope="col">Model</th><th scope="col">Answer</th><th scope="col">Correct</th>
          <th scope="col">QE score vs threshold</th><th scope="col">Agreement</th><th scope="col">Cost</th><th scope="col">Time (log)</th>
        </tr>
      </thead>
      <tbody>
        {row.passes.map((p, i) => (
          <tr key={`${i}-${p.model}`}>
            <td>{i + 1}</td>
            <td>{ROLE_NAMES[p.role]}</td>
            <td>{p.model}</td>
            <td>{p.answer ?? '—'}</td>
            <td>{p.correct === null ? '—' : p.correct ? '✓ yes' : '✗ no'}</td>
            <td>{p.qeScore === null ? '—' : `${num(p.qeScore, 2)}${p.threshold === null ? '' : ` ${p.qeScore >= p.threshold ? '≥' : '<'} ${num(p.threshold, 2)}`}`}</td>
            <td>{p.agree === null ? '—' : p.agree ? 'agree' : 'disagree'}</td>
            <td>{fmtCost(p.cost, unit)}</td>
            <td>{ms(p.latencyMs)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function TraceDetailPanel() {
  const qid = useApp((s) => s.openQid);
  const detail = useApp((s) => s.traceDetail);
  const error = useApp((s) => s.traceDetailError);
  const close = useApp((s) => s.closeTrace);
  const unit = useApp((s) => s.budget?.costUnit ?? '');
  if (!qid) return null;
  return (
    <section className="panel" aria-labelledby="trace-title" data-testid="trace-detail">
      <div className="row">
        <h2 id="trace-title" className="grow">Trace of {qid}</h2>
        <button type="button" className="btn" onClick={close}>Close trace</button>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {!detail && !error && <p className="muted" role="status">Loading…</p>}
      {detail && (
        <>
          <p data-testid="trace-plan">
            Plan of cluster {detail.row.cluster} in the served region (<strong>{PLAN_KIND_NAMES[detail.row.planKind]}</strong>
            {detail.row.partner && <> with partner <strong>{detail.row.partner}</strong></>}): {detail.row.plan}
          </p>
          <p data-testid="trace-rule">
            <strong>Rule that fired:</strong> {detail.row.rule}. Final answer from {detail.row.finalModel}:{' '}
            {detail.row.correct === null ? 'unknown' : detail.row.correct ? '✓ correct' : '✗ wrong'}; cost of every pass together {fmtCost(detail.row.cost, unit)}.
          </p>
          <Passes row={detail.row} />
          <h3>Prompt</h3>
          <pre className="stream">{detail.prompt}</pre>
          <p>Reference answer: <strong>{detail.reference ?? '—'}</strong></p>
          <h3>Answers side by side</h3>
          <Answers detail={detail} />
        </>
      )}
    </section>
  );
}

export function TracesView() {
  return (
    <div className="view">
      <TraceDetailPanel />
      <section className="panel" aria-labelledby="traces-title">
        <h2 id="traces-title">Query traces (test split)</h2>
        <TraceFilters />
        <TraceTable />
      </section>
    </div>
  );
}
