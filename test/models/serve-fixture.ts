// Shared setup of the serve model tests: a config tuned on ../shared/data by the real CLI, the
// dataset's prompts, and helpers to map the config's run-log models onto the test tiers.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import writeFileAtomic from 'write-file-atomic';
import type { ClusterPlan } from '../../core/cascade/plan.js';
import type { TunedConfig } from '../../core/config.js';
import type { Query } from '../../core/runlog.js';
import { tune } from '../../core/tune.js';
import { embedderFactory } from '../../native-models/embedders/index.js';
import { loadRunLog } from '../../native-models/runlog/load.js';
import { TunedRouter } from '../../core/cascade/router.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const DATA = resolve(ROOT, '../shared/data/zeroeval-gsm8k-crux');
export const MODELS = resolve(ROOT, '../shared/models');

/** Runs `cascade-lab tune` on the shared data (k fixed, to keep the test short) and returns the config. */
export async function tuneOnSharedData(dir: string): Promise<{ path: string; config: TunedConfig }> {
  const path = join(dir, 'tuned.json');
  const child = spawn(process.execPath, [join(ROOT, 'bin/cascade-lab.mjs'), 'tune', '--data', DATA, '--k', '4', '--out', path], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  if (code !== 0) throw new Error(`cascade-lab tune exited ${code}: ${stderr.slice(-2000)}`);
  return { path, config: JSON.parse(readFileSync(path, 'utf8')) as TunedConfig };
}

/** The shared data's prompts of one task. */
export function prompts(task: string, count: number): string[] {
  const text = gunzipSync(readFileSync(join(DATA, 'questions.jsonl.gz'))).toString('utf8');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { task: string; prompt: string }).filter((q) => q.task === task).slice(0, count).map((q) => q.prompt);
}

/** The cluster a prompt routes to under `config` and the run-log model its plan tries first, found with the server's own router. */
export async function routeOf(config: TunedConfig, prompt: string): Promise<{ cluster: number; stage1: string }> {
  const map = Object.fromEntries(config.pool.map((p) => [p.model, 'any']));
  const router = TunedRouter.create('cascade', config, ['any'], map, 'fixture');
  const decision = await router.route({ last: prompt, context: '' });
  return { cluster: decision.cluster, stage1: decision.models[0] };
}

/** A copy of the config whose served plan for `cluster` is a two-rung cascade with this threshold. */
export function withCascadePlan(config: TunedConfig, cluster: number, rungs: [string, string], threshold: number): TunedConfig {
  if (!config.cascade) throw new Error('the tuned config has no cascade section: `cascade-lab tune` must write one for the escalation tests');
  const op = config.operatingPoint.region;
  const plans: ClusterPlan[] = [...config.regions[op].plans];
  plans[cluster] = { action: 'cascade', rungs, thresholds: [threshold] };
  return { ...config, regions: config.regions.map((r, i) => (i === op ? { ...r, plans } : r)) };
}

/** Every run-log model the config may call, mapped onto `tier` unless `overrides` says otherwise. */
export function mapAll(config: TunedConfig, tier: string, overrides: Record<string, string> = {}): Record<string, string> {
  return { ...Object.fromEntries(config.pool.map((p) => [p.model, tier])), ...overrides };
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value));
}

/** Two local GGUF tiers (the tiny test models), plus any extra tiers. */
export function localPool(extra: object[] = []): object {
  const local = (name: string, file: string) => ({ kind: 'local', name, model: join(MODELS, file), contextSize: 512, threads: 1, sampling: { maxTokens: 12 } });
  return { version: 1, tiers: [local('small', 'stories260K.gguf'), local('large', 'llama-2-tiny-random.gguf'), ...extra] };
}

/**
 * A config tuned on a slice of the shared data (every 20th query, so the GGUF embedding pass stays
 * short) with stories260K as its embedder, stage 1 only; with the slice's queries.
 */
export async function tuneWithGgufEmbedder(): Promise<{ config: TunedConfig; queries: Query[]; model: string }> {
  const model = join(MODELS, 'stories260K.gguf');
  const full = await loadRunLog(DATA);
  const queries = full.queries.filter((_, i) => i % 20 === 0);
  const qids = new Set(queries.map((q) => q.qid));
  const log = { ...full, queries, responses: full.responses.filter((r) => qids.has(r.qid)) };
  const { config } = await tune(log, { k: 3, cascade: false, embedder: { kind: 'gguf', path: model }, embedderFactory: embedderFactory({ gguf: { threads: 1 } }) });
  return { config, queries, model };
}
