import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { DuplicatePairError, InvalidInputError, MissingColumnError } from '../../core/errors.js';
import { parseOrThrow, type ModelResponse, type Query, type RunLog } from '../../core/runlog.js';
import type { TokenCounter } from '../tokenizer.js';
import { asText, chatPromptText, firstString } from './sample-text.js';
import { parseJsonFile, parseJsonLines, readTextFile, type TextFile } from './text-file.js';

/**
 * Options of the lm-evaluation-harness reader (an `--output_path` folder written with `--log_samples`).
 */
export interface LmEvalOptions {
  /** The per-sample metric that decides `correct` (0/1 valued, like `acc` or `exact_match`), for every task or per task name. Defaults to each task's first metric in `configs.<task>.metric_list`, else the sample's first listed metric, else the first of `acc`, `exact_match`, `em`, `acc_norm`, `pass@1`, `pass_at_1` it carries. */
  metric?: string | Record<string, string>;
  /** The filter whose sample rows are read where a task logs several (GSM8K logs `strict-match` and `flexible-extract`), for every task or per task name. Defaults to each task's first filter in `configs.<task>.filter_list`, else the first filter in its samples file. Older files without a `filter` field hold one block of rows per filter, in `filter_list` order. */
  filter?: string | Record<string, string>;
  /** Which text becomes `response`: the filtered answer (`filtered_resps`) or the raw generation (`resps`). Defaults to `'filtered'`. */
  response?: 'filtered' | 'raw';
}

const FALLBACK_METRICS = ['acc', 'exact_match', 'em', 'acc_norm', 'pass@1', 'pass_at_1'];
// lm-eval names files with `datetime.now().isoformat()` and `:` replaced by `-`.
const SAMPLES_FILE = /^samples_(.+?)(?:_(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?))?\.jsonl(?:\.gz)?$/;
const RESULTS_FILE = /^results_(.*)\.json$/;

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

/** One lm-eval file with the task (samples files only) and the run date its name carries. */
interface RunFile {
  path: string;
  task: string;
  date: string;
}

/** A folder holding lm-eval files: its results files and every samples file, with their run dates. */
interface OutputFolder {
  dir: string;
  results: RunFile[];
  samples: RunFile[];
}

async function findFolders(root: string, depth: number, out: Map<string, OutputFolder>): Promise<void> {
  const entries = await readdir(root, { withFileTypes: true });
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(root, e.name);
    if (e.isDirectory()) {
      if (depth > 0) await findFolders(path, depth - 1, out);
      continue;
    }
    const samples = SAMPLES_FILE.exec(e.name);
    const results = RESULTS_FILE.exec(e.name);
    if (!samples && !results) continue;
    const folder: OutputFolder = out.get(root) ?? { dir: root, results: [], samples: [] };
    out.set(root, folder);
    if (samples) folder.samples.push({ path, task: samples[1], date: samples[2] ?? '' });
    else folder.results.push({ path, task: '', date: results![1] });
  }
}

/** True when `dir` holds lm-eval output: results_*.json or samples_*.jsonl files, at most two folders down. */
export async function looksLikeLmEval(dir: string): Promise<boolean> {
  const found = new Map<string, OutputFolder>();
  await findFolders(dir, 2, found);
  return [...found.values()].some((f) => f.samples.length > 0);
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
  /** The task's filters in `filter_list` order (the order older files write their blocks in). */
  filters: string[];
}

function taskConfig(results: ResultsFile[], task: string): TaskConfig {
  let metric: string | null = null;
  let filters: string[] = [];
  for (const r of results) {
    const c = r.configs?.[task];
    if (!c) continue;
    metric = metricName(c.metric_list?.[0]?.metric) ?? metric;
    if (c.filter_list?.length) filters = c.filter_list.map((f) => f.name);
  }
  return { metric, filters };
}

function perTask(option: string | Record<string, string> | undefined, task: string): string | undefined {
  return typeof option === 'string' ? option : option?.[task];
}

/** The readable text of a chat-API prompt: its last user message (lm-eval logs the message list as JSON). */
function promptText(arg: unknown): string {
  // A chat prompt is saved as a one-element list holding the JSON-encoded messages (lm-eval's JsonChatStr).
  return chatPromptText(Array.isArray(arg) && arg.length === 1 && typeof arg[0] === 'string' ? arg[0] : arg);
}

interface Collected {
  queries: Map<string, Query>;
  responses: ModelResponse[];
  models: string[];
  hashes: string[];
  /** Per model, how many of its prompts differ from the first model's for the same doc. */
  promptDiffs: Map<string, number>;
}

interface SampleRow {
  line: number;
  s: SampleLine;
}

