import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start, type Upstream } from '../helpers/openai-upstream.js';
import { buildRenderer, screenshot, startApp, type RunningApp } from './harness.js';

// The Runs view over a real OpenAI-compatible server on 127.0.0.1 that refuses the first query as
// too long: the run records it as unanswered with its reason, answers the rest, and the view shows
// the tier's unanswered queries by reason and its end-of-run summary; the next launch lists the
// finished run, ready to open as a workspace.
describe('the Runs view', () => {
  let app: RunningApp;
  let renderer: { dir: string; remove(): void };
  let upstream: Upstream;
  const runsDir = mkdtempSync(join(tmpdir(), 'cascade-lab-e2e-runs-'));

  beforeAll(async () => {
    upstream = await start({ reply: 'The answer is 18.', tokenDelayMs: 2 });
    renderer = await buildRenderer();
    app = await startApp(renderer.dir, { initialDataSet: undefined, runsDir });
    await app.page.getByTestId('tune-summary').waitFor({ timeout: 150_000 });
  });

  afterAll(async () => {
    await app?.close();
    renderer?.remove();
    await upstream?.close();
    rmSync(runsDir, { recursive: true, force: true });
  });

  it('shows a query the tier could not answer by reason, and the summary when the run ends', async () => {
    const { page, api } = app;
    await api.setPool({
      version: 1,
      tiers: [{ kind: 'cloud', name: 'up', baseUrl: upstream.url, model: 'm', usdPerMtokIn: 1, usdPerMtokOut: 2, concurrency: 1, timeoutMs: 5000, retry: { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0 }, sampling: { temperature: 0, maxTokens: 16, stop: [] } }],
    });
    upstream.setBehaviour({ kind: 'status', status: 400, times: 1, message: "This model's maximum context length is 16 tokens." });
    await page.reload();
    await page.getByRole('tab', { name: 'Runs', exact: true }).click();
    await page.getByLabel('Data set').selectOption({ label: 'zeroeval-gsm8k-crux' });
    await page.getByLabel('First n queries (empty: all)').fill('4');
    await page.getByRole('button', { name: 'Start run' }).click();
    await expect.poll(() => page.getByTestId('run-state').first().textContent(), { timeout: 60_000 }).toBe('done');
    const summary = page.getByTestId('run-summary-up');
    // gsm8k/0's reference is 18: refused, so nothing is right among the three answered.
    expect(await summary.textContent()).toMatch(/^up: 3 answered, 0 right \(0\.0%\) · 1 unanswered \(context_length 1\) · [\d.]+ s · [\d,]+ tokens in, 12 out · \$[\d.e-]+ · median TTFT [\d.]+ ms, TPOT [\d.]+ ms$/);
    expect(await page.getByRole('row', { name: /^up 4 \/ 4 1 \(context_length 1\) 0/ }).count()).toBe(1);
    await screenshot(page, 'runs-unanswered');
  });

  it('lists the finished run at the next launch, ready to open as a workspace', async () => {
    const runId = (await app.api.listRuns())[0].runId;
    await app.close();
    app = await startApp(renderer.dir, { initialDataSet: undefined, runsDir });
    const { page } = app;
    await page.getByRole('tab', { name: 'Runs', exact: true }).click();
    const run = page.getByRole('article', { name: `Run ${runId}` });
    await expect.poll(() => run.getByTestId('run-state').textContent(), { timeout: 30_000 }).toBe('done');
    expect(await run.getByTestId('run-summary-up').textContent()).toMatch(/^up: 3 answered, 0 right \(0\.0%\) · 1 unanswered \(context_length 1\) · /);
    // Enabled once the launch's own tune has finished.
    await expect.poll(() => run.getByRole('button', { name: 'Open this run as a workspace' }).isEnabled(), { timeout: 150_000 }).toBe(true);
    await screenshot(page, 'runs-earlier-launch');
  });
});
