import { mkdir, open, rename, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export interface DecisionLogOptions {
  /** Folder of the log; the live file is `decisions.jsonl`, rotated ones `decisions.1.jsonl` (newest) and up. */
  dir: string;
  /** Rotate once the live file passes this many bytes. Defaults to `64 MiB`. */
  maxBytes?: number;
  /** Rotated files kept. Defaults to `5`. */
  keep?: number;
  /** Records waiting for the disk at most; past this new records are dropped and counted. Defaults to `10000`. */
  maxQueued?: number;
  /** Called with the number of records dropped (queue full or a failed write). Defaults to none. */
  onDrop?: (count: number) => void;
  /** Called with the number of records written. Defaults to none. */
  onWrite?: (count: number) => void;
}

/**
 * An append-only JSONL log of routing decisions. `append` never waits for the disk: records
 * go to a capped queue that one writer drains in batches, so a slow or full disk drops
 * records (counted) instead of holding requests back, and memory stays bounded.
 */
export class DecisionLog {
  private readonly file: string;
  private readonly maxBytes: number;
  private readonly keep: number;
  private readonly maxQueued: number;
  private queue: string[] = [];
  private handle: FileHandle | undefined;
  private size = 0;
  private writing: Promise<void> | undefined;
  private closed = false;
  dropped = 0;
  written = 0;

  private constructor(private readonly options: DecisionLogOptions) {
    this.file = join(options.dir, 'decisions.jsonl');
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.keep = options.keep ?? 5;
    this.maxQueued = options.maxQueued ?? 10_000;
  }

  static async open(options: DecisionLogOptions): Promise<DecisionLog> {
    const log = new DecisionLog(options);
    await mkdir(options.dir, { recursive: true });
    await log.openFile();
    return log;
  }

  /** Queues one record; returns false (and counts a drop) when the queue is full or the log is closed. */
  append(record: object): boolean {
    if (this.closed || this.queue.length >= this.maxQueued) {
      this.drop(1);
      return false;
    }
    this.queue.push(JSON.stringify(record));
    this.writing ??= this.drain();
    return true;
  }

  /** Records waiting for the disk. */
  get queued(): number {
    return this.queue.length;
  }

  /** Writes what is queued (waiting at most `timeoutMs`), then closes the file. Safe to call twice. */
  async close(timeoutMs = 5000): Promise<void> {
    this.closed = true;
    if (this.writing) await Promise.race([this.writing, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => undefined);
  }

  private drop(count: number) {
    this.dropped += count;
    this.options.onDrop?.(count);
  }

  private async openFile() {
    this.handle = await open(this.file, 'a');
    this.size = (await stat(this.file)).size;
  }

  private async drain(): Promise<void> {
    // Yield once first, so records appended in the same burst go to disk as one batch.
    await new Promise<void>((r) => setImmediate(r));
    try {
      while (this.queue.length > 0 && this.handle) {
        const batch = this.queue;
        this.queue = [];
        const bytes = Buffer.from(batch.join('\n') + '\n');
        try {
          await this.handle.write(bytes);
          this.size += bytes.length;
          this.written += batch.length;
          this.options.onWrite?.(batch.length);
          if (this.size >= this.maxBytes) await this.rotate();
        } catch {
          // A full or failing disk loses this batch, counted; the next batch tries again.
          this.drop(batch.length);
        }
      }
    } finally {
      this.writing = undefined;
      if (this.queue.length > 0 && this.handle && !this.closed) this.writing = this.drain();
    }
  }

  private async rotate() {
    await this.handle?.close();
    this.handle = undefined;
    const name = (i: number) => join(this.options.dir, `decisions.${i}.jsonl`);
    for (let i = this.keep - 1; i >= 1; i--) await rename(name(i), name(i + 1)).catch(() => undefined);
    await rename(this.file, name(1));
    await this.openFile();
  }
}
