import type { PoolFile } from '../../core/app-api.js';
import type { TunedConfig } from '../../core/config.js';
import { tiersForModels } from '../../core/pool.js';

/**
 * Which live-pool tier stands for each run-log model of a config: the tier whose `standsFor` lists
 * it, else the tier named after it. Live streams and the serve toggle both read this, so a prompt
 * reaches the same tier either way. Models without such a tier are left out.
 */
export function modelTierMap(config: TunedConfig, pool: PoolFile): Record<string, string> {
  return Object.fromEntries(tiersForModels(config.pool.map((p) => p.model), pool.tiers));
}
