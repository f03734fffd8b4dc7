import { getLlama, type Llama } from 'node-llama-cpp';

let shared: Promise<Llama> | undefined;

/**
 * The one Llama instance (native backend) all local tiers of the process share: loading the
 * backend twice wastes seconds and memory, and its thread pool should be planned once.
 */
export function sharedLlama(): Promise<Llama> {
  shared ??= getLlama().catch((err: unknown) => {
    shared = undefined;
    throw err;
  });
  return shared;
}
