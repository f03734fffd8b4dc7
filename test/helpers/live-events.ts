// Runs one Live prompt over an AppClient and collects its stream's events until it ends.
import type { AppClient, AppEvent, LiveRequest } from '../../core/app-api.js';

/** The Live stream `request` starts: its id and every event of it, in order, once it has finished (done or error). */
export async function liveEvents(api: AppClient, request: LiveRequest): Promise<{ streamId: string; events: AppEvent[] }> {
  const events: AppEvent[] = [];
  let finished: () => void = () => undefined;
  const done = new Promise<void>((r) => (finished = r));
  const stop = api.subscribe((e) => {
    events.push(e);
    if (e.type === 'live.done' || e.type === 'stream.error') finished();
  });
  try {
    await new Promise((r) => setTimeout(r, 100)); // the socket opens asynchronously
    const { streamId } = await api.startLive(request);
    await done;
    return { streamId, events: events.filter((e) => 'streamId' in e && e.streamId === streamId) };
  } finally {
    stop();
  }
}
