/**
 * What the machine offers local tiers (backend, GPU devices and memory, CPU math cores), how a
 * local tier's layers fit before it loads, and what it took once loaded: the shapes that
 * `pool check`, `/metrics` and the app share, and the one wording of each figure they all print.
 */
import { z } from 'zod';

const bytes = z.number().finite().nonnegative();
const count = z.number().int().nonnegative();

/** node-llama-cpp's backends; `cpu` is its `gpu: false`. */
export const BackendSchema = z.enum(['cuda', 'vulkan', 'metal', 'cpu']);
export type Backend = z.infer<typeof BackendSchema>;

/** A tuned config's record of the backend that measured each local tier's TPOT it was costed with, by pool model. */
export const TpotBackendsSchema = z.record(z.string(), BackendSchema)
  .describe('The backend (cuda, vulkan, metal or cpu) that measured the TPOT of each local tier the costs came from, by pool model; absent when no measured local TPOT was used.');

export const BackendReportSchema = z.object({
  backend: BackendSchema,
  /** GPU device names the backend sees; empty on the CPU. */
  devices: z.array(z.string()),
  /** GPU memory, bytes; 0 on the CPU. `unified` is the part shared with system RAM (Apple silicon). */
  vram: z.object({ total: bytes, free: bytes, unified: bytes }),
  /** CPU cores useful for math: the default `threads` of a local tier. */
  cpuMathCores: z.number().int().positive(),
  /** Why no GPU backend is in use (no driver or device, no prebuilt binary, disabled by the user); null when one is. */
  gpuUnavailable: z.string().nullable(),
});
export type BackendReport = z.infer<typeof BackendReportSchema>;

/** How a local tier's layers fit free GPU memory before it loads, from its GGUF's own metadata. */
export const TierFitSchema = z.object({
  tier: z.string(),
  /** The model's layers (node-llama-cpp counts the output layer as one). */
  totalLayers: count,
  /** The most layers whose weights and context fit free GPU memory at the tier's context size. */
  fitLayers: count,
  /** The layers the tier's `gpuLayers` setting will offload. */
  plannedLayers: count,
  /** GPU memory all layers and the context would need at the tier's context size, bytes. */
  fullOffloadBytes: bytes,
  /** GPU memory the planned layers and the context need, bytes. */
  plannedVramBytes: bytes,
  /** System RAM the planned layers and the context need, bytes. */
  plannedRamBytes: bytes,
  freeVramBytes: bytes,
  totalVramBytes: bytes,
  contextSize: count,
});
export type TierFit = z.infer<typeof TierFitSchema>;

/** What a loaded local tier actually offloaded and the memory its model and context took. */
export const TierOffloadSchema = z.object({
  backend: BackendSchema,
  gpuLayers: count,
  totalLayers: count,
  /** Measured: the Llama instance's memory use before and after the tier's load. */
  vramBytes: bytes,
  ramBytes: bytes,
  /** Threads of the tier's context. */
  threads: z.number().int().positive(),
});
export type TierOffload = z.infer<typeof TierOffloadSchema>;

/**
 * Bytes in binary units (GPU memory is sold in them: a "24 GB" card reports 24 GiB).
 * Hand-written: none of the project's dependencies formats sizes, and three lines do.
 */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  const i = n <= 0 ? 0 : Math.min(units.length - 1, Math.floor(Math.log2(n) / 10));
  const v = n / 1024 ** i;
  return `${i === 0 ? v.toFixed(0) : v < 10 ? v.toFixed(1) : v.toFixed(0)} ${units[i]}`;
}

/** One line for the backend: `cuda: NVIDIA RTX 4090, 21.3 GiB free of 24 GiB` or `cpu (no GPU: …), 8 math cores`. */
export function backendSummary(r: BackendReport): string {
  if (r.backend === 'cpu') return `cpu (no GPU: ${r.gpuUnavailable ?? 'none in use'}), ${r.cpuMathCores} CPU math cores`;
  const devices = r.devices.length ? r.devices.join(', ') : 'unnamed device';
  return `${r.backend}: ${devices}, ${formatBytes(r.vram.free)} free of ${formatBytes(r.vram.total)}, ${r.cpuMathCores} CPU math cores`;
}

/** `33/33 layers on GPU, 5.1 GiB of 24 GiB`, `20/33 layers on GPU: …`, or `CPU only: needs 9.8 GiB, 6.0 GiB free`. */
export function fitSummary(f: TierFit): string {
  const all = formatBytes(f.fullOffloadBytes);
  if (f.plannedLayers === 0) {
    const why = f.fitLayers === 0 ? `needs ${all}, ${formatBytes(f.freeVramBytes)} free` : `gpuLayers 0 (${f.fitLayers}/${f.totalLayers} would fit)`;
    return `CPU only: ${why}; ${formatBytes(f.plannedRamBytes)} of RAM`;
  }
  const layers = `${f.plannedLayers}/${f.totalLayers} layers on GPU`;
  if (f.plannedLayers === f.totalLayers) return `${layers}, ${formatBytes(f.plannedVramBytes)} of ${formatBytes(f.totalVramBytes)}`;
  return `${layers}, ${formatBytes(f.plannedVramBytes)} of ${formatBytes(f.totalVramBytes)} (all layers need ${all}, ${formatBytes(f.freeVramBytes)} free)`;
}

/** `cuda, 33/33 layers offloaded, 5.0 GiB GPU + 310 MiB RAM` or `cpu, 0/6 layers offloaded, 3.5 MiB RAM`. */
export function offloadSummary(o: TierOffload): string {
  const memory = o.vramBytes > 0 ? `${formatBytes(o.vramBytes)} GPU + ${formatBytes(o.ramBytes)} RAM` : `${formatBytes(o.ramBytes)} RAM`;
  return `${o.backend}, ${o.gpuLayers}/${o.totalLayers} layers offloaded, ${memory}`;
}

/** What the CPU threads of a loaded tier are for, which differs once every layer runs on the GPU. */
export function threadsNote(o: TierOffload): string {
  const threads = `CPU threads (${o.threads})`;
  if (o.backend !== 'cpu' && o.gpuLayers === o.totalLayers) {
    return `${threads} only tokenize, sample and feed the GPU: every layer runs on it, so more threads will not speed decoding`;
  }
  if (o.gpuLayers > 0) return `${threads} run the ${o.totalLayers - o.gpuLayers} layers left on the CPU: the slowest part of each token`;
  return `${threads} run every layer`;
}

/**
 * A warning when more threads are runnable than the CPU has cores: CPU decoding then slows
 * down by orders of magnitude (threads wait on each other at every layer), not by a fraction.
 */
export function loadWarning(runQueue: number, cores: number): string | null {
  if (runQueue <= cores) return null;
  return `the machine is loaded: a run queue of ${runQueue.toFixed(1)} (1-minute load average) on ${cores} cores; CPU decoding will be slow (up to ~1000x with oversubscribed threads): lower the tiers' threads or wait`;
}
