// One TierPool owns a pool's live tiers: each is created on first acquire and shared after,
// a failed creation is tried again, and the pool's names and disposal are its own.
import { describe, expect, it } from 'vitest';
import { DisposedError, UnknownTierError } from '../../../core/errors.js';
import { PoolFileSchema } from '../../../core/pool.js';
import { MissingApiKeyError } from '../../../native-models/tiers/errors.js';
import { TierPool } from '../../../native-models/tiers/pool.js';

const cloud = (name: string, extra: Record<string, unknown> = {}) => ({ kind: 'cloud', name, baseUrl: 'http://127.0.0.1:9/v1', model: name, usdPerMtokIn: 1, usdPerMtokOut: 1, ...extra });
const poolOf = (env: Record<string, string | undefined>) =>
  TierPool.lazy({ file: 'pool.json', baseDir: process.cwd(), pool: PoolFileSchema.parse({ version: 1, tiers: [cloud('a'), cloud('keyed', { apiKeyEnv: 'TIER_POOL_TEST_KEY' })] }) }, { env });

describe('TierPool', () => {
  it('creates a tier on first acquire and hands the same one to every later user', async () => {
    const pool = poolOf({});
    expect(pool.names).toEqual([]);
    const [first, second] = await Promise.all([pool.acquire(['a']), pool.acquire(['a'])]);
    expect(first.get('a')).toBe(second.get('a'));
    expect((await pool.acquire(['a'])).get('a')).toBe(first.get('a'));
    expect(pool.get('a')).toBe(first.get('a'));
    expect(pool.names).toEqual(['a']);
    await pool.dispose();
    expect(first.get('a')!.disposed).toBe(true);
    expect(() => pool.get('a')).toThrow(DisposedError);
    await expect(pool.acquire(['a'])).rejects.toBeInstanceOf(DisposedError);
  });

  it('names an unknown tier with the typed error, and tries a failed creation again', async () => {
    const env: Record<string, string | undefined> = {};
    const pool = poolOf(env);
    await expect(pool.acquire(['nope'])).rejects.toThrow(UnknownTierError);
    await expect(pool.acquire(['nope'])).rejects.toThrow(/pool\.json: no tier "nope" in the pool \(it has: a, keyed\)/);
    expect(() => pool.get('nope')).toThrow(UnknownTierError);
    await expect(pool.acquire(['keyed'])).rejects.toBeInstanceOf(MissingApiKeyError);
    expect(() => pool.get('keyed')).toThrow(/not loaded yet/);
    env.TIER_POOL_TEST_KEY = 'k';
    expect((await pool.acquire(['keyed'])).get('keyed')!.name).toBe('keyed');
    await pool.dispose();
  });

  it('stops waiting when the acquirer gives up, and keeps the tier for the next one', async () => {
    const pool = poolOf({});
    const gaveUp = new AbortController();
    gaveUp.abort(new Error('stopped'));
    await expect(pool.acquire(['a'], gaveUp.signal)).rejects.toThrow('stopped');
    expect((await pool.acquire(['a'])).get('a')!.disposed).toBe(false);
    await pool.dispose();
  });
});
