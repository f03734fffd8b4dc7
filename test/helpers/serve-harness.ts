// A tuned config and pool files for `serve` tests that need no GGUF model: the simulated run
// log (fixtures/simulated) tuned once per worker, with every cluster's plan replaced by the shape
// a test wants, served by cloud tiers in front of test/helpers/openai-upstream.ts servers.
import { join, resolve } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { ClusterPlan } from '../../core/cascade/plan.js';
import type { TunedConfig } from '../../core/config.js';
import { tune } from '../../core/tune.js';
import { loadRunLog } from '../../native-models/runlog/load.js';

const SIMULATED = resolve(import.meta.dirname, '../../fixtures/simulated');

let tuned: Promise<TunedConfig> | undefined;

/** The simulated run log tuned with k = 2 (about a second), once per test worker. */
export function simulatedConfig(): Promise<TunedConfig> {
  tuned ??= loadRunLog(SIMULATED).then(async (log) => (await tune(log, { k: 2 })).config);
  return tuned;
}

/** A copy of `config` whose served region has every cluster follow `plan`, so a test need not know where a prompt routes. */
export function withPlan(config: TunedConfig, plan: ClusterPlan): TunedConfig {
  if (!config.cascade) throw new Error('the simulated tune wrote no cascade section');
  const op = config.operatingPoint.region;
  return { ...config, regions: config.regions.map((r, i) => (i === op ? { ...r, plans: config.clusters.map(() => plan) } : r)) };
}

/** A cloud tier spec with no retries of its own (serve owns retries), standing for `standsFor`. */
export function cloudTier(name: string, baseUrl: string, standsFor: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { kind: 'cloud', name, baseUrl, model: name, usdPerMtokIn: 1, usdPerMtokOut: 2, standsFor, timeoutMs: 5000, retry: { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0 }, ...extra };
}

/** Writes `config.json` and `pool.json` into `dir`. */
export async function writeServeFiles(dir: string, config: TunedConfig, tiers: Record<string, unknown>[]): Promise<{ configPath: string; poolPath: string }> {
  const configPath = join(dir, 'config.json');
  const poolPath = join(dir, 'pool.json');
  await writeFileAtomic(configPath, JSON.stringify(config));
  await writeFileAtomic(poolPath, JSON.stringify({ version: 1, tiers }));
  return { configPath, poolPath };
}
