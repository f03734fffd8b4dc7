import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ConflictError, DisposedError, InvalidInputError, UnsupportedVersionError } from '../../core/errors.js';
import type { ModelPrice, ModelResponse, Query, RunLog } from '../../core/runlog.js';
import type { GenerationResult } from '../../core/tier.js';
import { median } from '../../core/stats.js';

/** One benchmark run: a set of queries answered by one or more tiers. */
export interface RunInfo {
  id: string;
  /** The benchmark the queries came from, and the sha256 of its bytes. */
  bench: string;
  benchSha256: string;
  createdAt: string;
}

/** One finished, graded answer as stored. */
export interface StoredAnswer {
  qid: string;
  tier: string;
  result: GenerationResult;
  answer: string | null;
  correct: 0 | 1;
}

/** One query a tier could not answer (context too long, a refusal of the request, …), stored so a resumed run does not send it again. */
export interface StoredUnanswered {
  qid: string;
  tier: string;
  /** Why, e.g. `context_length` (see failures.ts). */
  reason: string;
  /** The tier's error message. */
  message: string;
  /** The prompt's tokens where the tier counted them, else 0. */
  inputTokens: number;
  /** Time until the tier refused, ms. */
  latencyMs: number;
}

/** What is stored for one tier of a run: the figures of the run's end summary. */
export interface TierTotals {
  /** Queries finished: answered plus unanswered. */
  done: number;
  answered: number;
  correct: number;
  /** Unanswered queries per reason. */
  unanswered: Record<string, number>;
  /** Over the answered queries. */
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** Medians over the answered queries with a first token (TTFT) or with two or more tokens (TPOT); null for none. */
  ttftMsMedian: number | null;
  tpotMsMedian: number | null;
}

/**
 * Version 1 lets an answer row be unanswered: `correct` NULL with an `unanswered_reason`.
 * Version 2 records what each tier of a run is (`tier_prices.model`), so a resume cannot add
 * another model's answers under the same tier name. `PRAGMA user_version` holds the version of
 * the file; version 0 is the first release's.
 */
const SCHEMA_VERSION = 2;

