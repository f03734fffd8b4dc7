import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudTierSpec } from '../../core/pool.js';
import { start as startUpstream, type Upstream } from '../helpers/openai-upstream.js';
import { buildRenderer, ROOT, screenshot, startApp, type RunningApp } from './harness.js';

// The live pool as a user meets it, in Debian's Chromium against the real engine and HTTP bridge
// on the public log: Run disabled with its reason on an empty pool, a GGUF tier whose file is
// checked and which stands for a run-log model, the pool back after a restart on the same state
// folder, a finished run opened as a workspace with Live totals over its tiers, and the banner
// that replaces "Failed to fetch" when the engine stops answering.

async function showView(page: Page, name: string): Promise<void> {
  await page.getByRole('tab', { name, exact: true }).click();
}

function cloud(name: string, url: string): CloudTierSpec {
  return {
    kind: 'cloud', name, baseUrl: url, model: 'm', usdPerMtokIn: 1, usdPerMtokOut: 2, concurrency: 2, timeoutMs: 5000,
    retry: { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0 }, sampling: { temperature: 0, maxTokens: 16, stop: [] },
  };
}

describe('the live pool in the browser', () => {
  let app: RunningApp | undefined;
  let renderer: { dir: string; remove(): void };
  let upstream: Upstream;
  let stateDir: string;
  let runsDir: string;

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'cascade-lab-e2e-state-'));
    runsDir = mkdtempSync(join(tmpdir(), 'cascade-lab-e2e-runs-'));
    upstream = await startUpstream({ reply: 'The answer is 18.', tokenDelayMs: 1 });
    renderer = await buildRenderer();
    app = await startApp(renderer.dir, { stateDir, runsDir });
  });

  afterAll(async () => {
    await app?.close();
    renderer?.remove();
    await upstream?.close();
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(runsDir, { recursive: true, force: true });
  });

  it('disables Run with its reason while the pool is empty', async () => {
    const { page } = app!;
    await showView(page, 'Live');
    const blocked = page.getByTestId('live-blocked');
    await expect.poll(() => blocked.textContent(), { timeout: 30_000 }).toBe('Run is disabled: the live pool is empty: add a local GGUF or cloud tier in the Workspace view.');
    expect(await page.getByRole('button', { name: 'Run cascade' }).isDisabled()).toBe(true);
    await screenshot(page, 'live-empty-pool');
  });

  it('checks a GGUF tier\'s file, lets it stand for a run-log model, and has the pool back after a restart', async () => {
    const { page, service } = app!;
    const model = (await service.getState()).workspace!.models[0].model;
    await showView(page, 'Workspace');
    await page.getByRole('button', { name: 'Add local tier' }).click();
    await page.getByLabel('Name', { exact: true }).last().fill('tiny');
    const file = page.getByTestId('model-file-tiny');
    await expect.poll(() => file.textContent(), { timeout: 60_000 }).toMatch(/^✓ file found · 1\.1 MiB · GGUF header reads \(llama, \d+ tensors\)$/);
    const missing = resolve(ROOT, '../shared/models/nope.gguf');
    await page.getByLabel('GGUF file').fill('../shared/models/nope.gguf');
    await expect.poll(() => file.textContent(), { timeout: 30_000 }).toBe(`✗ model file ${missing} does not exist`);
    await page.getByRole('button', { name: 'Save pool' }).click();
    await expect.poll(() => page.getByRole('alert').first().textContent(), { timeout: 30_000 }).toBe(`tier "tiny": model file ${missing} does not exist`);
    expect((await service.getState()).workspace!.pool).toBeNull();

    await page.getByLabel('GGUF file').fill('../shared/models/stories260K.gguf');
    await page.getByLabel('Stands for (run-log models)').selectOption([model]);
    await page.getByRole('button', { name: 'Save pool' }).click();
    await page.getByText('✓ tiny ready').waitFor({ timeout: 60_000 });
    expect((await service.getState()).workspace!.pool!.tiers).toMatchObject([{ kind: 'local', name: 'tiny', model: '../shared/models/stories260K.gguf', standsFor: [model] }]);
    await screenshot(page, 'pool-editor');

    // A new engine on the same state folder, told of no data set: the saved workspace and its pool come back.
    await app!.close();
    app = undefined;
    app = await startApp(renderer.dir, { stateDir, runsDir, initialDataSet: null });
    const again = app.page;
    await again.getByText('✓ tiny ready').waitFor({ timeout: 60_000 });
    expect(await again.getByLabel('GGUF file').inputValue()).toBe('../shared/models/stories260K.gguf');
    expect(await again.getByLabel('Stands for (run-log models)').evaluate((s) => Array.from((s as HTMLSelectElement).selectedOptions, (o) => o.value))).toEqual([model]);
    expect(await again.getByTestId('model-file-tiny').textContent({ timeout: 30_000 })).toMatch(/^(Checking the file…|✓ file found)/);
  });

  it('opens a finished run as a workspace that tunes, and Live runs it with per-pass and total cost and latency', async () => {
    const { page, service } = app!;
    await service.setPool({ version: 1, tiers: [cloud('run-a', upstream.url), cloud('run-b', upstream.url)] });
    await page.reload();
    await showView(page, 'Runs');
    await page.getByLabel('Data set').selectOption({ label: 'zeroeval-gsm8k-crux' });
    await page.getByLabel('First n queries (empty: all)').fill('12');
    await page.getByRole('button', { name: 'Start run' }).click();
    await expect.poll(() => page.getByTestId('run-state').first().textContent(), { timeout: 120_000 }).toBe('done');
    const [run] = await service.listRuns();
    await screenshot(page, 'runs-done');
    // Loading waits for the tune under way (of the workspace reopened at launch), as every load does.
    await page.getByRole('button', { name: 'Open this run as a workspace' }).click({ timeout: 200_000 });
    await page.getByRole('heading', { name: run.runId }).waitFor({ timeout: 60_000 });
    await expect.poll(() => page.getByTestId('tune-summary').textContent(), { timeout: 150_000 }).toMatch(/^Tuned: k = \d+ \(auto\), \d+ train \/ \d+ test queries/);
    const ws = (await service.getState()).workspace!;
    expect(ws.source).toBe(run.outDir);
    expect(ws.models.map((m) => m.model).sort()).toEqual(['run-a', 'run-b']);
    await screenshot(page, 'run-opened-as-workspace');

    await showView(page, 'Live');
    await page.getByTestId('live-prompt').fill('What is 9 + 9?');
    await page.getByRole('button', { name: 'Run cascade' }).click({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('live-status').textContent(), { timeout: 60_000 }).toBe('done');
    const passes = await page.locator('[data-testid^="live-pass-"]').count();
    expect(passes).toBeGreaterThan(0);
    expect(await page.getByTestId('live-totals').textContent()).toMatch(new RegExp(`^Total${passes} pass(es)?\\d+ / \\d+[\\d.]+ ms\\$[\\d.e-]+$`));
    expect(await page.getByTestId('live-tiers').textContent()).toMatch(/^The served plan uses run-(a|b) → run-(a|b)/);
    await screenshot(page, 'live-totals');
    await page.getByRole('button', { name: '☾ Dark theme' }).click();
    await screenshot(page, 'live-totals-dark');
    await showView(page, 'Workspace');
    await screenshot(page, 'pool-editor-dark');
    await page.getByRole('button', { name: '☀ Light theme' }).click();
  });

  it('shows "engine disconnected" with a reconnect action when the engine stops answering', async () => {
    const { page, bridge } = app!;
    await showView(page, 'Workspace');
    await bridge.close();
    const banner = page.getByTestId('engine-banner');
    await expect.poll(() => banner.textContent(), { timeout: 30_000 }).toMatch(/^Engine disconnected\. the event stream from http:\/\/127\.0\.0\.1:\d+ closed; retrying every 1 sReconnect$/);
    await page.getByRole('button', { name: 'Reconnect' }).click();
    // The reopened event stream and the state read both fail; whichever says so last, the banner stays.
    await expect.poll(() => banner.textContent(), { timeout: 30_000 }).toMatch(/^Engine disconnected\. (http:\/\/127\.0\.0\.1:\d+ did not answer getState \(.+\); start the engine again, then reconnect|the event stream from .+ closed; retrying every 1 s)Reconnect$/);
    expect(await page.getByRole('alert').filter({ hasText: /^engine disconnected: .+ did not answer getState/ }).count()).toBeGreaterThan(0);
    expect(await page.getByText('Failed to fetch', { exact: true }).count()).toBe(0);
    await screenshot(page, 'engine-disconnected');
  });
});
