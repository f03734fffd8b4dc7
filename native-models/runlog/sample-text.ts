// Text fields of evaluation-harness sample logs (lm-eval, OpenAI evals), which log prompts and
// generations as strings, nested lists or chat message lists.

/** A value as text: strings as they are, anything else as JSON ('' for null or missing). */
export function asText(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);
}

/** The first string inside a (possibly nested) response list. */
export function firstString(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    for (const x of v) {
      const s = firstString(x);
      if (s !== null) return s;
    }
  }
  return null;
}

/** The last user message of a chat message list, or null when `messages` is not one. */
function lastUserMessage(messages: unknown): string | null {
  if (!Array.isArray(messages)) return null;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as { role?: unknown; content?: unknown } | null;
    if (m?.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    // OpenAI content parts: the text parts, in order.
    if (Array.isArray(m.content)) return m.content.map((p: { text?: unknown } | null) => (typeof p?.text === 'string' ? p.text : '')).join('');
  }
  return null;
}

/**
 * The readable text of a prompt: a chat message list (as a value, or JSON-encoded in a string)
 * becomes its last user message; any other prompt is its text.
 */
export function chatPromptText(prompt: unknown): string {
  if (typeof prompt === 'string' && prompt.startsWith('[{')) {
    try {
      return lastUserMessage(JSON.parse(prompt)) ?? prompt;
    } catch {
      return prompt;
    }
  }
  return lastUserMessage(prompt) ?? asText(prompt);
}
