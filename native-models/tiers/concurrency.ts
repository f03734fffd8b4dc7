import type { AbortSignalLike } from '../../core/tier.js';
import { DisposedError } from '../../core/errors.js';

/** A counting semaphore: at most `limit` holders at once, waiters served first come, first served. */
export class Semaphore {
  readonly #waiters: (() => void)[] = [];
  #free: number;

  constructor(limit: number) {
    this.#free = limit;
  }

  /** Resolves with a release function once a slot is free; rejects with the signal's reason if aborted while waiting. */
  acquire(signal?: AbortSignalLike): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next) next();
      else this.#free++;
    };
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(release);
      };
      const onAbort = () => {
        const i = this.#waiters.indexOf(grant);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(signal!.reason);
      };
      this.#waiters.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/**
 * Tracks running work of a resource owner so that dispose() can refuse new work and wait
 * for the running work to settle (the role of node-llama-cpp's DisposeGuard).
 */
export class WorkGuard {
  readonly #running = new Set<Promise<unknown>>();
  readonly #listeners: (() => void)[] = [];
  #disposing: Promise<void> | undefined;

  constructor(private readonly what: string) {}

  get disposed(): boolean {
    return this.#disposing !== undefined;
  }

  /** Runs `work` unless disposed (then throws DisposedError naming the owner). */
  run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#disposing) return Promise.reject(new DisposedError('used after dispose()', this.what));
    const p = work();
    this.#running.add(p);
    const forget = () => this.#running.delete(p);
    p.then(forget, forget);
    return p;
  }

  /** Throws DisposedError if disposed; for synchronous uses. */
  check(): void {
    if (this.#disposing) throw new DisposedError('used after dispose()', this.what);
  }

  /** Registers a listener called once, after the owner's resources are released. */
  onDispose(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** Refuses new work, waits for running work, then calls `release` once; later calls return the same promise. */
  dispose(release: () => Promise<void> | void): Promise<void> {
    this.#disposing ??= (async () => {
      await Promise.allSettled([...this.#running]);
      await release();
      for (const l of this.#listeners.splice(0)) l();
    })();
    return this.#disposing;
  }
}

/** A promise that resolves after `ms`, or rejects with the signal's reason when aborted first. */
export function delay(ms: number, signal?: AbortSignalLike): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
