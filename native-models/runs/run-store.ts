import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ConflictError, DisposedError, InvalidInputError } from '../../core/errors.js';
import type { ModelPrice, ModelResponse, Query, RunLog } from '../../core/runlog.js';
import type { GenerationResult } from '../../core/tier.js';

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
  PRIMARY KEY (run_id, tier)
);
CREATE TABLE IF NOT EXISTS answers (
  run_id TEXT NOT NULL,
  qid TEXT NOT NULL,
  tier TEXT NOT NULL,
  response TEXT NOT NULL,
  answer TEXT,
  correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
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
  FOREIGN KEY (run_id, qid) REFERENCES queries(run_id, qid)
);
`;

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
    let db: Database.Database;
    try {
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.exec(SCHEMA);
    } catch (err) {
      throw new InvalidInputError(`cannot open the run store (${(err as Error).message})`, path);
    }
    return new RunStore(path, db);
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

  /** Records a tier's list price for the run (the exported prices.json). */
  setPrice(runId: string, tier: string, price: ModelPrice): void {
    this.#check();
    this.#db.prepare('INSERT INTO tier_prices (run_id, tier, usd_per_mtok_in, usd_per_mtok_out) VALUES (?, ?, ?, ?) ON CONFLICT (run_id, tier) DO UPDATE SET usd_per_mtok_in = excluded.usd_per_mtok_in, usd_per_mtok_out = excluded.usd_per_mtok_out')
      .run(runId, tier, price.usdPerMtokIn, price.usdPerMtokOut);
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

  countAnswers(runId: string, tier?: string): number {
    this.#check();
    const row = tier === undefined
      ? this.#db.prepare('SELECT COUNT(*) AS n FROM answers WHERE run_id = ?').get(runId)
      : this.#db.prepare('SELECT COUNT(*) AS n FROM answers WHERE run_id = ? AND tier = ?').get(runId, tier);
    return (row as { n: number }).n;
  }

  /** Stores one finished answer in its own transaction; false (and nothing changed) when it was already stored. */
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

  answers(runId: string): StoredAnswer[] {
    this.#check();
    const rows = this.#db.prepare(`SELECT a.* FROM answers a JOIN queries q ON q.run_id = a.run_id AND q.qid = a.qid WHERE a.run_id = ? ORDER BY a.tier, q.ord`).all(runId) as AnswerRow[];
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

  /** The run as the engine's RunLog: every tier that answered is a model; token counts are the tiers' own. */
  toRunLog(runId: string): RunLog {
    const run = this.getRun(runId);
    if (!run) throw new InvalidInputError(`no run "${runId}" in the store`, this.path);
    const answers = this.answers(runId);
    const models = [...new Set(answers.map((a) => a.tier))];
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
