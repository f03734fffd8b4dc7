import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { countTokens, fillTokenCounts } from '../../../native-models/tokenizer.js';
import { loadRunLog } from '../../../native-models/runlog/load.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const sharedDir = join(repoRoot, '..', 'shared', 'data', 'zeroeval-gsm8k-crux');

describe('o200k_base token counts', () => {
  it('counts like the tokenizer that made the shared data', async () => {
    const log = await loadRunLog(sharedDir, { countTokens: false });
    const sample = log.responses.filter((_, i) => i % 997 === 0);
    const stripped = { ...log, queries: log.queries.slice(0, 50).map(({ promptTokens: _p, ...q }) => q), responses: sample.map(({ outputTokens: _o, ...r }) => r) };
    const filled = await fillTokenCounts(stripped);
    expect(filled.tokensApproximate).toBe(true);
    expect(filled.responses.map((r) => r.outputTokens)).toEqual(sample.map((r) => r.outputTokens));
    expect(filled.queries.map((q) => q.promptTokens)).toEqual(log.queries.slice(0, 50).map((q) => q.promptTokens));
  });

  it('treats special-token text as plain text and counts empty text as zero', async () => {
    expect(await countTokens('')).toBe(0);
    expect(await countTokens('<|endoftext|>')).toBeGreaterThan(1);
  });

  it('leaves a log with every count recorded untouched', async () => {
    const log = await loadRunLog(sharedDir, { countTokens: false });
    expect(await fillTokenCounts(log)).toBe(log);
  });
});
