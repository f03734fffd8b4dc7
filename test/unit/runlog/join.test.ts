import { describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError } from '../../../core/errors.js';
import { joinRunLogs, renameModels, type RunLog } from '../../../core/runlog.js';

function log(source: string, model: string, prompt: (doc: number) => string, task = 'gsm8k'): RunLog {
  const docs = [0, 1, 2];
  return {
    queries: docs.map((d) => ({ qid: `gsm8k/${d}`, task, prompt: prompt(d) })),
    models: [model],
    responses: docs.map((d) => ({ qid: `gsm8k/${d}`, model, response: '5', answer: '5', correct: 1 as const })),
    prices: { [model]: { usdPerMtokIn: 1, usdPerMtokOut: 2 } },
    priceSources: { [model]: `${source}/prices.json` },
    sources: [{ path: source, sha256: 'x' }],
    tokensApproximate: false,
  };
}

describe('joining run logs of one benchmark', () => {
  it('joins queries by id when only the template of the prompt differs: the first root\'s prompt stays, the difference is reported', () => {
    const plain = log('out/a', 'org/a', (d) => `Question ${d}?\nAnswer:`);
    const templated = log('out/b', 'org/b', (d) => `<|user|>\nQuestion ${d}?\nAnswer:<|end|>\n<|assistant|>\n`);
    const joined = joinRunLogs([plain, templated]);
    expect(joined.queries.map((q) => q.prompt)).toEqual(plain.queries.map((q) => q.prompt));
    expect(joined.models).toEqual(['org/a', 'org/b']);
    expect(joined.responses).toHaveLength(6);
    expect(joined.notes).toEqual(['3 queries have a different prompt in out/b than in out/a (first: "gsm8k/0"); queries join by id and keep the prompt of out/a']);
    expect(joined.priceSources).toEqual({ 'org/a': 'out/a/prices.json', 'org/b': 'out/b/prices.json' });
  });

  it('still refuses a query id whose task differs, and a pair answered twice', () => {
    expect(() => joinRunLogs([log('out/a', 'org/a', String), log('out/b', 'org/b', String, 'arc')])).toThrow(ConflictError);
    expect(() => joinRunLogs([log('out/a', 'org/a', String), log('out/b', 'org/a', String)])).toThrow(/duplicate \(query, model\) pair \("gsm8k\/0", "org\/a"\), also in out\/a/);
  });
});

describe('renameModels', () => {
  const base = log('out/a', '/data/models/llama', String);
  it('renames responses, prices and price sources, and remembers the run-log name', () => {
    const renamed = renameModels({ ...base, notes: ['model "/data/models/llama" said so'] }, { '/data/models/llama': 'llama-local' }, 'aliases.json');
    expect(renamed.models).toEqual(['llama-local']);
    expect(new Set(renamed.responses.map((r) => r.model))).toEqual(new Set(['llama-local']));
    expect(Object.keys(renamed.prices)).toEqual(['llama-local']);
    expect(renamed.priceSources).toEqual({ 'llama-local': 'out/a/prices.json' });
    expect(renamed.originalNames).toEqual({ 'llama-local': '/data/models/llama' });
    expect(renamed.notes).toEqual(['model "llama-local" said so']);
  });

  it('refuses an alias for a model the log lacks and two models given one name, naming the file', () => {
    expect(() => renameModels(base, { '/data/models/lama': 'x' }, 'aliases.json')).toThrow(InvalidInputError);
    expect(() => renameModels(base, { '/data/models/lama': 'x' }, 'aliases.json')).toThrow(/aliases\.json: alias for unknown model "\/data\/models\/lama"/);
    const two = joinRunLogs([base, log('out/b', 'org/b', String)]);
    expect(() => renameModels(two, { '/data/models/llama': 'org/b' }, 'aliases.json')).toThrow(/aliases\.json: alias "org\/b" for model "\/data\/models\/llama" is already the name of another model/);
  });
});
