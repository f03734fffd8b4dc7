import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { UnsupportedVersionError } from '../../../core/errors.js';
import { RunStore } from '../../../native-models/runs/run-store.js';

const dir = mkdtempSync(join(tmpdir(), 'cascade-store-v0-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The schema and statements of the first release's run-store.ts (schema version 0, user_version
// never set), verbatim: the store a user has on disk today.
const V0_SCHEMA = `
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

/** A run store as the first release writes it: one run of three queries, two of them answered by tier "t". */
function writeV0Store(path: string): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.exec(V0_SCHEMA);
  db.prepare('INSERT INTO runs (id, bench, bench_sha256, created_at) VALUES (?, ?, ?, ?)').run('r', 'bench.csv', 'abc', '2026-12-01T00:00:00.000Z');
  const insertQuery = db.prepare('INSERT INTO queries (run_id, ord, qid, task, prompt, reference, prompt_tokens) VALUES (?, ?, ?, ?, ?, ?, ?)');
  ['a', 'b', 'c'].forEach((qid, i) => insertQuery.run('r', i, qid, 'gsm8k', `question ${qid}`, String(i), null));
  db.prepare('INSERT INTO tier_prices (run_id, tier, usd_per_mtok_in, usd_per_mtok_out) VALUES (?, ?, ?, ?)').run('r', 't', 1, 2);
  const insertAnswer = db.prepare(`INSERT INTO answers (run_id, qid, tier, response, answer, correct, stop_reason, input_tokens, output_tokens, cost_usd,
      ttft_ms, tpot_ms, latency_ms, logprob_mean, logprob_min, logprob_entropy, finished_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, qid, tier) DO NOTHING`);
  insertAnswer.run('r', 'a', 't', 'The answer is 0.', '0', 1, 'stop', 10, 5, 0.00002, 12.5, 3.25, 30, -0.5, -1, 0.75, '2026-12-01T00:00:01.000Z');
  insertAnswer.run('r', 'b', 't', 'The answer is 7.', '7', 0, 'length', 11, 6, 0.00003, 14, 4, 40, null, null, null, '2026-12-01T00:00:02.000Z');
  db.close();
}

describe('a run store written by the first release (schema version 0)', () => {
  it('is migrated in place when opened: answers kept, unanswered queries storable, resume unchanged', () => {
    const path = join(dir, 'runs.sqlite');
    writeV0Store(path);
    const store = RunStore.open(path);
    try {
      expect(store.answers('r')).toEqual([
        { qid: 'a', tier: 't', answer: '0', correct: 1, result: { tier: 't', text: 'The answer is 0.', stopReason: 'stop', inputTokens: 10, outputTokens: 5, ttftMs: 12.5, tpotMs: 3.25, latencyMs: 30, costUsd: 0.00002, logprobs: { mean: -0.5, min: -1, entropy: 0.75 } } },
        { qid: 'b', tier: 't', answer: '7', correct: 0, result: { tier: 't', text: 'The answer is 7.', stopReason: 'length', inputTokens: 11, outputTokens: 6, ttftMs: 14, tpotMs: 4, latencyMs: 40, costUsd: 0.00003 } },
      ]);
      expect(store.pending('r', 't').map((q) => q.qid)).toEqual(['c']);
      // What version 0 could not hold: a query the tier could not answer, with its reason.
      expect(store.recordUnanswered('r', { qid: 'c', tier: 't', reason: 'context_length', message: 'too long', inputTokens: 600, latencyMs: 1 })).toBe(true);
      expect(store.recordUnanswered('r', { qid: 'c', tier: 't', reason: 'context_length', message: 'too long', inputTokens: 600, latencyMs: 1 })).toBe(false);
      expect(store.pending('r', 't')).toEqual([]);
      // The median of two answers' timings is their mean.
      expect(store.tierTotals('r', 't')).toEqual({
        done: 3, answered: 2, correct: 1, unanswered: { context_length: 1 }, inputTokens: 21, outputTokens: 11, costUsd: 0.00005, ttftMsMedian: 13.25, tpotMsMedian: 3.625,
      });
      // A tier recorded before version 2 has no model: taken on trust once, then held to it.
      store.recordTier('r', 't', { usdPerMtokIn: 1, usdPerMtokOut: 2 }, 'model "m" at http://127.0.0.1:9/v1');
      expect(() => store.recordTier('r', 't', { usdPerMtokIn: 1, usdPerMtokOut: 2 }, 'model "other" at http://127.0.0.1:9/v1'))
        .toThrow(`tier "t" of run "r" was model "m" at http://127.0.0.1:9/v1; the pool's tier "t" is model "other" at http://127.0.0.1:9/v1: give it another name, or start a new run`);
      const log = store.toRunLog('r');
      expect(log.models).toEqual(['t']);
      expect(log.responses).toHaveLength(2);
      expect(log.unanswered).toEqual([{ qid: 'c', model: 't', reason: 'context_length' }]);
      expect(log.prices).toEqual({ t: { usdPerMtokIn: 1, usdPerMtokOut: 2 } });
    } finally {
      store.close();
    }
    // Opened again, nothing is migrated twice and nothing is lost.
    const again = RunStore.open(path);
    try {
      expect(again.countDone('r')).toBe(3);
      expect(again.unanswered('r')).toEqual([{ qid: 'c', tier: 't', reason: 'context_length', message: 'too long', inputTokens: 600, latencyMs: 1 }]);
    } finally {
      again.close();
    }
    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.pragma('user_version', { simple: true })).toBe(2);
      expect(raw.pragma('foreign_key_check')).toEqual([]);
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      // An answer row is either graded or unanswered with a reason, never neither.
      expect(() => raw.prepare("INSERT INTO answers (run_id, qid, tier, response, correct, stop_reason, input_tokens, output_tokens, cost_usd, ttft_ms, tpot_ms, latency_ms, finished_at) VALUES ('r', 'a', 'u', '', NULL, 'stop', 0, 0, 0, 0, 0, 0, 'x')").run()).toThrow();
    } finally {
      raw.close();
    }
  });

  it('a store of version 1 gains the tiers\' models in place, once, and keeps its answers', () => {
    const path = join(dir, 'v1.sqlite');
    // Version 1 is version 2 without tier_prices.model: made here from a v0 store migrated, then stripped.
    writeV0Store(path);
    RunStore.open(path).close();
    const v1 = new Database(path);
    v1.exec('ALTER TABLE tier_prices DROP COLUMN model');
    v1.pragma('user_version = 1');
    v1.close();
    for (let open = 0; open < 2; open++) {
      const store = RunStore.open(path);
      try {
        expect(store.countDone('r')).toBe(2);
        expect(store.tiers('r')).toEqual(['t']);
      } finally {
        store.close();
      }
    }
    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.pragma('user_version', { simple: true })).toBe(2);
      expect((raw.pragma('table_info(tier_prices)') as { name: string }[]).filter((c) => c.name === 'model')).toHaveLength(1);
      expect(raw.prepare('SELECT model FROM tier_prices').pluck().get()).toBeNull();
    } finally {
      raw.close();
    }
  });

  it('a store from a newer cascade-lab is refused with UnsupportedVersionError naming the file', () => {
    const path = join(dir, 'newer.sqlite');
    const db = new Database(path);
    db.pragma('user_version = 7');
    db.close();
    expect(() => RunStore.open(path)).toThrow(UnsupportedVersionError);
    expect(() => RunStore.open(path)).toThrow(/newer\.sqlite: the run store has schema version 7; this cascade-lab reads up to 2/);
  });
});
