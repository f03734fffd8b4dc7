import type { AppEvent } from '../../core/app-api.js';

type StreamEvent = Extract<AppEvent, { streamId: string }>;

const MAX_EARLY = 10_000;

/**
 * Holds events of a stream whose handle has not come back yet: the engine may send the first
 * tokens before the start call's reply arrives, and those must not be lost.
 */
export class EarlyEvents {
  private readonly held: StreamEvent[] = [];

  hold(event: StreamEvent): void {
    if (this.held.length < MAX_EARLY) this.held.push(event);
  }

  /** The held events of `streamId`, in order; every held event is dropped. */
  take(streamId: string): StreamEvent[] {
    const mine = this.held.filter((e) => e.streamId === streamId);
    this.held.length = 0;
    return mine;
  }
}

export function isStreamEvent(event: AppEvent): event is StreamEvent {
  return 'streamId' in event;
}

interface PendingTokens {
  text: string;
  times: number[];
}

/**
 * Gathers streamed tokens and hands them over once per animation frame: a fast local tier
 * sends hundreds of tokens a second, and one store update per token would starve the page.
 */
export class TokenBatcher<K> {
  private pending = new Map<K, PendingTokens>();
  private scheduled = false;

  constructor(private readonly deliver: (batch: ReadonlyMap<K, PendingTokens>) => void) {}

  add(key: K, text: string, atMs: number): void {
    const entry = this.pending.get(key);
    if (entry) {
      entry.text += text;
      entry.times.push(atMs);
    } else this.pending.set(key, { text, times: [atMs] });
    if (!this.scheduled) {
      this.scheduled = true;
      requestAnimationFrame(() => this.flush());
    }
  }

  /** Delivers what is pending now; other events call it first so they never overtake their tokens. */
  flush(): void {
    this.scheduled = false;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.deliver(batch);
  }
}
