import { useState } from 'react';
import { TokenTimingChart } from '../charts/TokenTimingChart.js';
import { cost as fmtCost, ms } from '../format.js';
import { PromptControls } from '../components/PromptControls.js';
import { useApp } from '../store/index.js';
import type { CompareColumn } from '../store/compare.js';
import { OffloadNote } from '../components/OffloadNote.js';

function Column({ column }: { column: CompareColumn }) {
  return (
    <article className="answer" aria-label={`Output of ${column.tier}`} data-testid={`compare-${column.tier}`}>
      <h3>{column.tier}</h3>
      {column.stats ? (
        <p className="hint">
          TTFT {ms(column.stats.ttftMs)} · TPOT {ms(column.stats.tpotMs)} · {column.stats.outputTokens} tokens · {fmtCost(column.stats.costUsd, 'USD')}
          <OffloadNote offload={column.stats.offload} />
        </p>
      ) : (
        !column.error && <p className="hint">streaming… {column.tokenTimes.length} tokens</p>
      )}
      {column.error && <p className="error" role="alert">{column.error}</p>}
      <pre aria-live="polite">{column.text}</pre>
      <TokenTimingChart times={column.tokenTimes} label={`Token timing of ${column.tier}`} />
    </article>
  );
}

export function CompareView() {
  const pool = useApp((s) => s.workspace?.pool);
  const tiers = useApp((s) => s.compareTiers);
  const setTiers = useApp((s) => s.setCompareTiers);
  const columns = useApp((s) => s.compareColumns);
  const status = useApp((s) => s.compareStatus);
  const error = useApp((s) => s.compareError);
  const start = useApp((s) => s.startCompare);
  const stop = useApp((s) => s.stopCompare);
  const [prompt, setPrompt] = useState('Once upon a time');
  const [maxTokens, setMaxTokens] = useState(64);
  const running = status === 'starting' || status === 'running';
  const names = pool?.tiers.map((t) => t.name) ?? [];
  return (
    <div className="view">
      <section className="panel" aria-labelledby="compare-title">
        <h2 id="compare-title">Compare tiers</h2>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (prompt.trim() && tiers.length > 0 && !running) void start(prompt, maxTokens);
          }}
        >
          <fieldset>
            <legend>Tiers</legend>
            {names.length === 0 && <span className="muted">The live pool is empty: add tiers in the Workspace view.</span>}
            {names.map((n) => (
              <label key={n} className="inline">
                <input type="checkbox" checked={tiers.includes(n)} onChange={(e) => setTiers(e.target.checked ? [...tiers, n] : tiers.filter((t) => t !== n))} /> {n}
              </label>
            ))}
          </fieldset>
          <PromptControls
            prompt={prompt} onPrompt={setPrompt} maxTokens={maxTokens} onMaxTokens={setMaxTokens}
            submitLabel={`Send to ${tiers.length} tiers`} canSubmit={tiers.length > 0 && prompt.trim() !== ''}
            running={running} onStop={() => void stop()} status={status}
          />
        </form>
        {error && <p className="error" role="alert">{error}</p>}
      </section>
      {columns.length > 0 && <div className="answers wide">{columns.map((c) => <Column key={c.tier} column={c} />)}</div>}
    </div>
  );
}
