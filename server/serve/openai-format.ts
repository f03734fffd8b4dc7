import type { ServerResponse } from 'node:http';
import type { GenerationResult } from '../../core/tier.js';
import type { Endpoint } from './request.js';

export type FinishReason = 'stop' | 'length';

export const finishReason = (result: GenerationResult): FinishReason => (result.stopReason === 'length' ? 'length' : 'stop');

/** Tokens over every tier call the request paid for (stage 1, its partner, each escalation), not the served pass alone. */
function usage(calls: readonly GenerationResult[]) {
  let input = 0;
  let output = 0;
  for (const r of calls) {
    input += r.inputTokens;
    output += r.outputTokens;
  }
  return { prompt_tokens: input, completion_tokens: output, total_tokens: input + output };
}

/** The non-streamed OpenAI body of a finished answer; `cascade` is an extension field clients ignore. `calls`: every paid call. */
export function completionBody(endpoint: Endpoint, id: string, model: string, created: number, result: GenerationResult, calls: readonly GenerationResult[], cascade: object): object {
  const finish = finishReason(result);
  const choice =
    endpoint === 'chat'
      ? { index: 0, message: { role: 'assistant', content: result.text, refusal: null }, finish_reason: finish, logprobs: null }
      : { index: 0, text: result.text, finish_reason: finish, logprobs: null };
  return { id, object: endpoint === 'chat' ? 'chat.completion' : 'text_completion', created, model, choices: [choice], usage: usage(calls), cascade };
}

/** Writes one OpenAI-style Server-Sent-Events stream: chunks, a finishing chunk, optional usage, then `[DONE]`. */
export class SseWriter {
  private readonly prefix: string;
  private first = true;

  constructor(private readonly res: ServerResponse, private readonly endpoint: Endpoint, id: string, model: string, created: number) {
    const object = endpoint === 'chat' ? 'chat.completion.chunk' : 'text_completion';
    // Every chunk shares these fields; built once so each token costs one small stringify.
    this.prefix = `data: {"id":${JSON.stringify(id)},"object":"${object}","created":${created},"model":${JSON.stringify(model)},"choices":`;
  }

  get opened(): boolean {
    return this.res.headersSent;
  }

  open(headers: Record<string, string>): void {
    if (this.res.headersSent) return;
    this.res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  }

  piece(text: string): void {
    if (text === '') return;
    const choice =
      this.endpoint === 'chat'
        ? { index: 0, delta: this.first ? { role: 'assistant', content: text } : { content: text }, finish_reason: null, logprobs: null }
        : { index: 0, text, finish_reason: null, logprobs: null };
    this.first = false;
    this.res.write(`${this.prefix}[${JSON.stringify(choice)}]}\n\n`);
  }

  finish(result: GenerationResult, calls: readonly GenerationResult[], includeUsage: boolean, cascade: object): void {
    const finish = finishReason(result);
    const choice = this.endpoint === 'chat' ? { index: 0, delta: this.first ? { role: 'assistant' } : {}, finish_reason: finish, logprobs: null } : { index: 0, text: '', finish_reason: finish, logprobs: null };
    let out = `${this.prefix}[${JSON.stringify(choice)}],"cascade":${JSON.stringify(cascade)}}\n\n`;
    if (includeUsage) out += `${this.prefix}[],"usage":${JSON.stringify(usage(calls))}}\n\n`;
    this.res.end(`${out}data: [DONE]\n\n`);
  }
}
