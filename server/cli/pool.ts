import { Command, InvalidArgumentError } from 'commander';
import { backendSummary, fitSummary, offloadSummary, threadsNote, type BackendReport, type TierFit, type TierOffload } from '../../core/hardware.js';
import { poolCostFigures } from '../../core/pool.js';
import type { GenerationResult } from '../../core/tier.js';
import type { FitTarget } from '../../native-models/tiers/backend-report.js';
import { TierCheckFailedError } from '../../native-models/tiers/errors.js';

/** One tier's outcome in `pool check`. */
export interface TierCheck {
  tier: string;
  kind: 'local' | 'cloud';
  ok: boolean;
  /** Time to create the tier (load the model; for a cloud tier, only the client). */
  loadMs: number;
  ttftMs?: number;
  tpotMs?: number;
  latencyMs?: number;
  outputTokens?: number;
  error?: string;
  /** A local tier: how its layers fit free GPU memory before loading. */
  fit?: TierFit;
  /** A local tier: the layers actually offloaded and the memory it took. */
  offload?: TierOffload;
}

/** `pool check`'s whole answer: the machine, then each tier. */
export interface PoolCheck {
  /** The backend local tiers ran on; null when the pool has none. */
  backend: BackendReport | null;
  /** The host's run queue against its cores, when it is loaded enough to slow CPU decoding; else null. */
  loadWarning: string | null;
  checks: TierCheck[];
}

export interface PoolCheckOptions {
  /** Only these tiers. Defaults to every tier. */
  tiers?: string[];
  /** Defaults to `'Once upon a time'`. */
  prompt?: string;
  /** Defaults to `32`. */
  maxTokens?: number;
  /** Calls per tier; the figures are the median call's. Defaults to `3`. */
  repeat?: number;
}

/**
 * Loads (local) or pings (cloud) each tier of a pool with a short greedy completion and
 * measures TTFT and TPOT; a failing tier is reported, not thrown, so every tier gets checked.
 * Local tiers also report the backend, how their layers fit, and what they offloaded.
 */
export async function checkPool(file: string, options: PoolCheckOptions = {}): Promise<PoolCheck> {
  // node-llama-cpp takes half a second to import: only a check loads it, never the CLI's start-up.
  const [{ fitTarget, hostLoadWarning }, { LocalTier }, { TierPool, loadPool }] = await Promise.all([
    import('../../native-models/tiers/backend-report.js'), import('../../native-models/tiers/local-tier.js'), import('../../native-models/tiers/pool.js'),
  ]);
  const loaded = loadPool(file);
  const { prompt = 'Once upon a time', maxTokens = 32, repeat = 3 } = options;
  const specs = loaded.pool.tiers.filter((t) => !options.tiers || options.tiers.includes(t.name));
  const checks: TierCheck[] = [];
  // The native backend loads once for all local tiers; keep it out of the first tier's load time.
  const target: FitTarget | null = specs.some((s) => s.kind === 'local') ? await fitTarget() : null;
  for (const spec of specs) {
    const t0 = performance.now();
    try {
      // One tier at a time, disposed after its check: a pool's models need not all fit at once.
      const one = await TierPool.open(loaded, { only: [spec.name], ...(target && { fitTarget: target }) });
      const tier = one.get(spec.name);
      const loadMs = performance.now() - t0;
      try {
        const runs: GenerationResult[] = [];
        for (let i = 0; i < repeat; i++) runs.push(await tier.generate({ prompt, maxTokens, temperature: 0 }));
        const median = runs.sort((a, b) => a.tpotMs - b.tpotMs)[Math.floor(runs.length / 2)];
        checks.push({
          tier: spec.name, kind: spec.kind, ok: true, loadMs, ttftMs: median.ttftMs, tpotMs: median.tpotMs, latencyMs: median.latencyMs, outputTokens: median.outputTokens,
          ...(tier instanceof LocalTier && { fit: tier.fit, offload: tier.offload }),
        });
      } finally {
        await one.dispose();
      }
    } catch (err) {
      checks.push({ tier: spec.name, kind: spec.kind, ok: false, loadMs: performance.now() - t0, error: (err as Error).message });
    }
  }
  return { backend: target?.report ?? null, loadWarning: target ? hostLoadWarning() : null, checks };
}

/** `pool check`'s table: the backend and any load warning, one row per tier, then each local tier's fit, offload and threads. */
export function formatPoolCheck(result: PoolCheck): string {
  const lines: string[] = [];
  if (result.backend) lines.push(`backend: ${backendSummary(result.backend)}`);
  if (result.loadWarning) lines.push(`warning: ${result.loadWarning}`);
  const rows = [['tier', 'kind', 'status', 'load ms', 'TTFT ms', 'TPOT ms', 'tokens'], ...result.checks.map((c) => [
    c.tier, c.kind, c.ok ? 'ok' : `FAILED: ${c.error}`, ms(c.loadMs), ms(c.ttftMs), ms(c.tpotMs), c.outputTokens === undefined ? '-' : String(c.outputTokens),
  ])];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (i === 2 && r[i].length > 40 ? 6 : r[i].length))));
  for (const r of rows) lines.push(r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd());
  for (const c of result.checks) {
    if (!c.fit || !c.offload) continue;
    lines.push(`${c.tier}:`, `  fit:     ${fitSummary(c.fit)}`, `  loaded:  ${offloadSummary(c.offload)}`, `  threads: ${threadsNote(c.offload)}`);
  }
  return `${lines.join('\n')}\n`;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`"${value}" is not a whole number > 0`);
  return n;
}

const ms = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(2));

/** Adds `pool check` to the cascade-lab program. */
export function register(program: Command): void {
  const pool = program.command('pool').description('Pool files: check the tiers');
  pool
    .command('check')
    .description('Load or ping each tier of a pool file and print its measured TTFT and TPOT, the backend (GPU or CPU), and how each local tier fits and offloads')
    .argument('<file>', 'pool file')
    .option('--tier <name...>', 'only these tiers')
    .option('--prompt <text>', 'prompt of the test call', 'Once upon a time')
    .option('--max-tokens <n>', 'output tokens of the test call', positiveInt, 32)
    .option('--repeat <n>', 'test calls per tier (the median is shown)', positiveInt, 3)
    .option('--json', 'print JSON instead of a table: the backend, the checks (with each local tier\'s fit and offload), and per-tier cost figures (prices, measured TPOT and latency) for the cost step')
    .action(async (file: string, o: { tier?: string[]; prompt: string; maxTokens: number; repeat: number; json?: boolean }) => {
      const { loadPool } = await import('../../native-models/tiers/pool.js');
      const result = await checkPool(file, { ...(o.tier && { tiers: o.tier }), prompt: o.prompt, maxTokens: o.maxTokens, repeat: o.repeat });
      const { checks } = result;
      if (o.json) {
        const measured = Object.fromEntries(checks.filter((c) => c.ok).map((c) => [c.tier, { tpotMs: c.tpotMs, latencyMs: c.latencyMs }]));
        process.stdout.write(`${JSON.stringify({ ...result, costFigures: poolCostFigures(loadPool(file).pool, measured) }, null, 2)}\n`);
      } else {
        process.stdout.write(formatPoolCheck(result));
      }
      const failed = checks.filter((c) => !c.ok);
      if (failed.length) throw new TierCheckFailedError(`${failed.length} of ${checks.length} tiers cannot answer: ${failed.map((c) => c.tier).join(', ')}`, loadPool(file).file);
    });
}
