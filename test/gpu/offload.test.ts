import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendReport } from '../../core/hardware.js';
import { LocalTierSpecSchema } from '../../core/pool.js';
import { backendReport } from '../../native-models/tiers/backend-report.js';
import { LocalTier } from '../../native-models/tiers/local-tier.js';

// `npm run test:gpu`: a shared model with gpuLayers "max" on this machine's GPU backend, every
// layer offloaded, and its TPOT against the same model on the CPU. On a machine without a GPU
// backend every test is skipped with the reason the backend report gives.
const root = fileURLToPath(new URL('../../', import.meta.url));
const stories = join(root, '..', 'shared', 'models', 'stories260K.gguf');
// Threads default to the CPU math cores, as a user's tier would have them.
const spec = (name: string, gpuLayers: 'max' | 0) => LocalTierSpecSchema.parse({ kind: 'local', name, model: stories, gpuLayers, contextSize: 512 });

let report: BackendReport;
let gpu: LocalTier | undefined;
let cpu: LocalTier | undefined;

beforeAll(async () => {
  report = await backendReport();
  if (report.backend === 'cpu') {
    process.stderr.write(`test:gpu skipped: no GPU backend on this machine (${report.gpuUnavailable})\n`);
    return;
  }
  gpu = await LocalTier.create(spec('gpu', 'max'));
  // The same model with no layer offloaded, for the TPOT comparison: one process holds one native
  // backend, so the CPU figure comes from the same backend running every layer on the CPU.
  cpu = await LocalTier.create(spec('cpu', 0));
});
afterAll(async () => {
  await gpu?.dispose();
  await cpu?.dispose();
});

const skipWithoutGpu = (ctx: { skip: (condition: boolean, note?: string) => void }) =>
  ctx.skip(report.backend === 'cpu', `no GPU backend on this machine: ${report.gpuUnavailable}`);

/** Median TPOT of three greedy 64-token calls. */
async function medianTpot(tier: LocalTier): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < 3; i++) t.push((await tier.generate({ prompt: 'Once upon a time', maxTokens: 64 })).tpotMs);
  return t.sort((a, b) => a - b)[1];
}

describe('local tiers on the GPU', () => {
  it('runs on a GPU backend that names its devices and memory', (ctx) => {
    skipWithoutGpu(ctx);
    expect(['cuda', 'vulkan', 'metal']).toContain(report.backend);
    expect(report.devices.length).toBeGreaterThan(0);
    expect(report.vram.total).toBeGreaterThan(0);
    expect(report.gpuUnavailable).toBeNull();
  });

  it('offloads every layer with gpuLayers "max", as the fit resolver said it would', (ctx) => {
    skipWithoutGpu(ctx);
    expect(gpu!.fit.fitLayers).toBe(gpu!.fit.totalLayers);
    expect(gpu!.fit.plannedLayers).toBe(gpu!.fit.totalLayers);
    expect(gpu!.offload).toMatchObject({ backend: report.backend, gpuLayers: 6, totalLayers: 6 });
    // Unified-memory GPUs (Apple silicon) may count the weights as RAM.
    if (report.vram.unified === 0) expect(gpu!.offload.vramBytes).toBeGreaterThan(0);
    expect(cpu!.offload).toMatchObject({ gpuLayers: 0, totalLayers: 6 });
  });

  it('measures TPOT on the GPU and on the CPU, and records both', async (ctx) => {
    skipWithoutGpu(ctx);
    const [onGpu, onCpu] = [await medianTpot(gpu!), await medianTpot(cpu!)];
    expect(onGpu).toBeGreaterThan(0);
    expect(onCpu).toBeGreaterThan(0);
    // A 260K-parameter model is too small for the GPU to win on speed (kernel launches dominate):
    // the figures are recorded for the closing note, not judged here.
    const figures = { backend: report.backend, devices: report.devices, tpotMs: { gpu: onGpu, cpu: onCpu }, offload: gpu!.offload };
    mkdirSync(join(root, 'test-artifacts'), { recursive: true });
    writeFileSync(join(root, 'test-artifacts', 'gpu-tpot.json'), `${JSON.stringify(figures, null, 2)}\n`);
    process.stderr.write(`test:gpu: TPOT ${onGpu.toFixed(3)} ms on ${report.backend} (${report.devices.join(', ')}), ${onCpu.toFixed(3)} ms on the CPU\n`);
  });
});
