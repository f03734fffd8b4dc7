import type { RoutingText } from '../../core/cascade/router.js';
import type { ServeRequest } from './request.js';

/** Keeps the text routing reads short, so a long chat cannot make routing slow. */
const MAX_CONTEXT_CHARS = 4000;

/** Extracts the routing text of a request: the last user turn plus the system prompt and earlier user turns. */
export function routingText(request: ServeRequest): RoutingText {
  if (request.prompt !== undefined) return { last: request.prompt, context: '' };
  const messages = request.messages ?? [];
  let lastUser = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].role === 'user') {
      lastUser = i;
      break;
    }
  }
  // A conversation with no user turn (system only, say) routes on its final message.
  const lastIndex = lastUser >= 0 ? lastUser : messages.length - 1;
  const parts: string[] = [];
  for (let i = 0; i < messages.length; i++) {
    if (i === lastIndex) continue;
    const m = messages[i];
    if (m.role === 'system' || m.role === 'user') parts.push(m.content);
  }
  const context = parts.join('\n');
  return {
    last: messages[lastIndex]?.content ?? '',
    // The most recent context matters most, so a long history is cut from the front.
    context: context.length > MAX_CONTEXT_CHARS ? context.slice(context.length - MAX_CONTEXT_CHARS) : context,
  };
}
