import type { LiveReadiness, PoolFile } from './app-api.js';
import { planModels, type ClusterPlan } from './cascade/plan.js';
import { tiersForModels } from './pool.js';

/**
 * Whether the live cascade can answer a prompt: a pool, and for a tuned config a ready tier for
 * every run-log model its served plans name (the same mapping the live cascade uses). Without
 * `plans` (nothing tuned yet), the pool's first tier answers alone. `tierProblems` holds each
 * tier that is not ready (missing file, unset key variable) and why.
 */
export function liveReadiness(pool: PoolFile | null, plans: readonly ClusterPlan[] | null, tierProblems: ReadonlyMap<string, string>): LiveReadiness {
  if (!pool || pool.tiers.length === 0) return { ready: false, reason: 'the live pool is empty: add a local GGUF or cloud tier in the Workspace view', models: [] };
  if (!plans) {
    const first = pool.tiers[0].name;
    const problem = tierProblems.get(first);
    return { ready: problem === undefined, reason: problem === undefined ? null : `tier "${first}" is not ready: ${problem}`, models: [] };
  }
  const used = [...new Set(plans.flatMap(planModels))];
  const tierOf = tiersForModels(used, pool.tiers);
  const models = used.map((model) => ({ model, tier: tierOf.get(model) ?? null }));
  const missing = models.filter((m) => m.tier === null).map((m) => m.model);
  if (missing.length > 0) {
    const list = missing.map((m) => `"${m}"`).join(', ');
    return {
      ready: false,
      reason: `the served plan uses ${list}, which no pool tier stands for: add a tier of that name, or pick ${missing.length > 1 ? 'them' : 'it'} under Stands for in a tier`,
      models,
    };
  }
  const unready = [...new Set(models.map((m) => m.tier!))].filter((t) => tierProblems.has(t));
  if (unready.length > 0) return { ready: false, reason: unready.map((t) => `tier "${t}" is not ready: ${tierProblems.get(t)}`).join('; '), models };
  return { ready: true, reason: null, models };
}
