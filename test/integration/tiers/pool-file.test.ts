import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError } from '../../../core/errors.js';
import { parsePoolFile, poolCostFigures, poolPrices, tiersForModels } from '../../../core/pool.js';
import { loadPool } from '../../../native-models/tiers/pool.js';

const dir = mkdtempSync(join(tmpdir(), 'cascade-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function poolFile(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const cloud = { kind: 'cloud', name: 'mini', baseUrl: 'http://127.0.0.1:9/v1', model: 'm', apiKeyEnv: 'KEY', usdPerMtokIn: 0.15, usdPerMtokOut: 0.6 };

describe('pool files', () => {
  it('loads the example pools with defaults filled in and relative paths kept for the tier to resolve', () => {
    const { pool, baseDir } = loadPool('fixtures/pools/tiny-local.json');
    const example = loadPool('fixtures/pools/example.json').pool;
    expect(baseDir).toMatch(/fixtures\/pools$/);
    const [stories] = pool.tiers;
    expect(stories).toMatchObject({ kind: 'local', gpuLayers: 'auto', concurrency: 2, usdPerMtokIn: 0, sampling: { maxTokens: 48, temperature: 0, stop: [] } });
    expect(stories.kind === 'local' && stories.threads).toBe(1);
    expect(example.tiers[0].kind === 'local' && example.tiers[0].threads).toBeUndefined();
    expect(example.tiers[1]).toMatchObject({ kind: 'cloud', timeoutMs: 30000, retry: { maxRetries: 3 } });
  });

  it('exports prices and cost figures for the engine cost step, measured figures overriding declared ones', () => {
    const { pool } = loadPool(poolFile('figures.json', { tiers: [{ ...cloud, tpotMs: 20 }, { ...cloud, name: 'other' }] }));
    expect(poolPrices(pool).mini).toEqual({ usdPerMtokIn: 0.15, usdPerMtokOut: 0.6 });
    expect(poolCostFigures(pool).mini.tpotMs).toBe(20);
    expect(poolCostFigures(pool).other.tpotMs).toBeUndefined();
    expect(poolCostFigures(pool, { other: { tpotMs: 7.5 } }).other.tpotMs).toBe(7.5);
  });

  it('a malformed pool file is an InvalidInputError naming the file', () => {
    const path = poolFile('broken.json', '{"tiers": [');
    expect(() => loadPool(path)).toThrow(InvalidInputError);
    expect(() => loadPool(path)).toThrow(/broken\.json: malformed JSON/);
  });

  it('a missing pool file names the file', () => {
    expect(() => loadPool(join(dir, 'absent.json'))).toThrow(/absent\.json: cannot read pool file \(ENOENT\)/);
  });

  it('a bad field is named with its path', () => {
    expect(() => loadPool(poolFile('f1.json', { tiers: [{ ...cloud, usdPerMtokOut: -1 }] }))).toThrow(/f1\.json: field "tiers\[0\]\.usdPerMtokOut"/);
    expect(() => loadPool(poolFile('f2.json', { tiers: [{ ...cloud, baseUrl: 'not a url' }] }))).toThrow(/field "tiers\[0\]\.baseUrl"/);
    expect(() => loadPool(poolFile('f3.json', { tiers: [] }))).toThrow(/field "tiers": a pool needs at least one tier/);
    expect(() => loadPool(poolFile('f4.json', { tiers: [{ kind: 'local', name: 'x', model: 'a.gguf', gpuLayers: 'some' }] }))).toThrow(/field "tiers\[0\]\.gpuLayers"/);
  });

  it('an API key written where the variable name belongs is refused', () => {
    expect(() => loadPool(poolFile('key.json', { tiers: [{ ...cloud, apiKeyEnv: 'sk-proj-abc123' }] }))).toThrow(/field "tiers\[0\]\.apiKeyEnv": an environment variable name/);
    expect(() => loadPool(poolFile('key2.json', { tiers: [{ ...cloud, apiKey: 'sk-abc' }] }))).toThrow(/key2\.json: field/);
  });

  it('a tier listed twice is a ConflictError', () => {
    const path = poolFile('dup.json', { tiers: [cloud, cloud] });
    expect(() => loadPool(path)).toThrow(ConflictError);
    expect(() => loadPool(path)).toThrow(/field "tiers\[1\]\.name": tier "mini" is listed twice/);
  });
});

describe('standsFor: which tier answers for a run-log model', () => {
  const tiers = [
    { ...cloud, name: 'small', standsFor: ['gpt-4o-mini'] },
    { ...cloud, name: 'large', standsFor: ['o1-mini', 'gpt-4o'] },
    { ...cloud, name: 'claude' },
  ];

  it('maps models through standsFor, then same-name tiers, and overrides win', () => {
    const pool = parsePoolFile({ tiers }, 'pool.json');
    const map = tiersForModels(['gpt-4o-mini', 'o1-mini', 'gpt-4o', 'claude', 'llama'], pool.tiers);
    expect(Object.fromEntries(map)).toEqual({ 'gpt-4o-mini': 'small', 'o1-mini': 'large', 'gpt-4o': 'large', claude: 'claude' });
    expect(tiersForModels(['gpt-4o', 'claude'], pool.tiers, { 'gpt-4o': 'small' }).get('gpt-4o')).toBe('small');
  });

  it('refuses a model stood for by two tiers, or by one tier while another carries its name', () => {
    expect(() => parsePoolFile({ tiers: [...tiers, { ...cloud, name: 'other', standsFor: ['gpt-4o'] }] }, 'pool.json')).toThrow(ConflictError);
    expect(() => parsePoolFile({ tiers: [...tiers, { ...cloud, name: 'other', standsFor: ['gpt-4o'] }] }, 'pool.json')).toThrow(/pool\.json.*tiers\[3\]\.standsFor\[0\].*"gpt-4o" already has tier "large"/);
    expect(() => parsePoolFile({ tiers: [...tiers, { ...cloud, name: 'x', standsFor: ['claude'] }] }, 'pool.json')).toThrow(/"claude" already has tier "claude"/);
  });
});
