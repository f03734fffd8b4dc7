import type { EvaluationRow } from '../../core/app-api.js';

export type BaselineKind = 'single' | 'random' | 'oracle' | 'k1' | 'stage1' | 'system';

export interface Baseline {
  kind: BaselineKind;
  label: string;
  accuracy: number;
  cost: number;
}

/**
 * Reads the report's evaluation rows as chart baselines. Single-model rows are named
 * `single:<model>` or by the bare model name; the others by their policy.
 */
export function readBaselines(rows: readonly EvaluationRow[], models: readonly string[]): Baseline[] {
  const out: Baseline[] = [];
  for (const row of rows) {
    const policy = row.policy;
    const lower = policy.toLowerCase();
    const base = { accuracy: row.accuracy, cost: row.costPerQuery };
    if (lower.startsWith('single:') || lower.startsWith('single ')) out.push({ kind: 'single', label: policy.slice(7).trim(), ...base });
    else if (models.includes(policy)) out.push({ kind: 'single', label: policy, ...base });
    else if (lower.startsWith('random')) out.push({ kind: 'random', label: policy, ...base });
    else if (lower.startsWith('oracle')) out.push({ kind: 'oracle', label: policy, ...base });
    else if (lower === 'k1' || lower.startsWith('k=1') || lower.startsWith('k = 1')) out.push({ kind: 'k1', label: policy, ...base });
    else if (lower.startsWith('stage1') || lower.startsWith('stage 1') || lower.startsWith('stage-1')) out.push({ kind: 'stage1', label: policy, ...base });
    else if (lower.startsWith('system') || lower.startsWith('cascade')) out.push({ kind: 'system', label: policy, ...base });
  }
  return out;
}
