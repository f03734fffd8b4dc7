import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { DuplicatePairError, InvalidInputError, MissingColumnError } from '../../core/errors.js';
import { parseOrThrow, type ModelResponse, type Query, type RunLog } from '../../core/runlog.js';
import { parseJsonFile, parseJsonLines, readTextFile, type TextFile } from './text-file.js';

/**
 * Options of the lm-evaluation-harness reader (an `--output_path` folder written with `--log_samples`).
 */
export interface LmEvalOptions {
  /** The per-sample metric that decides `correct` (0/1 valued, like `acc` or `exact_match`), for every task or per task name. Defaults to each task's first metric in `configs.<task>.metric_list`, else the sample's first listed metric, else the first of `acc`, `exact_match`, `em`, `acc_norm`, `pass@1`, `pass_at_1` it carries. */
  metric?: string | Record<string, string>;
  /** The filter whose sample rows are read where a task logs several (GSM8K logs `strict-match` and `flexible-extract`), for every task or per task name. Defaults to each task's first filter in `configs.<task>.filter_list`, else the first filter in its samples file. */
  filter?: string | Record<string, string>;
  /** Which text becomes `response`: the filtered answer (`filtered_resps`) or the raw generation (`resps`). Defaults to `'filtered'`. */
  response?: 'filtered' | 'raw';
}

const FALLBACK_METRICS = ['acc', 'exact_match', 'em', 'acc_norm', 'pass@1', 'pass_at_1'];
// lm-eval names files with `datetime.now().isoformat()` and `:` replaced by `-`.
const SAMPLES_FILE = /^samples_(.+?)(?:_(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?))?\.jsonl(?:\.gz)?$/;
const RESULTS_FILE = /^results_.*\.json$/;

const ResultsFile = z.object({
  model_name: z.string().optional(),
  config: z.object({ model: z.string().optional(), model_args: z.union([z.string(), z.record(z.string(), z.unknown())]).nullable().optional() }).loose().optional(),
  configs: z.record(z.string(), z.object({
    metric_list: z.array(z.object({ metric: z.unknown() }).loose()).optional(),
    filter_list: z.array(z.object({ name: z.string() }).loose()).optional(),
  }).loose()).optional(),
}).loose();
type ResultsFile = z.infer<typeof ResultsFile>;

const SampleLine = z.object({
  doc_id: z.number().int().nonnegative(),
  target: z.unknown().optional(),
  arguments: z.union([z.record(z.string(), z.record(z.string(), z.unknown())), z.array(z.unknown())]).optional(),
  resps: z.array(z.unknown()).optional(),
  filtered_resps: z.array(z.unknown()),
  filter: z.string().optional(),
  metrics: z.array(z.string()).optional(),
}).loose();
type SampleLine = z.infer<typeof SampleLine>;

/** One model's folder: its results files and its newest samples file per task. */
interface ModelFolder {
  dir: string;
  results: string[];
  samples: Map<string, string>;
}

async function findFolders(root: string, depth: number, out: Map<string, ModelFolder>): Promise<void> {
  const entries = await readdir(root, { withFileTypes: true });
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(root, e.name);
    if (e.isDirectory()) {
      if (depth > 0) await findFolders(path, depth - 1, out);
      continue;
    }
    const samples = SAMPLES_FILE.exec(e.name);
    if (!samples && !RESULTS_FILE.test(e.name)) continue;
    const folder: ModelFolder = out.get(root) ?? { dir: root, results: [], samples: new Map() };
    out.set(root, folder);
    if (samples) {
      // A re-run into the same output path adds files with a later timestamp; names sort by time.
      const prior = folder.samples.get(samples[1]);
      if (!prior || basename(prior) < e.name) folder.samples.set(samples[1], path);
    } else folder.results.push(path);
  }
}

/** True when `dir` holds lm-eval output: results_*.json or samples_*.jsonl files, at most two folders down. */
export async function looksLikeLmEval(dir: string): Promise<boolean> {
  const found = new Map<string, ModelFolder>();
  await findFolders(dir, 2, found);
  return [...found.values()].some((f) => f.samples.size > 0);
}

