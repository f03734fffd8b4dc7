import type { RunLog } from '../core/runlog.js';

/** Counts tokens of text with one fixed vocabulary. */
export interface TokenCounter {
  /** The vocabulary's name, for reports. */
  readonly encoding: string;
  count(text: string): number;
}

let o200k: Promise<TokenCounter> | null = null;

/**
 * The o200k_base counter (GPT-4o's vocabulary, the one the shared data's counts use), loaded on
 * first use: its rank table is a few MB and takes ~1 s to parse, so nothing pays for it until needed.
 * Special-token strings such as `<|endoftext|>` count as ordinary text.
 */
export function o200kCounter(): Promise<TokenCounter> {
  o200k ??= (async () => {
    const [{ Tiktoken }, { default: ranks }] = await Promise.all([import('js-tiktoken/lite'), import('js-tiktoken/ranks/o200k_base')]);
    const enc = new Tiktoken(ranks);
    return { encoding: 'o200k_base', count: (text: string) => (text === '' ? 0 : enc.encode(text, [], []).length) };
  })();
  return o200k;
}

/** Counts the o200k_base tokens of `text`. */
export async function countTokens(text: string): Promise<number> {
  return (await o200kCounter()).count(text);
}

/**
 * Fills the prompt and output token counts a run log lacks with o200k_base counts of the prompt and
 * response text, and sets `tokensApproximate` when it filled any, so reports can say the counts (and
 * any cost computed from them) are estimates. Returns the log itself when nothing was missing.
 */
export async function fillTokenCounts(log: RunLog, counter?: TokenCounter): Promise<RunLog> {
  const missing = log.queries.some((q) => q.promptTokens === undefined) || log.responses.some((r) => r.outputTokens === undefined);
  if (!missing) return log;
  const c = counter ?? (await o200kCounter());
  const queries = log.queries.map((q) => (q.promptTokens === undefined ? { ...q, promptTokens: c.count(q.prompt) } : q));
  const responses = log.responses.map((r) => (r.outputTokens === undefined ? { ...r, outputTokens: c.count(r.response) } : r));
  return { ...log, queries, responses, tokensApproximate: true, tokenizer: c.encoding };
}
