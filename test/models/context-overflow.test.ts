import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../core/errors.js';
import { LocalTierSpecSchema } from '../../core/pool.js';
import { ContextLengthExceededError } from '../../native-models/tiers/errors.js';
import { LocalTier } from '../../native-models/tiers/local-tier.js';

// A prompt whose tokens plus the output asked for exceed a local tier's context, on the real
// stories260K model with a small context: refused by default with a typed error naming the tier
// and the figures (as OpenAI and vLLM refuse it), or clipped to what fits when the tier is told to.
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const stories = join(repoRoot, '..', 'shared', 'models', 'stories260K.gguf');
const spec = (name: string, maxTokens: number, contextOverflow?: 'clip') => LocalTierSpecSchema.parse({ kind: 'local', name, model: stories, contextSize: 64, threads: 1, sampling: { maxTokens }, contextOverflow });
// No end-of-text in the first 100+ tokens of this story, so a call runs up to its token limit.
const PROMPT = 'Once upon a time';

let strict: LocalTier;
let clipping: LocalTier;
let promptTokens: number;
let room: number;

beforeAll(async () => {
  strict = await LocalTier.create(spec('small-context', 1000));
  // As a pool file sets it.
  clipping = await LocalTier.create(spec('clipping', 16, 'clip'));
  promptTokens = (await strict.generate({ prompt: PROMPT, maxTokens: 1 })).inputTokens;
  room = strict.contextSize - promptTokens;
});
afterAll(async () => {
  await Promise.all([strict.dispose(), clipping.dispose()]);
});

describe('a local tier given more than its context holds', () => {
  it('has the small context it was given', () => {
    // llama.cpp rounds a context up to a multiple of 256.
    expect(strict.contextSize).toBe(256);
    expect(room).toBeGreaterThan(8);
  });

  it('refuses maxTokens past the context with a ContextLengthExceededError naming the tier, the prompt tokens, maxTokens and the context size', async () => {
    const err = await strict.generate({ prompt: PROMPT, maxTokens: room + 1 }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ContextLengthExceededError);
    expect(err).toBeInstanceOf(InvalidInputError);
    const e = err as ContextLengthExceededError;
    expect({ tier: e.tier, promptTokens: e.promptTokens, maxTokens: e.maxTokens, contextSize: e.contextSize, code: e.code, where: e.where }).toEqual({
      tier: 'small-context', promptTokens, maxTokens: room + 1, contextSize: strict.contextSize, code: 'context_length_exceeded', where: 'tier "small-context"',
    });
    expect(e.message).toBe(
      `tier "small-context": the prompt's ${promptTokens} tokens plus maxTokens ${room + 1} come to ${strict.contextSize + 1}, more than this tier's context of ${strict.contextSize} tokens; ` +
        `shorten the prompt, ask for at most ${room} tokens, or give the tier a larger contextSize`,
    );
  });

  it('generates exactly up to the context when maxTokens just fits', async () => {
    const r = await strict.generate({ prompt: PROMPT, maxTokens: room });
    expect(r.outputTokens).toBe(room);
    expect(r.inputTokens + r.outputTokens).toBe(strict.contextSize);
    expect(r.stopReason).toBe('length');
  });

  it('clips the tier’s own default maxTokens to what fits: a default is a cap, not a request', async () => {
    const r = await strict.generate({ prompt: PROMPT });
    expect(r.outputTokens).toBe(room);
    expect(r.stopReason).toBe('length');
  });

  it('refuses a prompt that leaves no room for one output token, whatever maxTokens, also when clipping', async () => {
    let long = PROMPT;
    while (strict.countTokens(long) < strict.contextSize) long += ' there was a little girl';
    for (const [tier, maxTokens] of [[strict, undefined], [strict, 4], [clipping, 4]] as const) {
      const err = await tier.generate({ prompt: long, ...(maxTokens !== undefined && { maxTokens }) }).catch((x: unknown) => x);
      expect(err).toBeInstanceOf(ContextLengthExceededError);
      const e = err as ContextLengthExceededError;
      expect(e.maxTokens).toBeNull();
      expect(e.promptTokens).toBeGreaterThanOrEqual(tier.contextSize);
      expect(e.message).toMatch(new RegExp(`^tier "${tier.name}": the prompt is ${e.promptTokens} tokens, which leaves no room for output in this tier's context of ${tier.contextSize} tokens`));
    }
  });

  it('counts chat messages through the template the same way', async () => {
    const messages = [{ role: 'user' as const, content: 'Tell me a story about a cat.' }];
    const fits = await strict.generate({ messages, maxTokens: 1 });
    const err = await strict.generate({ messages, maxTokens: strict.contextSize - fits.inputTokens + 1 }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ContextLengthExceededError);
    expect((err as ContextLengthExceededError).promptTokens).toBe(fits.inputTokens);
  });

  it('with contextOverflow "clip", generates as many tokens as fit instead', async () => {
    const r = await clipping.generate({ prompt: PROMPT, maxTokens: room + 50 });
    expect(r.inputTokens).toBe(promptTokens);
    expect(r.outputTokens).toBe(clipping.contextSize - promptTokens);
    expect(r.stopReason).toBe('length');
  });
});