/** The model name lm-eval itself derives from `model_args` (`pretrained=`, `model=`, … up to the next comma). */
function modelFromArgs(args: string | Record<string, unknown> | null | undefined): string | null {
  if (!args) return null;
  for (const key of ['peft', 'delta', 'pretrained', 'model', 'path', 'engine']) {
    if (typeof args === 'string') {
      const at = args.indexOf(`${key}=`);
      if (at >= 0) return args.slice(at + key.length + 1).split(',')[0];
    } else if (typeof args[key] === 'string') return args[key] as string;
  }
  return null;
}

function metricName(entry: unknown): string | null {
  return typeof entry === 'string' ? entry : null;
}

/** Reads a per-sample metric value as 0/1. */
function binary(value: unknown): 0 | 1 | null {
  if (value === true || value === 1) return 1;
  if (value === false || value === 0) return 0;
  return null;
}

/** `arguments` as a list of argument tuples, in either the saved (`gen_args_i.arg_j`) or the in-memory shape. */
function argumentTuples(args: SampleLine['arguments']): unknown[][] {
  if (!args) return [];
  if (Array.isArray(args)) return args.map((a) => (Array.isArray(a) ? a : [a]));
  return Object.keys(args)
    .sort((a, b) => Number(a.replace(/\D/g, '')) - Number(b.replace(/\D/g, '')))
    .map((k) => Object.keys(args[k]).sort((a, b) => Number(a.replace(/\D/g, '')) - Number(b.replace(/\D/g, ''))).map((j) => args[k][j]));
}

function asText(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);
}

/** The first string inside a (possibly nested) response list. */
function firstString(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    for (const x of v) {
      const s = firstString(x);
      if (s !== null) return s;
    }
  }
  return null;
}

/** For log-likelihood (multiple-choice) samples: the index of the choice with the highest log-likelihood. */
function argmaxChoice(filtered: unknown[]): number | null {
  let best = -1;
  let bestLl = -Infinity;
  for (let i = 0; i < filtered.length; i++) {
    const pair = filtered[i];
    if (!Array.isArray(pair) || pair.length !== 2) return null;
    const ll = Number(pair[0]);
    if (!Number.isFinite(ll)) return null;
    if (ll > bestLl) [best, bestLl] = [i, ll];
  }
  return best >= 0 ? best : null;
}

interface TaskConfig {
  metric: string | null;
  filter: string | null;
}

function taskConfig(results: ResultsFile[], task: string): TaskConfig {
  let metric: string | null = null;
  let filter: string | null = null;
  for (const r of results) {
    const c = r.configs?.[task];
    if (!c) continue;
    metric = metricName(c.metric_list?.[0]?.metric) ?? metric;
    filter = c.filter_list?.[0]?.name ?? filter;
  }
  return { metric, filter };
}

function perTask(option: string | Record<string, string> | undefined, task: string): string | undefined {
  return typeof option === 'string' ? option : option?.[task];
}

interface Collected {
  queries: Map<string, Query>;
  responses: ModelResponse[];
  models: string[];
  hashes: string[];
}

