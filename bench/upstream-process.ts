// The serve benchmark's upstream in a process of its own, as a real backend would be: an
// OpenAI-compatible endpoint (test/helpers/openai-upstream.ts) that answers at once with one
// short word. Its streaming work then does not delay the load generator's own timing.
//   node --import tsx bench/upstream-process.ts   (prints "listening on BASE_URL")
import { start } from '../test/helpers/openai-upstream.js';

const upstream = await start({ reply: 'ok' });
console.log(`listening on ${upstream.url.replace(/\/v1$/, '')}`);
process.on('SIGTERM', () => void upstream.close().then(() => process.exit(0)));
