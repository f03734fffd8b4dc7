import { cost as fmtCost, pct } from '../format.js';
import { useApp } from '../store/index.js';
import { Metric } from './Metric.js';

/**
 * The operating point's figures, read from the precomputed region the slider is in: on the test split,
 * and as cross-fitting on train expects them with the certified retention bound (what the tune promised).
 */
export function OperatingPointFigures() {
  const r = useApp((s) => s.budget?.regions[s.region]);
  const unit = useApp((s) => s.budget?.costUnit ?? '');
  const strongest = useApp((s) => s.budget?.strongest);
  const confidence = useApp((s) => s.budget?.current.confidence ?? 0);
  // At the engine's own operating point, its certificate (under a retention target: the target the
  // sequence tested); elsewhere the region's bound as if it had been chosen in advance.
  const certified = useApp((s) => (s.budget && s.budget.current.region === s.region ? s.budget.current.certified : null));
  if (!r || !strongest) return null;
  const lower = certified ? certified.retentionLower : r.expected.retentionLower;
  return (
    <dl className="metrics" aria-label="Operating point" aria-live="polite">
      <Metric label="Expected retention (out of sample, train)" value={pct(r.expected.retention)} testId="op-expected-retention" />
      <Metric
        label={confidence > 0 ? `Certified retention ≥ (confidence ${confidence})` : 'Certified retention (confidence 0: none)'}
        value={lower === null ? '—' : pct(lower)}
        testId="op-retention-lower"
      />
      <Metric label="Test accuracy" value={pct(r.accuracy)} testId="op-accuracy" />
      <Metric label="Cost per query" value={fmtCost(r.costPerQuery, unit)} testId="op-cost" />
      <Metric label={`Test retention (vs ${strongest.model})`} value={pct(r.retention)} testId="op-retention" />
      <Metric label="Cost reduction" value={pct(r.costReduction)} testId="op-cost-reduction" />
      <Metric label="Escalation rate" value={pct(r.escalationRate)} testId="op-escalation" />
    </dl>
  );
}
