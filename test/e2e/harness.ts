import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import type { AppClient } from '../../core/app-api.js';
import { AppService, type AppServiceOptions } from '../../server/app/app-service.js';
import { startHttpBridge, type HttpBridge } from '../../server/app/http-bridge.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The shared data, next to the repository, never copied into it. */
export const SHARED = resolve(ROOT, '../shared');
export const DATASET_DIR = join(SHARED, 'data/zeroeval-gsm8k-crux');
export const SCREENSHOTS = join(ROOT, 'test-artifacts/screenshots');

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Builds the renderer with the project's vite config into a fresh temporary folder, or reuses
 * a build named by CASCADE_LAB_RENDERER_DIR (the bench and repeated local runs save the build).
 */
export async function buildRenderer(): Promise<{ dir: string; remove(): void }> {
  const prebuilt = process.env.CASCADE_LAB_RENDERER_DIR;
  if (prebuilt) return { dir: resolve(prebuilt), remove: () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'cascade-lab-renderer-'));
  await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn', build: { outDir: dir, emptyOutDir: true } });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RunningApp {
  service: AppService;
  /** The engine as the renderer sees it: same methods, no browser. */
  api: AppClient;
  bridge: HttpBridge;
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

/** Starts the real service and HTTP bridge on a free port, and opens the app in Debian's Chromium. */
export async function startApp(staticDir: string, options: AppServiceOptions & { viewport?: { width: number; height: number } } = {}): Promise<RunningApp> {
  const service = await AppService.create({ dataDirs: [join(SHARED, 'data')], initialDataSet: 'shared:zeroeval-gsm8k-crux', baseDir: ROOT, ...options });
  const bridge = await startHttpBridge(service, { port: 0, staticDir });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1400, height: 1000 }, acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  await page.goto(bridge.url);
  return {
    service,
    api: service,
    bridge,
    browser,
    page,
    close: async () => {
      await browser.close();
      await bridge.close();
      await service.dispose();
      if (problems.length) throw new Error(`page errors: ${problems.join('; ')}`);
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
