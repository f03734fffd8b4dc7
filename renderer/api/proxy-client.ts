import {
  APP_API_CONTRACT,
  APP_API_METHODS,
  AppApiError,
  AppEventSchema,
  ReplySchema,
  type AppClient,
  type AppEventListener,
  type AppMethod,
} from '../../core/app-api.js';
import { issuePath } from '../../core/runlog.js';

/** How a bridge moves one call and the event stream; the proxy adds validation on top. */
export interface Transport {
  /** Sends one call; resolves to the raw reply envelope. */
  call(method: AppMethod, payload: unknown): Promise<unknown>;
  /** Delivers raw events until the returned function is called. */
  listen(onEvent: (raw: unknown) => void): () => void;
}

function invalid(what: string, issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): AppApiError {
  const issue = issues[0];
  return new AppApiError({ name: 'InvalidInputError', message: `${what}: field "${issuePath(issue.path)}": ${issue.message}`, where: what });
}

/**
 * An AppClient over any transport. Every reply and event is checked against the contract
 * before the renderer sees it, so a bridge or service bug surfaces as a clear error rather
 * than as a wrong-shaped value deep inside a view.
 */
export function createProxyClient(transport: Transport): AppClient {
  const methods = {} as Record<AppMethod, (payload?: unknown) => Promise<unknown>>;
  for (const method of APP_API_METHODS) {
    methods[method] = async (payload?: unknown) => {
      const envelope = ReplySchema.safeParse(await transport.call(method, payload));
      if (!envelope.success) throw invalid(`${method} reply`, envelope.error.issues);
      const reply = envelope.data;
      if (!reply.ok) throw new AppApiError(reply.error);
      const value = APP_API_CONTRACT[method].response.safeParse(reply.value);
      if (!value.success) throw invalid(`${method} reply`, value.error.issues);
      return value.data;
    };
  }
  const listeners = new Set<AppEventListener>();
  let stop: (() => void) | undefined;
  const subscribe = (listener: AppEventListener) => {
    listeners.add(listener);
    stop ??= transport.listen((raw) => {
      const event = AppEventSchema.safeParse(raw);
      if (!event.success) {
        console.warn(invalid('event', event.error.issues).message);
        return;
      }
      for (const l of [...listeners]) l(event.data);
    });
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && stop) {
        stop();
        stop = undefined;
      }
    };
  };
  return { ...methods, subscribe } as AppClient;
}
