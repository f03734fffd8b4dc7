import { describe, expect, it, vi } from 'vitest';
import { ModelFileNotFoundError } from '../../../native-models/tiers/errors.js';
import { resolveModelPath } from '../../../native-models/tiers/resolve-model.js';

// node-llama-cpp's resolver stood in for, to see what a model URI is handed over with and to
// have a resolution that never ends (as an offline download does: ipull retries for minutes
// without listening to the signal). The real resolver, offline, is in test/models/hf-uri.test.ts.
const { calls } = vi.hoisted(() => ({ calls: [] as { uri: string; options: Record<string, unknown> }[] }));
vi.mock('node-llama-cpp', () => ({
  resolveModelFile: (uri: string, options: Record<string, unknown>) => {
    calls.push({ uri, options });
    if (uri.includes('hangs')) return new Promise(() => {});
    if (uri.includes('fails')) return Promise.reject(new Error('Failed to fetch manifest: fetch failed'));
    return Promise.resolve(`/models/${uri.replace(/[:/]/g, '_')}`);
  },
}));

describe('resolveModelPath', () => {
  it('hands a URI to node-llama-cpp’s resolver with the models folder and the download setting', async () => {
    calls.length = 0;
    expect(await resolveModelPath('hf:user/repo/file.gguf', { modelsDir: '/srv/models', download: false }, 'tier "t"')).toBe('/models/hf_user_repo_file.gguf');
    expect(calls).toEqual([{ uri: 'hf:user/repo/file.gguf', options: { cli: false, directory: '/srv/models', download: false } }]);
  });

  it('turns a resolver failure into a ModelFileNotFoundError naming where and the URI', async () => {
    const err = await resolveModelPath('hf:user/fails-GGUF:Q4_K_M', {}, 'tier "t"').catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ModelFileNotFoundError);
    expect(String(err)).toBe('ModelFileNotFoundError: tier "t": cannot resolve model "hf:user/fails-GGUF:Q4_K_M": Failed to fetch manifest: fetch failed');
  });

  it('gives up when the signal fires, even though the resolver never settles', async () => {
    const controller = new AbortController();
    const pending = resolveModelPath('hf:user/hangs/file.gguf', { signal: controller.signal }, 'tier "t"');
    setTimeout(() => controller.abort(new Error('loading cancelled')), 20);
    await expect(pending).rejects.toThrow('loading cancelled');
    await expect(resolveModelPath('hf:user/hangs/file.gguf', { signal: controller.signal }, 'tier "t"')).rejects.toThrow('loading cancelled');
  });
});
