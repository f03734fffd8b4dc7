// Chaos for the app over its bridge with a GGUF tier in the pool: Live streams open it as they
// start, so a Stop often lands while the model loads (issue 14's crash). See test/helpers/app-chaos.ts.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { LocalTierSpecSchema } from '../../core/pool.js';
import { chaosCloudTier, startAppChaos, type AppChaos } from '../helpers/app-chaos.js';
import { MODELS } from './serve-fixture.js';

const SCALE = Number(process.env.CASCADE_CHAOS_SCALE ?? '1');
let chaos: AppChaos;

beforeAll(async () => {
  chaos = await startAppChaos((models, ups) => [
    LocalTierSpecSchema.parse({ kind: 'local', name: 'small', model: join(MODELS, 'stories260K.gguf'), standsFor: models.slice(0, 3), contextSize: 512, threads: 1, contextOverflow: 'clip', sampling: { maxTokens: 400 } }),
    chaosCloudTier('big', ups.big.url, models.slice(3), 8),
  ]);
});
afterAll(async () => {
  await chaos?.close();
});

describe('chaos with a GGUF tier: streams stopped while the model loads or generates', () => {
  it('every stream ends once, the app keeps answering, and the process stays up', async () => {
    const figures = await chaos.run({ rounds: 4 * SCALE, perRound: 10, seed: 12072026, compareTiers: ['small', 'big'] });
    console.log(`app chaos, GGUF and cloud tiers (scale ${SCALE}): ${figures}`);
  });
});
