import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { traceSummary } from '../../core/cascade/explain.js';
import { decide, type CascadeCaps, type ClusterPlan } from '../../core/cascade/plan.js';
import { evidence } from '../helpers/trace-replay.js';
import { buildRenderer, DATASET_DIR, ROOT, screenshot, startApp, type RunningApp } from './harness.js';

const VIEWS = ['Workspace', 'Cluster map', 'Routing table', 'Budget', 'Query traces', 'QE', 'Live', 'Compare', 'Runs', 'Export / import'];

async function showView(page: Page, name: string): Promise<void> {
  await page.getByRole('tab', { name, exact: true }).click();
}

/** What the page shows for the operating point: region, λ, the routed model of every cluster, and the star's figures. */
async function shownOperatingPoint(page: Page) {
  const out = page.getByTestId('budget-value');
  const star = page.getByTestId('operating-point');
  const routing = await page.locator('[data-testid^="routing-row-"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-chosen')));
  return {
    region: Number(await out.getAttribute('data-region')),
    lambda: Number(await out.getAttribute('data-lambda')),
    budget: Number(await out.getAttribute('data-budget')),
    cost: Number(await star.getAttribute('data-cost')),
    accuracy: Number(await star.getAttribute('data-accuracy')),
    routing,
  };
}

