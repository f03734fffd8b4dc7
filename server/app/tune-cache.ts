import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import type { TuneOutcome, TuneWorkerInput } from './tune-worker.js';

/** Bumped whenever what an entry holds changes shape. */
const FORMAT = 2;

/**
 * Code whose change can change a tune's outcome, relative to this module in the source tree (and
 * in tsc's output, which keeps the tree): the engine, the run-log readers (they turn the hashed
 * bytes into the log), the worker and this cache; the installed packages enter through
 * package-lock.json. In the bundle `npm start` runs (dist/node, see bin/build-node.mjs), every
 * file the bundle's bundle.json lists counts instead.
 */
const CODE = ['../../core', '../../native-models/runlog', '../../native-models/tokenizer', './tune-worker', './tune-off-thread', './tune-cache'];

/** One stored tune: the outcome, with the figures of the run that made it. */
export interface CachedTune extends TuneOutcome {
  /** How long the tune took when it ran. */
  durationMs: number;
}

function codeFiles(base: string): string[] {
  const manifest = fileURLToPath(new URL('./bundle.json', base));
  if (existsSync(manifest)) {
    const { outputs } = JSON.parse(readFileSync(manifest, 'utf8')) as { outputs: string[] };
    return outputs.filter((f) => f.endsWith('.js')).map((f) => join(dirname(manifest), f));
  }
  const out: string[] = [];
  const visit = (path: string) => {
    if (!existsSync(path)) return;
    if (statSync(path).isDirectory()) {
      for (const e of readdirSync(path).sort()) visit(join(path, e));
    } else if (/\.(ts|js)$/.test(path) && !path.endsWith('.d.ts')) out.push(path);
  };
  for (const rel of CODE) {
    const path = fileURLToPath(new URL(rel, base));
    if (existsSync(path)) visit(path);
    else for (const ext of ['.ts', '.js']) visit(path + ext);
  }
  return out;
}

/** The nearest package-lock.json above this module (the installed packages' versions), if any. */
function lockFile(): string | null {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package-lock.json'))) return join(dir, 'package-lock.json');
    if (dirname(dir) === dir) return null;
  }
}

function computeFingerprint(): string {
  const hash = createHash('sha256');
  for (const file of codeFiles(import.meta.url)) hash.update(`${file.slice(file.lastIndexOf('/') + 1)}\0`).update(readFileSync(file)).update('\0');
  const lock = lockFile();
  if (lock) hash.update(readFileSync(lock));
  hash.update(`\0node-v8 ${process.versions.v8}`);
  return hash.digest('hex');
}

// Read as this module loads (a few ms), with the code it belongs to: files rewritten later (an
// edit, a rebuild) are not the code this process runs.
const FINGERPRINT = computeFingerprint();

/** A hash of the code and package versions a tune's outcome depends on, as this process loaded them. */
export function engineFingerprint(): string {
  return FINGERPRINT;
}

export interface TuneCacheOptions {
  /** The folder that holds the entries (created on first write). */
  dir: string;
  /** Entries kept; the least recently used go first. Defaults to `12`. */
  maxEntries?: number;
}

/**
 * Finished tunes on disk, so that launching on a run log already tuned with the same settings
 * reads the engine's result back instead of recomputing it (seconds on the shared data). An
 * entry's key hashes the run log's source bytes and how they were read, the tune options and
 * the engine's code: any change to one of them is a miss, never a stale hit. A damaged or
 * unreadable entry is a miss too; a failed write only loses the entry.
 */
export class TuneCache {
  readonly #dir: string;
  readonly #maxEntries: number;

  constructor(options: TuneCacheOptions) {
    this.#dir = options.dir;
    this.#maxEntries = options.maxEntries ?? 12;
  }

  /** The key of a tune of the run log named by `data` (its source hashes and how it was read) with these options. */
  key(data: unknown, options: TuneWorkerInput['options']): string {
    return createHash('sha256').update(JSON.stringify({ format: FORMAT, engine: engineFingerprint(), data, options })).digest('hex');
  }

  #path(key: string): string {
    return join(this.#dir, `${key}.tune`);
  }

  async get(key: string): Promise<CachedTune | null> {
    const path = this.#path(key);
    try {
      const entry = deserialize(await readFile(path)) as { format?: number; key?: string; value?: CachedTune };
      if (entry.format !== FORMAT || entry.key !== key || !entry.value?.config || !entry.value.report) return null;
      const now = new Date();
      await utimes(path, now, now).catch(() => undefined);
      return entry.value;
    } catch {
      return null;
    }
  }

  async put(key: string, value: CachedTune): Promise<void> {
    try {
      await mkdir(this.#dir, { recursive: true });
      const path = this.#path(key);
      const part = `${path}.${process.pid}.part`;
      await writeFile(part, serialize({ format: FORMAT, key, value }));
      await rename(part, path);
      await this.#prune();
    } catch {
      // A cache that cannot be written only costs the next launch a tune.
    }
  }

  /** Keeps the newest entries, and drops what a write cut short (a process stopped mid-write) left behind. */
  async #prune(): Promise<void> {
    const names = await readdir(this.#dir);
    const entries = await Promise.all(names.map(async (n) => ({ name: n, path: join(this.#dir, n), mtime: (await stat(join(this.#dir, n))).mtimeMs })));
    const tunes = entries.filter((e) => e.name.endsWith('.tune')).sort((a, b) => b.mtime - a.mtime);
    const abandoned = entries.filter((e) => e.name.endsWith('.part') && e.mtime < Date.now() - 10 * 60_000);
    await Promise.all([...tunes.slice(this.#maxEntries), ...abandoned].map((e) => rm(e.path, { force: true })));
  }
}
