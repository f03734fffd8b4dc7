import { cost as fmtCost, pct } from '../format.js';
import { useApp } from '../store/index.js';
import { Metric } from './Metric.js';

/** The operating point's test-split figures, read from the precomputed region the slider is in. */
export function OperatingPointFigures() {
  const r = useApp((s) => s.budget?.regions[s.region]);
  const unit = useApp((s) => s.budget?.costUnit ?? '');
  const strongest = useApp((s) => s.budget?.strongest);
  if (!r || !strongest) return null;
  return (
    <dl className="metrics" aria-label="Operating point" aria-live="polite">
      <Metric label="Accuracy" value={pct(r.accuracy)} testId="op-accuracy" />
      <Metric label="Cost per query" value={fmtCost(r.costPerQuery, unit)} testId="op-cost" />
      <Metric label={`Retention (vs ${strongest.model})`} value={pct(r.retention)} testId="op-retention" />
      <Metric label="Cost reduction" value={pct(r.costReduction)} testId="op-cost-reduction" />
      <Metric label="Escalation rate" value={pct(r.escalationRate)} testId="op-escalation" />
    </dl>
  );
}
