import { InvalidInputError } from './errors.js';
import type { RunLog } from './runlog.js';

/** Which part of a run log to tune on: a task slice and a pool subset, as researchers try them. */
export interface RunLogSlice {
  /** Keep only queries of these tasks (a `family/subset` task matches its family too). Defaults to all. */
  tasks?: string[];
  /** Keep only these models. Defaults to all. */
  models?: string[];
  /** Drop these models. Defaults to none. */
  excludeModels?: string[];
}

function unknownNames(names: readonly string[], known: readonly string[], what: string, flag: string): void {
  const missing = names.filter((n) => !known.some((k) => k === n || k.startsWith(`${n}/`)));
  if (missing.length > 0) throw new InvalidInputError(`unknown ${what} ${missing.map((m) => `"${m}"`).join(', ')}; the run log has ${known.join(', ')}`, flag);
}

/** The run log restricted to a slice; every named task and model must exist, and something must be left. */
export function sliceRunLog(log: RunLog, slice: RunLogSlice): RunLog {
  const tasks = [...new Set(log.queries.map((q) => q.task))];
  if (slice.tasks) unknownNames(slice.tasks, tasks, 'task', '--tasks');
  if (slice.models) unknownNames(slice.models, log.models, 'model', '--models');
  if (slice.excludeModels) unknownNames(slice.excludeModels, log.models, 'model', '--exclude-models');
  const keepTask = (t: string) => !slice.tasks || slice.tasks.some((s) => t === s || t.startsWith(`${s}/`));
  const keepModel = (m: string) => (!slice.models || slice.models.includes(m)) && !slice.excludeModels?.includes(m);
  const queries = log.queries.filter((q) => keepTask(q.task));
  const models = log.models.filter(keepModel);
  if (queries.length === 0) throw new InvalidInputError('the task slice leaves no queries', '--tasks');
  if (models.length === 0) throw new InvalidInputError('the model slice leaves no models', '--models');
  const qids = new Set(queries.map((q) => q.qid));
  return withModels({ ...log, queries, responses: log.responses.filter((r) => qids.has(r.qid)) }, models);
}

/** The log with only `models` (in the log's order) and their answers; models the log lacks are ignored. */
export function withModels(log: RunLog, models: readonly string[]): RunLog {
  const kept = new Set(models);
  if (log.models.every((m) => kept.has(m))) return log;
  return { ...log, models: log.models.filter((m) => kept.has(m)), responses: log.responses.filter((r) => kept.has(r.model)) };
}
