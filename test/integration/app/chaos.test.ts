// Chaos for the app over its HTTP + WebSocket bridge, over cloud tiers: every stream ends once, the
// app answers after every round, nothing is left running upstream, and the process stays up (see
// test/helpers/app-chaos.ts). CASCADE_CHAOS_SCALE=10 runs ten times as many rounds.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { chaosCloudTier, startAppChaos, type AppChaos } from '../../helpers/app-chaos.js';

const SCALE = Number(process.env.CASCADE_CHAOS_SCALE ?? '1');
let chaos: AppChaos;

beforeAll(async () => {
  chaos = await startAppChaos((models, ups) => [chaosCloudTier('a', ups.a.url, models.slice(0, 3), 2), chaosCloudTier('big', ups.big.url, models.slice(3), 8)]);
}, 120_000);
afterAll(async () => {
  await chaos?.close();
});

describe('chaos: Live and Compare streams started, stopped and aborted at random over the bridge', () => {
  it('every stream ends once, the app keeps answering, and nothing is left running upstream', async () => {
    const figures = await chaos.run({ rounds: 10 * SCALE, perRound: 20, seed: 7122026, compareTiers: ['a', 'big'] });
    console.log(`app chaos, cloud tiers (scale ${SCALE}): ${figures}`);
  }, 300_000 * SCALE);
});
