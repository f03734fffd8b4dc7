import { statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readGgufFileInfo } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { APP_API_CONTRACT, AppEventSchema, type AppEvent } from '../../core/app-api.js';
import { fitSummary, offloadSummary, threadsNote } from '../../core/hardware.js';
import { LocalTierSpecSchema } from '../../core/pool.js';
import { backendReport, fitTarget, resolveTierFit, type FitTarget } from '../../native-models/tiers/backend-report.js';
import { GpuMemoryError } from '../../native-models/tiers/errors.js';
import { sharedLlama } from '../../native-models/tiers/llama-instance.js';
import { LocalTier } from '../../native-models/tiers/local-tier.js';
import { loadPool } from '../../native-models/tiers/pool.js';
import { AppService } from '../../server/app/app-service.js';
import { ServeMetrics } from '../../server/serve/metrics.js';
import { parsePrometheusText, sampleSum, sampleValue } from '../helpers/prometheus-text.js';

// The backend report, the fit resolver and the offload a loaded tier reports, on the real tiny
// GGUF models of ../shared/models and on whatever backend this machine has. Without a GPU
// (the CPU build) each figure is asserted as the CPU's; test/gpu asserts them on a GPU.
const models = join(fileURLToPath(new URL('../../', import.meta.url)), '..', 'shared', 'models');
const stories = join(models, 'stories260K.gguf');
const random = join(models, 'llama-2-tiny-random.gguf');
const spec = (name: string, model: string, extra: Record<string, unknown> = {}) => LocalTierSpecSchema.parse({ kind: 'local', name, model, contextSize: 512, threads: 1, ...extra });

let target: FitTarget;
let onCpu: boolean;
beforeAll(async () => {
  target = await fitTarget();
  onCpu = target.report.backend === 'cpu';
});

describe('the backend report', () => {
  it('names the backend, its devices and memory, the math cores, and why no GPU is in use', async () => {
    const llama = await sharedLlama();
    const r = await backendReport();
    expect(r.cpuMathCores).toBe(llama.cpuMathCores);
    expect(r.cpuMathCores).toBeGreaterThan(0);
    if (llama.gpu === false) {
      expect(r).toMatchObject({ backend: 'cpu', devices: [], vram: { total: 0, free: 0 } });
      // This machine's CPU build: the GPU packages are installed but no driver or device is found.
      expect(r.gpuUnavailable).toMatch(/cuda: no (driver or device found|prebuilt binary)/);
    } else {
      expect(r.backend).toBe(llama.gpu);
      expect(r.devices.length).toBeGreaterThan(0);
      expect(r.vram.total).toBeGreaterThan(0);
      expect(r.gpuUnavailable).toBeNull();
    }
  });

  it('says when the user turned the GPU off', async () => {
    const saved = process.env.NODE_LLAMA_CPP_GPU;
    process.env.NODE_LLAMA_CPP_GPU = 'off';
    try {
      const r = await backendReport();
      if (r.backend === 'cpu') expect(r.gpuUnavailable).toBe('disabled by the user (NODE_LLAMA_CPP_GPU=off)');
    } finally {
      if (saved === undefined) delete process.env.NODE_LLAMA_CPP_GPU;
      else process.env.NODE_LLAMA_CPP_GPU = saved;
    }
  });
});

describe('the fit resolver, against the GGUF metadata', () => {
  it('counts the layers from the metadata and places none on a CPU backend', async () => {
    for (const file of [stories, random]) {
      const meta = (await readGgufFileInfo(file)).metadata as { llama: { block_count: number } };
      const fit = await resolveTierFit(spec('t', file), file, target);
      // node-llama-cpp counts the output layer as one more than the transformer blocks.
      expect(fit.totalLayers).toBe(meta.llama.block_count + 1);
      expect(fit.contextSize).toBe(512);
      expect(fit.freeVramBytes).toBe(target.report.vram.free);
      if (onCpu) {
        expect([fit.fitLayers, fit.plannedLayers, fit.plannedVramBytes]).toEqual([0, 0, 0]);
        // Every weight then lives in RAM: at least the tensors the file holds.
        expect(fit.plannedRamBytes).toBeGreaterThan(statSync(file).size * 0.95);
        expect(fitSummary(fit)).toMatch(/^CPU only: needs [\d.]+ (KiB|MiB), 0 B free; [\d.]+ MiB of RAM$/);
      }
    }
  });

  it('needs at least the KV cache more GPU memory for a longer context, as the metadata sizes it', async () => {
    const meta = (await readGgufFileInfo(stories)).metadata as { llama: { block_count: number; embedding_length: number; attention: { head_count: number; head_count_kv: number } } };
    const { block_count: layers, embedding_length: embd, attention } = meta.llama;
    const kvPerToken = 2 * layers * (embd / attention.head_count) * attention.head_count_kv * 2; // K and V, f16
    const short = await resolveTierFit(spec('t', stories, { contextSize: 512 }), stories, target);
    const long = await resolveTierFit(spec('t', stories, { contextSize: 1024 }), stories, target);
    expect(long.totalLayers).toBe(short.totalLayers);
    expect(long.fullOffloadBytes - short.fullOffloadBytes).toBeGreaterThanOrEqual(512 * kvPerToken);
    // Two sequences hold two caches.
    const two = await resolveTierFit(spec('t', stories, { concurrency: 2 }), stories, target);
    expect(two.fullOffloadBytes).toBeGreaterThan(short.fullOffloadBytes);
  });
});

