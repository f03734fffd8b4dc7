import { stat } from 'node:fs/promises';
import { readGgufFileInfo } from 'node-llama-cpp';
import type { ModelFileInfo } from '../../core/app-api.js';

/**
 * Whether a GGUF file can be a local tier, before anything loads it: it exists, is a file, and its
 * GGUF header reads (node-llama-cpp's own reader; the weights are not touched). Every problem names `path`.
 */
export async function inspectModelFile(path: string): Promise<ModelFileInfo> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) return { path, exists: true, sizeBytes: null, header: null, problem: `${path} is not a file` };
    size = s.size;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    return { path, exists: !missing, sizeBytes: null, header: null, problem: missing ? `model file ${path} does not exist` : `cannot read ${path} (${(err as Error).message})` };
  }
  try {
    const info = await readGgufFileInfo(path, { sourceType: 'filesystem', readTensorInfo: true, logWarnings: false });
    const general = info.metadata.general as { architecture?: unknown; name?: unknown } | undefined;
    const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
    return { path, exists: true, sizeBytes: size, header: { architecture: text(general?.architecture), name: text(general?.name), tensors: info.tensorInfo?.length ?? 0 }, problem: null };
  } catch (err) {
    // The reader's message quotes the file's first bytes; any file on the engine's machine may be named, so they stay here.
    const why = /magic/i.test((err as Error).message) ? 'it does not start with the GGUF magic number' : 'its GGUF header does not parse';
    return { path, exists: true, sizeBytes: size, header: null, problem: `${path} is not a GGUF model file: ${why}` };
  }
}
