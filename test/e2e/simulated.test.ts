import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRenderer, screenshot, startApp, type RunningApp } from './harness.js';

// A fresh start opens the built-in simulated pool, and every view must say it is made up.
describe('the default workspace is the SIMULATED pool, and says so', () => {
  let app: RunningApp;
  let renderer: { dir: string; remove(): void };

  beforeAll(async () => {
    renderer = await buildRenderer();
    app = await startApp(renderer.dir, { initialDataSet: undefined });
    await app.page.getByTestId('tune-summary').waitFor({ timeout: 150_000 });
  });

  afterAll(async () => {
    await app?.close();
    renderer?.remove();
  });

  it('labels the workspace SIMULATED in the header on every view and in a banner', async () => {
    const { page } = app;
    const state = await app.api.getState();
    expect(state.workspace?.simulated).toBe(true);
    expect(await page.getByTestId('simulated-banner').textContent()).toContain('SIMULATED');
    for (const view of ['Workspace', 'Cluster map', 'Budget', 'Query traces']) {
      await page.getByRole('tab', { name: view, exact: true }).click();
      expect(await page.getByTestId('workspace-badge').textContent()).toContain('SIMULATED');
    }
    await page.getByRole('tab', { name: 'Workspace', exact: true }).click();
    await screenshot(page, 'simulated-workspace');
    await page.getByRole('tab', { name: 'Budget', exact: true }).click();
    await page.getByTestId('frontier-chart').waitFor();
    // The figure says it too, inside the SVG an export saves: watermark and provenance line.
    expect(await page.getByTestId('simulated-watermark').textContent()).toBe('SIMULATED');
    expect(await page.getByTestId('figure-header').first().textContent()).toContain('SIMULATED data');
    await screenshot(page, 'simulated-budget');
  });
});
