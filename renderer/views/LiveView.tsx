import { useEffect, useState } from 'react';
import { TokenTimingChart } from '../charts/TokenTimingChart.js';
import { cost as fmtCost, ms, num } from '../format.js';
import { PromptControls } from '../components/PromptControls.js';
import { useApp } from '../store/index.js';
import { liveTotals, type LivePass } from '../store/live.js';
import { OffloadNote } from '../components/OffloadNote.js';

function passTitle(pass: LivePass, escalationNumber: number): string {
  if (pass.role === 'stage1') return 'Stage 1';
  if (pass.role === 'partner') return 'Agreement partner (run beside stage 1)';
  return `Escalation ${escalationNumber}`;
}

// The cascade's own reason (core/cascade/plan.ts `decide`), so the page says why an answer was kept or passed on.
function verdictText(pass: LivePass, qe: string, against: (sign: string) => string): string {
  // The live cascade keeps a stopped pass as it is (it spends nothing more on a query the user gave up).
  if (pass.stats?.stopReason === 'abort') return 'stopped: kept as it is, nothing more is spent';
  switch (pass.reason) {
    case 'agreed': return `accept: the two answers agree${qe ? ` (${qe}${against('≥')})` : ''}`;
    case 'disagreed': return 'escalate: the two answers disagree';
    case 'confident': return `${qe}${against('≥')}: accept`;
    case 'doubtful': return `${qe || 'QE'}${against('<')}: escalate`;
    case 'cap': return `accept: the escalation cap is reached${qe ? ` (${qe})` : ''}`;
    case 'final': return `accept: last rung of the plan${qe ? ` (${qe})` : ''}`;
    default: return pass.escalate ? 'escalate' : qe ? `${qe}: accept` : 'accepted: no QE on this pass';
  }
}

function PassPanel({ pass, escalationNumber }: { pass: LivePass; escalationNumber: number }) {
  const against = (sign: string) => (pass.threshold === null ? '' : ` ${sign} threshold ${num(pass.threshold, 2)}`);
  const qe = pass.qeScore === null ? '' : `QE ${num(pass.qeScore, 2)}`;
  const verdict = pass.escalate === null ? 'streaming…' : pass.role === 'partner' ? 'answer compared with stage 1 (the verdict is on the stage-1 pass)' : verdictText(pass, qe, against);
  return (
    <article className="panel" aria-label={`Pass ${pass.pass + 1}: ${pass.tier}`} data-testid={`live-pass-${pass.pass}`}>
      <h3>
        {passTitle(pass, escalationNumber)}: {pass.tier}
        {pass.cluster !== null && <span className="muted"> · cluster {pass.cluster}</span>}
      </h3>
      <pre className="stream" data-testid="live-stream" aria-live="polite">{pass.text}</pre>
      <p className={pass.escalate ? 'error' : pass.escalate === false ? 'ok' : 'muted'} data-testid="live-verdict">{verdict}</p>
      {pass.stats && (
        <p className="hint">
          {pass.stats.outputTokens} tokens · TTFT {ms(pass.stats.ttftMs)} · TPOT {ms(pass.stats.tpotMs)} · {ms(pass.stats.latencyMs)} in all · {fmtCost(pass.stats.costUsd, 'USD')} · stopped: {pass.stats.stopReason}
          <OffloadNote offload={pass.stats.offload} />
        </p>
      )}
      <TokenTimingChart times={pass.tokenTimes} label={`Token timing of ${pass.tier}`} />
    </article>
  );
}

/** Per-pass and total cost and time of the query just run. */
function Totals({ passes }: { passes: readonly LivePass[] }) {
  const totals = liveTotals(passes);
  if (!totals) return null;
  return (
    <section className="panel" aria-labelledby="live-totals-title">
      <h2 id="live-totals-title">Cost and latency</h2>
      <table className="data">
        <thead><tr><th scope="col">Pass</th><th scope="col">Tier</th><th scope="col">Tokens in / out</th><th scope="col">Latency</th><th scope="col">Cost</th></tr></thead>
        <tbody>
          {passes.map((p) => (
            <tr key={p.pass}>
              <td>{p.pass + 1} ({p.role === 'stage1' ? 'stage 1' : p.role})</td><td>{p.tier}</td>
              <td>{p.stats ? `${p.stats.inputTokens} / ${p.stats.outputTokens}` : '…'}</td>
              <td>{p.stats ? ms(p.stats.latencyMs) : '…'}</td><td>{p.stats ? fmtCost(p.stats.costUsd, 'USD') : '…'}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr data-testid="live-totals">
            <th scope="row">Total</th><td>{totals.passes} pass{totals.passes === 1 ? '' : 'es'}</td><td>{totals.inputTokens} / {totals.outputTokens}</td>
            <td title="An agreement partner runs beside stage 1; escalations follow one another">{ms(totals.latencyMs)}</td><td>{fmtCost(totals.costUsd, 'USD')}</td>
          </tr>
        </tfoot>
      </table>
    </section>
  );
}

export function LiveView() {
  const status = useApp((s) => s.liveStatus);
  const passes = useApp((s) => s.livePasses);
  const final = useApp((s) => s.liveFinal);
  const error = useApp((s) => s.liveError);
  const pool = useApp((s) => s.workspace?.pool);
  const tune = useApp((s) => s.tune);
  const point = useApp((s) => s.enginePoint);
  const readiness = useApp((s) => s.liveReadiness);
  const checkLive = useApp((s) => s.checkLive);
  const start = useApp((s) => s.startLive);
  const stop = useApp((s) => s.stopLive);
  const [prompt, setPrompt] = useState('Once upon a time');
  const [maxTokens, setMaxTokens] = useState(128);
  const running = status === 'starting' || status === 'running';
  // The pool, the tune and the served region each decide which tiers the plan needs.
  useEffect(() => void checkLive(), [checkLive, pool, tune, point]);
  const blocked = readiness?.ready === false ? readiness.reason : null;
  return (
    <div className="view">
      <section className="panel" aria-labelledby="live-title">
        <h2 id="live-title">Live cascade</h2>
        {readiness && readiness.models.length > 0 && (
          <p className="hint" data-testid="live-tiers">
            The served plan uses {readiness.models.map((m) => `${m.model} → ${m.tier ?? 'no tier'}`).join(' · ')}.
          </p>
        )}
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (prompt.trim() && !running && readiness?.ready) void start(prompt, maxTokens);
          }}
        >
          <PromptControls
            prompt={prompt} onPrompt={setPrompt} maxTokens={maxTokens} onMaxTokens={setMaxTokens}
            submitLabel="Run cascade" canSubmit={prompt.trim() !== '' && readiness?.ready === true}
            running={running} onStop={() => void stop()} status={status}
            promptTestId="live-prompt" statusTestId="live-status"
          />
        </form>
        {blocked && <p className="error" data-testid="live-blocked">Run is disabled: {blocked}.</p>}
        {error && <p className="error" role="alert">{error}</p>}
      </section>
      {passes.map((p, i) => (
        <PassPanel key={p.pass} pass={p} escalationNumber={passes.slice(0, i + 1).filter((q) => q.role === 'escalation').length} />
      ))}
      <Totals passes={passes} />
      {final && (
        <section className="panel" aria-labelledby="final-title">
          <h2 id="final-title">Final answer{final.tier ? ` (${final.tier})` : ''}</h2>
          <pre className="stream">{final.text}</pre>
        </section>
      )}
    </div>
  );
}
