import { describe, expect, it } from 'vitest';
import { backendSummary, fitSummary, formatBytes, loadWarning, offloadSummary, threadsNote, type TierFit, type TierOffload } from '../../../core/hardware.js';

// The one wording of the backend, fit and offload figures that pool check, /metrics and the app share.
const GiB = 1024 ** 3;
const fit = (f: Partial<TierFit>): TierFit => ({
  tier: 't', totalLayers: 33, fitLayers: 33, plannedLayers: 33, fullOffloadBytes: 5.1 * GiB, plannedVramBytes: 5.1 * GiB, plannedRamBytes: 0.3 * GiB,
  freeVramBytes: 21 * GiB, totalVramBytes: 24 * GiB, contextSize: 4096, ...f,
});
const offload = (o: Partial<TierOffload>): TierOffload => ({ backend: 'cuda', gpuLayers: 33, totalLayers: 33, vramBytes: 5 * GiB, ramBytes: 310 * 1024 ** 2, threads: 8, ...o });

describe('hardware figures in words', () => {
  it('writes sizes in binary units', () => {
    expect([0, 512, 1536, 21 * 1024 ** 2, 5.1 * GiB, 24 * GiB].map(formatBytes)).toEqual(['0 B', '512 B', '1.5 KiB', '21 MiB', '5.1 GiB', '24 GiB']);
  });

  it('says how a tier fits: all layers, some, or the CPU only', () => {
    expect(fitSummary(fit({}))).toBe('33/33 layers on GPU, 5.1 GiB of 24 GiB');
    expect(fitSummary(fit({ fitLayers: 20, plannedLayers: 20, plannedVramBytes: 3.2 * GiB, fullOffloadBytes: 9.8 * GiB, freeVramBytes: 6 * GiB })))
      .toBe('20/33 layers on GPU, 3.2 GiB of 24 GiB (all layers need 9.8 GiB, 6.0 GiB free)');
    expect(fitSummary(fit({ fitLayers: 0, plannedLayers: 0, plannedVramBytes: 0, fullOffloadBytes: 9.8 * GiB, freeVramBytes: 6 * GiB, plannedRamBytes: 10 * GiB })))
      .toBe('CPU only: needs 9.8 GiB, 6.0 GiB free; 10 GiB of RAM');
    expect(fitSummary(fit({ plannedLayers: 0, plannedVramBytes: 0 }))).toBe('CPU only: gpuLayers 0 (33/33 would fit); 307 MiB of RAM');
  });

  it('names the backend and why no GPU is in use', () => {
    const vram = { total: 24 * GiB, free: 21 * GiB, unified: 0 };
    expect(backendSummary({ backend: 'cuda', devices: ['NVIDIA GeForce RTX 4090'], vram, cpuMathCores: 8, gpuUnavailable: null }))
      .toBe('cuda: NVIDIA GeForce RTX 4090, 21 GiB free of 24 GiB, 8 CPU math cores');
    expect(backendSummary({ backend: 'cpu', devices: [], vram: { total: 0, free: 0, unified: 0 }, cpuMathCores: 2, gpuUnavailable: 'disabled by the user (NODE_LLAMA_CPP_GPU=off)' }))
      .toBe('cpu (no GPU: disabled by the user (NODE_LLAMA_CPP_GPU=off)), 2 CPU math cores');
  });

  it('says what was offloaded and what the CPU threads still do', () => {
    expect(offloadSummary(offload({}))).toBe('cuda, 33/33 layers offloaded, 5.0 GiB GPU + 310 MiB RAM');
    expect(threadsNote(offload({}))).toMatch(/^CPU threads \(8\) only tokenize, sample and feed the GPU/);
    expect(threadsNote(offload({ gpuLayers: 20 }))).toBe('CPU threads (8) run the 13 layers left on the CPU: the slowest part of each token');
    expect(offloadSummary(offload({ backend: 'cpu', gpuLayers: 0, vramBytes: 0 }))).toBe('cpu, 0/33 layers offloaded, 310 MiB RAM');
    expect(threadsNote(offload({ backend: 'cpu', gpuLayers: 0 }))).toBe('CPU threads (8) run every layer');
  });

  it('warns only when the run queue exceeds the cores', () => {
    expect(loadWarning(1.9, 2)).toBeNull();
    expect(loadWarning(2, 2)).toBeNull();
    expect(loadWarning(5.08, 2)).toMatch(/^the machine is loaded: a run queue of 5\.1 \(1-minute load average\) on 2 cores; CPU decoding will be slow/);
  });
});