function readSamples(file: TextFile, task: string, model: string, config: TaskConfig, options: LmEvalOptions, into: Collected): void {
  const rows: { line: number; s: SampleLine }[] = [];
  for (const { line, value } of parseJsonLines(file)) rows.push({ line, s: parseOrThrow(SampleLine, value, `${file.path}:${line}`) });
  const filter = perTask(options.filter, task) ?? config.filter ?? rows.find((r) => r.s.filter !== undefined)?.s.filter ?? null;
  const seen = new Map<number, number>();
  for (const { line, s } of rows) {
    if (filter !== null && s.filter !== undefined && s.filter !== filter) continue;
    const where = `${file.path}:${line}`;
    const prior = seen.get(s.doc_id);
    if (prior !== undefined) throw new DuplicatePairError(`field "doc_id": doc ${s.doc_id} appears twice${filter ? ` for filter "${filter}"` : ''} (first on line ${prior})`, where);
    seen.set(s.doc_id, line);

    const sample = s as Record<string, unknown>;
    const metric = perTask(options.metric, task) ?? config.metric ?? s.metrics?.[0] ?? FALLBACK_METRICS.find((m) => m in sample);
    if (!metric || !(metric in sample)) {
      throw new MissingColumnError(`field "${metric ?? FALLBACK_METRICS.join('" / "')}": no per-sample metric to read correctness from`, where);
    }
    const correct = binary(sample[metric]);
    if (correct === null) throw new InvalidInputError(`field "${metric}": expected a 0/1 metric, got ${JSON.stringify(sample[metric])} (choose a 0/1 metric with the metric option)`, where);

    const args = argumentTuples(s.arguments);
    const choice = argmaxChoice(s.filtered_resps);
    const continuation = (i: number) => asText(args[i]?.[1]).trim();
    let answer: string | null;
    let raw: string;
    let reference = s.target === undefined || s.target === null ? null : asText(s.target);
    if (choice !== null && args.length === s.filtered_resps.length) {
      // Multiple choice by log-likelihood: the answer is the most likely continuation, and an
      // index target names the gold continuation.
      answer = continuation(choice);
      raw = answer;
      const gold = reference !== null && /^\d+$/.test(reference) ? Number(reference) : -1;
      if (gold >= 0 && gold < args.length) reference = continuation(gold);
    } else {
      answer = firstString(s.filtered_resps);
      raw = firstString(s.resps) ?? answer ?? '';
    }
    const qid = `${task}/${s.doc_id}`;
    // With --apply_chat_template each model's prompt carries its own template: the first model's stands.
    if (!into.queries.has(qid)) into.queries.set(qid, { qid, task, prompt: asText(args[0]?.[0]), reference });
    into.responses.push({ qid, model, response: options.response === 'raw' ? raw : (answer ?? ''), answer, correct });
  }
}

/**
 * Loads lm-evaluation-harness `--log_samples` output: `<output_path>/<model>/results_<date>.json`
 * and `samples_<task>_<date>.jsonl` per model (or one model's folder itself). Each sample becomes the
 * query `<task>/<doc_id>`; `correct` is the task's primary 0/1 metric; the prompt is the first
 * request's context (`arguments.gen_args_0.arg_0`). Only the newest samples file per (model, task) is read.
 */
export async function loadLmEval(dir: string, options: LmEvalOptions = {}): Promise<RunLog> {
  const folders = new Map<string, ModelFolder>();
  await findFolders(dir, 2, folders);
  const withSamples = [...folders.values()].filter((f) => f.samples.size > 0);
  if (withSamples.length === 0) throw new InvalidInputError('not an lm-evaluation-harness output folder: no samples_<task>_<date>.jsonl files (run lm_eval with --log_samples)', dir);
  const into: Collected = { queries: new Map(), responses: [], models: [], hashes: [] };
  for (const folder of withSamples) {
    const results: ResultsFile[] = [];
    for (const path of folder.results.sort()) {
      const file = await readTextFile(path);
      into.hashes.push(file.sha256);
      results.push(parseOrThrow(ResultsFile, parseJsonFile(file), path));
    }
    const newest = results[results.length - 1];
    const model = newest?.model_name || modelFromArgs(newest?.config?.model_args) || basename(folder.dir).replace('__', '/');
    if (into.models.includes(model)) {
      throw new DuplicatePairError(`model "${model}" appears in two folders; move one run elsewhere`, folder.dir);
    }
    into.models.push(model);
    for (const [task, path] of [...folder.samples].sort(([a], [b]) => a.localeCompare(b))) {
      const file = await readTextFile(path);
      into.hashes.push(file.sha256);
      readSamples(file, task, model, taskConfig(results, task), options, into);
    }
  }
  const hash = createHash('sha256');
  for (const h of into.hashes) hash.update(h);
  return {
    queries: [...into.queries.values()],
    models: into.models,
    responses: into.responses,
    prices: {},
    sources: [{ path: dir, sha256: hash.digest('hex') }],
    tokensApproximate: false,
  };
}

/** The output folder of a path inside lm-eval output (a results or samples file gives its folder). */
export function lmEvalRoot(path: string): string {
  return SAMPLES_FILE.test(basename(path)) || RESULTS_FILE.test(basename(path)) ? dirname(path) : path;
}