/**
 * The rows of the chosen filter. Files that label rows (`filter`) are selected by label. Older
 * files wrote one unlabelled block of every doc per filter, in `filter_list` order: a doc seen
 * again starts the next block.
 */
function filterRows(rows: SampleRow[], task: string, config: TaskConfig, options: LmEvalOptions, where: string): { rows: SampleRow[]; filter: string | null } {
  const labelled = rows.some((r) => r.s.filter !== undefined);
  const names = labelled ? [...new Set(rows.flatMap((r) => (r.s.filter === undefined ? [] : [r.s.filter])))] : config.filters;
  let asked = perTask(options.filter, task);
  // One filter named for every task leaves a task that has a single filter (multiple choice's "none") as it is.
  if (asked !== undefined && typeof options.filter === 'string' && names.length === 1 && !names.includes(asked)) asked = names[0];
  if (asked !== undefined && names.length > 0 && !names.includes(asked)) {
    throw new InvalidInputError(`no filter "${asked}" in task "${task}" (it has ${names.map((f) => `"${f}"`).join(', ')})`, where);
  }
  if (labelled) {
    const filter = asked ?? (config.filters.find((f) => names.includes(f)) ?? names[0]);
    return { rows: rows.filter((r) => r.s.filter === undefined || r.s.filter === filter), filter };
  }
  const blocks: SampleRow[][] = [[]];
  let docs = new Set<number>();
  for (const r of rows) {
    if (docs.has(r.s.doc_id)) {
      blocks.push([]);
      docs = new Set();
    }
    docs.add(r.s.doc_id);
    blocks[blocks.length - 1].push(r);
  }
  if (blocks.length === 1) {
    // One unlabelled block holds the task's first filter only.
    if (asked !== undefined && config.filters.length > 1 && asked !== config.filters[0]) {
      throw new InvalidInputError(`the file holds one block of unlabelled rows (filter "${config.filters[0]}"), not filter "${asked}"`, where);
    }
    return { rows: blocks[0], filter: asked ?? config.filters[0] ?? null };
  }
  const first = blocks[1][0];
  if (config.filters.length !== blocks.length) {
    throw new DuplicatePairError(
      `field "doc_id": doc ${first.s.doc_id} appears again on line ${first.line}: the file has ${blocks.length} blocks of unlabelled rows (one per filter in older lm-eval files) but ${config.filters.length === 0 ? 'no results file names the task\'s filters' : `the task has ${config.filters.length} filter${config.filters.length === 1 ? '' : 's'} (${config.filters.join(', ')})`}`,
      where,
    );
  }
  const filter = asked ?? config.filters[0];
  return { rows: blocks[config.filters.indexOf(filter)], filter };
}

function readSamples(file: TextFile, task: string, model: string, config: TaskConfig, options: LmEvalOptions, counter: TokenCounter | undefined, into: Collected): void {
  const all: SampleRow[] = [];
  for (const { line, value } of parseJsonLines(file)) all.push({ line, s: parseOrThrow(SampleLine, value, `${file.path}:${line}`) });
  const { rows, filter } = filterRows(all, task, config, options, file.path);
  const seen = new Map<number, number>();
  for (const { line, s } of rows) {
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
    if (correct === null) throw new InvalidInputError(`field "${metric}": expected a 0/1 metric, got ${JSON.stringify(sample[metric])} (choose a 0/1 metric with --lm-eval-metric, or the metric option)`, where);

    const args = argumentTuples(s.arguments);
    const choice = argmaxChoice(s.filtered_resps);
    const continuation = (i: number) => asText(args[i]?.[1]).trim();
    let answer: string | null;
    let raw: string;
    let generated: string | null = null;
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
      generated = firstString(s.resps);
      raw = generated ?? answer ?? '';
    }
    const qid = `${task}/${s.doc_id}`;
    // With --apply_chat_template each model's prompt carries its own template: the first model's
    // stands, and how many differ is reported.
    const prompt = promptText(args[0]?.[0]);
    const known = into.queries.get(qid);
    if (!known) into.queries.set(qid, { qid, task, prompt, reference });
    else if (known.prompt !== prompt) into.promptDiffs.set(model, (into.promptDiffs.get(model) ?? 0) + 1);
    into.responses.push({
      qid, model, response: options.response === 'raw' ? raw : (answer ?? ''), answer, correct,
      // What the model generated, not the filtered answer: "#### 5" after a page of reasoning is not one token.
      ...(counter && generated !== null && { outputTokens: counter.count(generated) }),
    });
  }
}

/** The name lm-eval gives the model of a run, from its results file or else the folder. */
function modelOf(results: ResultsFile | undefined, dir: string): string {
  return results?.model_name || modelFromArgs(results?.config?.model_args) || basename(dir).replaceAll('__', '/');
}

