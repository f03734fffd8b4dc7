import type { z } from 'zod';
import { APP_API_CONTRACT, isAppMethod, toErrorPayload, type AppApi, type Reply } from '../../core/app-api.js';
import { InvalidInputError } from '../../core/errors.js';
import { parseOrThrow } from '../../core/runlog.js';

/**
 * Calls one AppApi method for a bridge (IPC or HTTP): refuses names off the allow-list,
 * validates the payload against the method's schema, and turns any failure into a reply,
 * because Electron's IPC keeps only an error's message and HTTP has no exceptions at all.
 */
export async function dispatchAppCall(api: AppApi, method: string, payload: unknown): Promise<Reply> {
  try {
    if (!isAppMethod(method)) throw new InvalidInputError(`unknown method "${method}"`, 'AppApi');
    const schema: z.ZodType<unknown> = APP_API_CONTRACT[method].request;
    const request = parseOrThrow(schema, payload, `${method} request`);
    const call = api[method] as (request: unknown) => Promise<unknown>;
    const value = await call.call(api, request);
    return { ok: true, value };
  } catch (err) {
    return { ok: false, error: toErrorPayload(err) };
  }
}
