import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { checkPricingModels, describeCostSource, type CostMetric, type CostSource, type ModelCostFigures, type PoolPricing } from '../../core/cost.js';
import type { TunedConfig } from '../../core/config.js';
import type { EmbedderFactory } from '../../core/embedder.js';
import { InvalidInputError } from '../../core/errors.js';
import type { Backend } from '../../core/hardware.js';
import { modelCostFigures, parsePoolFile, poolCostFigures, poolTpotBackends, tierOfModels } from '../../core/pool.js';
import { joinRunLogs, parseOrThrow, renameModels, type RunLog } from '../../core/runlog.js';
import type { ManagedEmbedder } from '../../native-models/embedders/index.js';
import { addPricesFile, loadRunLog, type LoadRunLogOptions } from '../../native-models/runlog/load.js';
import { parseJsonFile, readTextFile } from '../../native-models/runlog/text-file.js';
import { perTaskValue } from './options.js';

/** The flags every command that reads run logs takes, beside --data. */
export interface RunLogFlags {
  prices?: string;
  modelAlias?: string;
  columns?: string;
  defaultTask?: string;
  lmEvalMetric?: string | Record<string, string>;
  lmEvalFilter?: string | Record<string, string>;
  lmEvalResponse?: 'filtered' | 'raw';
}

/** Adds the run-log reading flags (prices, aliases, table and lm-eval reader options) to a command. */
export function addRunLogOptions(command: Command): Command {
  return command
    .option('--prices <file>', 'prices file (prices.json shape: models[].model, usd_per_mtok_in, usd_per_mtok_out; optional aliases) for the run-log models; a --pool tier\'s price still wins')
    .option('--model-alias <file>', 'JSON object renaming run-log models, e.g. {"/data/models/llama": "llama-local"}')
    .option('--columns <map>', 'table logs: which column holds each field, e.g. qid=id,correct=is_correct')
    .option('--default-task <name>', 'table logs: the task of every query when the table has no task column')
    .addOption(new Option('--lm-eval-metric <name|task=name,…>', 'lm-eval logs: the 0/1 per-sample metric that decides correct, for every task or per task').argParser(perTaskValue))
    .addOption(new Option('--lm-eval-filter <name|task=name,…>', 'lm-eval logs: the filter whose rows are read (e.g. flexible-extract), for every task or per task').argParser(perTaskValue))
    .addOption(new Option('--lm-eval-response <which>', 'lm-eval logs: the response text: the filtered answer or the raw generation').choices(['filtered', 'raw']));
}

const AliasFile = z.record(z.string().min(1), z.string().min(1));

/**
 * Loads each --data path (any format loadRunLog reads, each with the prices.json beside it) and
 * joins them into one pool; then --prices adds or replaces list prices and --model-alias (or the
 * prices file's aliases) renames models. Neither file is a source of the log: a tuned config
 * keeps the figures they gave in its pool, and eval or adapt take the same flags again.
 */
export async function loadRunLogs(paths: readonly string[], flags: RunLogFlags = {}): Promise<RunLog> {
  const options: LoadRunLogOptions = {
    ...(flags.columns !== undefined && { columns: flags.columns }),
    ...(flags.defaultTask !== undefined && { task: flags.defaultTask }),
    lmEval: {
      ...(flags.lmEvalMetric !== undefined && { metric: flags.lmEvalMetric }),
      ...(flags.lmEvalFilter !== undefined && { filter: flags.lmEvalFilter }),
      ...(flags.lmEvalResponse !== undefined && { response: flags.lmEvalResponse }),
    },
  };
  let log = joinRunLogs(await Promise.all(paths.map((p) => loadRunLog(p, options))));
  if (flags.prices) log = await addPricesFile(log, flags.prices);
  if (flags.modelAlias) {
    const file = await readTextFile(flags.modelAlias);
    log = renameModels(log, parseOrThrow(AliasFile, parseJsonFile(file), file.path), file.path);
  }
  const hints = log.models.filter(isLocalPath).map((m) => `model "${m}" is named by a local path; give it a readable name with --model-alias or "aliases" in a prices file`);
  return hints.length === 0 ? log : { ...log, notes: [...(log.notes ?? []), ...hints] };
}

/** A model name that is a file-system path (lm-eval names `hf` runs by their `pretrained=` path). */
function isLocalPath(model: string): boolean {
  return /^(\/|\.{1,2}\/|~\/|[A-Za-z]:[\\/])/.test(model);
}

/**
 * Per-model price and speed figures from a pool file, keyed by run-log model: each model takes the
 * figures of the tier that answers for it (its `standsFor`, else the tier of its name), under its
 * name or, for a renamed model, its run-log name in `originalNames`. A tier that answers for no
 * model keeps its own name, so checkPricingModels refuses it. Also the backend that measured each
 * model's TPOT, where its local tier records one. Read here (not through
 * native-models/tiers) so tuning never loads a model runtime.
 */
