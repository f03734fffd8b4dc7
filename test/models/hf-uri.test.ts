import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalTierSpecSchema } from '../../core/pool.js';
import { GgufEmbedder } from '../../native-models/embedders/index.js';
import { ModelFileNotFoundError } from '../../native-models/tiers/errors.js';
import { LocalTier } from '../../native-models/tiers/local-tier.js';
import { TierPool } from '../../native-models/tiers/pool.js';

// `hf:` URIs go through node-llama-cpp's own resolveModelFile (3.21.1). It maps a URI to a file
// name in its models folder and uses a file already there without any network access:
// - `hf:user/repo/dir/file.gguf` (a file of the repository) → `hf_user_repo_dir_file.gguf`
// - `hf:user/repo-GGUF:Q8_0` (a quantisation tag)          → `hf_user_repo.Q8_0.gguf`
// There is no internet here, so these tests put the shared stories260K model in a temporary
// models folder (as symlinks, never copies) under those names and load it through the URIs.
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const stories = join(repoRoot, '..', 'shared', 'models', 'stories260K.gguf');
const FILE_URI = 'hf:ggml-org/models/tinyllamas/stories260K.gguf';
const FILE_NAME = 'hf_ggml-org_models_tinyllamas_stories260K.gguf';
const TAG_URI = 'hf:cascade-lab/stories260K-GGUF:Q8_0';
const TAG_NAME = 'hf_cascade-lab_stories260K.Q8_0.gguf';
const modelsDir = mkdtempSync(join(tmpdir(), 'cl-hf-models-'));
const spec = (name: string, model: string) => LocalTierSpecSchema.parse({ kind: 'local', name, model, contextSize: 256, threads: 1, sampling: { maxTokens: 16 } });

let byPath: LocalTier;
beforeAll(async () => {
  symlinkSync(stories, join(modelsDir, FILE_NAME));
  symlinkSync(stories, join(modelsDir, TAG_NAME));
  byPath = await LocalTier.create(spec('by-path', stories));
});
afterAll(async () => {
  await byPath.dispose();
  rmSync(modelsDir, { recursive: true, force: true });
});

describe('hf: model URIs, resolved offline from the models folder', () => {
  it('a local tier loads a repository file URI and answers as the same model by path', async () => {
    const tier = await LocalTier.create(spec('by-uri', FILE_URI), { modelsDir });
    try {
      expect(tier.modelPath).toBe(join(modelsDir, FILE_NAME));
      const [a, b] = [await tier.generate({ prompt: 'Once upon a time' }), await byPath.generate({ prompt: 'Once upon a time' })];
      expect(a.outputTokens).toBe(16);
      expect(a.text).toBe(b.text);
    } finally {
      await tier.dispose();
    }
  });

  it('a local tier loads a quantisation-tag URI, even with downloads off', async () => {
    const tier = await LocalTier.create(spec('by-tag', TAG_URI), { modelsDir, download: false });
    try {
      expect(tier.modelPath).toBe(join(modelsDir, TAG_NAME));
      expect((await tier.generate({ prompt: 'Once upon a time' })).text).toBe((await byPath.generate({ prompt: 'Once upon a time' })).text);
    } finally {
      await tier.dispose();
    }
  });

  it('the GGUF embedder loads an hf: URI and embeds as the same model by path', async () => {
    const [viaUri, viaPath] = [await GgufEmbedder.create(FILE_URI, { modelsDir, threads: 1, contextSize: 64 }), await GgufEmbedder.create(stories, { threads: 1, contextSize: 64 })];
    try {
      expect(viaUri.modelPath).toBe(join(modelsDir, FILE_NAME));
      const [[a], [b]] = [await viaUri.embed(['The dog ran to the park.']), await viaPath.embed(['The dog ran to the park.'])];
      expect([...a]).toEqual([...b]);
    } finally {
      await Promise.all([viaUri.dispose(), viaPath.dispose()]);
    }
  });

  it('a URI whose file is not there, with downloads off, is a ModelFileNotFoundError naming the tier, the URI and the file looked for', async () => {
    const missing = 'hf:ggml-org/models/tinyllamas/stories15M.gguf';
    const err = await LocalTier.create(spec('absent', missing), { modelsDir, download: false }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ModelFileNotFoundError);
    expect((err as ModelFileNotFoundError).where).toBe('tier "absent"');
    expect(String(err)).toContain(missing);
    expect(String(err)).toContain(join(modelsDir, 'hf_ggml-org_models_tinyllamas_stories15M.gguf'));

    const tagged = await GgufEmbedder.create('hf:cascade-lab/absent-GGUF:Q4_K_M', { modelsDir, download: false }).catch((x: unknown) => x);
    expect(tagged).toBeInstanceOf(ModelFileNotFoundError);
    expect(String(tagged)).toMatch(/embedder "gguf:hf:cascade-lab\/absent-GGUF:Q4_K_M".*cannot resolve model "hf:cascade-lab\/absent-GGUF:Q4_K_M"/);
  });
});

describe('a pool file sets the models folder and downloads for its local tiers', () => {
  it('resolves an hf: URI from a modelsDir relative to the pool file, with downloads off', async () => {
    const poolPath = join(dirname(modelsDir), `${basename(modelsDir)}.pool.json`);
    writeFileSync(poolPath, JSON.stringify({ version: 1, tiers: [{ kind: 'local', name: 'from-hub', model: TAG_URI, modelsDir: basename(modelsDir), download: false, contextSize: 256, threads: 1 }] }));
    try {
      const pool = await TierPool.open(poolPath);
      try {
        expect((pool.get('from-hub') as LocalTier).modelPath).toBe(join(modelsDir, TAG_NAME));
      } finally {
        await pool.dispose();
      }
    } finally {
      rmSync(poolPath, { force: true });
    }
  });
});
