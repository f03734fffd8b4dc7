// The lm-eval workflow end to end on fixtures/lm-eval: an --output_path folder with one folder per
// model (a chat-API model, a local-path `hf` model written by an older lm-eval with unlabelled
// multi-filter blocks and two runs of one task, a hub model), tuned on dollars and on tokens.
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LM_EVAL_FIXTURE_DIR, makeLmEval } from '../../../fixtures/make-lm-eval.js';
import { loadRunLogs } from '../../../server/cli/runlogs.js';
import { cli } from '../../helpers/cli.js';

const output = path.join(LM_EVAL_FIXTURE_DIR, 'output');
const prices = path.join(LM_EVAL_FIXTURE_DIR, 'prices.json');
const LLAMA = '/data/models/Llama-3.2-1B-Instruct';
const FAST = ['--k', '2', '--bootstrap', '100', '--no-cascade'];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cascade-lab-lm-eval-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fixtures/lm-eval', () => {
  it('regenerates byte for byte from its generator', () => {
    for (const [name, text] of makeLmEval()) expect(readFileSync(path.join(LM_EVAL_FIXTURE_DIR, name), 'utf8'), name).toBe(text);
  });
});

describe('tune on lm-eval output', () => {
  it('tunes with --cost usd --prices FILE, naming the cost source and that tokens are estimated', async () => {
    const out = path.join(dir, 'usd.json');
    const json = await cli('tune', '--data', output, '--cost', 'usd', '--prices', prices, ...FAST, '--out', out, '--json');
    expect(json.stderr).not.toMatch(/Error/);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    const via = `list price from ${prices} × token counts estimated with o200k_base`;
    // The prices file's alias gives the local-path model its readable name everywhere.
    expect(report.costSource).toEqual({
      metric: 'usd', unit: 'USD', tokensApproximate: true, tokenizer: 'o200k_base',
      models: { 'llama-3.2-1b-local': via, 'gpt-4o-mini': via, 'Qwen/Qwen2.5-7B-Instruct': via },
    });
    expect(Object.keys(report.baselines.single).sort()).toEqual(['Qwen/Qwen2.5-7B-Instruct', 'gpt-4o-mini', 'llama-3.2-1b-local']);
    // gpt-4o-mini writes paragraphs at four times Qwen's output price: it costs more per query.
    expect(report.baselines.single['gpt-4o-mini'].cost).toBeGreaterThan(report.baselines.single['Qwen/Qwen2.5-7B-Instruct'].cost);
    const config = JSON.parse(await readFile(out, 'utf8'));
    expect(config.provenance.tokensApproximate).toBe(true);
    expect(config.pool.find((p: { model: string }) => p.model === 'gpt-4o-mini').figures).toEqual({ usdPerMtokIn: 0.15, usdPerMtokOut: 0.6 });

    const text = await cli('tune', '--data', output, '--cost', 'usd', '--prices', prices, ...FAST, '--out', out);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Cost (usd, USD):\n  llama-3.2-1b-local, gpt-4o-mini, Qwen/Qwen2.5-7B-Instruct: ${via}\n`);
    expect(text.stdout).toContain('Token counts are estimates (tokensApproximate: counted with o200k_base');

    const evaluated = await cli('eval', '--config', out, '--data', output, '--prices', prices, '--json');
    expect(evaluated.code).toBe(0);
    expect(JSON.parse(evaluated.stdout).costSource.models['llama-3.2-1b-local']).toBe(`list price from the tuned config ${out} × token counts estimated with o200k_base`);
  }, 120_000);

  it('tunes with --cost tokens on the counted generations', async () => {
    const { code, stdout, stderr } = await cli('tune', '--data', output, '--cost', 'tokens', ...FAST, '--out', path.join(dir, 'tokens.json'), '--json');
    expect(stderr).not.toMatch(/Error/);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.costSource.models['gpt-4o-mini']).toBe('output tokens estimated with o200k_base');
    expect(report.cost).toEqual({ metric: 'tokens', unit: 'output tokens' });
    // Without an alias the local path stays the name, and the report says how to change it.
    expect(report.notes).toContain(`model "${LLAMA}" is named by a local path; give it a readable name with --model-alias or "aliases" in a prices file`);
  }, 120_000);

  it('names the flag that fixes a missing price', async () => {
    const { code, stderr } = await cli('tune', '--data', output, '--cost', 'usd', ...FAST, '--out', path.join(dir, 'never.json'));
    expect(code).toBe(2);
    expect(stderr).toMatch(/no USD price for model ".+" \(metric usd\): add it to a prices file \(--prices FILE, or prices\.json beside the run log\) or the pool file/);
  }, 60_000);

  it('joins one --data per model folder, keeping the first prompt and reporting the others', async () => {
    const folders = ['__data__models__Llama-3.2-1B-Instruct', 'gpt-4o-mini', 'Qwen__Qwen2.5-7B-Instruct'].map((f) => path.join(output, f));
    const { code, stdout } = await cli('tune', ...folders.flatMap((f) => ['--data', f]), '--cost', 'tokens', ...FAST, '--out', path.join(dir, 'joined.json'), '--json');
    expect(code).toBe(0);
    const notes = JSON.parse(stdout).notes as string[];
    expect(notes).toContain(`40 queries have a different prompt in ${folders[1]} than in ${folders[0]} (first: "gsm8k/0"); queries join by id and keep the prompt of ${folders[0]}`);
  }, 120_000);

  it('prices a local-path model through a pool tier that stands for it; the tier wins over the prices file', async () => {
    const cloud = (name: string, usdIn: number, usdOut: number, standsFor?: string[]) => ({ kind: 'cloud', name, ...(standsFor && { standsFor }), baseUrl: 'http://127.0.0.1:9/v1', model: name, usdPerMtokIn: usdIn, usdPerMtokOut: usdOut });
    const pool = path.join(dir, 'pool.json');
    await writeFile(pool, JSON.stringify({
      tiers: [
        { kind: 'local', name: 'llama-local', standsFor: [LLAMA], model: 'llama.gguf', usdPerMtokIn: 0.5, usdPerMtokOut: 0.5 },
        cloud('gpt-4o-mini', 0.15, 0.6),
        cloud('qwen-7b', 0.1, 0.1, ['Qwen/Qwen2.5-7B-Instruct']),
      ],
    }));
    const { code, stdout, stderr } = await cli('tune', '--data', output, '--prices', prices, '--pool', pool, ...FAST, '--out', path.join(dir, 'pool-tuned.json'), '--json');
    expect(stderr).not.toMatch(/Error/);
    expect(code).toBe(0);
    const source = JSON.parse(stdout).costSource.models;
    expect(source['llama-3.2-1b-local']).toBe(`list price from pool ${pool} (tier "llama-local") × token counts estimated with o200k_base`);
    expect(source['Qwen/Qwen2.5-7B-Instruct']).toBe(`list price from pool ${pool} (tier "qwen-7b") × token counts estimated with o200k_base`);
  }, 120_000);

  it('passes the reader flags through: filter, metric and raw responses', async () => {
    const tune = (...flags: string[]) => cli('tune', '--data', output, '--cost', 'tokens', ...FAST, '--out', path.join(dir, 'flags.json'), '--json', ...flags);
    const badFilter = await tune('--lm-eval-filter', 'gsm8k=get-option');
    expect(badFilter.code).toBe(2);
    expect(badFilter.stderr).toMatch(/samples_gsm8k_.*\.jsonl: no filter "get-option" in task "gsm8k" \(it has "strict-match", "flexible-extract"\)/);
    const badMetric = await tune('--lm-eval-metric', 'bleu');
    expect(badMetric.code).toBe(2);
    expect(badMetric.stderr).toMatch(/\.jsonl:1: field "bleu": no per-sample metric/);
    const strict = JSON.parse((await tune()).stdout);
    const flexible = await tune('--lm-eval-filter', 'flexible-extract', '--lm-eval-metric', 'arc_easy=acc_norm', '--lm-eval-response', 'raw');
    expect(flexible.code).toBe(0);
    // The 1B model often drops the "####" marker: flexible-extract finds answers strict-match does not.
    const llama = (r: { baselines: { single: Record<string, { accuracy: number }> } }) => r.baselines.single[LLAMA].accuracy;
    expect(llama(JSON.parse(flexible.stdout))).toBeGreaterThan(llama(strict));
  }, 120_000);
});

describe('loadRunLogs with the run-log flags', () => {
  it('reads a table through --columns and --default-task, and renames models with --model-alias', async () => {
    const table = path.join(dir, 'runs.csv');
    await writeFile(table, 'id,model_name,is_correct,prompt,response\nq1,/models/a,1,2+2?,4\nq1,b,0,2+2?,5\n');
    const aliases = path.join(dir, 'aliases.json');
    await writeFile(aliases, JSON.stringify({ '/models/a': 'model-a' }));
    const log = await loadRunLogs([table], { columns: 'qid=id,model=model_name,correct=is_correct', defaultTask: 'arith', modelAlias: aliases });
    expect(log.models).toEqual(['model-a', 'b']);
    expect(log.queries[0].task).toBe('arith');
    expect(log.notes ?? []).toEqual([]);
    await writeFile(aliases, JSON.stringify({ '/models/x': 'model-x' }));
    await expect(loadRunLogs([table], { columns: 'qid=id,model=model_name,correct=is_correct', modelAlias: aliases })).rejects.toThrow(/aliases\.json: alias for unknown model "\/models\/x"/);
  });
});
