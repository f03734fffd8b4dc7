import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRenderer, screenshot, SHARED, startApp, type RunningApp } from './harness.js';

// The backend badge in the header, each local tier's fit in the pool editor, and the offload a
// local tier reports beside TTFT and TPOT in the Live and Compare views, in Debian's Chromium
// against the real engine and the tiny stories260K GGUF model.
describe('local tiers on this machine\'s backend, in the browser', () => {
  let app: RunningApp;
  let renderer: { dir: string; remove(): void };
  let onCpu: boolean;

  beforeAll(async () => {
    renderer = await buildRenderer();
    app = await startApp(renderer.dir, { initialDataSet: 'simulated', viewport: { width: 1400, height: 900 } });
    const { service, page } = app;
    onCpu = (await service.getHardware()).backend.backend === 'cpu';
    // One local tier that stands for every model of the run log, so the live cascade routes any prompt to it.
    const models = (await service.getState()).workspace!.models.map((m) => m.model);
    await service.setPool({
      version: 1,
      tiers: [{
        kind: 'local', name: 'stories', model: `${SHARED}/models/stories260K.gguf`, standsFor: models, gpuLayers: 'auto', contextSize: 512, threads: 1,
        concurrency: 1, download: false, contextOverflow: 'clip', sampling: { temperature: 0, maxTokens: 16, stop: [] }, usdPerMtokIn: 0, usdPerMtokOut: 0,
      }],
    });
    await page.reload();
  });
  afterAll(async () => {
    await app?.close();
    renderer?.remove();
  });

  it('shows the backend in the header and the tier\'s fit in the pool editor', async () => {
    const { page } = app;
    const badge = page.getByTestId('backend-badge');
    await expect.poll(() => badge.textContent(), { timeout: 60_000 }).toMatch(/^(CPU only|GPU: (cuda|vulkan|metal))/);
    expect(await page.getByTestId('pool-backend').textContent()).toMatch(/^Local tiers run on (cpu \(no GPU: .+\)|cuda|vulkan|metal).*CPU math cores\.$/);
    const fit = page.getByTestId('fit-stories');
    await fit.waitFor({ timeout: 60_000 });
    if (onCpu) {
      expect(await badge.textContent()).toMatch(/^CPU onlycpu \(no GPU: .+\), \d+ CPU math cores/);
      expect(await fit.textContent()).toMatch(/^Before loading: CPU only: needs [\d.]+ MiB, 0 B free; [\d.]+ MiB of RAM$/);
    } else {
      expect(await fit.textContent()).toMatch(/^Before loading: 6\/6 layers on GPU/);
    }
    await screenshot(page, 'hardware-workspace');
  });

  it('shows the offload beside TTFT and TPOT in Live and Compare', async () => {
    const { page } = app;
    const layers = onCpu ? /TTFT .* · TPOT .*cpu, 0\/6 layers offloaded, [\d.]+ MiB RAM/ : /TTFT .* · TPOT .*, 6\/6 layers offloaded/;
    await page.getByRole('tab', { name: 'Live', exact: true }).click();
    await page.getByTestId('live-prompt').fill('Once upon a time');
    await page.getByLabel('Max tokens').fill('8');
    await page.getByRole('button', { name: 'Run cascade' }).click();
    await expect.poll(() => page.getByTestId('live-status').textContent(), { timeout: 120_000 }).toMatch(/^(error|done)$/);
    expect((await page.getByRole('alert').allTextContents()).join('; ')).toBe('');
    expect(await page.getByTestId('live-pass-0').textContent()).toMatch(layers);
    await screenshot(page, 'hardware-live');

    await page.getByRole('tab', { name: 'Compare', exact: true }).click();
    await page.getByRole('group', { name: 'Tiers' }).getByRole('checkbox', { name: 'stories' }).check();
    await page.getByRole('button', { name: /Send to 1 tier/ }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: /^(done|error|aborted)$/ }).count(), { timeout: 120_000 }).toBe(1);
    expect(await page.getByTestId('compare-stories').textContent()).toMatch(layers);
    // What the tier's CPU threads do, on hover.
    expect(await page.getByTestId('compare-stories').getByTestId('offload').getAttribute('title')).toMatch(/^CPU threads \(1\) /);
    await screenshot(page, 'hardware-compare');
  });
});
