import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuplicatePairError, InvalidInputError, MissingColumnError } from '../../../core/errors.js';
import { buildWorkload } from '../../../core/workload.js';
import { detectRunLogFormat, loadRunLog } from '../../../native-models/runlog/load.js';
import { o200kCounter } from '../../../native-models/tokenizer.js';

// Files in the shape lm-evaluation-harness 0.4.x writes with --output_path OUT --log_samples:
// OUT/<model_name_sanitized>/results_<iso date>.json and samples_<task>_<iso date>.jsonl, where
// arguments/resps/filtered_resps have gone through sanitize_list (values as strings).
const tmp = mkdtempSync(join(tmpdir(), 'cl-lmeval-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const DATE = '2024-11-02T10-11-12.123456';

const GSM = [
  { q: 'Janet has 3 apples and buys 2 more. How many?', a: '5' },
  { q: 'A box holds 4 pens. How many pens in 3 boxes?', a: '12' },
];
const ARC = [{ q: 'Which is a mammal?', choices: ['shark', 'whale', 'trout'], gold: 1 }];

function gsmSample(doc_id: number, filter: string, text: string, filtered: string, em: number) {
  const prompt = `Question: ${GSM[doc_id].q}\nAnswer:`;
  return {
    doc_id, doc: { question: GSM[doc_id].q, answer: `#### ${GSM[doc_id].a}` }, target: GSM[doc_id].a,
    arguments: { gen_args_0: { arg_0: prompt, arg_1: { until: ['Question:'], do_sample: false } } },
    resps: [[text]], filtered_resps: [filtered], filter, metrics: ['exact_match'],
    doc_hash: 'd', prompt_hash: 'p', target_hash: 't', exact_match: em,
  };
}
function arcSample(doc_id: number, lls: number[]) {
  const d = ARC[doc_id];
  const ctx = `Question: ${d.q}\nAnswer:`;
  const args = Object.fromEntries(d.choices.map((c, i) => [`gen_args_${i}`, { arg_0: ctx, arg_1: ` ${c}` }]));
  const best = lls.indexOf(Math.max(...lls));
  return {
    doc_id, doc: { question: d.q, choices: { text: d.choices } }, target: String(d.gold), arguments: args,
    resps: lls.map((ll) => [[String(ll), 'False']]), filtered_resps: lls.map((ll) => [String(ll), 'False']),
    filter: 'none', metrics: ['acc', 'acc_norm'], acc: best === d.gold ? 1.0 : 0.0, acc_norm: 1.0,
  };
}
function results(modelArgs: string, modelName?: string) {
  return {
    results: { gsm8k: { alias: 'gsm8k', 'exact_match,strict-match': 0.5, 'exact_match,flexible-extract': 1.0 }, arc_easy: { alias: 'arc_easy', 'acc,none': 1 } },
    configs: {
      gsm8k: { task: 'gsm8k', output_type: 'generate_until', metric_list: [{ metric: 'exact_match', aggregation: 'mean', higher_is_better: true }], filter_list: [{ name: 'strict-match', filter: [] }, { name: 'flexible-extract', filter: [] }] },
      arc_easy: { task: 'arc_easy', output_type: 'multiple_choice', metric_list: [{ metric: 'acc' }, { metric: 'acc_norm' }] },
    },
    versions: { gsm8k: 3, arc_easy: 1 }, 'n-shot': { gsm8k: 0, arc_easy: 0 },
    config: { model: 'hf', model_args: modelArgs, batch_size: 1 },
    ...(modelName !== undefined && { model_name: modelName, model_name_sanitized: modelName.replace('/', '__') }),
  };
}
const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

let n = 0;
function output(models: Record<string, { results?: object; samples: Record<string, object[]> }>): string {
  const root = join(tmp, `out${n++}`);
  for (const [folder, m] of Object.entries(models)) {
    const dir = join(root, folder);
    mkdirSync(dir, { recursive: true });
    if (m.results) writeFileSync(join(dir, `results_${DATE}.json`), JSON.stringify(m.results, null, 2));
    for (const [name, rows] of Object.entries(m.samples)) writeFileSync(join(dir, name), jsonl(rows));
  }
  return root;
}

function standard(): string {
  return output({
    'EleutherAI__pythia-160m': {
      results: results('pretrained=EleutherAI/pythia-160m,dtype=float32', 'EleutherAI/pythia-160m'),
      samples: {
        [`samples_gsm8k_${DATE}.jsonl`]: [
          gsmSample(0, 'strict-match', 'Janet has 5. #### 5', '5', 1), gsmSample(1, 'strict-match', 'It is 7 pens', '[invalid]', 0),
          gsmSample(0, 'flexible-extract', 'Janet has 5. #### 5', '5', 1), gsmSample(1, 'flexible-extract', 'It is 7 pens', '7', 0),
        ],
        [`samples_arc_easy_${DATE}.jsonl`]: [arcSample(0, [-4.1, -1.2, -6])],
      },
    },
    'meta-llama__Llama-3.1-8B': {
      results: results('pretrained=meta-llama/Llama-3.1-8B'),
      samples: {
        [`samples_gsm8k_${DATE}.jsonl`]: [gsmSample(0, 'strict-match', '#### 6', '6', 0), gsmSample(0, 'flexible-extract', '#### 6', '6', 0)],
        [`samples_arc_easy_2024-01-01T00-00-00.000001.jsonl`]: [arcSample(0, [-4.1, -1.2, -6])],
        [`samples_arc_easy_${DATE}.jsonl`]: [arcSample(0, [-0.5, -1.2, -6])],
      },
    },
  });
}

describe('lm-evaluation-harness --log_samples output', () => {
  it('is detected and mapped: qid <task>/<doc_id>, primary metric, primary filter, model names', async () => {
    const root = standard();
    expect(await detectRunLogFormat(root)).toBe('lm-eval');
    const log = await loadRunLog(root, { countTokens: false });
    expect(log.models).toEqual(['EleutherAI/pythia-160m', 'meta-llama/Llama-3.1-8B']);
    expect(log.queries.map((q) => q.qid).sort()).toEqual(['arc_easy/0', 'gsm8k/0', 'gsm8k/1']);
    const gsm0 = log.queries.find((q) => q.qid === 'gsm8k/0')!;
    expect(gsm0).toEqual({ qid: 'gsm8k/0', task: 'gsm8k', prompt: `Question: ${GSM[0].q}\nAnswer:`, reference: '5' });
    expect(log.queries.find((q) => q.qid === 'arc_easy/0')).toMatchObject({ task: 'arc_easy', reference: 'whale' });
    const pythia = log.responses.filter((r) => r.model === 'EleutherAI/pythia-160m');
    // strict-match (the task's first filter) is read, flexible-extract rows are skipped
    expect(pythia.find((r) => r.qid === 'gsm8k/1')).toEqual({ qid: 'gsm8k/1', model: 'EleutherAI/pythia-160m', response: '[invalid]', answer: '[invalid]', correct: 0 });
    expect(pythia.find((r) => r.qid === 'arc_easy/0')).toMatchObject({ answer: 'whale', correct: 1 });
    // the newer arc_easy file of the second model wins; it did not run gsm8k/1: not answered
    const w = buildWorkload(log);
    const cell = (qid: string, m: number) => w.correct[w.qids.indexOf(qid) * 2 + m];
    expect(cell('arc_easy/0', 1)).toBe(0);
    expect(cell('gsm8k/1', 1)).toBe(-1);
    expect(cell('gsm8k/0', 0)).toBe(1);
  });

  it('takes the raw generation, another filter or another metric on request', async () => {
    const root = standard();
    const raw = await loadRunLog(root, { countTokens: false, lmEval: { response: 'raw', filter: 'flexible-extract' } });
    expect(raw.responses.find((r) => r.qid === 'gsm8k/1')).toMatchObject({ response: 'It is 7 pens', answer: '7', correct: 0 });
    const norm = await loadRunLog(root, { countTokens: false, lmEval: { metric: { arc_easy: 'acc_norm' } } });
    expect(norm.responses.filter((r) => r.qid === 'arc_easy/0').map((r) => r.correct)).toEqual([1, 1]);
  });

  it('reads one model folder, or a path to its results file', async () => {
    const root = standard();
    const one = await loadRunLog(join(root, 'meta-llama__Llama-3.1-8B', `results_${DATE}.json`), { countTokens: false });
    expect(one.models).toEqual(['meta-llama/Llama-3.1-8B']);
  });

  it('names the model from the folder when no results file exists', async () => {
    const root = output({ 'org__model-x': { samples: { [`samples_gsm8k_${DATE}.jsonl`]: [gsmSample(0, 'strict-match', '5', '5', 1)] } } });
    expect((await loadRunLog(root, { countTokens: false })).models).toEqual(['org/model-x']);
  });

  it('rejects a doc logged twice for the same filter, naming file and line', async () => {
    const root = output({ m: { samples: { [`samples_gsm8k_${DATE}.jsonl`]: [gsmSample(0, 'strict-match', '5', '5', 1), gsmSample(1, 'strict-match', '5', '5', 1), gsmSample(0, 'strict-match', '5', '5', 1)] } } });
    const err = await loadRunLog(root).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DuplicatePairError);
    expect(String(err)).toMatch(new RegExp(`samples_gsm8k_${DATE.replace('.', '\\.')}\\.jsonl:3: field "doc_id"`));
  });

  it('rejects a sample without the metric, a non-0/1 metric and a malformed sample', async () => {
    const noMetric = output({ m: { samples: { [`samples_gsm8k_${DATE}.jsonl`]: [{ ...gsmSample(0, 'strict-match', '5', '5', 1), exact_match: undefined, metrics: undefined }] } } });
    const e1 = await loadRunLog(noMetric).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(MissingColumnError);
    expect(String(e1)).toMatch(/\.jsonl:1: field "acc" \/ "exact_match"/);
    const f1 = output({ m: { samples: { [`samples_squad_${DATE}.jsonl`]: [{ ...gsmSample(0, 'none', '5', '5', 1), metrics: ['f1'], f1: 0.67 }] } } });
    expect(String(await loadRunLog(f1).catch((e: unknown) => e))).toMatch(/\.jsonl:1: field "f1": expected a 0\/1 metric, got 0.67/);
    const bad = output({ m: { samples: { [`samples_gsm8k_${DATE}.jsonl`]: [{ ...gsmSample(0, 'strict-match', '5', '5', 1), doc_id: 'zero' }] } } });
    const e3 = await loadRunLog(bad).catch((e: unknown) => e);
    expect(e3).toBeInstanceOf(InvalidInputError);
    expect(String(e3)).toMatch(/\.jsonl:1: field "doc_id"/);
  });

  it('rejects a folder with no samples files', async () => {
    const root = join(tmp, 'empty');
    mkdirSync(root);
    await expect(loadRunLog(root)).rejects.toThrow(/unknown run-log folder/);
  });
});

describe('lm-evaluation-harness output as researchers hold it', () => {
  it('splits an older multi-filter file (no filter field, one block per filter) by block order', async () => {
    const older = (s: ReturnType<typeof gsmSample>) => ({ ...s, filter: undefined, metrics: undefined, doc_hash: undefined });
    const rows = [
      older(gsmSample(0, '', 'Janet has 5. #### 5', '5', 1)), older(gsmSample(1, '', 'It is 7 pens', '[invalid]', 0)),
      older(gsmSample(0, '', 'Janet has 5. #### 5', '5', 1)), older(gsmSample(1, '', 'It is 7 pens', '7', 0)),
    ];
    const root = output({ m: { results: results('pretrained=org/m', 'org/m'), samples: { [`samples_gsm8k_${DATE}.jsonl`]: rows } } });
    const strict = await loadRunLog(root, { countTokens: false });
    expect(strict.responses.map((r) => [r.qid, r.answer])).toEqual([['gsm8k/0', '5'], ['gsm8k/1', '[invalid]']]);
    const flexible = await loadRunLog(root, { countTokens: false, lmEval: { filter: 'flexible-extract' } });
    expect(flexible.responses.map((r) => [r.qid, r.answer])).toEqual([['gsm8k/0', '5'], ['gsm8k/1', '7']]);
    await expect(loadRunLog(root, { countTokens: false, lmEval: { filter: { gsm8k: 'get-option' } } })).rejects.toThrow(/no filter "get-option" in task "gsm8k" \(it has "strict-match", "flexible-extract"\)/);
    // One unlabelled block is the first filter's: asking for another is refused rather than mislabelled.
    const one = output({ m: { results: results('pretrained=org/m', 'org/m'), samples: { [`samples_gsm8k_${DATE}.jsonl`]: rows.slice(0, 2) } } });
    await expect(loadRunLog(one, { countTokens: false, lmEval: { filter: 'flexible-extract' } })).rejects.toThrow(/one block of unlabelled rows \(filter "strict-match"\), not filter "flexible-extract"/);
    // Without a results file naming the filters, the blocks cannot be told apart: said so, with the line.
    const bare = output({ m: { samples: { [`samples_gsm8k_${DATE}.jsonl`]: rows } } });
    await expect(loadRunLog(bare, { countTokens: false })).rejects.toThrow(/jsonl: field "doc_id": doc 0 appears again on line 3: the file has 2 blocks of unlabelled rows .* no results file names the task's filters/);
  });

  it('renders a chat-API prompt (a JSON message list) as its last user message', async () => {
    const messages = [{ role: 'system', content: 'Answer with a number.' }, { role: 'user', content: 'Question: 2+3?\nAnswer:' }];
    const chat = (arg0: unknown) => ({ ...gsmSample(0, 'strict-match', '#### 5', '5', 1), arguments: { gen_args_0: { arg_0: arg0, arg_1: { until: [] } } } });
    const parts = [{ role: 'user', content: [{ type: 'text', text: 'Question: 2+' }, { type: 'text', text: '3?' }] }];
    const root = output({
      a: { results: results('model=gpt-4o-mini', 'gpt-4o-mini'), samples: { [`samples_gsm8k_${DATE}.jsonl`]: [chat([JSON.stringify(messages)])] } },
      b: { results: results('model=other', 'other'), samples: { [`samples_arith_${DATE}.jsonl`]: [chat(JSON.stringify(parts))] } },
    });
    const log = await loadRunLog(root, { countTokens: false });
    expect(log.queries.find((q) => q.qid === 'gsm8k/0')!.prompt).toBe('Question: 2+3?\nAnswer:');
    expect(log.queries.find((q) => q.qid === 'arith/0')!.prompt).toBe('Question: 2+3?');
  });

  it('counts output tokens on the raw generation, names the tokenizer and marks them approximate', async () => {
    const reasoning = 'Janet starts with 3 apples. She buys 2 more, so she has 3 + 2 = 5 apples in total. #### 5';
    const root = output({ m: { results: results('pretrained=org/m', 'org/m'), samples: { [`samples_gsm8k_${DATE}.jsonl`]: [gsmSample(0, 'strict-match', reasoning, '5', 1)] } } });
    const log = await loadRunLog(root);
    const counter = await o200kCounter();
    expect(log.responses[0].response).toBe('5');
    expect(log.responses[0].outputTokens).toBe(counter.count(reasoning));
    expect(log.responses[0].outputTokens).toBeGreaterThan(20);
    expect(log.tokensApproximate).toBe(true);
    expect(log.tokenizer).toBe('o200k_base');
  });

  it('says a Git LFS pointer is one, naming the file', async () => {
    const root = output({ m: { samples: { [`samples_gsm8k_${DATE}.jsonl`]: [] } } });
    writeFileSync(join(root, 'm', `samples_gsm8k_${DATE}.jsonl`), 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n');
    const err = await loadRunLog(root).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(String(err)).toMatch(/samples_gsm8k_.*\.jsonl: this is a Git LFS pointer, not the file itself: fetch the content with `git lfs pull`/);
  });

  it('loads every model whose runs share one folder, each with its newest file per task', async () => {
    const LATER = '2024-11-03T08-00-00.000001';
    const root = join(tmp, `flat${n++}`);
    mkdirSync(root);
    writeFileSync(join(root, `results_${DATE}.json`), JSON.stringify(results('pretrained=org/a', 'org/a')));
    writeFileSync(join(root, `samples_gsm8k_${DATE}.jsonl`), jsonl([gsmSample(0, 'strict-match', '#### 5', '5', 1)]));
    writeFileSync(join(root, `results_${LATER}.json`), JSON.stringify(results('pretrained=org/b', 'org/b')));
    writeFileSync(join(root, `samples_gsm8k_${LATER}.jsonl`), jsonl([gsmSample(0, 'strict-match', '#### 6', '6', 0)]));
    const log = await loadRunLog(root, { countTokens: false });
    expect(log.models).toEqual(['org/a', 'org/b']);
    expect(log.responses.map((r) => [r.model, r.answer])).toEqual([['org/a', '5'], ['org/b', '6']]);
    // A samples file of no known run cannot be given to either model: refused by name.
    writeFileSync(join(root, 'samples_arc_easy_2024-12-01T00-00-00.000001.jsonl'), jsonl([arcSample(0, [-1, -2, -3])]));
    await expect(loadRunLog(root, { countTokens: false })).rejects.toThrow(/samples_arc_easy_2024-12-01T00-00-00\.000001\.jsonl: cannot tell which model wrote this samples file: no results_2024-12-01T00-00-00\.000001\.json from the same run, and the folder holds runs of "org\/a", "org\/b"/);
  });

  it('names a local-path model as lm-eval does and takes prices and aliases from a prices.json beside the output', async () => {
    const root = output({ __data__models__llama: { results: results('pretrained=/data/models/llama,dtype=bfloat16'), samples: { [`samples_gsm8k_${DATE}.jsonl`]: [gsmSample(0, 'strict-match', '#### 5', '5', 1)] } } });
    expect((await loadRunLog(root, { countTokens: false })).models).toEqual(['/data/models/llama']);
    writeFileSync(join(root, 'prices.json'), JSON.stringify({ models: [{ model: '/data/models/llama', usd_per_mtok_in: 0.02, usd_per_mtok_out: 0.04 }], aliases: { '/data/models/llama': 'llama-local', 'not-here': 'x' } }));
    const log = await loadRunLog(root, { countTokens: false });
    expect(log.models).toEqual(['llama-local']);
    expect(log.responses[0].model).toBe('llama-local');
    expect(log.prices).toEqual({ 'llama-local': { usdPerMtokIn: 0.02, usdPerMtokOut: 0.04 } });
    expect(log.priceSources).toEqual({ 'llama-local': join(root, 'prices.json') });
    expect(log.originalNames).toEqual({ 'llama-local': '/data/models/llama' });
  });
});
