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