/**
 * Splits a folder's files by model: a samples file belongs to the model of the results file from
 * the same run (the same date in the name). A samples file with no such results file belongs to the
 * folder's one model; in a folder holding several models' runs it is refused by name, never guessed.
 */
async function modelsOfFolder(folder: OutputFolder, hashes: string[]): Promise<Map<string, { results: ResultsFile[]; samples: Map<string, RunFile> }>> {
  const runs = new Map<string, string>();
  const byModel = new Map<string, { results: ResultsFile[]; samples: Map<string, RunFile> }>();
  const entry = (model: string) => {
    let e = byModel.get(model);
    if (!e) byModel.set(model, (e = { results: [], samples: new Map() }));
    return e;
  };
  for (const r of folder.results.sort((a, b) => a.date.localeCompare(b.date))) {
    const file = await readTextFile(r.path);
    hashes.push(file.sha256);
    const parsed = parseOrThrow(ResultsFile, parseJsonFile(file), r.path);
    const model = modelOf(parsed, folder.dir);
    runs.set(r.date, model);
    entry(model).results.push(parsed);
  }
  const models = [...byModel.keys()];
  for (const f of folder.samples) {
    let model = runs.get(f.date);
    if (model === undefined) {
      if (models.length > 1) {
        throw new InvalidInputError(`cannot tell which model wrote this samples file: no results_${f.date || '<date>'}.json from the same run, and the folder holds runs of ${models.map((m) => `"${m}"`).join(', ')}; move each model's run into its own folder`, f.path);
      }
      model = models[0] ?? modelOf(undefined, folder.dir);
    }
    const samples = entry(model).samples;
    // A re-run into the same output path adds files with a later date; dates sort as text.
    const prior = samples.get(f.task);
    if (!prior || prior.date < f.date) samples.set(f.task, f);
  }
  return byModel;
}

/**
 * Loads lm-evaluation-harness `--log_samples` output: `<output_path>/<model>/results_<date>.json`
 * and `samples_<task>_<date>.jsonl` per model (or one model's folder itself). Each sample becomes the
 * query `<task>/<doc_id>`; `correct` is the task's primary 0/1 metric; the prompt is the first
 * request's context (`arguments.gen_args_0.arg_0`, a chat prompt's last user message). Only the
 * newest samples file per (model, task) is read; a folder holding several models' runs gives each
 * model its own. With `counter`, output tokens are counted on the raw generation (`resps`).
 */
export async function loadLmEval(dir: string, options: LmEvalOptions = {}, counter?: TokenCounter): Promise<RunLog> {
  const folders = new Map<string, OutputFolder>();
  await findFolders(dir, 2, folders);
  const withSamples = [...folders.values()].filter((f) => f.samples.length > 0);
  if (withSamples.length === 0) throw new InvalidInputError('not an lm-evaluation-harness output folder: no samples_<task>_<date>.jsonl files (run lm_eval with --log_samples)', dir);
  const into: Collected = { queries: new Map(), responses: [], models: [], hashes: [], promptDiffs: new Map() };
  const folderOf = new Map<string, string>();
  for (const folder of withSamples) {
    for (const [model, { results, samples }] of await modelsOfFolder(folder, into.hashes)) {
      if (samples.size === 0) continue;
      const other = folderOf.get(model);
      if (other !== undefined) throw new DuplicatePairError(`model "${model}" appears in two folders (also in ${other}); move one run elsewhere`, folder.dir);
      folderOf.set(model, folder.dir);
      into.models.push(model);
      for (const [task, f] of [...samples].sort(([a], [b]) => a.localeCompare(b))) {
        const file = await readTextFile(f.path);
        into.hashes.push(file.sha256);
        readSamples(file, task, model, taskConfig(results, task), options, counter, into);
      }
    }
  }
  const hash = createHash('sha256');
  for (const h of into.hashes) hash.update(h);
  const counted = counter !== undefined && into.responses.some((r) => r.outputTokens !== undefined);
  const notes = [...into.promptDiffs].map(([model, n]) => `${n} ${n === 1 ? 'prompt' : 'prompts'} of model "${model}" differ from the first model's for the same doc (a chat template, say); queries join by doc id and keep "${into.models[0]}"'s prompt`);
  return {
    queries: [...into.queries.values()],
    models: into.models,
    responses: into.responses,
    prices: {},
    sources: [{ path: dir, sha256: hash.digest('hex') }],
    tokensApproximate: counted,
    ...(counted && { tokenizer: counter.encoding }),
    ...(notes.length > 0 && { notes }),
  };
}

/** The output folder of a path inside lm-eval output (a results or samples file gives its folder). */
export function lmEvalRoot(path: string): string {
  return SAMPLES_FILE.test(basename(path)) || RESULTS_FILE.test(basename(path)) ? dirname(path) : path;
}
