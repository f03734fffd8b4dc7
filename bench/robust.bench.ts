// Robustness of the certified operating point (issue: "the engine keeps its promise out of sample"):
// target retention 0.99 on ../shared/data/zeroeval-gsm8k-crux over seeds × train fractions × task
// slices × pool subsets. Each run tunes on its train split and reports on its test split. Prints every
// run, then the share of runs that keep the target, the median cost reduction, and how far the test
// retention falls below the chosen region's cross-fitted estimate (the optimism the certificate must absorb).
// Run: npx tsx bench/robust.bench.ts [--seeds 0-9] [--fractions 0.6,0.3] [--slices all,gsm8k,cruxeval]
//   [--pools 'all,no o1-mini,o1-mini + 6 cheapest'] [--workers 2] [--confidence 0.9]
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sliceRunLog, type RunLogSlice } from '../core/runlog-slice.js';
import { tune } from '../core/tune.js';
import { loadRunLog } from '../native-models/runlog/load.js';
import { median } from '../core/stats.js';

const here = fileURLToPath(import.meta.url);
const dataDir = path.resolve(path.dirname(here), '../../shared/data/zeroeval-gsm8k-crux');
const STRONG = 'o1-mini-2024-09-12';
const TARGET = 0.99;

interface Run { seed: number; fraction: number; slice: string; pool: string }
interface Row extends Run {
  testRetention: number; expectedRetention: number; certifiedLower: number | null; costReduction: number; escalated: number;
  stage1Retention: number; stage1CostReduction: number; fellBack: boolean; seconds: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** The names `--NAME a,b` keeps (all when absent); an unknown one is an error listing the known. */
function chosen(name: string, known: string[]): string[] {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return known;
  const wanted = process.argv[i + 1].split(',');
  const unknown = wanted.filter((x) => !known.includes(x));
  if (unknown.length) throw new Error(`--${name}: unknown ${unknown.join(', ')}; known: ${known.join(', ')}`);
  return wanted;
}

function seedsOf(text: string): number[] {
  const [a, b] = text.split('-').map(Number);
  return Array.from({ length: (b ?? a) - a + 1 }, (_, i) => a + i);
}

/** The pools of the bench: all models, all but the strongest, the strongest plus the six cheapest by list price. */
async function pools(): Promise<Record<string, RunLogSlice>> {
  const log = await loadRunLog(dataDir);
  const price = (m: string) => (log.prices[m] ? log.prices[m].usdPerMtokIn + 4 * log.prices[m].usdPerMtokOut : Infinity);
  const cheapest = log.models.filter((m) => m !== STRONG).sort((a, b) => price(a) - price(b)).slice(0, 6);
  return { all: {}, 'no o1-mini': { excludeModels: [STRONG] }, 'o1-mini + 6 cheapest': { models: [STRONG, ...cheapest] } };
}

const SLICES: Record<string, RunLogSlice> = { all: {}, gsm8k: { tasks: ['gsm8k'] }, cruxeval: { tasks: ['cruxeval'] } };

async function one(run: Run, confidence: number): Promise<Row> {
  const log = sliceRunLog(await loadRunLog(dataDir), { ...SLICES[run.slice], ...(await pools())[run.pool] });
  const t = performance.now();
  const { report } = await tune(log, { seed: run.seed, trainFraction: run.fraction, confidence, criterion: { kind: 'targetRetention', targetRetention: TARGET }, bootstrapSamples: 1 });
  return {
    ...run,
    testRetention: report.system.retention,
    expectedRetention: report.operatingPoint.expected.retention,
    certifiedLower: report.operatingPoint.certified?.retentionLower ?? null,
    costReduction: report.system.costReduction,
    escalated: report.system.escalationRate,
    stage1Retention: report.stage1.retention,
    stage1CostReduction: report.stage1.costReduction,
    fellBack: report.operatingPoint.kind === 'reference',
    seconds: (performance.now() - t) / 1000,
  };
}

async function parent(): Promise<void> {
  const confidence = Number(arg('confidence', '0.9'));
  const runs: Run[] = [];
  for (const seed of seedsOf(arg('seeds', '0-9'))) {
    for (const fraction of arg('fractions', '0.6,0.3').split(',').map(Number)) {
      for (const slice of chosen('slices', Object.keys(SLICES))) for (const pool of chosen('pools', Object.keys(await pools()))) runs.push({ seed, fraction, slice, pool });
    }
  }
  const workers = Number(arg('workers', '2'));
  const rows: Row[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: workers }, () => new Promise<void>((resolve, reject) => {
    const child = fork(here, ['--child', String(confidence)], { execArgv: ['--import', 'tsx'] });
    const send = () => (next < runs.length ? child.send(runs[next++]) : child.disconnect());
    child.on('message', (row: Row) => {
      rows.push(row);
      const f = (x: number | null) => (x === null ? '  —   ' : x.toFixed(4));
      console.log(`seed ${row.seed} frac ${row.fraction} ${row.slice.padEnd(8)} ${row.pool.padEnd(20)} retention ${f(row.testRetention)} expected ${f(row.expectedRetention)} lower ${f(row.certifiedLower)} cost −${(100 * row.costReduction).toFixed(1)}% esc ${(100 * row.escalated).toFixed(0)}%${row.fellBack ? ' (strongest)' : ''} | stage 1 ${f(row.stage1Retention)} −${(100 * row.stage1CostReduction).toFixed(1)}% | ${row.seconds.toFixed(1)} s`);
      send();
    });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited ${code}`))));
    child.on('error', reject);
    send();
  })));
  const share = (p: (r: Row) => boolean, of = rows) => of.filter(p).length / Math.max(1, of.length);
  const full = rows.filter((r) => r.slice === 'all' && r.pool === 'all' && r.fraction === 0.6);
  const summary = {
    runs: rows.length,
    confidence,
    'min test retention': Math.min(...rows.map((r) => r.testRetention)),
    'share ≥ 0.98': share((r) => r.testRetention >= 0.98),
    'share ≥ 0.99': share((r) => r.testRetention >= TARGET),
    'share certified bound ≤ test retention': share((r) => r.certifiedLower === null || r.certifiedLower <= r.testRetention),
    'share fell back to the strongest model': share((r) => r.fellBack),
    'median test − expected retention, where not fallen back': median(rows.filter((r) => !r.fellBack).map((r) => r.testRetention - r.expectedRetention)),
    'median cost reduction': median(rows.map((r) => r.costReduction)),
    'median cost reduction, full pool 60/40': median(full.map((r) => r.costReduction)),
    'median test accuracy ratio to stage 1': median(rows.map((r) => r.testRetention / r.stage1Retention)),
    'median stage-1 cost reduction': median(rows.map((r) => r.stage1CostReduction)),
  };
  console.table(Object.entries(summary).map(([k, v]) => ({ figure: k, value: typeof v === 'number' ? +v.toFixed(4) : v })));
  console.log(JSON.stringify({ bench: 'robust', summary, rows }));
}

const at = process.argv.indexOf('--child');
if (at >= 0) {
  const confidence = Number(process.argv[at + 1]);
  process.on('message', (run: Run) => {
    one(run, confidence).then((row) => process.send!(row), (err: unknown) => {
      console.error(err);
      process.exit(1);
    });
  });
} else await parent();
