import { InvalidInputError } from '../../core/errors.js';
import { calibrate, type Calibrator } from '../../core/qe/calibration.js';
import type { QeBackend } from '../../core/qe/backend.js';
import type { QeInput } from '../../core/qe/features.js';
import type { AbortSignalLike, Tier } from '../../core/tier.js';

export interface LlmJudgeOptions {
  /** The judge prompt; `{query}` and `{answer}` are replaced. Defaults to `DEFAULT_JUDGE_PROMPT`. */
  prompt?: string;
  /** Maps the judge's raw yes-probability to a calibrated one (fit it with fitCalibrator on labelled answers). Defaults to none. */
  calibrator?: Calibrator;
  /** Characters of the answer shown to the judge at most (long reasoning is cut from the front). Defaults to `4000`. */
  maxAnswerChars?: number;
}

export const DEFAULT_JUDGE_PROMPT =
  'You check answers.\nQuestion:\n{query}\n\nProposed answer:\n{answer}\n\nIs the proposed answer correct? Reply with one word, yes or no.\nReply:';

/**
 * The probability of "yes" from the judge's first output token: the token's own probability when it
 * is "yes", its complement when it is "no" (the two share almost all the mass), and 0.5 when the
 * judge wrote neither (it said nothing either way).
 */
export function yesProbability(text: string, logprob: number | undefined): number {
  const word = text.trim().toLowerCase();
  if (logprob === undefined || !Number.isFinite(logprob)) return word.startsWith('yes') ? 1 : word.startsWith('no') ? 0 : 0.5;
  const p = Math.exp(logprob);
  if (word.startsWith('yes')) return p;
  if (word.startsWith('no')) return 1 - p;
  return 0.5;
}

/**
 * An LLM judge through any tier of the pool: asks whether the answer is right and reads the
 * yes-probability from the first token's log-probability. One greedy token per answer.
 */
export class LlmJudgeQe implements QeBackend {
  readonly name: string;
  readonly #tier: Tier;
  readonly #prompt: string;
  readonly #calibrator: Calibrator | undefined;
  readonly #maxAnswerChars: number;

  constructor(tier: Tier, options: LlmJudgeOptions = {}) {
    this.#tier = tier;
    this.name = `llm-judge:${tier.name}`;
    this.#prompt = options.prompt ?? DEFAULT_JUDGE_PROMPT;
    if (!this.#prompt.includes('{answer}')) throw new InvalidInputError('the judge prompt must contain {answer}', 'llm-judge prompt');
    this.#calibrator = options.calibrator;
    this.#maxAnswerChars = options.maxAnswerChars ?? 4000;
  }

  /** The judge's prompt for one answer. */
  promptFor(input: QeInput): string {
    const answer = input.response.length > this.#maxAnswerChars ? input.response.slice(-this.#maxAnswerChars) : input.response;
    return this.#prompt.replace('{query}', input.query).replace('{answer}', answer);
  }

  async score(inputs: readonly QeInput[], options: { signal?: AbortSignalLike } = {}): Promise<number[]> {
    const out: number[] = [];
    for (const input of inputs) {
      let first: { text: string; logprob?: number } | undefined;
      const result = await this.#tier.generate(
        { prompt: this.promptFor(input), maxTokens: 1, temperature: 0, logprobs: true },
        { ...(options.signal && { signal: options.signal }), onToken: (e) => (first ??= e) },
      );
      const p = yesProbability(first?.text ?? result.text, first?.logprob ?? result.logprobs?.mean);
      out.push(this.#calibrator ? calibrate(this.#calibrator, p) : p);
    }
    return out;
  }

  /** The tier belongs to the pool, which disposes it. */
  async dispose(): Promise<void> {}
}
