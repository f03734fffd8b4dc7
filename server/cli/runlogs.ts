import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ModelCostFigures } from '../../core/cost.js';
import type { EmbedderFactory } from '../../core/embedder.js';
import { InvalidInputError } from '../../core/errors.js';
import { modelCostFigures, parsePoolFile } from '../../core/pool.js';
import { joinRunLogs, type RunLog } from '../../core/runlog.js';
import type { ManagedEmbedder } from '../../native-models/embedders/index.js';
import { loadRunLog } from '../../native-models/runlog/load.js';

/** Loads each --data path (any format loadRunLog reads) and joins them into one pool. */
export async function loadRunLogs(paths: readonly string[]): Promise<RunLog> {
  return joinRunLogs(await Promise.all(paths.map((p) => loadRunLog(p))));
}

/**
 * Per-model price and speed figures from a pool file (each run-log model priced as its tier, by
 * name or `standsFor`), for the cost metric where the run log has none. Read here (not through native-models/tiers) so tuning never loads a model runtime.
 */
export async function readPoolFigures(file: string, models: readonly string[]): Promise<Record<string, ModelCostFigures>> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InvalidInputError(code ? `cannot read pool file (${code})` : `malformed JSON (${(err as Error).message})`, file);
  }
  const pool = parsePoolFile(value, file);
  // A tier that stands for no model of the log prices nothing: most likely a typo in its name or standsFor.
  for (const t of pool.tiers) {
    for (const model of t.standsFor?.length ? t.standsFor : [t.name]) {
      if (!models.includes(model)) throw new InvalidInputError(`unknown model "${model}" in pricing (tier "${t.name}"; the run log has: ${models.join(', ')})`, file);
    }
  }
  return modelCostFigures(pool, models);
}

/**
 * The embedder factory for non-builtin specs (GGUF, OpenAI-compatible), behind the on-disk
 * embedding cache; `dispose` releases every embedder it made.
 */
export function cliEmbedderFactory(cacheDir: string | undefined): { factory: EmbedderFactory; dispose: () => Promise<void> } {
  const made: ManagedEmbedder[] = [];
  return {
    factory: async (spec) => {
      // Imported on demand: the GGUF embedder loads node-llama-cpp, which the built-in path never needs.
      const { createEmbedder, defaultEmbeddingCacheDir } = await import('../../native-models/embedders/index.js');
      const embedder = await createEmbedder(spec, { cacheDir: cacheDir ?? defaultEmbeddingCacheDir() });
      made.push(embedder);
      return embedder;
    },
    dispose: async () => {
      await Promise.all(made.map((e) => e.dispose()));
    },
  };
}

/** Name and version of this tool, from package.json, for the config's provenance. */
export function toolInfo(): { name: string; version: string } {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
  return { name: pkg.name, version: pkg.version };
}
