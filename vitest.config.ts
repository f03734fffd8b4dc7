import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Test tiers, each a folder of test/ and a project runnable alone (`npm run test:unit` …):
//   unit         core (and pure renderer) code only: no files beyond the repo, no network, no subprocess; seconds
//   integration  real data (../shared), HTTP servers on 127.0.0.1, SQLite, CLI subprocesses
//   models       a real GGUF model (../shared/models)
//   e2e          Chromium against the real bridge
//   gpu          a model on this machine's GPU backend; skipped where there is none
// Unit and integration files run in parallel. Suites that load a GGUF model or drive Chromium
// run one file at a time in a single fork, as node-llama-cpp's own suite does, because a native
// addon under parallel load on 2 cores gives flaky timings; `groupOrder` keeps those projects
// from overlapping one another when `npm test` runs them all.
const TIERS = ['unit', 'integration', 'models', 'e2e', 'gpu'];

// A test file outside the tier folders would match no project and silently never run.
const testDir = fileURLToPath(new URL('./test/', import.meta.url));
const stray = readdirSync(testDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.test.ts') && !TIERS.includes(f.split(/[/\\]/)[0]));
if (stray.length > 0) throw new Error(`test files outside the tier folders (${TIERS.join(', ')}) would never run: ${stray.map((f) => `test/${f}`).join(', ')}`);

// Integration and later tiers spawn the CLI, which runs from the Node bundle: build it once before their files run in parallel.
const bundle = './test/helpers/build-bundle.ts';
const serial = { pool: 'forks', fileParallelism: false, maxWorkers: 1, testTimeout: 180_000, hookTimeout: 180_000 } as const;

export default defineConfig({
  test: {
    projects: [
      // Pure code: threads start faster than forks, and one module graph can serve every file.
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], pool: 'threads', isolate: false, testTimeout: 20_000 } },
      { test: { name: 'integration', include: ['test/integration/**/*.test.ts'], globalSetup: [bundle], testTimeout: 60_000, hookTimeout: 60_000 } },
      { test: { name: 'models', include: ['test/models/**/*.test.ts'], globalSetup: [bundle], ...serial, sequence: { groupOrder: 1 } } },
      { test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], globalSetup: [bundle], ...serial, sequence: { groupOrder: 2 } } },
      { test: { name: 'gpu', include: ['test/gpu/**/*.test.ts'], ...serial, sequence: { groupOrder: 3 } } },
    ],
  },
});