export async function readPoolFigures(file: string, models: readonly string[], originalNames: Readonly<Record<string, string>> = {}): Promise<PoolPricing & { tpotBackends: Record<string, Backend> }> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InvalidInputError(code ? `cannot read pool file (${code})` : `malformed JSON (${(err as Error).message})`, file);
  }
  const pool = parsePoolFile(value, file);
  // A model a tier stands for that the log does not have is a typo (or the wrong log): say so, naming the tier.
  const known = new Set([...models, ...Object.values(originalNames)]);
  for (const t of pool.tiers) {
    const unknown = (t.standsFor ?? []).find((m) => !known.has(m));
    if (unknown !== undefined) throw new InvalidInputError(`unknown model "${unknown}" in pricing (tier "${t.name}" stands for it; the run log has ${models.join(', ')})`, file);
  }
  const byTier = poolCostFigures(pool);
  const tierOf = tierOfModels(pool, models, originalNames);
  const perModel: Record<string, ModelCostFigures> = modelCostFigures(pool, models, originalNames);
  const used = new Set(Object.values(tierOf));
  for (const t of pool.tiers) if (!used.has(t.name)) perModel[t.name] = byTier[t.name];
  const tierBackends = poolTpotBackends(pool);
  const tpotBackends = Object.fromEntries(Object.entries(tierOf).flatMap(([model, tier]) => (tierBackends[tier] ? [[model, tierBackends[tier]]] : [])));
  return { perModel, sourceOf: Object.fromEntries(Object.entries(tierOf).map(([model, tier]) => [model, `pool ${file} (tier "${tier}")`])), tpotBackends };
}

/**
 * The run logs for a command that computes cost under `metric`: loaded with `flags`, the --pool
 * file's figures keyed by run-log model (checked against the log's models), and where each
 * model's cost comes from.
 */
export async function loadForCost(
  paths: readonly string[], flags: RunLogFlags & { pool?: string }, metric: CostMetric,
): Promise<{ log: RunLog; perModel?: Record<string, ModelCostFigures>; tpotBackends?: Record<string, Backend>; costSource: CostSource }> {
  const log = await loadRunLogs(paths, flags);
  if (!flags.pool) return { log, costSource: describeCostSource(log, metric) };
  const pool = await readPoolFigures(flags.pool, log.models, log.originalNames);
  checkPricingModels(pool, log.models, flags.pool);
  return { log, perModel: pool.perModel, tpotBackends: pool.tpotBackends, costSource: describeCostSource(log, metric, pool) };
}

/** The per-model figures a tuned config recorded at tune time (they win over the log's prices when it is evaluated). */
export function configPricing(config: TunedConfig, path: string): PoolPricing {
  const priced = config.pool.filter((p) => p.figures);
  return {
    perModel: Object.fromEntries(priced.map((p) => [p.model, p.figures!])),
    sourceOf: Object.fromEntries(priced.map((p) => [p.model, `the tuned config ${path}`])),
  };
}

/** The cost source and the loader's notes as lines above the readable report. */
export function formatCostSource(source: CostSource, notes: readonly string[] = []): string {
  const byText = new Map<string, string[]>();
  for (const [model, text] of Object.entries(source.models)) byText.set(text, [...(byText.get(text) ?? []), model]);
  const lines = [`Cost (${source.metric}, ${source.unit}):`, ...[...byText].map(([text, models]) => `  ${models.join(', ')}: ${text}`)];
  if (source.tokensApproximate) lines.push(`Token counts are estimates (tokensApproximate: counted with ${source.tokenizer ?? 'a tokenizer'}, not the models' own counts).`);
  return [...lines, ...notes.map((n) => `Note: ${n}`)].join('\n');
}

/**
 * The embedder factory for non-builtin specs (GGUF, OpenAI-compatible), behind the on-disk
 * embedding cache; `dispose` releases every embedder it made.
 */
export function cliEmbedderFactory(cacheDir: string | undefined): { factory: EmbedderFactory; dispose: () => Promise<void> } {
  const made: ManagedEmbedder[] = [];
  return {
    factory: async (spec) => {
      // Imported on demand: the GGUF embedder loads node-llama-cpp, which the built-in path never needs.
      const { createEmbedder, defaultEmbeddingCacheDir } = await import('../../native-models/embedders/index.js');
      const embedder = await createEmbedder(spec, { cacheDir: cacheDir ?? defaultEmbeddingCacheDir() });
      made.push(embedder);
      return embedder;
    },
    dispose: async () => {
      await Promise.all(made.map((e) => e.dispose()));
    },
  };
}

/** Name and version of this tool, from package.json, for the config's provenance. */
export function toolInfo(): { name: string; version: string } {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
  return { name: pkg.name, version: pkg.version };
}
