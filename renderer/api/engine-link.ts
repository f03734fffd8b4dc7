/** Whether the renderer reaches the engine; `message` says what failed (and what to do) when it does not. */
export type LinkState = { connected: true } | { connected: false; message: string };

/**
 * The renderer's view of its connection to the engine (browser mode: the HTTP bridge and its
 * event socket). The client reports every success and failure here; the UI shows a banner while
 * it is down and calls `reconnect()` from it.
 */
export class EngineLink {
  #state: LinkState = { connected: true };
  readonly #listeners = new Set<(state: LinkState) => void>();
  readonly #reconnectors = new Set<() => void>();

  get state(): LinkState {
    return this.#state;
  }

  up(): void {
    if (!this.#state.connected) this.#set({ connected: true });
  }

  down(message: string): void {
    if (this.#state.connected || this.#state.message !== message) this.#set({ connected: false, message });
  }

  subscribe(listener: (state: LinkState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Registers what a reconnect does on the transport's side (reopen the event socket now). */
  onReconnect(action: () => void): () => void {
    this.#reconnectors.add(action);
    return () => this.#reconnectors.delete(action);
  }

  reconnect(): void {
    for (const r of [...this.#reconnectors]) r();
  }

  #set(state: LinkState): void {
    this.#state = state;
    for (const l of [...this.#listeners]) l(state);
  }
}
