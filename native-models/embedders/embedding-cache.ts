import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DisposedError, InvalidInputError } from '../../core/errors.js';

export interface EmbeddingCacheOptions {
  /** File name of the SQLite database inside the cache folder. Defaults to `'embeddings.sqlite'`. */
  fileName?: string;
  /** How long to wait for another process holding the write lock, ms. Defaults to `5000`. */
  busyTimeoutMs?: number;
}

/** Hit and miss counts since the cache was opened. */
export interface EmbeddingCacheStats {
  hits: number;
  misses: number;
  writes: number;
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS embeddings (
  key BLOB PRIMARY KEY,
  dimensions INTEGER NOT NULL,
  vector BLOB NOT NULL
) WITHOUT ROWID`;

/** The cache key of one text under one embedder: sha256 of the embedder id, a NUL, and the text. */
export function embeddingKey(embedderId: string, text: string): Buffer {
  return createHash('sha256').update(embedderId).update('\u0000').update(text).digest();
}

/**
 * An on-disk embedding cache keyed by content hash (embedder id + text), in SQLite. Every write is
 * one transaction in WAL mode, so a crash mid-write loses at most that batch and never leaves a
 * half-written vector; several processes may share one cache. A file that is not a readable SQLite
 * database is moved aside (`*.corrupt-<time>`) and a fresh cache started, since a cache can always
 * be rebuilt.
 */
export class EmbeddingCache {
  readonly path: string;
  #db: Database.Database | null;
  readonly #get: Database.Statement<[Buffer], { dimensions: number; vector: Buffer }>;
  readonly #put: Database.Statement<[Buffer, number, Buffer]>;
  readonly #stats: EmbeddingCacheStats = { hits: 0, misses: 0, writes: 0 };

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.#db = db;
    this.#get = db.prepare('SELECT dimensions, vector FROM embeddings WHERE key = ?');
    this.#put = db.prepare('INSERT OR REPLACE INTO embeddings (key, dimensions, vector) VALUES (?, ?, ?)');
  }

  /** Opens (creating if needed) the cache in folder `dir`. */
  static async open(dir: string, options: EmbeddingCacheOptions = {}): Promise<EmbeddingCache> {
    const path = join(dir, options.fileName ?? 'embeddings.sqlite');
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new InvalidInputError(`cannot create the embedding cache folder (${(err as Error).message})`, dir);
    }
    const busy = options.busyTimeoutMs ?? 5000;
    try {
      return new EmbeddingCache(path, EmbeddingCache.#connect(path, busy));
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (!/^SQLITE_(NOTADB|CORRUPT)/.test(code) || !existsSync(path)) throw new InvalidInputError(`cannot open the embedding cache (${(err as Error).message})`, path);
      renameSync(path, `${path}.corrupt-${Date.now()}`);
      return new EmbeddingCache(path, EmbeddingCache.#connect(path, busy));
    }
  }

  static #connect(path: string, busyTimeoutMs: number): Database.Database {
    const db = new Database(path, { timeout: busyTimeoutMs });
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(SCHEMA);
      return db;
    } catch (err) {
      db.close();
      throw err;
    }
  }

  #open(): Database.Database {
    if (!this.#db) throw new DisposedError('the embedding cache was used after dispose()', this.path);
    return this.#db;
  }

  get disposed(): boolean {
    return this.#db === null;
  }

  get stats(): Readonly<EmbeddingCacheStats> {
    return { ...this.#stats };
  }

  /** The cached vectors of `texts` under `embedderId`, null where absent or of other dimensions. */
  get(embedderId: string, texts: readonly string[], dimensions: number): (Float32Array | null)[] {
    const db = this.#open();
    return db.transaction(() =>
      texts.map((text) => {
        const row = this.#get.get(embeddingKey(embedderId, text));
        if (!row || row.dimensions !== dimensions || row.vector.byteLength !== dimensions * 4) {
          this.#stats.misses++;
          return null;
        }
        this.#stats.hits++;
        // Copy out of the row's buffer, which may not be 4-byte aligned.
        return new Float32Array(row.vector.buffer.slice(row.vector.byteOffset, row.vector.byteOffset + row.vector.byteLength));
      }),
    )();
  }

  /** Stores vectors for `texts` under `embedderId`, in one transaction. */
  put(embedderId: string, texts: readonly string[], vectors: readonly Float32Array[]): void {
    const db = this.#open();
    if (texts.length !== vectors.length) throw new InvalidInputError(`${texts.length} texts but ${vectors.length} vectors`, this.path);
    db.transaction(() => {
      texts.forEach((text, i) => {
        const v = vectors[i];
        this.#put.run(embeddingKey(embedderId, text), v.length, Buffer.from(v.buffer, v.byteOffset, v.byteLength));
      });
    })();
    this.#stats.writes += texts.length;
  }

  /** Number of vectors stored (all embedders). */
  size(): number {
    return (this.#open().prepare('SELECT COUNT(*) AS n FROM embeddings').get() as { n: number }).n;
  }

  /** Closes the database; safe to call twice. */
  async dispose(): Promise<void> {
    const db = this.#db;
    this.#db = null;
    db?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
