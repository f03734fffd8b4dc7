import { z } from 'zod';
import { issuePath } from '../../core/runlog.js';
import type { ChatMessage, SamplingOptions } from '../../core/tier.js';
import { InputTooLongError, InvalidRequestError } from './errors.js';

export type Endpoint = 'chat' | 'completions';

/** A validated request, in the pool's own terms. */
export interface ServeRequest {
  endpoint: Endpoint;
  model: string;
  /** Chat requests: the whole conversation. */
  messages?: ChatMessage[];
  /** Completion requests: the raw prompt. */
  prompt?: string;
  stream: boolean;
  /** `stream_options.include_usage`: send a last chunk with token counts. */
  includeUsage: boolean;
  sampling: SamplingOptions;
  /** The `cascade.stream_stage1` extension field; undefined when the client did not say. */
  streamStage1: boolean | undefined;
}

const TextPart = z.object({ type: z.literal('text'), text: z.string() });
const Content = z.union([z.string(), z.array(TextPart), z.null()]);
const Message = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: Content,
});
const Stop = z.union([z.string(), z.array(z.string()).max(4)]).nullable().optional();
// Other fields OpenAI clients send (user, metadata, penalties, …) are accepted and not forwarded.
const Common = {
  model: z.string().min(1),
  stream: z.boolean().nullable().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
  max_tokens: z.number().int().positive().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  seed: z.number().int().nullable().optional(),
  stop: Stop,
  n: z.literal(1, { message: 'only n = 1 is supported' }).nullable().optional(),
  cascade: z.object({ stream_stage1: z.boolean().optional() }).strict().nullable().optional(),
};
const ChatBody = z.object({
  ...Common,
  messages: z.array(Message).min(1, { message: 'must hold at least one message' }),
  max_completion_tokens: z.number().int().positive().nullable().optional(),
});
const CompletionBody = z.object({
  ...Common,
  prompt: z.union([z.string(), z.array(z.string()).length(1, { message: 'only one prompt per request is supported' })]),
});

export interface ParseLimits {
  /** Most characters of prompt text (all messages together). */
  maxInputChars: number;
}

function contentText(content: z.infer<typeof Content>): string {
  if (content === null) return '';
  if (typeof content === 'string') return content;
  return content.map((p) => p.text).join('');
}

/**
 * Refuses, by name, what would change the kind of answer the client expects: tool calls,
 * structured output, audio, token log-probabilities. The cascade routes, judges and serves
 * text, so dropping these silently would hand back an answer the client did not ask for.
 */
function refuseUnsupported(body: Record<string, unknown>): void {
  const refuse = (param: string, what: string) => {
    throw new InvalidRequestError(`The parameter "${param}" is not supported: ${what}; the cascade routes, judges and serves text answers`, param, 'unsupported_parameter');
  };
  for (const param of ['tools', 'functions']) {
    const value = body[param];
    if (value != null && !(Array.isArray(value) && value.length === 0)) refuse(param, 'tool calling');
  }
  const format = body.response_format as { type?: unknown } | null | undefined;
  if (format != null && format.type !== 'text') refuse('response_format', 'structured output');
  if (body.audio != null) refuse('audio', 'audio output');
  if (Array.isArray(body.modalities) && body.modalities.some((m) => m !== 'text')) refuse('modalities', 'output other than text');
  if (body.prediction != null) refuse('prediction', 'predicted outputs');
  if (body.logprobs === true || (typeof body.logprobs === 'number' && body.logprobs > 0)) refuse('logprobs', 'token log-probabilities in the answer');
  if (typeof body.top_logprobs === 'number' && body.top_logprobs > 0) refuse('top_logprobs', 'token log-probabilities in the answer');
  if (body.tool_choice != null && body.tool_choice !== 'none') refuse('tool_choice', 'tool calling');
  if (body.echo === true) refuse('echo', 'echoing the prompt in the answer');
  if (typeof body.suffix === 'string' && body.suffix !== '') refuse('suffix', 'text after the insertion point');
  if (typeof body.best_of === 'number' && body.best_of > 1) refuse('best_of', 'several candidates per answer');
  if (Array.isArray(body.messages)) {
    body.messages.forEach((m: { role?: unknown; tool_calls?: unknown; function_call?: unknown }, i) => {
      if (m?.role === 'tool' || m?.role === 'function') refuse(`messages[${i}].role`, 'tool results in the conversation');
      if ((Array.isArray(m?.tool_calls) && m.tool_calls.length > 0) || m?.function_call != null) refuse(`messages[${i}].tool_calls`, 'tool calls in the conversation');
    });
  }
}

function firstIssue(error: z.ZodError): InvalidRequestError {
  const issue = error.issues[0];
  const param = issuePath(issue.path);
  return new InvalidRequestError(`Invalid request field "${param}": ${issue.message}`, param, 'invalid_value');
}

/**
 * Parses the raw body of POST /v1/chat/completions or /v1/completions. Throws an
 * InvalidRequestError (naming the field) for malformed JSON, a wrong shape or a feature the
 * cascade cannot honour, and an InputTooLongError past `limits.maxInputChars`.
 */
export function parseRequest(endpoint: Endpoint, raw: string, limits: ParseLimits): ServeRequest {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new InvalidRequestError(`The request body is not valid JSON (${(err as Error).message})`, null, 'invalid_json');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InvalidRequestError('The request body must be a JSON object', null, 'invalid_json');
  }
  refuseUnsupported(json as Record<string, unknown>);
  const parsed = (endpoint === 'chat' ? ChatBody : CompletionBody).safeParse(json);
  if (!parsed.success) throw firstIssue(parsed.error);
  const body = parsed.data;
  // An empty stop string would end every answer before its first token; OpenAI ignores it, and so does the cascade.
  const stops = (body.stop == null ? [] : typeof body.stop === 'string' ? [body.stop] : body.stop).filter((s) => s !== '');
  const stop = stops.length > 0 ? stops : undefined;
  const maxTokens = ('max_completion_tokens' in body ? body.max_completion_tokens : undefined) ?? body.max_tokens ?? undefined;
  const sampling: SamplingOptions = {
    temperature: body.temperature ?? undefined,
    topP: body.top_p ?? undefined,
    maxTokens,
    seed: body.seed ?? undefined,
    stop,
  };
  const request: ServeRequest = {
    endpoint,
    model: body.model,
    stream: body.stream === true,
    includeUsage: body.stream_options?.include_usage === true,
    sampling,
    streamStage1: body.cascade?.stream_stage1,
  };
  let chars: number;
  if ('messages' in body) {
    request.messages = body.messages.map((m) => ({ role: m.role === 'developer' ? 'system' : m.role, content: contentText(m.content) }));
    chars = request.messages.reduce((n, m) => n + m.content.length, 0);
  } else {
    request.prompt = typeof body.prompt === 'string' ? body.prompt : body.prompt[0];
    chars = request.prompt.length;
  }
  if (chars > limits.maxInputChars) {
    throw new InputTooLongError(`The input is ${chars} characters long; this endpoint accepts at most ${limits.maxInputChars}`, 400, endpoint === 'chat' ? 'messages' : 'prompt');
  }
  return request;
}
