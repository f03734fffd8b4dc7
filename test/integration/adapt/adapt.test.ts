import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdaptDiff } from '../../../core/adapt.js';
import { parseTunedConfig, type TunedConfig } from '../../../core/config.js';
import { cli } from '../../helpers/cli.js';

// End to end on the real run log: tune a pool that lacks gemini-1.5-flash (the cheapest model that
// is good on both tasks) under a tight budget, ask probe-plan which
// training queries it must answer, give it exactly those answers (from the recorded log), adapt,
// then remove it again. Every step goes through the CLI as a user would run it.
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const dataDir = path.resolve(repoRoot, '../shared/data/zeroeval-gsm8k-crux');
const HELD_OUT = 'gemini-1.5-flash';
/** USD per query: too little for the strong models, so the cheap tiers decide accuracy. */
const BUDGET = '0.0001';

let dir: string;
let before: TunedConfig;
let after: TunedConfig;
let diff: AdaptDiff;
let probeQids: string[];

const lines = async (file: string) => gunzipSync(await readFile(file)).toString('utf8').split('\n').filter(Boolean);
const readConfig = async (file: string) => parseTunedConfig(JSON.parse(await readFile(file, 'utf8')), file);

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cascade-lab-adapt-'));
  const questions = await lines(path.join(dataDir, 'questions.jsonl.gz'));
  const responses = await lines(path.join(dataDir, 'responses.jsonl.gz'));
  const prices = await readFile(path.join(dataDir, 'prices.json'), 'utf8');
  const base = path.join(dir, 'base');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(base);
  await writeFile(path.join(base, 'questions.jsonl'), questions.join('\n') + '\n');
  await writeFile(path.join(base, 'responses.jsonl'), responses.filter((l) => (JSON.parse(l) as { model: string }).model !== HELD_OUT).join('\n') + '\n');
  await writeFile(path.join(base, 'prices.json'), prices);
  const tuned = await cli('tune', '--data', base, '--k', '2', '--budget', BUDGET, '--out', path.join(dir, 'tuned.json'), '--json');
  expect(tuned.stderr.match(/Error.*/)?.[0] ?? '').toBe('');
  expect(tuned.code).toBe(0);
  before = await readConfig(path.join(dir, 'tuned.json'));

  const planned = await cli('probe-plan', '--config', path.join(dir, 'tuned.json'), '--per-cluster', '20', '--out', path.join(dir, 'probe-questions.jsonl'), '--json');
  expect(planned.code).toBe(0);
  probeQids = (JSON.parse(planned.stdout) as { queries: { qid: string }[] }).queries.map((q) => q.qid);
  const probe = path.join(dir, 'probe');
  await mkdir(probe);
  const wanted = new Set(probeQids);
  await writeFile(path.join(probe, 'questions.jsonl'), await readFile(path.join(dir, 'probe-questions.jsonl'), 'utf8'));
  await writeFile(path.join(probe, 'responses.jsonl'), responses.filter((l) => {
    const r = JSON.parse(l) as { qid: string; model: string };
    return r.model === HELD_OUT && wanted.has(r.qid);
  }).join('\n') + '\n');
  await writeFile(path.join(probe, 'prices.json'), prices);
  const adapted = await cli('adapt', '--config', path.join(dir, 'tuned.json'), '--data', probe, '--out', path.join(dir, 'tuned2.json'), '--json');
  expect(adapted.stderr.match(/Error.*/)?.[0] ?? '').toBe('');
  expect(adapted.code).toBe(0);
  after = await readConfig(path.join(dir, 'tuned2.json'));
  diff = JSON.parse(await readFile(path.join(dir, 'tuned2.diff.json'), 'utf8')) as AdaptDiff;
}, 600_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('probe-plan', () => {
  it('lists 20 training queries per cluster and none from the test split', () => {
    expect(probeQids).toHaveLength(20 * before.clusters.length);
    const train = new Set(before.split.trainQids);
    expect(probeQids.every((q) => train.has(q))).toBe(true);
    expect(new Set(probeQids).size).toBe(probeQids.length);
  });
});

describe('adapt with a new model from its probe', () => {
  it('keeps the clusters: same centroids, sizes and training split', () => {
    expect(after.clusters.map((c) => c.centroid)).toEqual(before.clusters.map((c) => c.centroid));
    expect(after.clusters.map((c) => c.size)).toEqual(before.clusters.map((c) => c.size));
    expect(after.split).toEqual(before.split);
    expect(diff.centroidsUnchanged).toBe(true);
  });

  it('adds the model with statistics from its probe answers only', () => {
    expect(diff.added).toEqual([{ model: HELD_OUT, probeAnswers: probeQids.length }]);
    const entry = after.pool.find((p) => p.model === HELD_OUT)!;
    expect(entry).toBeDefined();
    const answered = after.clusters.map((c) => c.stats.find((s) => s.model === HELD_OUT)!.n);
    expect(answered.reduce((a, b) => a + b, 0)).toBe(probeQids.length);
  });

  it('routes to it where it is best for its cost, and says so in the diff', () => {
    expect(JSON.stringify(after.regions[after.operatingPoint.region].plans)).toContain(HELD_OUT);
    expect(diff.plans.some((p) => p.changed && p.after.includes(HELD_OUT))).toBe(true);
    expect(after.cascade?.ladder).toContain(HELD_OUT);
    expect(diff.ladder?.after).toContain(HELD_OUT);
    expect(diff.ladder?.before).not.toContain(HELD_OUT);
  });

  it('is more accurate than before within the same budget', () => {
    expect(diff.expected.after.accuracy).toBeGreaterThan(diff.expected.before.accuracy);
    expect(diff.expected.after.cost).toBeLessThanOrEqual(Number(BUDGET));
  });
});

describe('adapt --remove', () => {
  it('drops the model from the pool, routes, ladder and plans', async () => {
    const out = path.join(dir, 'tuned3.json');
    const removed = await cli('adapt', '--config', path.join(dir, 'tuned2.json'), '--remove', HELD_OUT, '--out', out);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(`removed ${HELD_OUT}`);
    const third = await readConfig(out);
    expect(third.pool.map((p) => p.model)).not.toContain(HELD_OUT);
    expect(JSON.stringify(third.regions.map((r) => r.plans))).not.toContain(HELD_OUT);
    expect(third.cascade?.ladder).not.toContain(HELD_OUT);
    expect(third.clusters.map((c) => c.centroid)).toEqual(before.clusters.map((c) => c.centroid));
  }, 300_000);

  it('names a model that is not in the pool', async () => {
    const r = await cli('adapt', '--config', path.join(dir, 'tuned.json'), '--remove', 'no-such-model', '--out', path.join(dir, 'x.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--remove: cannot remove "no-such-model": it is not in the pool/);
  }, 120_000);
});
