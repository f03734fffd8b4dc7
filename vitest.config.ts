import { defineConfig } from 'vitest/config';

// Fast suites run in parallel; suites that load a GGUF model or drive Chromium run
// one file at a time in a single fork, as node-llama-cpp's own suite does, because a
// native addon under parallel load on 2 cores gives flaky timings. The gpu project runs the
// same way, on a GPU backend when the machine has one.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'fast', include: ['test/fast/**/*.test.ts'], testTimeout: 60_000 } },
      {
        test: {
          name: 'serial',
          include: ['test/models/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          pool: 'forks',
          fileParallelism: false,
          maxWorkers: 1,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      // `npm run test:gpu`: a model on this machine's GPU backend; skipped where there is none.
      {
        test: {
          name: 'gpu',
          include: ['test/gpu/**/*.test.ts'],
          pool: 'forks',
          fileParallelism: false,
          maxWorkers: 1,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
