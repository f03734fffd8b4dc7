import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

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

  constructor() {
    // The process's own health (resident memory, heap, event-loop lag, GC): what an operator
    // watches to see a replica leak or stall before its latency shows it.
    collectDefaultMetrics({ register: this.registry });
  }
}
