import { createRequire } from 'node:module';
import { arch, availableParallelism, loadavg, platform } from 'node:os';
import { GgufInsights, getLlamaGpuTypes, readGgufFileInfo, type Llama } from 'node-llama-cpp';
import { loadWarning, type BackendReport, type TierFit } from '../../core/hardware.js';
import type { LocalTierSpec } from '../../core/pool.js';
import { ModelLoadError } from './errors.js';
import { sharedLlama } from './llama-instance.js';

// Values of NODE_LLAMA_CPP_GPU that node-llama-cpp reads as "no GPU" (its nodeLlamaCppGpuOffStringOptions).
const GPU_OFF = new Set(['false', 'off', 'none', 'disable', 'disabled']);

/**
 * The backend the Llama instance runs on, its GPU devices and memory, the CPU math cores,
 * and, when it runs on the CPU, why no GPU backend is in use.
 */
export async function backendReport(llama?: Llama): Promise<BackendReport> {
  const l = llama ?? (await sharedLlama());
  const [devices, vram] = await Promise.all([l.getGpuDeviceNames(), l.getVramState()]);
  return {
    backend: l.gpu === false ? 'cpu' : l.gpu,
    devices,
    vram: { total: vram.total, free: vram.free, unified: vram.unifiedSize },
    cpuMathCores: l.cpuMathCores,
    gpuUnavailable: l.gpu === false ? await whyNoGpu() : null,
  };
}

/** A warning when this host's run queue (its 1-minute load average) exceeds its cores; null otherwise. */
export function hostLoadWarning(): string | null {
  return loadWarning(loadavg()[0], availableParallelism());
}

let missing: Promise<string> | undefined;

function whyNoGpu(): Promise<string> {
  const setting = process.env.NODE_LLAMA_CPP_GPU;
  if (setting !== undefined && GPU_OFF.has(setting.toLowerCase())) return Promise.resolve(`disabled by the user (NODE_LLAMA_CPP_GPU=${setting})`);
  // What the machine lacks does not change while the process runs, and finding out probes drivers: once per process.
  missing ??= whatIsMissing();
  return missing;
}

async function whatIsMissing(): Promise<string> {
  const [supported, valid] = await Promise.all([getLlamaGpuTypes('supported'), getLlamaGpuTypes('allValid')]);
  const gpus = valid.filter((g) => g !== false);
  if (gpus.length === 0) return `no GPU backend exists for ${platform()}-${arch()}`;
  const usable = supported.filter((g) => g !== false);
  // A backend whose drivers are here but that still did not load: node-llama-cpp fell back after a failed start.
  if (usable.length) return `${usable.join(', ')} found but failed to start; run \`npx --no node-llama-cpp inspect gpu\` to see why`;
  const require = createRequire(import.meta.url);
  return gpus.map((g) => {
    const binary = `@node-llama-cpp/${platform()}-${arch()}-${g}`;
    try {
      require.resolve(binary);
      return `${g}: no driver or device found`;
    } catch {
      return `${g}: no prebuilt binary (${binary} is not installed)`;
    }
  }).join('; ');
}

/** Where a tier's fit is resolved: the backend and its free memory, read once for every tier of a pool. */
export interface FitTarget {
  llama: Llama;
  report: BackendReport;
}

export async function fitTarget(llama?: Llama): Promise<FitTarget> {
  const l = llama ?? (await sharedLlama());
  return { llama: l, report: await backendReport(l) };
}

/**
 * How many of a local tier's layers fit free GPU memory at its context size and concurrency,
 * from the GGUF's own metadata (node-llama-cpp's GgufInsights estimates) and the free memory of
 * `target`, read before any load. `source` is the GGUF file, or the insights of a model already
 * loaded from it (its metadata, read once by node-llama-cpp).
 */
export async function resolveTierFit(spec: LocalTierSpec, source: string | GgufInsights, target: FitTarget): Promise<TierFit> {
  let insights: GgufInsights;
  try {
    insights = typeof source === 'string' ? await GgufInsights.from(await readGgufFileInfo(source), target.llama) : source;
  } catch (err) {
    throw new ModelLoadError(`cannot read the GGUF metadata of ${source as string}: ${(err as Error).message}`, `tier "${spec.name}"`);
  }
  const totalLayers = insights.totalLayers;
  const contextSize = Math.min(spec.contextSize, insights.trainContextSize ?? spec.contextSize);
  const need = (layers: number) => {
    const model = insights.estimateModelResourceRequirements({ gpuLayers: layers });
    const context = insights.estimateContextResourceRequirements({
      contextSize,
      modelGpuLayers: layers,
      sequences: spec.concurrency,
      ...(spec.batchSize !== undefined && { batchSize: spec.batchSize }),
    });
    return { vram: model.gpuVram + context.gpuVram, ram: model.cpuRam + context.cpuRam };
  };
  const { llama, report } = target;
  // The part of free memory node-llama-cpp keeps back as a safety margin is not offered to layers.
  const usable = llama.supportsGpuOffloading ? Math.max(0, report.vram.free - llama.vramPaddingSize) : 0;
  // Layers and their share of the context grow together: the largest count that fits, by bisection.
  let lo = 0;
  let hi = totalLayers;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (need(mid).vram <= usable) lo = mid;
    else hi = mid - 1;
  }
  const fitLayers = lo;
  const plannedLayers = !llama.supportsGpuOffloading
    ? 0
    : spec.gpuLayers === 'max'
      ? totalLayers
      : spec.gpuLayers === 'auto'
        ? await insights.configurationResolver.resolveModelGpuLayers('auto', {
          // The memory free when the target was read, not now: the fit of a loaded model is judged as before its load.
          getVramState: async () => ({ total: report.vram.total, free: report.vram.free, unifiedSize: report.vram.unified }),
          llamaVramPaddingSize: llama.vramPaddingSize,
          llamaGpu: llama.gpu,
          llamaSupportsGpuOffloading: llama.supportsGpuOffloading,
        })
        : Math.min(spec.gpuLayers, totalLayers);
  const planned = need(plannedLayers);
  return {
    tier: spec.name,
    totalLayers,
    fitLayers,
    plannedLayers,
    fullOffloadBytes: need(totalLayers).vram,
    plannedVramBytes: planned.vram,
    plannedRamBytes: planned.ram,
    freeVramBytes: report.vram.free,
    totalVramBytes: report.vram.total,
    contextSize,
  };
}