const answersTable = (name: string) => `
CREATE TABLE IF NOT EXISTS ${name} (
  run_id TEXT NOT NULL,
  qid TEXT NOT NULL,
  tier TEXT NOT NULL,
  response TEXT NOT NULL,
  answer TEXT,
  correct INTEGER CHECK (correct IN (0, 1)),
  unanswered_reason TEXT,
  error TEXT,
  stop_reason TEXT NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cost_usd REAL NOT NULL,
  ttft_ms REAL NOT NULL,
  tpot_ms REAL NOT NULL,
  latency_ms REAL NOT NULL,
  logprob_mean REAL,
  logprob_min REAL,
  logprob_entropy REAL,
  finished_at TEXT NOT NULL,
  UNIQUE (run_id, qid, tier),
  FOREIGN KEY (run_id, qid) REFERENCES queries(run_id, qid),
  CHECK ((correct IS NULL) = (unanswered_reason IS NOT NULL))
);
`;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  bench TEXT NOT NULL,
  bench_sha256 TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS queries (
  run_id TEXT NOT NULL REFERENCES runs(id),
  ord INTEGER NOT NULL,
  qid TEXT NOT NULL,
  task TEXT NOT NULL,
  prompt TEXT NOT NULL,
  reference TEXT,
  prompt_tokens INTEGER,
  PRIMARY KEY (run_id, qid)
);
CREATE TABLE IF NOT EXISTS tier_prices (
  run_id TEXT NOT NULL REFERENCES runs(id),
  tier TEXT NOT NULL,
  usd_per_mtok_in REAL NOT NULL,
  usd_per_mtok_out REAL NOT NULL,
  model TEXT,
  PRIMARY KEY (run_id, tier)
);
${answersTable('answers')}`;

// The columns version 0 and version 1 share.
const V0_ANSWER_COLUMNS = 'run_id, qid, tier, response, answer, correct, stop_reason, input_tokens, output_tokens, cost_usd, ttft_ms, tpot_ms, latency_ms, logprob_mean, logprob_min, logprob_entropy, finished_at';

/**
 * Brings a store to SCHEMA_VERSION in one transaction, so a crash leaves the old file whole.
 * SQLite cannot change a CHECK constraint in place, so version 0's answers table is rebuilt the
 * way its documentation prescribes (new table, copy, drop, rename; lang_altertable.html).
 */
function migrate(db: Database.Database, path: string): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) throw new UnsupportedVersionError(`the run store has schema version ${version}; this cascade-lab reads up to ${SCHEMA_VERSION}`, path);
    if (version === SCHEMA_VERSION) return;
    const hasTable = (name: string) => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
    // A tier recorded before version 2 has no model: it is taken on trust when the run resumes.
    if (hasTable('tier_prices')) db.exec('ALTER TABLE tier_prices ADD COLUMN model TEXT');
    if (version === 0 && hasTable('answers')) {
      db.exec(answersTable('answers_v1'));
      db.exec(`INSERT INTO answers_v1 (${V0_ANSWER_COLUMNS}) SELECT ${V0_ANSWER_COLUMNS} FROM answers`);
      db.exec('DROP TABLE answers');
      db.exec('ALTER TABLE answers_v1 RENAME TO answers');
    }
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/** The median of a column; null for none. */
function medianOrNull(values: number[]): number | null {
  return values.length ? median(values) : null;
}

interface AnswerRow {
  qid: string;
  tier: string;
  response: string;
  answer: string | null;
  correct: 0 | 1;
  stop_reason: GenerationResult['stopReason'];
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  ttft_ms: number;
  tpot_ms: number;
  latency_ms: number;
  logprob_mean: number | null;
  logprob_min: number | null;
  logprob_entropy: number | null;
}

/**
 * The embedded SQLite store of benchmark runs. WAL journaling and one transaction per finished
 * answer mean a killed process loses at most the answers still in flight; the unique
 * (run, qid, tier) key means a resumed run never stores an answer twice.
 */
export class RunStore {
  readonly path: string;
  readonly #db: Database.Database;
  #closed = false;

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.#db = db;
  }

  /** Opens (creating if needed) the store at `path`; the folder is created too. */
  static open(path: string): RunStore {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    let db: Database.Database | undefined;
    try {
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db, path);
    } catch (err) {
      db?.close();
      if (err instanceof UnsupportedVersionError) throw err;
      throw new InvalidInputError(`cannot open the run store (${(err as Error).message})`, path);
    }
    return new RunStore(path, db!);
  }

  #check(): void {
    if (this.#closed) throw new DisposedError('used after close()', this.path);
  }

  /**
   * Creates a run with its queries, or returns the existing run of that id. Resuming against a
   * different benchmark (other bytes) is a ConflictError: the stored answers belong to the old one.
   */
  ensureRun(id: string, bench: { path: string; sha256: string; queries: Query[] }): RunInfo {
    this.#check();
    const existing = this.getRun(id);
    if (existing) {
      if (existing.benchSha256 !== bench.sha256) {
        throw new ConflictError(`run "${id}" was started on ${existing.bench} with other contents; choose another --run-id or --out`, this.path);
      }
      return existing;
    }
    const createdAt = new Date().toISOString();
    const insertQuery = this.#db.prepare('INSERT INTO queries (run_id, ord, qid, task, prompt, reference, prompt_tokens) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.#db.transaction(() => {
      this.#db.prepare('INSERT INTO runs (id, bench, bench_sha256, created_at) VALUES (?, ?, ?, ?)').run(id, bench.path, bench.sha256, createdAt);
      bench.queries.forEach((q, i) => insertQuery.run(id, i, q.qid, q.task, q.prompt, q.reference ?? null, q.promptTokens ?? null));
    })();
    return { id, bench: bench.path, benchSha256: bench.sha256, createdAt };
  }

  getRun(id: string): RunInfo | undefined {
    this.#check();
    const row = this.#db.prepare('SELECT id, bench, bench_sha256 AS benchSha256, created_at AS createdAt FROM runs WHERE id = ?').get(id) as RunInfo | undefined;
    return row;
  }

  listRuns(): RunInfo[] {
    this.#check();
    return this.#db.prepare('SELECT id, bench, bench_sha256 AS benchSha256, created_at AS createdAt FROM runs ORDER BY created_at').all() as RunInfo[];
  }

  /** The tiers the run was started with, in the order they were recorded. */
  tiers(runId: string): string[] {
    this.#check();
    return this.#db.prepare('SELECT tier FROM tier_prices WHERE run_id = ? ORDER BY rowid').pluck().all(runId) as string[];
  }

  queryCount(runId: string): number {
    this.#check();
    return this.#db.prepare('SELECT COUNT(*) FROM queries WHERE run_id = ?').pluck().get(runId) as number;
  }

  /** Seconds from a tier's first stored answer of the run to its last (over every session; 0 for none). */
  answerSpanS(runId: string, tier: string): number {
    this.#check();
    const row = this.#db.prepare('SELECT MIN(finished_at) AS first, MAX(finished_at) AS last FROM answers WHERE run_id = ? AND tier = ?').get(runId, tier) as { first: string | null; last: string | null };
    return row.first && row.last ? Math.max(0, (Date.parse(row.last) - Date.parse(row.first)) / 1000) : 0;
  }

  /** Throws a ConflictError naming both models when the run already has `tier` as another model than `model`. */
  checkTier(runId: string, tier: string, model: string): void {
    this.#check();
    const known = this.#db.prepare('SELECT model FROM tier_prices WHERE run_id = ? AND tier = ?').get(runId, tier) as { model: string | null } | undefined;
    if (known?.model && known.model !== model) {
      throw new ConflictError(`tier "${tier}" of run "${runId}" was ${known.model}; the pool's tier "${tier}" is ${model}: give it another name, or start a new run`, this.path);
    }
  }

  /**
   * Records a tier of the run: its list price (the exported prices.json) and what model it is. A
   * tier the run already has must be the same model (a resume with a pool that renamed another
   * model to this tier's name would mix two models' answers); its price may change.
   */
  recordTier(runId: string, tier: string, price: ModelPrice, model: string): void {
    this.checkTier(runId, tier, model);
    this.#db.prepare('INSERT INTO tier_prices (run_id, tier, usd_per_mtok_in, usd_per_mtok_out, model) VALUES (?, ?, ?, ?, ?) ON CONFLICT (run_id, tier) DO UPDATE SET usd_per_mtok_in = excluded.usd_per_mtok_in, usd_per_mtok_out = excluded.usd_per_mtok_out, model = excluded.model')
      .run(runId, tier, price.usdPerMtokIn, price.usdPerMtokOut, model);
  }

  queries(runId: string): Query[] {
    this.#check();
    const rows = this.#db.prepare('SELECT qid, task, prompt, reference, prompt_tokens AS promptTokens FROM queries WHERE run_id = ? ORDER BY ord').all(runId) as (Query & { promptTokens: number | null })[];
    return rows.map(({ promptTokens, ...q }) => ({ ...q, ...(promptTokens !== null && { promptTokens }) }));
  }

  /** The run's queries that `tier` has not answered yet, in benchmark order. */
  pending(runId: string, tier: string): Query[] {
    this.#check();
    const rows = this.#db.prepare(`SELECT q.qid, q.task, q.prompt, q.reference, q.prompt_tokens AS promptTokens FROM queries q
      WHERE q.run_id = ? AND NOT EXISTS (SELECT 1 FROM answers a WHERE a.run_id = q.run_id AND a.qid = q.qid AND a.tier = ?) ORDER BY q.ord`).all(runId, tier) as (Query & { promptTokens: number | null })[];
    return rows.map(({ promptTokens, ...q }) => ({ ...q, ...(promptTokens !== null && { promptTokens }) }));
  }

  /** Queries finished (answered, or stored as unanswered) in the run, by one tier or all. */
  countDone(runId: string, tier?: string): number {
    this.#check();
    const row = tier === undefined
      ? this.#db.prepare('SELECT COUNT(*) AS n FROM answers WHERE run_id = ?').get(runId)
      : this.#db.prepare('SELECT COUNT(*) AS n FROM answers WHERE run_id = ? AND tier = ?').get(runId, tier);
    return (row as { n: number }).n;
  }

  /** Stores one finished answer in its own transaction; false (and nothing changed) when the query was already finished. */
  recordAnswer(runId: string, a: StoredAnswer): boolean {
    this.#check();
    const r = a.result;
    const info = this.#db.prepare(`INSERT INTO answers (run_id, qid, tier, response, answer, correct, stop_reason, input_tokens, output_tokens, cost_usd,
        ttft_ms, tpot_ms, latency_ms, logprob_mean, logprob_min, logprob_entropy, finished_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, qid, tier) DO NOTHING`)
      .run(runId, a.qid, a.tier, r.text, a.answer, a.correct, r.stopReason, r.inputTokens, r.outputTokens, r.costUsd,
        r.ttftMs, r.tpotMs, r.latencyMs, r.logprobs?.mean ?? null, r.logprobs?.min ?? null, r.logprobs?.entropy ?? null, new Date().toISOString());
    return info.changes === 1;
  }

  /**
   * Stores a query the tier could not answer, like recordAnswer: the query counts as finished, so
   * a resumed run does not send it again. Its row has no text, no output and no cost.
   */
  recordUnanswered(runId: string, u: StoredUnanswered): boolean {
    this.#check();
    const info = this.#db.prepare(`INSERT INTO answers (run_id, qid, tier, response, answer, correct, unanswered_reason, error, stop_reason, input_tokens, output_tokens, cost_usd,
        ttft_ms, tpot_ms, latency_ms, finished_at)
      VALUES (?, ?, ?, '', NULL, NULL, ?, ?, 'error', ?, 0, 0, 0, 0, ?, ?) ON CONFLICT (run_id, qid, tier) DO NOTHING`)
      .run(runId, u.qid, u.tier, u.reason, u.message, u.inputTokens, u.latencyMs, new Date().toISOString());
    return info.changes === 1;
  }

  /** The run's graded answers, by tier, in benchmark order. */
  answers(runId: string): StoredAnswer[] {
    this.#check();
    const rows = this.#db.prepare(`SELECT a.* FROM answers a JOIN queries q ON q.run_id = a.run_id AND q.qid = a.qid
      WHERE a.run_id = ? AND a.correct IS NOT NULL ORDER BY a.tier, q.ord`).all(runId) as AnswerRow[];
    return rows.map((row) => ({
      qid: row.qid,
      tier: row.tier,
      answer: row.answer,
      correct: row.correct,
      result: {
        tier: row.tier,
        text: row.response,
        stopReason: row.stop_reason,
        inputTokens: row.input_tokens,
        outputTokens: row.output_tokens,
        ttftMs: row.ttft_ms,
        tpotMs: row.tpot_ms,
        latencyMs: row.latency_ms,
        costUsd: row.cost_usd,
        ...(row.logprob_mean !== null && { logprobs: { mean: row.logprob_mean, min: row.logprob_min!, entropy: row.logprob_entropy! } }),
      },
    }));
  }

  /** The run's unanswered queries, by tier, in benchmark order. */
  unanswered(runId: string): StoredUnanswered[] {
    this.#check();
    return this.#db.prepare(`SELECT a.qid, a.tier, a.unanswered_reason AS reason, a.error AS message, a.input_tokens AS inputTokens, a.latency_ms AS latencyMs
      FROM answers a JOIN queries q ON q.run_id = a.run_id AND q.qid = a.qid
      WHERE a.run_id = ? AND a.correct IS NULL ORDER BY a.tier, q.ord`).all(runId) as StoredUnanswered[];
  }

  /** What is stored for one tier of the run, over every session: counts, tokens, cost and median timings. */
  tierTotals(runId: string, tier: string): TierTotals {
    this.#check();
    const sums = this.#db.prepare(`SELECT COUNT(*) AS done, COUNT(correct) AS answered, COALESCE(SUM(correct), 0) AS correct,
        COALESCE(SUM(CASE WHEN correct IS NULL THEN 0 ELSE input_tokens END), 0) AS inputTokens,
        COALESCE(SUM(output_tokens), 0) AS outputTokens, COALESCE(SUM(cost_usd), 0) AS costUsd
      FROM answers WHERE run_id = ? AND tier = ?`).get(runId, tier) as Omit<TierTotals, 'unanswered' | 'ttftMsMedian' | 'tpotMsMedian'>;
    const reasons = this.#db.prepare(`SELECT unanswered_reason AS reason, COUNT(*) AS n FROM answers
      WHERE run_id = ? AND tier = ? AND correct IS NULL GROUP BY unanswered_reason ORDER BY n DESC, reason`).all(runId, tier) as { reason: string; n: number }[];
    const column = (sql: string) => (this.#db.prepare(sql).pluck().all(runId, tier) as number[]);
    return {
      ...sums,
      unanswered: Object.fromEntries(reasons.map((r) => [r.reason, r.n])),
      ttftMsMedian: medianOrNull(column('SELECT ttft_ms FROM answers WHERE run_id = ? AND tier = ? AND correct IS NOT NULL AND output_tokens > 0')),
      tpotMsMedian: medianOrNull(column('SELECT tpot_ms FROM answers WHERE run_id = ? AND tier = ? AND correct IS NOT NULL AND output_tokens > 1')),
    };
  }

  /** The run as the engine's RunLog: every tier that answered is a model; token counts are the tiers' own. */
  toRunLog(runId: string): RunLog {
    const run = this.getRun(runId);
    if (!run) throw new InvalidInputError(`no run "${runId}" in the store`, this.path);
    const answers = this.answers(runId);
    const unanswered = this.unanswered(runId);
    const models = [...new Set([...answers, ...unanswered].map((a) => a.tier))];
    const responses: ModelResponse[] = answers.map((a) => ({
      qid: a.qid,
      model: a.tier,
      response: a.result.text,
      answer: a.answer,
      correct: a.correct,
      outputTokens: a.result.outputTokens,
      costUsd: a.result.costUsd,
      ttftMs: a.result.ttftMs,
      tpotMs: a.result.tpotMs,
      latencyMs: a.result.latencyMs,
      ...(a.result.logprobs && { logprobs: a.result.logprobs }),
    }));
    const priceRows = this.#db.prepare('SELECT tier, usd_per_mtok_in AS i, usd_per_mtok_out AS o FROM tier_prices WHERE run_id = ?').all(runId) as { tier: string; i: number; o: number }[];
    return {
      queries: this.queries(runId),
      models,
      responses,
      prices: Object.fromEntries(priceRows.map((p) => [p.tier, { usdPerMtokIn: p.i, usdPerMtokOut: p.o }])),
      sources: [{ path: `${this.path}#${runId}`, sha256: run.benchSha256 }],
      tokensApproximate: false,
      ...(unanswered.length > 0 && { unanswered: unanswered.map((u) => ({ qid: u.qid, model: u.tier, reason: u.reason })) }),
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the database (checkpointing the WAL). Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
