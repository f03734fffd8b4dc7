import { APP_API_METHODS, type AppClient, type AppEventListener } from '../../core/app-api.js';

/**
 * An AppClient for a service that is still starting: each call waits for `client`, then goes to
 * it; a listener subscribed before then is attached once it arrives. A bridge can listen (and
 * the page load) while the workspace loads, and the first calls simply answer a little later.
 */
export function deferredClient(client: Promise<AppClient>): AppClient {
  const methods = Object.fromEntries(
    APP_API_METHODS.map((method) => [method, async (request: unknown) => {
      const c = await client;
      return (c[method] as (request: unknown) => Promise<unknown>).call(c, request);
    }]),
  );
  return {
    ...methods,
    subscribe(listener: AppEventListener) {
      let off: (() => void) | null = null;
      let dropped = false;
      client.then((c) => {
        if (!dropped) off = c.subscribe(listener);
      }, () => undefined);
      return () => {
        dropped = true;
        off?.();
      };
    },
  } as AppClient;
}
