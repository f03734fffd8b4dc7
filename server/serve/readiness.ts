import { basename } from 'node:path';
import type { ServingState } from './serving-state.js';

const PROBE_TIMEOUT_MS = 2000;
// Load balancers poll /ready every few seconds; one real probe per tier per window is enough.
const PROBE_CACHE_MS = 5000;

export interface ReadinessReport {
  ready: boolean;
  draining: boolean;
  config: { path: string; loadedAt: string; router: string };
  tiers: { name: string; kind: 'local' | 'cloud'; reachable: boolean; detail?: string }[];
}

/** One cached reachability probe of a cloud tier's base URL. */
export interface Probe {
  at: number;
  result: Promise<{ reachable: boolean; detail?: string }>;
}

async function probeUrl(baseUrl: string): Promise<{ reachable: boolean; detail?: string }> {
  try {
    // Any HTTP answer, even 401 or 404, proves the endpoint is up; only no answer means down.
    const res = await fetch(`${baseUrl.replace(/\/$/, '')}/models`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await res.body?.cancel();
    return { reachable: true };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return { reachable: false, detail: cause?.code ?? (err as Error).message };
  }
}

/** Ready: not draining, a config loaded, every local tier alive and every cloud tier's endpoint answering. */
export async function readiness(state: ServingState, draining: boolean): Promise<ReadinessReport> {
  const now = Date.now();
  const tiers = await Promise.all(
    [...state.tiers.values()].map(async (tier) => {
      if (tier.disposed) return { name: tier.name, kind: tier.kind, reachable: false, detail: 'disposed' };
      const url = state.cloudUrls.get(tier.name);
      if (!url) return { name: tier.name, kind: tier.kind, reachable: true };
      let probe = state.probes.get(tier.name);
      if (!probe || now - probe.at > PROBE_CACHE_MS) {
        probe = { at: now, result: probeUrl(url) };
        state.probes.set(tier.name, probe);
      }
      return { name: tier.name, kind: tier.kind, ...(await probe.result) };
    }),
  );
  return {
    ready: !draining && tiers.every((t) => t.reachable),
    draining,
    // The file's name, not where it lives on the operator's disk.
    config: { path: basename(state.configPath), loadedAt: new Date(state.loadedAt).toISOString(), router: state.router.name },
    tiers,
  };
}
