import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { DisposedError } from '../../core/errors.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalTierSpecSchema } from '../../core/pool.js';
import { ModelFileNotFoundError, ModelLoadError } from '../../native-models/tiers/errors.js';
import { LocalTier } from '../../native-models/tiers/local-tier.js';
import { TierPool } from '../../native-models/tiers/pool.js';
import { checkPool, formatPoolCheck } from '../../server/cli/pool.js';
import { start } from '../helpers/openai-upstream.js';

// The two tiny real GGUF models of ../shared/models, as the two tiers of fixtures/pools/tiny-local.json
// (threads: 1 there: on a 2-core machine shared with other processes, 2 threads decode ~1000x slower).
let pool: TierPool;
const dir = mkdtempSync(join(tmpdir(), 'cascade-local-'));

beforeAll(async () => {
  pool = await TierPool.open('fixtures/pools/tiny-local.json');
});
afterAll(async () => {
  await pool.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('local tiers on real GGUF models', () => {
  it('loads both models of the pool as two tiers', () => {
    expect(pool.names).toEqual(['stories260K', 'tiny-random']);
    expect(pool.get('stories260K').kind).toBe('local');
  });

  it('streams a greedy completion with node-llama-cpp token counts and timings', async () => {
    const tier = pool.get('stories260K');
    const pieces: { text: string; atMs: number }[] = [];
    const r = await tier.generate({ prompt: 'Once upon a time', maxTokens: 24 }, { onToken: (e) => pieces.push(e) });
    expect(r.tier).toBe('stories260K');
    expect(r.text.length).toBeGreaterThan(20);
    expect(pieces.map((p) => p.text).join('')).toBe(r.text);
    expect(r.stopReason).toBe('length');
    expect(r.outputTokens).toBe(24);
    expect(r.inputTokens).toBe((tier as LocalTier).countTokens('Once upon a time') + 1); // + BOS
    expect(r.ttftMs).toBeGreaterThan(0);
    expect(r.ttftMs).toBeCloseTo(pieces[0].atMs, 6);
    expect(r.tpotMs).toBeGreaterThan(0);
    expect(r.tpotMs).toBeCloseTo((pieces.at(-1)!.atMs - pieces[0].atMs) / 23, 0);
    expect(r.latencyMs).toBeGreaterThanOrEqual(pieces.at(-1)!.atMs);
    expect(r.costUsd).toBe(0);
    const again = await tier.generate({ prompt: 'Once upon a time', maxTokens: 24 });
    expect(again.text).toBe(r.text); // greedy and the sequence was cleared between calls
  });

  it('answers chat messages through the model chat template', async () => {
    const r = await pool.get('stories260K').generate({ messages: [{ role: 'user', content: 'Tell me a story' }], maxTokens: 8 });
    expect(r.outputTokens).toBeGreaterThan(0);
    expect(r.inputTokens).toBeGreaterThan(5);
  });

  it('prices a tier by its pool-file prices', async () => {
    const r = await pool.get('tiny-random').generate({ prompt: 'hello', maxTokens: 5 });
    expect(r.costUsd).toBeCloseTo((r.inputTokens * 0.1 + r.outputTokens * 0.4) / 1e6, 15);
  });

  it('summarises token log-probabilities and entropy from evaluateWithMetadata', async () => {
    const seen: number[] = [];
    const r = await pool.get('stories260K').generate({ prompt: 'Once upon a time', maxTokens: 16, logprobs: true }, { onToken: (e) => e.logprob !== undefined && seen.push(e.logprob) });
    const lp = r.logprobs!;
    expect(lp.mean).toBeLessThan(0);
    expect(lp.min).toBeLessThanOrEqual(lp.mean);
    expect(lp.entropy).toBeGreaterThan(0);
    expect(lp.entropy).toBeLessThan(Math.log(512)); // stories260K has a 512-token vocabulary
    expect(seen.length).toBeGreaterThan(0);
    // The random-weight model is nearly uniform over 32,000 tokens: low confidence, high entropy.
    const noise = (await pool.get('tiny-random').generate({ prompt: 'Once upon a time', maxTokens: 8, logprobs: true })).logprobs!;
    expect(noise.mean).toBeLessThan(lp.mean);
    expect(noise.entropy).toBeGreaterThan(lp.entropy);
    expect(noise.entropy).toBeLessThanOrEqual(Math.log(32000) + 1e-6);
  });

  it('the two tiers differ in speed: the 32k-vocabulary model is slower per token', async () => {
    const median = async (name: string) => {
      const t: number[] = [];
      for (let i = 0; i < 3; i++) t.push((await pool.get(name).generate({ prompt: 'Once upon a time', maxTokens: 32, logprobs: true })).tpotMs);
      return t.sort((a, b) => a - b)[1];
    };
    const [fast, slow] = [await median('stories260K'), await median('tiny-random')];
    expect(fast).toBeGreaterThan(0);
    expect(slow).toBeGreaterThan(0);
    // Full-vocabulary probabilities cost ~60x more on the 32k model; a busy machine cannot hide that.
    expect(slow).toBeGreaterThan(fast);
  });

  it('aborting mid-stream stops generation with stopReason abort', async () => {
    const controller = new AbortController();
    let n = 0;
    const r = await pool.get('stories260K').generate({ prompt: 'Once upon a time', maxTokens: 200 }, {
      signal: controller.signal,
      onToken: () => { if (++n === 5) controller.abort(); },
    });
    expect(r.stopReason).toBe('abort');
    expect(r.outputTokens).toBe(5);
    const pre = new AbortController();
    pre.abort();
    expect((await pool.get('stories260K').generate({ prompt: 'x' }, { signal: pre.signal })).stopReason).toBe('abort');
  });

  it('serves concurrent calls on separate sequences (concurrency 2) with the same answers as alone', async () => {
    const tier = pool.get('stories260K');
    const alone = await tier.generate({ prompt: 'The dog', maxTokens: 12 });
    const [a, b] = await Promise.all([tier.generate({ prompt: 'The dog', maxTokens: 12 }), tier.generate({ prompt: 'The dog', maxTokens: 12 })]);
    expect(a.text).toBe(alone.text);
    expect(b.text).toBe(alone.text);
  });

  it('stops at a stop sequence and leaves it out of the text', async () => {
    const tier = pool.get('stories260K');
    const full = await tier.generate({ prompt: 'Once upon a time', maxTokens: 24 });
    const word = full.text.trim().split(/\s+/)[2];
    const r = await tier.generate({ prompt: 'Once upon a time', maxTokens: 24, stop: [word] });
    expect(r.stopReason).toBe('stop');
    expect(r.text).toBe(full.text.slice(0, full.text.indexOf(word)));
  });

  it('backs the OpenAI-compatible test server so it speaks real text', async () => {
    const upstream = await start({ tier: pool.get('stories260K') });
    try {
      const client = new OpenAI({ baseURL: upstream.url, apiKey: 'none', maxRetries: 0 });
      const direct = await pool.get('stories260K').generate({ prompt: 'Once upon a time', maxTokens: 10 });
      const r = await client.completions.create({ model: 'stories', prompt: 'Once upon a time', max_tokens: 10 });
      expect(r.choices[0].text).toBe(direct.text);
      expect(r.usage?.completion_tokens).toBe(10);
    } finally {
      await upstream.close();
    }
  });

  it('pool check loads each local tier and measures TTFT and TPOT; a missing model is reported by tier', async () => {
    const result = await checkPool('fixtures/pools/tiny-local.json', { repeat: 1, maxTokens: 16 });
    const { checks } = result;
    expect(checks.map((c) => [c.tier, c.ok, c.outputTokens])).toEqual([['stories260K', true, 16], ['tiny-random', true, 16]]);
    for (const c of checks) {
      expect(c.ttftMs).toBeGreaterThan(0);
      expect(c.tpotMs).toBeGreaterThan(0);
      expect(c.loadMs).toBeGreaterThan(0);
      expect(c.offload?.backend).toBe(result.backend?.backend);
    }
    // Each local tier's fit and offload, printed under the table; the layer counts are the GGUF's blocks + 1.
    expect(checks.map((c) => [c.fit?.totalLayers, c.offload?.totalLayers, c.offload?.threads])).toEqual([[6, 6, 1], [2, 2, 1]]);
    const text = formatPoolCheck(result);
    expect(text).toMatch(/^backend: (cpu \(no GPU: .+\)|cuda|vulkan|metal).*CPU math cores\n/);
    expect(text).toContain('stories260K:\n  fit:     ');
    if (result.backend?.backend === 'cpu') {
      expect(text).toMatch(/stories260K:\n  fit:     CPU only: needs [\d.]+ MiB, 0 B free; [\d.]+ MiB of RAM\n  loaded:  cpu, 0\/6 layers offloaded, [\d.]+ MiB RAM\n  threads: CPU threads \(1\) run every layer\n/);
      expect(text).toMatch(/tiny-random:\n  fit:     CPU only: .*\n  loaded:  cpu, 0\/2 layers offloaded/);
    }
    const pool = join(dir, 'pool.json');
    writeFileSync(pool, JSON.stringify({ tiers: [{ kind: 'local', name: 'gone', model: 'gone.gguf' }] }));
    const [gone] = (await checkPool(pool, { repeat: 1 })).checks;
    expect(gone.ok).toBe(false);
    expect(gone.error).toMatch(/tier "gone": GGUF file not found: .*gone\.gguf/);
  });

  it('a missing GGUF file is a ModelFileNotFoundError naming the tier and path', async () => {
    const spec = LocalTierSpecSchema.parse({ kind: 'local', name: 'ghost', model: 'nowhere/ghost.gguf' });
    const err = await LocalTier.create(spec, { baseDir: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFileNotFoundError);
    expect((err as Error).message).toMatch(/tier "ghost".*nowhere\/ghost\.gguf/);
  });

  it('a corrupt GGUF file is a ModelLoadError naming the tier and file', async () => {
    const path = join(dir, 'corrupt.gguf');
    writeFileSync(path, Buffer.from('GGUF this is not a model at all, just garbage bytes '.repeat(64)));
    const spec = LocalTierSpecSchema.parse({ kind: 'local', name: 'broken', model: path });
    const err = await LocalTier.create(spec).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toMatch(/tier "broken".*corrupt\.gguf/);
  });

  it('dispose frees the model after running calls, is safe twice, and use after it throws', async () => {
    const spec = LocalTierSpecSchema.parse({ kind: 'local', name: 'short-lived', model: '../shared/models/stories260K.gguf', contextSize: 256, threads: 1 });
    const tier = await LocalTier.create(spec);
    let events = 0;
    tier.onDispose(() => events++);
    const running = tier.generate({ prompt: 'Once', maxTokens: 16 });
    await Promise.all([tier.dispose(), tier.dispose()]);
    expect((await running).outputTokens).toBe(16);
    expect(tier.disposed).toBe(true);
    expect(events).toBe(1);
    await expect(tier.generate({ prompt: 'Once' })).rejects.toThrow(DisposedError);
    await expect(tier.generate({ prompt: 'Once' })).rejects.toThrow(/tier "short-lived": used after dispose/);
    expect(() => tier.countTokens('x')).toThrow(DisposedError);
  });
});
