import type { AbortSignalLike } from '../tier.js';
import type { QeInput } from './features.js';
import { LearnedQe, type QeModel } from './model.js';

/**
 * One interface for every quality estimator: the built-in learned QE, an LLM judge through a
 * tier, a remote classifier. Each returns, per answer, the probability that it is right, so the
 * cascade's thresholds read the same whichever back end is plugged in.
 */
export interface QeBackend {
  /** For logs and reports. */
  readonly name: string;
  /** Probability in [0, 1] that each answer is right, in input order. */
  score(inputs: readonly QeInput[], options?: { signal?: AbortSignalLike }): Promise<number[]>;
  /** Releases what the back end holds; safe to call twice. */
  dispose(): Promise<void>;
}

/** The built-in learned QE as a back end: synchronous underneath, milliseconds per answer. */
export class LearnedQeBackend implements QeBackend {
  readonly name = 'learned';
  readonly #qe: LearnedQe;

  constructor(model: QeModel) {
    this.#qe = new LearnedQe(model);
  }

  async score(inputs: readonly QeInput[]): Promise<number[]> {
    return inputs.map((x) => this.#qe.score(x));
  }

  async dispose(): Promise<void> {}
}
