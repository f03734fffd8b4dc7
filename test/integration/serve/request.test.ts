import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputTooLongError, InvalidRequestError, ServeRequestError } from '../../../server/serve/errors.js';
import { parseRequest } from '../../../server/serve/request.js';
import { routingText } from '../../../server/serve/router.js';

const limits = { maxInputChars: 1000 };

describe('parseRequest', () => {
  it('never throws anything but a ServeRequestError, whatever the body', () => {
    const anyBody = fc.oneof(
      fc.string(),
      fc.json(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      // Near-valid bodies: the right keys with values of any type, so the schema is probed field by field.
      fc.record({ model: fc.jsonValue(), messages: fc.jsonValue(), stream: fc.jsonValue(), max_tokens: fc.jsonValue(), prompt: fc.jsonValue(), cascade: fc.jsonValue() }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(fc.constantFrom('chat' as const, 'completions' as const), anyBody, (endpoint, raw) => {
        try {
          const r = parseRequest(endpoint, raw, limits);
          expect(typeof r.model).toBe('string');
          expect(endpoint === 'chat' ? Array.isArray(r.messages) : typeof r.prompt === 'string').toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(ServeRequestError);
          const body = (err as ServeRequestError).toBody();
          expect(body.error.message.length).toBeGreaterThan(0);
          expect([400, 413]).toContain((err as ServeRequestError).status);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps every message of a valid chat request, in order, with its text', () => {
    const message = fc.record({ role: fc.constantFrom('system', 'user', 'assistant'), content: fc.string({ maxLength: 40 }) });
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 8 }), fc.boolean(), fc.option(fc.integer({ min: 1, max: 4096 }), { nil: undefined }), (messages, stream, maxTokens) => {
        const r = parseRequest('chat', JSON.stringify({ model: 'cascade', messages, stream, max_tokens: maxTokens }), limits);
        expect(r.messages).toEqual(messages);
        expect(r.stream).toBe(stream);
        expect(r.sampling.maxTokens).toBe(maxTokens);
      }),
    );
  });

  it('names the field at fault', () => {
    const fail = (endpoint: 'chat' | 'completions', body: unknown) => {
      try {
        parseRequest(endpoint, typeof body === 'string' ? body : JSON.stringify(body), limits);
      } catch (err) {
        return err as ServeRequestError;
      }
      throw new Error('expected a refusal');
    };
    expect(fail('chat', '{"model": "x", ').code).toBe('invalid_json');
    expect(fail('chat', { model: 'x' }).param).toBe('messages');
    expect(fail('chat', { messages: [{ role: 'user', content: 'hi' }] }).param).toBe('model');
    expect(fail('chat', { model: 'x', messages: [{ role: 'user', content: 7 }] }).param).toBe('messages[0].content');
    expect(fail('chat', { model: 'x', messages: [{ role: 'wizard', content: 'hi' }] }).param).toBe('messages[0].role');
    expect(fail('chat', { model: 'x', messages: [], stream: true }).param).toBe('messages');
    expect(fail('chat', { model: 'x', messages: [{ role: 'user', content: 'hi' }], max_tokens: -1 }).param).toBe('max_tokens');
    expect(fail('chat', { model: 'x', messages: [{ role: 'user', content: 'hi' }], n: 2 }).param).toBe('n');
    expect(fail('completions', { model: 'x', prompt: ['a', 'b'] }).param).toBe('prompt');
    expect(fail('chat', [1, 2])).toBeInstanceOf(InvalidRequestError);
    const long = fail('chat', { model: 'x', messages: [{ role: 'user', content: 'y'.repeat(1001) }] });
    expect(long).toBeInstanceOf(InputTooLongError);
    expect(long.code).toBe('context_length_exceeded');
  });

  it('refuses by name what would change the kind of answer (tools, structured output, audio, log-probabilities), and accepts their empty or text forms', () => {
    const chat = (extra: object) => JSON.stringify({ model: 'x', messages: [{ role: 'user', content: 'hi' }], ...extra });
    const refusal = (endpoint: 'chat' | 'completions', raw: string) => {
      try {
        parseRequest(endpoint, raw, limits);
      } catch (err) {
        return err as ServeRequestError;
      }
      throw new Error('expected a refusal');
    };
    const refused: [object, string][] = [
      [{ tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] }, 'tools'],
      [{ functions: [{ name: 'f' }] }, 'functions'],
      [{ response_format: { type: 'json_object' } }, 'response_format'],
      [{ response_format: { type: 'json_schema', json_schema: { name: 's', schema: {} } } }, 'response_format'],
      [{ audio: { voice: 'alloy', format: 'wav' } }, 'audio'],
      [{ modalities: ['text', 'audio'] }, 'modalities'],
      [{ prediction: { type: 'content', content: 'x' } }, 'prediction'],
      [{ logprobs: true, top_logprobs: 2 }, 'logprobs'],
    ];
    for (const [extra, param] of refused) {
      const err = refusal('chat', chat(extra));
      expect(err).toBeInstanceOf(InvalidRequestError);
      expect(err.status).toBe(400);
      expect(err.param).toBe(param);
      expect(err.code).toBe('unsupported_parameter');
      expect(err.message).toContain(`"${param}"`);
    }
    expect(refusal('completions', JSON.stringify({ model: 'x', prompt: 'p', logprobs: 3 })).param).toBe('logprobs');
    for (const extra of [{ tools: [] }, { tools: null, tool_choice: 'none' }, { response_format: { type: 'text' } }, { modalities: ['text'] }, { logprobs: false }, { user: 'u', presence_penalty: 0.5, metadata: { a: 'b' } }]) {
      expect(parseRequest('chat', chat(extra), limits).messages).toEqual([{ role: 'user', content: 'hi' }]);
    }
    expect(parseRequest('completions', JSON.stringify({ model: 'x', prompt: 'p', logprobs: 0 }), limits).prompt).toBe('p');
  });

  it('reads text parts, developer messages and the cascade extension', () => {
    const r = parseRequest('chat', JSON.stringify({
      model: 'cascade',
      messages: [{ role: 'developer', content: 'be brief' }, { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }],
      stop: 'END',
      cascade: { stream_stage1: true },
    }), limits);
    expect(r.messages).toEqual([{ role: 'system', content: 'be brief' }, { role: 'user', content: 'ab' }]);
    expect(r.sampling.stop).toEqual(['END']);
    expect(r.streamStage1).toBe(true);
  });
});

describe('routingText', () => {
  it('routes on the last user turn, with the system prompt and earlier user turns as context, never assistant turns', () => {
    const r = parseRequest('chat', JSON.stringify({
      model: 'cascade',
      messages: [
        { role: 'system', content: 'S' },
        { role: 'user', content: 'U1' },
        { role: 'assistant', content: 'A1' },
        { role: 'user', content: 'U2' },
        { role: 'assistant', content: 'A2' },
      ],
    }), limits);
    expect(routingText(r)).toEqual({ last: 'U2', context: 'S\nU1' });
    expect(routingText(parseRequest('completions', JSON.stringify({ model: 'm', prompt: 'P' }), limits))).toEqual({ last: 'P', context: '' });
  });
});

describe('parseRequest: what would otherwise be dropped without a word', () => {
  const chat = (extra: object, messages: object[] = [{ role: 'user', content: 'hi' }]) => () => parseRequest('chat', JSON.stringify({ model: 'cascade', messages, ...extra }), limits);
  const completion = (extra: object) => () => parseRequest('completions', JSON.stringify({ model: 'cascade', prompt: 'hi', ...extra }), limits);
  const refusal = (param: string) => expect.objectContaining({ status: 400, code: 'unsupported_parameter', param });

  it('refuses echo, suffix, best_of > 1, top_logprobs, tool_choice, tool results and assistant tool calls, naming each', () => {
    expect(completion({ echo: true })).toThrow(refusal('echo'));
    expect(completion({ suffix: ' the end' })).toThrow(refusal('suffix'));
    expect(completion({ best_of: 3 })).toThrow(refusal('best_of'));
    expect(chat({ top_logprobs: 2 })).toThrow(refusal('top_logprobs'));
    expect(chat({ tool_choice: 'auto' })).toThrow(refusal('tool_choice'));
    expect(chat({}, [{ role: 'user', content: 'hi' }, { role: 'tool', content: '42', tool_call_id: 'x' }])).toThrow(refusal('messages[1].role'));
    expect(chat({}, [{ role: 'user', content: 'hi' }, { role: 'assistant', content: null, tool_calls: [{ id: 'x', type: 'function', function: { name: 'f', arguments: '{}' } }] }])).toThrow(refusal('messages[1].tool_calls'));
    // Their harmless forms pass.
    expect(completion({ echo: false, suffix: '', best_of: 1 })()).toMatchObject({ prompt: 'hi' });
    expect(chat({ tool_choice: 'none', top_logprobs: 0 })()).toMatchObject({ model: 'cascade' });
  });

  it('ignores an empty stop string instead of ending every answer at once', () => {
    expect(chat({ stop: '' })().sampling.stop).toBeUndefined();
    expect(chat({ stop: ['', 'END'] })().sampling.stop).toEqual(['END']);
  });
});