describe('loading a local tier', () => {
  let tier: LocalTier;
  beforeAll(async () => {
    tier = await LocalTier.create(spec('stories', stories));
  });
  afterAll(() => tier.dispose());

  it('reports the layers offloaded and the memory its model and context took', async () => {
    expect(tier.fit.totalLayers).toBe(6);
    expect(tier.offload.totalLayers).toBe(6);
    expect(tier.offload.backend).toBe(target.report.backend);
    expect(tier.offload.threads).toBe(1);
    if (onCpu) {
      expect(tier.offload.gpuLayers).toBe(0);
      expect(tier.offload.vramBytes).toBe(0);
      // The weights (about the file's size) and a 512-token context.
      expect(tier.offload.ramBytes).toBeGreaterThan(statSync(stories).size);
      expect(offloadSummary(tier.offload)).toMatch(/^cpu, 0\/6 layers offloaded, [\d.]+ MiB RAM$/);
      expect(threadsNote(tier.offload)).toBe('CPU threads (1) run every layer');
      // Read from the loaded model's own metadata, the fit is the one the file gives before loading.
      expect(tier.fit).toEqual(await resolveTierFit(spec('stories', stories), stories, target));
    }
    expect((await tier.generate({ prompt: 'Once upon a time', maxTokens: 4 })).outputTokens).toBe(4);
  });

  it('refuses gpuLayers "max" that cannot fit, naming the tier, the model, the need and what is free', async () => {
    if (!onCpu) return;
    const err = await LocalTier.create(spec('all-on-gpu', stories, { gpuLayers: 'max' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GpuMemoryError);
    expect((err as Error).message).toMatch(
      /^tier "all-on-gpu": gpuLayers "max" does not fit: model .*stories260K\.gguf needs [\d.]+ MiB of GPU memory for all 6 layers and a 512-token context, 0 B is free \(backend cpu \(no GPU: .+\), \d+ CPU math cores\); set gpuLayers to "auto" or 0/,
    );
  });
});

describe('/metrics', () => {
  it('exports the backend, GPU memory and each local tier\'s offload, read at scrape time', async () => {
    const metrics = new ServeMetrics();
    const empty = parsePrometheusText(await metrics.registry.metrics());
    // No tier observed yet: the info gauge has no sample (and the native backend is not asked).
    expect(sampleSum(empty, 'cascade_gpu_info')).toBe(0);
    const tier = await LocalTier.create(spec('stories', stories));
    try {
      metrics.observeHardware(() => [tier]);
      const families = parsePrometheusText(await metrics.registry.metrics());
      const r = target.report;
      expect(sampleValue(families, 'cascade_gpu_info', { backend: r.backend, devices: r.devices.join(', ') })).toBe(1);
      expect(sampleValue(families, 'cascade_gpu_memory_bytes', { state: 'total' })).toBe(r.vram.total);
      expect(sampleValue(families, 'cascade_tier_gpu_layers', { tier: 'stories', layers: 'gpu' })).toBe(tier.offload.gpuLayers);
      expect(sampleValue(families, 'cascade_tier_gpu_layers', { tier: 'stories', layers: 'total' })).toBe(6);
      expect(sampleValue(families, 'cascade_tier_memory_bytes', { tier: 'stories', memory: 'ram' })).toBe(tier.offload.ramBytes);
      if (onCpu) expect(sampleValue(families, 'cascade_gpu_info', { backend: 'cpu', devices: '' })).toBe(1);
    } finally {
      await tier.dispose();
    }
  });
});

describe('the app', () => {
  let service: AppService;
  beforeAll(async () => {
    service = await AppService.create({ baseDir: models });
    const pool = loadPool('fixtures/pools/tiny-local.json').pool;
    // The pool file's paths are relative to its folder; the app resolves them against its baseDir.
    await service.setPool({ ...pool, tiers: [...pool.tiers.map((t) => ({ ...t, model: basename(t.model) })), { ...pool.tiers[0], name: 'missing', model: 'nowhere.gguf' }] });
  });
  afterAll(() => service.dispose());

  it('reports the backend and each local tier\'s fit before loading, in the contract\'s shape', async () => {
    const view = APP_API_CONTRACT.getHardware.response.parse(await service.getHardware());
    expect(view.backend).toEqual(await backendReport());
    expect(view.tiers.map((t) => [t.tier, t.fit?.totalLayers ?? null])).toEqual([['stories260K', 6], ['tiny-random', 2], ['missing', null]]);
    expect(view.tiers[0].fit).toEqual(await resolveTierFit(spec('stories260K', stories, { concurrency: 2 }), stories, target));
    expect(view.tiers[2].problem).toMatch(/tier "missing": GGUF file not found: .*nowhere\.gguf/);
  });

  it('streams a compare whose local tier reports the offload beside TTFT and TPOT', async () => {
    const events: AppEvent[] = [];
    const unsubscribe = service.subscribe((e) => events.push(e));
    try {
      await service.startCompare({ prompt: 'Once upon a time', tiers: ['stories260K'], maxTokens: 8 });
      await vi.waitFor(() => expect(events.some((e) => e.type === 'compare.done')).toBe(true), { timeout: 60_000 });
    } finally {
      unsubscribe();
    }
    // As the bridge validates it: the offload is part of the event's contract.
    const end = AppEventSchema.parse(events.find((e) => e.type === 'compare.tierEnd'));
    const stats = end.type === 'compare.tierEnd' ? end.stats : undefined;
    expect(stats?.tpotMs).toBeGreaterThan(0);
    expect(stats?.offload).toMatchObject({ backend: target.report.backend, totalLayers: 6, threads: 1 });
    if (onCpu) expect(stats?.offload?.gpuLayers).toBe(0);
  });
});
