import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Tier } from '../../core/tier.js';
import { backendReport } from '../../native-models/tiers/backend-report.js';
import { LocalTier } from '../../native-models/tiers/local-tier.js';

// Seconds; fine at the low end because router overhead and TTFT of local tiers are sub-millisecond to milliseconds.
const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1];
const TIME_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const TPOT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5];
const QE_BUCKETS = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95];

/**
 * The endpoint's Prometheus metrics, in a registry of its own so that several servers in
 * one process (the desktop app, tests) never share counters.
 */
export class ServeMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'cascade_requests_total', help: 'Requests answered, by endpoint, requested model, cluster, final tier and HTTP status.', labelNames: ['endpoint', 'model', 'cluster', 'tier', 'status'] as const, registers: [this.registry] });
  readonly escalations = new Counter({ name: 'cascade_escalations_total', help: 'Stage-1 answers the QE rejected, by cluster and the tiers escalated from and to.', labelNames: ['cluster', 'from', 'to'] as const, registers: [this.registry] });
  readonly fallbacks = new Counter({ name: 'cascade_fallbacks_total', help: 'Tier failures that moved a request down the ladder (to="none": nothing was left), by cluster, tier and reason.', labelNames: ['cluster', 'from', 'to', 'reason'] as const, registers: [this.registry] });
  readonly tierCalls = new Counter({ name: 'cascade_tier_calls_total', help: 'Tier calls paid for (answered, or cut short when the client left), by tier and cluster.', labelNames: ['tier', 'cluster'] as const, registers: [this.registry] });
  readonly qeScore = new Histogram({ name: 'cascade_qe_score', help: 'QE scores of gated stage-1 answers, by cluster.', labelNames: ['cluster'] as const, buckets: QE_BUCKETS, registers: [this.registry] });
  readonly tokens = new Counter({ name: 'cascade_tokens_total', help: 'Tokens processed, by tier and direction (input or output).', labelNames: ['tier', 'direction'] as const, registers: [this.registry] });
  readonly cost = new Counter({ name: 'cascade_cost_usd_total', help: 'Cost of tier calls in USD, by tier.', labelNames: ['tier'] as const, registers: [this.registry] });
  readonly ttft = new Histogram({ name: 'cascade_ttft_seconds', help: 'Time to first token of tier calls, by tier.', labelNames: ['tier'] as const, buckets: TIME_BUCKETS, registers: [this.registry] });
  readonly tpot = new Histogram({ name: 'cascade_tpot_seconds', help: 'Time per output token of tier calls, by tier.', labelNames: ['tier'] as const, buckets: TPOT_BUCKETS, registers: [this.registry] });
  readonly latency = new Histogram({ name: 'cascade_latency_seconds', help: 'End-to-end latency of tier calls, by tier.', labelNames: ['tier'] as const, buckets: TIME_BUCKETS, registers: [this.registry] });
  readonly overhead = new Histogram({ name: 'cascade_router_overhead_seconds', help: 'Time the endpoint spends on a request outside tier calls (parsing, routing, QE, writing).', buckets: OVERHEAD_BUCKETS, registers: [this.registry] });
  readonly inflight = new Gauge({ name: 'cascade_inflight_requests', help: 'Requests being served now.', registers: [this.registry] });
  readonly unexpected = new Counter({ name: 'cascade_unexpected_errors_total', help: 'Failures nothing else handled (a rejected promise, an internal error), each logged with its request id; the process kept serving.', registers: [this.registry] });
  readonly clientAborts = new Counter({ name: 'cascade_client_aborts_total', help: 'Requests whose client left before the answer ended; their upstream calls were aborted.', registers: [this.registry] });
  readonly logWritten = new Counter({ name: 'cascade_decision_log_written_total', help: 'Decision-log records written to disk.', registers: [this.registry] });
  readonly logDropped = new Counter({ name: 'cascade_decision_log_dropped_total', help: 'Decision-log records dropped because the queue was full or the disk failed.', registers: [this.registry] });
  readonly reloads = new Counter({ name: 'cascade_config_reloads_total', help: 'Config and pool (re)loads, by result (ok or rejected).', labelNames: ['result'] as const, registers: [this.registry] });

  /** The serving tiers the GPU gauges read at each scrape; none until observeHardware(). */
  #tiers: () => Iterable<Tier> = () => [];
  #localTiers = () => [...this.#tiers()].filter((t): t is LocalTier => t instanceof LocalTier);
  // The backend is read at scrape time (free memory moves), and only when a local tier is serving:
  // a pool of cloud tiers never loads the native backend for its metrics. One that cannot be read
  // leaves its gauges empty for this scrape rather than failing /metrics.
  #backend = async () => (this.#localTiers().length ? backendReport().catch(() => null) : null);
  readonly gpuInfo = new Gauge({
    name: 'cascade_gpu_info', help: 'The backend local tiers run on (cuda, vulkan, metal or cpu) and its GPU devices; always 1. Absent without local tiers.',
    labelNames: ['backend', 'devices'] as const, registers: [this.registry],
    collect: async () => {
      const r = await this.#backend();
      this.gpuInfo.reset();
      if (r) this.gpuInfo.set({ backend: r.backend, devices: r.devices.join(', ') }, 1);
    },
  });
  readonly gpuMemory = new Gauge({
    name: 'cascade_gpu_memory_bytes', help: 'GPU memory of the local tiers\' backend, by state (total or free); 0 on the CPU.',
    labelNames: ['state'] as const, registers: [this.registry],
    collect: async () => {
      const r = await this.#backend();
      this.gpuMemory.reset();
      if (r) for (const state of ['total', 'free'] as const) this.gpuMemory.set({ state }, r.vram[state]);
    },
  });
  readonly tierGpuLayers = new Gauge({
    name: 'cascade_tier_gpu_layers', help: 'Layers of each local tier\'s model, by tier and where they run (gpu: offloaded, total: all).',
    labelNames: ['tier', 'layers'] as const, registers: [this.registry],
    collect: () => {
      this.tierGpuLayers.reset();
      for (const t of this.#localTiers()) {
        this.tierGpuLayers.set({ tier: t.name, layers: 'gpu' }, t.offload.gpuLayers);
        this.tierGpuLayers.set({ tier: t.name, layers: 'total' }, t.offload.totalLayers);
      }
    },
  });
  readonly tierMemory = new Gauge({
    name: 'cascade_tier_memory_bytes', help: 'Memory each local tier\'s model and context took when it loaded, by tier and memory (gpu or ram).',
    labelNames: ['tier', 'memory'] as const, registers: [this.registry],
    collect: () => {
      this.tierMemory.reset();
      for (const t of this.#localTiers()) {
        this.tierMemory.set({ tier: t.name, memory: 'gpu' }, t.offload.vramBytes);
        this.tierMemory.set({ tier: t.name, memory: 'ram' }, t.offload.ramBytes);
      }
    },
  });

  /** The GPU gauges follow these tiers (read again at every scrape, so a reload's new tiers show). */
  observeHardware(tiers: () => Iterable<Tier>): void {
    this.#tiers = tiers;
  }

  constructor() {
    // The process's own health (resident memory, heap, event-loop lag, GC): what an operator
    // watches to see a replica leak or stall before its latency shows it.
    collectDefaultMetrics({ register: this.registry });
  }
}
