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
  if (!r || !strongest) return null;
  return (
    <dl className="metrics" aria-label="Operating point" aria-live="polite">
      <Metric label="Expected retention (out of sample, train)" value={pct(r.expected.retention)} testId="op-expected-retention" />
      <Metric
        label={confidence > 0 ? `Certified retention ≥ (confidence ${confidence})` : 'Certified retention (confidence 0: none)'}
        value={r.expected.retentionLower === null ? '—' : pct(r.expected.retentionLower)}
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
