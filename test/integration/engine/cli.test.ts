import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTunedConfig } from '../../../core/config.js';
import { cli } from '../../helpers/cli.js';
import { cloudTier, simulatedConfig, writeServeFiles } from '../../helpers/serve-harness.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const dataDir = path.resolve(repoRoot, '../shared/data/zeroeval-gsm8k-crux');
const run = promisify(execFile);

let dir: string;
let configPath: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cascade-lab-cli-'));
  configPath = path.join(dir, 'tuned.json');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('cascade-lab tune', () => {
  it('prints one JSON report and writes a valid config', async () => {
    const { code, stdout, stderr } = await cli('tune', '--data', dataDir, '--k', '2', '--target-retention', '0.98', '--out', configPath, '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['split', 'strongest', 'system', 'stage1', 'baselines', 'aiq', 'ci']));
    expect(Object.keys(report.baselines)).toEqual(expect.arrayContaining(['random', 'oracle', 'k1', 'single', 'frugal']));
    expect(report.stage1.escalationRate).toBe(0);
    expect(report.operatingPoint.criterion).toEqual({ kind: 'targetRetention', targetRetention: 0.98 });
    expect(report.operatingPoint.certified).toEqual(expect.objectContaining({ confidence: 0.9, method: expect.stringMatching(/betting/) }));
    expect(stderr).toMatch(/tune: cluster done.*\n.*tune: frontier done.*\n.*tune: evaluate done/s);
    const config = parseTunedConfig(JSON.parse(await readFile(configPath, 'utf8')));
    expect(config.clusters).toHaveLength(2);
    expect(config.clustering.selection).toBe('fixed');
  }, 120_000);

  it.each([
    [['--k', '0'], /--k: k must be 'auto' or an integer ≥ 1, got "0"/],
    [['--k', '65'], /--k: k must be 'auto' or an integer in \[1, 64\], got 65/],
    [['--k', 'many'], /--k: k must be 'auto' or an integer ≥ 1, got "many"/],
    [['--k-range', '3-1'], /--k-range: k range must be integers 1 ≤ from ≤ to/],
    [['--train-frac', '1'], /--train-frac: train fraction must be in the open range \(0, 1\), got 1/],
    [['--target-retention', '0'], /--target-retention: target retention must be in \(0, 2\]/],
    [['--budget', '-1'], /--budget: budget must be a number ≥ 0, got -1/],
    [['--cv-folds', '1'], /--cv-folds: CV folds must be an integer in \[2, 20\], got 1/],
    [['--prior-strength', '-3'], /--prior-strength: prior strength must be ≥ 0, got -3/],
    [['--confidence', '1'], /--confidence: confidence must be in \[0, 1\), got 1/],
    [['--folds', '1'], /--folds: cross-fitting folds must be an integer in \[2, 20\], got 1/],
    [['--tasks', 'mmlu'], /--tasks: unknown task "mmlu"; the run log has gsm8k, cruxeval/],
    [['--exclude-models', 'gpt-5'], /--exclude-models: unknown model "gpt-5"/],
    [['--embedder', 'bert'], /--embedder: unknown embedder "bert"/],
  ])('refuses %j with exit code 2 and names the setting', async (args, message) => {
    const { code, stderr } = await cli('tune', '--data', dataDir, '--out', path.join(dir, 'never.json'), ...(args as string[]));
    expect(code).toBe(2);
    expect(stderr).toMatch(message as RegExp);
  });

  it('refuses an --out whose folder does not exist before it tunes, naming the folder', async () => {
    const out = path.join(dir, 'no-such-folder', 'tuned.json');
    const { code, stderr } = await cli('tune', '--data', dataDir, '--out', out);
    expect(code).toBe(2);
    expect(stderr).toBe(`cascade-lab: InvalidInputError: --out: the folder ${path.dirname(out)} of ${out} does not exist\n`);
  });

  it('refuses an unknown cost metric and a missing run log', async () => {
    expect((await cli('tune', '--data', dataDir, '--cost', 'joules')).stderr).toMatch(/--cost <metric>.*joules.*usd, tokens, tpot, latency/s);
    const missing = await cli('tune', '--data', path.join(dir, 'nope'), '--out', path.join(dir, 'never.json'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope: cannot read run log/);
  });

  it('says which cheapest cost is reachable when the budget is infeasible', async () => {
    const { code, stderr } = await cli('tune', '--data', dataDir, '--k', '1', '--budget', '0.0000001', '--out', path.join(dir, 'never.json'));
    expect(code).toBe(2);
    expect(stderr).toMatch(/UnsatisfiableError: --budget: budget 1e-7 USD per query is below the cheapest region's cost bound 0\.0000\d+ USD at confidence 0\.9/);
  }, 120_000);
});

describe('cascade-lab tune with a pool file', () => {
  /** A pool file with one cloud tier per run-log model (no call is made; only figures are read). */
  async function poolFile(name: string, models: string[]): Promise<string> {
    const file = path.join(dir, name);
    const tiers: object[] = models.map((m, i) => ({ kind: 'cloud', name: m, baseUrl: 'http://127.0.0.1:9/v1', model: m, usdPerMtokIn: 1, usdPerMtokOut: 2, tpotMs: 5 + i }));
    // The first model as a local tier whose TPOT `pool check` measured on a GPU backend (the file is never loaded).
    tiers[0] = { kind: 'local', name: models[0], model: 'never-loaded.gguf', usdPerMtokIn: 1, usdPerMtokOut: 2, tpotMs: 5, tpotBackend: 'cuda' };
    await writeFile(file, JSON.stringify({ version: 1, tiers }));
    return file;
  }
  const models = JSON.parse(readFileSync(path.join(dataDir, 'prices.json'), 'utf8')).models.map((m: { model: string }) => m.model) as string[];

  it('tunes on TPOT from the pool where the log has none', async () => {
    const pool = await poolFile('pool.json', models);
    const out = path.join(dir, 'tpot.json');
    const { code, stdout, stderr } = await cli('tune', '--data', dataDir, '--cost', 'tpot', '--pool', pool, '--k', '1', '--no-cascade', '--out', out, '--json');
    expect(stderr).not.toMatch(/Error/);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.cost).toEqual({ metric: 'tpot', unit: 'ms/token' });
    expect(report.baselines.single[models[0]].cost).toBe(5);
    expect(report.system).toEqual(report.stage1);
    const config = JSON.parse(await readFile(out, 'utf8'));
    expect(config.cascade).toBeNull();
    // The provenance says which backend measured the local TPOT the costs came from; cloud tiers have none.
    expect(config.provenance.backend).toEqual({ [models[0]]: 'cuda' });
  }, 120_000);

  it('names the model and metric when a TPOT figure is missing, and refuses a pool model not in the log', async () => {
    const noTpot = await cli('tune', '--data', dataDir, '--cost', 'tpot', '--out', path.join(dir, 'never.json'));
    expect(noTpot.code).toBe(2);
    expect(noTpot.stderr).toMatch(/no TPOT figure for model ".+" \(metric tpot\)/);
    const pool = await poolFile('typo.json', [...models, 'gpt-5-imaginary']);
    const typo = await cli('tune', '--data', dataDir, '--pool', pool, '--out', path.join(dir, 'never.json'));
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/typo\.json: unknown model "gpt-5-imaginary" in pricing/);
  }, 60_000);
});

describe('cascade-lab eval', () => {
  it('refuses a config from another version, and a malformed one, naming the file', async () => {
    const v1 = path.join(dir, 'v1.json');
    await writeFile(v1, JSON.stringify({ ...JSON.parse(await readFile(configPath, 'utf8')), version: 1 }));
    const r = await cli('eval', '--config', v1, '--data', dataDir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/UnsupportedVersionError: .*v1\.json: tuned config version 1 is not supported: this build reads version 2; re-run `cascade-lab tune`/);
    const broken = path.join(dir, 'broken.json');
    await writeFile(broken, '{"version": 2, "clusters": ');
    expect((await cli('eval', '--config', broken, '--data', dataDir)).stderr).toMatch(/broken\.json: malformed JSON/);
    const bad = path.join(dir, 'bad.json');
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    config.regions[1].plans = [{ action: 'answer', model: 'gpt-5-imaginary' }, config.regions[1].plans[1]];
    await writeFile(bad, JSON.stringify(config));
    expect((await cli('eval', '--config', bad, '--data', dataDir)).stderr).toMatch(/bad\.json: field "regions\[1\]\.plans\[0\]": model "gpt-5-imaginary" is not in the pool/);
  }, 60_000);

  it('runs from bin/cascade-lab.mjs (the dist/node bundle) and reproduces the tune figures', async () => {
    const tuned = JSON.parse(await readFile(configPath, 'utf8'));
    const { stdout } = await run(process.execPath, [path.join(repoRoot, 'bin/cascade-lab.mjs'), 'eval', '--config', configPath, '--data', dataDir, '--json'], { cwd: repoRoot });
    const report = JSON.parse(stdout);
    expect(report.evaluatedOn).toBe('test-split');
    expect(report.split.train).toBe(tuned.split.trainQids.length);
    expect(report.system.retention).toBeGreaterThan(0.9);
  }, 120_000);
});

describe('cascade-lab serve, refused at start', () => {
  let files: { configPath: string; poolPath: string };
  let busy: Server;

  beforeAll(async () => {
    const config = await simulatedConfig();
    files = await writeServeFiles(dir, config, [cloudTier('only', 'http://127.0.0.1:9/v1', config.pool.map((m) => m.model))]);
    busy = createServer((_req, res) => res.end());
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => busy.close(resolve));
  });

  it.each([
    [['--port', '70000'], /--port <n>' argument '70000' is invalid\. "70000" is not a port \(0–65535\)/],
    [['--port', '0', '--max-body-bytes', '0'], /--max-body-bytes <n>' argument '0' is invalid/],
    [['--port', '0', '--tier-timeout-for', 'nope=50'], /^cascade-lab: UnknownTierError: --tier-timeout-for: no tier "nope" in the pool \(it has: only\)\n$/],
  ])('refuses %j with exit code 2', async (args, message) => {
    const { code, stderr } = await cli('serve', '--config', files.configPath, '--pool', files.poolPath, ...(args as string[]));
    expect(code).toBe(2);
    expect(stderr).toMatch(message as RegExp);
  });

  it('names the address when another process holds the port', async () => {
    const port = (busy.address() as AddressInfo).port;
    const { code, stderr } = await cli('serve', '--config', files.configPath, '--pool', files.poolPath, '--port', String(port));
    expect(code).toBe(2);
    expect(stderr).toBe(`cascade-lab: InvalidInputError: --port: cannot listen on 127.0.0.1:${port}: another process is listening there\n`);
  });
});
