import type { PoolFile } from '../../core/app-api.js';
import type { TunedConfig } from '../../core/config.js';

/**
 * Which live-pool tier stands for each run-log model of a config: the tier named after it. Live
 * streams and the serve toggle both read this, so a prompt reaches the same tier either way.
 * Models without such a tier are left out.
 */
export function modelTierMap(config: TunedConfig, pool: PoolFile): Record<string, string> {
  const map: Record<string, string> = {};
  for (const { model } of config.pool) if (pool.tiers.some((t) => t.name === model)) map[model] = model;
  return map;
}