describe('Cascade Lab in the browser, against the real engine on zeroeval-gsm8k-crux', () => {
  let app: RunningApp;
  let renderer: { dir: string; remove(): void };
  let scratch: string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'cascade-lab-e2e-'));
    renderer = await buildRenderer();
    app = await startApp(renderer.dir);
    await app.page.getByTestId('tune-summary').waitFor({ timeout: 150_000 });
  });

  // A test that fails mid-way can leave a stream running, a pending action or a broken page; the
  // next test starts from the app frame all the same, reloaded when it does not answer.
  beforeEach(async () => {
    if (!app) return;
    const { page } = app;
    const stop = page.getByRole('button', { name: 'Stop' });
    if (await stop.isEnabled({ timeout: 1_000 }).catch(() => false)) await stop.click({ timeout: 2_000 }).catch(() => undefined);
    const tab = page.getByRole('tab', { name: 'Workspace', exact: true });
    if (await tab.isVisible({ timeout: 1_000 }).catch(() => false)) return;
    await page.goto(app.bridge.url);
    await page.getByTestId('tune-summary').waitFor({ timeout: 150_000 });
  });

  afterAll(async () => {
    await app?.close();
    renderer?.remove();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('loads the workspace, tunes it, and moves between views with the arrow keys', async () => {
    const { page } = app;
    await expect.poll(() => page.getByTestId('workspace-badge').textContent()).toContain('zeroeval-gsm8k-crux');
    expect(await page.getByTestId('tune-summary').textContent()).toMatch(/k = \d+/);
    expect(await page.getByRole('tab').count()).toBe(VIEWS.length);
    await page.getByRole('tab', { name: 'Workspace' }).focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.getByRole('tab', { name: 'Cluster map' }).getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('End');
    expect(await page.getByRole('tab', { name: 'Export / import' }).getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('Home');
    expect(await page.getByRole('tab', { name: 'Workspace' }).getAttribute('aria-selected')).toBe('true');
  });

  it('draws every query on the cluster map and shows its text on hover', async () => {
    const { page } = app;
    await showView(page, 'Cluster map');
    const canvas = page.getByTestId('cluster-canvas');
    await canvas.waitFor();
    const map = await app.api.getClusterMap({ projection: 'pca' });
    expect(map.points.length).toBe(2119);
    // The first canvas holds the points: find painted pixels, then hover one of them.
    const painted = await page.locator('.canvas-wrap canvas').first().evaluate((c: HTMLCanvasElement) => {
      const ctx = c.getContext('2d')!;
      const { data } = ctx.getImageData(0, 0, c.width, c.height);
      const hits: [number, number][] = [];
      for (let i = 3; i < data.length; i += 4) if (data[i] > 200) hits.push([((i - 3) / 4) % c.width, Math.floor((i - 3) / 4 / c.width)]);
      const dpr = c.width / c.getBoundingClientRect().width;
      const [x, y] = hits[Math.floor(hits.length / 2)];
      return { count: hits.length, x: x / dpr, y: y / dpr };
    });
    expect(painted.count).toBeGreaterThan(5000);
    await canvas.hover({ position: { x: painted.x, y: painted.y } });
    const tip = page.getByTestId('cluster-tooltip');
    await tip.waitFor();
    const text = (await tip.textContent()) ?? '';
    const qid = text.split(' · ')[0];
    const point = map.points.find((p) => p.qid === qid);
    expect(point, `tooltip names a query of the map: ${text.slice(0, 80)}`).toBeDefined();
    expect(text).toContain(point!.text.slice(0, 30));

    // A click opens that query's trace.
    await canvas.click({ position: { x: painted.x, y: painted.y } });
    await expect.poll(() => page.getByTestId('trace-detail').textContent()).toContain(`Trace of ${qid}`);
    expect(await page.getByRole('tab', { name: 'Query traces' }).getAttribute('aria-selected')).toBe('true');
  });

  it('moves the routing table and the operating point with λ as the engine says', async () => {
    const { page, api } = app;
    await showView(page, 'Budget');
    const slider = page.getByTestId('budget-slider');
    await slider.fill('0');
    const low = await shownOperatingPoint(page);
    expect(low.lambda).toBe(0);
    const engineLow = await api.setOperatingPoint({ lambda: low.lambda });
    expect(low.region).toBe(engineLow.region);
    expect(low.routing).toEqual(engineLow.routing);
    expect(low.cost).toBeCloseTo(engineLow.costPerQuery, 12);
    expect(low.accuracy).toBeCloseTo(engineLow.accuracy, 12);

    await slider.fill('1000');
    const high = await shownOperatingPoint(page);
    const engineHigh = await api.setOperatingPoint({ lambda: high.lambda });
    expect(high.region).toBe(engineHigh.region);
    expect(high.routing).toEqual(engineHigh.routing);
    expect(high.cost).toBeCloseTo(engineHigh.costPerQuery, 12);
    // A higher λ prices cost higher: the engine routes cheaper, and the page moved the same way.
    expect(engineHigh.costPerQuery).toBeLessThan(engineLow.costPerQuery);
    expect(high.cost).toBeLessThan(low.cost);
    expect(high.routing).not.toEqual(low.routing);
    expect(await page.getByTestId('op-cost').textContent()).not.toBe('');
  });

  it('in budget mode shows the region the engine picks for that cap', async () => {
    const { page, api } = app;
    await showView(page, 'Budget');
    const slider = page.getByTestId('budget-slider');
    await page.getByRole('radio', { name: /Budget/ }).check();
    try {
      for (const position of ['0', '250', '500', '750', '1000']) {
        // What the page shows on the frame after the input, long before the engine hears of the move (150 ms later).
        const instant = await slider.evaluate(async (input: HTMLInputElement, pos) => {
          Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(input, pos);
          input.dispatchEvent(new Event('input', { bubbles: true }));
          await new Promise((r) => requestAnimationFrame(r));
          const out = document.querySelector<HTMLElement>('[data-testid="budget-value"]')!;
          return { budget: Number(out.dataset.budget), region: Number(out.dataset.region) };
        }, position);
        const engine = await api.setOperatingPoint({ budget: instant.budget });
        expect(instant.region, `budget ${instant.budget}`).toBe(engine.region);
        // And it stays there once the engine has answered: no jump.
        await new Promise((r) => setTimeout(r, 400));
        const settled = await shownOperatingPoint(page);
        expect(settled.region).toBe(engine.region);
        expect(settled.routing).toEqual(engine.routing);
      }
    } finally {
      await page.getByRole('radio', { name: 'λ' }).check();
    }
  });

  it('opens a query trace with every model\'s answer side by side', async () => {
    const { page } = app;
    await showView(page, 'Query traces');
    const first = page.getByTestId('trace-table').locator('tbody tr').first();
    const qid = (await first.locator('td').first().textContent())!;
    await first.click();
    const detail = page.getByTestId('trace-detail');
    await expect.poll(() => detail.textContent()).toContain(`Trace of ${qid}`);
    await page.getByTestId('trace-answers').waitFor();
    const engine = await app.api.getTrace({ qid });
    expect(await page.getByTestId('trace-answers').locator('article').count()).toBe(engine.answers.length);
    expect(engine.answers.length).toBe(18);
    expect(await page.getByTestId('trace-passes').locator('tbody tr').count()).toBe(engine.row.passes.length);
    expect(await page.getByTestId('trace-rule').textContent()).toContain(engine.row.rule);
  });

  it('names each trace\'s plan, partner and the rule that fired, as the core decides them', async () => {
    const { page, api } = app;
    // Serve a region with agree-or-escalate or cascade plans, so the traces have decisions to explain.
    const config = JSON.parse((await api.exportConfig()).text) as {
      regions: { kind: string; lambdaFrom: number; plans: ClusterPlan[] }[]; cascade: { caps: CascadeCaps } | null; operatingPoint: { region: number };
    };
    const stage2 = (r: (typeof config.regions)[number], kind?: string) => r.kind === 'frontier' && r.plans.some((p) => (kind ? p.action === kind : p.action !== 'answer'));
    const withAgree = config.regions.findIndex((r) => stage2(r, 'agree'));
    const staged = withAgree >= 0 ? withAgree : config.regions.findIndex((r) => stage2(r));
    expect(staged, 'a region with a stage-2 plan').toBeGreaterThan(0);
    await api.setOperatingPoint({ lambda: config.regions[staged].lambdaFrom });
    await page.reload();
    await expect.poll(() => page.getByTestId('tune-summary').textContent(), { timeout: 60_000 }).toMatch(/k = \d+/);
    const plans = config.regions[staged].plans;
    const caps = config.cascade!.caps;
    await showView(page, 'Query traces');
    const table = page.getByTestId('trace-table');
    await table.locator('tbody tr').first().waitFor();
    const engine = await api.listTraces({ offset: 0, limit: 100 });
    const shown = await table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => ({
      qid: r.querySelector('td')!.textContent!,
      decision: r.querySelector('[data-testid="trace-decision"]')!.textContent!,
    })));
    expect(shown.length).toBe(engine.rows.length);
    const kinds = new Set<string>();
    for (const [i, row] of engine.rows.entries()) {
      expect(shown[i].qid).toBe(row.qid);
      // The page says what the engine's row says, in the one formatter's words.
      expect(shown[i].decision).toBe(traceSummary(row));
      // And the engine's row is the core's decision: the plan of the query's cluster, its partner,
      // and `decide` replayed over the passes' evidence gives each escalation and the last reason.
      const plan = plans[row.cluster];
      expect(row.planKind).toBe(plan.action);
      expect(row.partner).toBe(plan.action === 'agree' ? plan.partner : null);
      if (row.correct === null) continue;
      kinds.add(plan.action);
      const steps = row.passes.filter((p) => p.role !== 'partner');
      expect(row.passes.filter((p) => p.role === 'partner').map((p) => p.model)).toEqual(plan.action === 'agree' ? [plan.partner] : []);
      let decision = decide(plan, caps, evidence(steps[0], 0));
      for (let s = 1; s < steps.length; s++) {
        expect(decision).toMatchObject({ kind: 'escalate', model: steps[s].model });
        decision = decide(plan, caps, evidence(steps[s], s));
      }
      // A token cap can stop a climb the scores alone would continue; the engine says so by name.
      if (row.reason !== 'cap') expect(decision).toMatchObject({ kind: 'accept', reason: row.reason });
      expect(row.escalated).toBe(steps.length > 1);
      expect(row.finalModel).toBe(steps[steps.length - 1].model);
    }
    expect(kinds.size, 'the page shows more than one plan kind').toBeGreaterThan(1);

    // The cluster map's hover card says the same thing as the list, for a test query.
    await showView(page, 'Cluster map');
    const canvas = page.getByTestId('cluster-canvas');
    await canvas.waitFor();
    await canvas.focus();
    const tip = page.getByTestId('cluster-tooltip');
    let matched = false;
    for (let step = 0; step < 60 && !matched; step++) {
      await page.keyboard.press('PageDown');
      const text = (await tip.textContent()) ?? '';
      const qid = text.split(' · ')[0];
      if (!/ test query\n/.test(text)) continue;
      const row = (await api.getTrace({ qid })).row;
      await expect.poll(async () => (await tip.textContent()) ?? '', { timeout: 10_000 }).toContain(traceSummary(row));
      matched = true;
    }
    expect(matched, 'a test query under the keyboard cursor').toBe(true);

    // The why-this-plan panel names the served plan of the cluster and marks it among the compared plans.
    await showView(page, 'Routing table');
    const why = page.getByTestId('why-plan');
    await expect.poll(() => why.getByTestId('why-served').textContent()).toContain(`Served at region ${staged}`);
    const routing = await api.getRoutingTable();
    expect(await why.getByTestId('why-served').textContent()).toContain(routing.clusters[0].plan);
    expect(routing.clusters[0].candidates!.served).not.toBeNull();
    expect(await why.getByTestId('served-candidate').count()).toBe(1);
    // The heatmap marks every model of the served plan, not only its first.
    const row0 = page.getByTestId('routing-row-0').first();
    expect(await row0.getAttribute('data-plan')).toBe(routing.clusters[0].planModels.join(' → '));
  });

  it('moves a QE threshold from the keyboard, and the engine takes it', async () => {
    const { page, api } = app;
    // Serve a region whose plans threshold a QE score (the tuned point may be one that serves single models).
    const config = JSON.parse((await api.exportConfig()).text) as { regions: { kind: string; lambdaFrom: number; plans: { action: string }[] }[] };
    const withQe = config.regions.find((r) => r.kind === 'frontier' && r.plans.some((p) => p.action !== 'answer'));
    expect(withQe, 'a region with a stage-2 plan').toBeDefined();
    await api.setOperatingPoint({ lambda: withQe!.lambdaFrom });
    await page.reload();
    await expect.poll(() => page.getByTestId('tune-summary').textContent(), { timeout: 60_000 }).toMatch(/k = \d+/);
    await showView(page, 'QE');
    const slider = page.getByTestId('qe-threshold');
    await slider.waitFor();
    const model = await page.getByLabel('Stage-1 model').inputValue();
    const before = (await api.getQe()).models.find((m) => m.model === model)!.threshold;
    expect(before, `${model} has a threshold`).not.toBeNull();
    await slider.focus();
    for (let i = 0; i < 10; i++) await page.keyboard.press(before! < 0.8 ? 'ArrowRight' : 'ArrowLeft');
    const shown = Number(await slider.inputValue());
    await expect.poll(async () => (await api.getQe()).models.find((m) => m.model === model)!.threshold, { timeout: 30_000 }).toBeCloseTo(shown, 6);
    expect(shown).not.toBeCloseTo(before!, 6);
  });

  it('exports a tuned config that `cascade-lab eval` accepts, and refuses a broken one with a clear error', async () => {
    const { page } = app;
    await showView(page, 'Export / import');
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export tuned config (JSON)' }).click();
    const configPath = join(scratch, 'tuned.json');
    await (await download).saveAs(configPath);
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as { version: number };
    expect(config.version).toBe(2);
    const run = spawnSync('npx', ['cascade-lab', 'eval', '--config', configPath, '--data', DATASET_DIR, '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 150_000 });
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(report).toHaveProperty('strongest');

    const { configId, dataSet } = (await app.api.getState()).tune!;
    const { models } = await app.api.getRoutingTable();
    const provenance = (t: string) => {
      expect(t).toContain(`data set: ${dataSet}`);
      expect(t).toContain(configId);
      // The public log is measured, not made up: no SIMULATED mark.
      expect(t).not.toContain('SIMULATED');
    };
    for (const [button, check] of [
      ['Export report (CSV)', (t: Buffer) => {
        const lines = t.toString('utf8').split('\n');
        expect(lines[0]).toMatch(/^# Cascade Lab report/);
        expect(lines.find((l) => !l.startsWith('#'))).toMatch(/^policy,accuracy,/);
        provenance(t.toString('utf8'));
      }],
      ['Export chart as SVG', (t: Buffer) => {
        const svg = t.toString('utf8');
        expect(svg).toMatch(/^<\?xml[^]*<svg[^]*<title[^>]*>Accuracy–cost frontier<\/title>/);
        // The title is drawn too (a <title> is only a tooltip), and the legend is inside the SVG with every marker.
        expect(svg).toMatch(/<text[^>]*>Accuracy–cost frontier<\/text>/);
        expect(svg).toContain('data-testid="svg-legend"');
        for (const entry of ['λ-region frontier (test split)', 'operating point', 'single models', 'random mix of cheapest and strongest (dashed)', 'random routing', 'oracle (best model per query)', 'k = 1 (one cluster)']) {
          expect(svg).toMatch(new RegExp(`data-testid="svg-legend"[^]*>${entry.replace(/[()]/g, '\\$&')}</text>`));
        }
        // Every single model is named on the plot.
        for (const m of models) expect(svg).toContain(`>${m}</text>`);
        provenance(svg);
      }],
      ['Export chart as PNG', (t: Buffer) => expect(t.subarray(1, 4).toString('latin1')).toBe('PNG')],
      ['Export chart data as CSV', (t: Buffer) => {
        const text = t.toString('utf8');
        expect(text.split('\n')[0]).toBe('# Accuracy–cost frontier');
        expect(text).toMatch(/\nkind,label,cost_per_query_USD,accuracy,escalation_rate,lambda_from,lambda_to\n/);
        provenance(text);
      }],
    ] as const) {
      const saved = page.waitForEvent('download');
      await page.getByRole('button', { name: button }).click();
      const file = join(scratch, (await saved).suggestedFilename());
      await (await saved).saveAs(file);
      check(readFileSync(file));
    }

    const broken = join(scratch, 'broken.json');
    writeFileSync(broken, JSON.stringify({ ...config, clusters: 'not a list' }));
    await page.getByTestId('import-file').setInputFiles(broken);
    await page.getByRole('button', { name: 'Import and make current' }).click();
    await expect.poll(() => page.getByTestId('transfer-error').textContent()).toContain('clusters');

    await page.getByTestId('import-file').setInputFiles(configPath);
    await page.getByRole('button', { name: 'Import and make current' }).click();
    await expect.poll(() => page.getByTestId('transfer-message').textContent(), { timeout: 60_000 }).toContain('Imported tuned.json');
  });

  it('starts serving from the Export view only with a token of 16 characters or more, and says why', async () => {
    const { page } = app;
    await showView(page, 'Export / import');
    await page.getByTestId('serve-host').fill('0.0.0.0');
    await page.getByTestId('serve-token').fill('short');
    await page.getByRole('button', { name: 'Start serving' }).click();
    await expect.poll(async () => (await page.getByTestId('serve-error').textContent({ timeout: 30_000 })) ?? '').toMatch(/token.*at least 16 characters/);
    expect(await page.getByRole('button', { name: 'Stop', exact: true }).isDisabled()).toBe(true);
    expect(await page.getByTestId('serve-status').count()).toBe(0);
  });

  it('streams a live prompt through a tiny GGUF tier, with TTFT and TPOT, and stops it', async () => {
    const { page } = app;
    await showView(page, 'Workspace');
    await page.getByRole('button', { name: 'Add local tier' }).click();
    await page.getByRole('button', { name: 'Save pool' }).click();
    await page.getByText('✓ local-tier ready').waitFor({ timeout: 60_000 });
    await showView(page, 'Live');
    await page.getByTestId('live-prompt').fill('Once upon a time');
    // A few tokens per pass keep the cascade's passes short on a busy machine.
    await page.getByLabel('Max tokens').fill('12');
    // The tuned cascade names run-log models: Run stays disabled, naming those no tier stands for.
    // Stand the tiny GGUF model in for each, as a user trying the cascade offline would.
    const blocked = page.getByTestId('live-blocked');
    await blocked.waitFor({ timeout: 30_000 });
    const needed = [...((await blocked.textContent()) ?? '').matchAll(/"([^"]+)"/g)].map((m) => m[1]);
    expect(needed.length, (await blocked.textContent()) ?? '').toBeGreaterThan(0);
    expect(await page.getByRole('button', { name: 'Run cascade' }).isDisabled()).toBe(true);
    await showView(page, 'Workspace');
    await page.getByLabel('Stands for (run-log models)').last().selectOption(needed);
    await page.getByRole('button', { name: 'Save pool' }).click();
    // The form lists the picked models in the log's order, not the order the plan names them.
    const picked = page.getByText(/^answers for /).last();
    await expect.poll(async () => {
      const text = (await picked.textContent()) ?? '';
      return needed.every((m) => text.includes(m));
    }, { timeout: 60_000 }).toBe(true);
    await showView(page, 'Live');
    await page.getByRole('button', { name: 'Run cascade' }).click({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('live-status').textContent(), { timeout: 240_000 }).toMatch(/^(error|done)$/);
    const stream = page.getByTestId('live-stream').first();
    await expect.poll(async () => ((await stream.textContent()) ?? '').length, { timeout: 120_000 }).toBeGreaterThan(5);
    expect(await page.getByTestId('live-status').textContent()).toBe('done');
    expect(await page.getByTestId('live-tpot').first().textContent()).toMatch(/TPOT \d/);
    expect(await page.getByTestId('live-ttft').first().textContent()).toMatch(/TTFT \d/);

    // Stop: a long generation is cut short, and the page reports it aborted without an error. The tiny
    // model may reach its end of text before the click lands (Stop is then disabled, the run done):
    // such a run proves nothing about Stop, so it runs again; one of them must end aborted.
    // As many tokens as the tier's 1,024-token context leaves room for: more is refused (context_length_exceeded).
    await page.getByLabel('Max tokens').fill('900');
    const status = async () => (await page.getByTestId('live-status').textContent()) ?? '';
    const stop = page.getByRole('button', { name: 'Stop' });
    let outcome = '';
    for (let attempt = 0; attempt < 4 && outcome !== 'aborted'; attempt++) {
      await page.getByRole('button', { name: 'Run cascade' }).click();
      // Stop acts on a stream the page has a handle for: wait for tokens of this run (or its end).
      await expect.poll(async () => {
        const s = await status();
        return s === 'done' || s === 'error' || (s === 'running' && ((await stream.textContent()) ?? '').length > 0);
      }, { timeout: 120_000 }).toBe(true);
      await stop.click({ timeout: 2_000 }).catch(() => undefined);
      await expect.poll(status, { timeout: 60_000 }).toMatch(/^(aborted|done|error)$/);
      outcome = await status();
      expect(outcome, (await page.getByRole('alert').allTextContents()).join('; ')).not.toBe('error');
    }
    expect(outcome).toBe('aborted');
    expect(await stop.isDisabled()).toBe(true);
    expect((await page.getByRole('alert').allTextContents()).join('; ')).not.toMatch(/abortStream/);
  }, 900_000);

  it('sends one prompt to two tiers side by side, each with TTFT, TPOT, tokens and cost', async () => {
    const { page } = app;
    await showView(page, 'Workspace');
    await page.getByRole('button', { name: 'Add local tier' }).click();
    await page.getByLabel('Name', { exact: true }).last().fill('cmp-stories');
    await page.getByRole('button', { name: 'Add local tier' }).click();
    await page.getByLabel('GGUF file').last().fill('../shared/models/llama-2-tiny-random.gguf');
    await page.getByLabel('Name', { exact: true }).last().fill('cmp-random');
    await page.getByRole('button', { name: 'Save pool' }).click();
    await page.getByText('✓ cmp-random ready').waitFor({ timeout: 60_000 });
    await showView(page, 'Compare');
    const tiers = page.getByRole('group', { name: 'Tiers' });
    await tiers.getByRole('checkbox', { name: 'cmp-stories' }).check();
    await tiers.getByRole('checkbox', { name: 'cmp-random' }).check();
    await page.getByRole('button', { name: /Send to 2 tiers/ }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: /^(done|error|aborted)$/ }).count(), { timeout: 120_000 }).toBe(1);
    const columns = page.locator('[data-testid^="compare-"]');
    expect(await columns.count()).toBe(2);
    for (const column of await columns.all()) expect(await column.textContent()).toMatch(/TTFT \d.*TPOT .*\d+ tokens.*\$/);
  });

  it('saves a screenshot of every view in the light and the dark theme, at 1280×800 and 1920×1080', async () => {
    const { page } = app;
    for (const theme of ['light', 'dark'] as const) {
      if (theme === 'dark') await page.getByRole('button', { name: /Dark theme/ }).click();
      expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(theme);
      for (const size of [{ width: 1280, height: 800 }, { width: 1920, height: 1080 }]) {
        await page.setViewportSize(size);
        for (const [i, name] of VIEWS.entries()) {
          await showView(page, name);
          // The traces view with a trace open: its plan, rule and passes are what it is for.
          if (name === 'Query traces' && (await page.getByTestId('trace-detail').count()) === 0) await page.getByTestId('trace-table').locator('tbody tr').nth(4).click();
          await page.waitForTimeout(400);
          // Nothing wider than the window: a view that needs a horizontal scroll bar wastes the other axis.
          expect(await page.evaluate(() => document.documentElement.scrollWidth), `${name} at ${size.width}`).toBeLessThanOrEqual(size.width);
          await screenshot(page, `${theme}-${size.width}x${size.height}-${String(i).padStart(2, '0')}-${name.toLowerCase().replace(/[^a-z]+/g, '-')}`);
        }
      }
    }
    await page.setViewportSize({ width: 1400, height: 1000 });
  });
});
