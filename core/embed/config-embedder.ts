import type { TunedConfig } from '../config.js';
import type { Embedder } from '../embedder.js';
import { InvalidInputError } from '../errors.js';
import { BuiltinEmbedder } from './tfidf.js';

/** Embeds texts; the built-in embedder answers synchronously, which keeps its hot path free of awaits. */
export type EmbedTexts = (texts: string[]) => Float32Array[] | Promise<Float32Array[]>;

/**
 * The embedding a tuned config routes with, for serving and the live cascade alike: the built-in
 * embedder rebuilt from the config's fitted state, or the caller's GGUF or OpenAI-compatible one
 * (`embedder`, loaded from the config's spec). Either must have the id the config was fitted with,
 * or routing would compare different vectors; a mismatch is an InvalidInputError naming both.
 */
export function configEmbedder(config: TunedConfig, embedder: Embedder | undefined, where: string): EmbedTexts {
  if (config.embedder.spec.kind === 'builtin') {
    if (config.embedder.state === null) throw new InvalidInputError('the built-in embedder has no fitted state', `${where}: embedder.state`);
    const builtin = BuiltinEmbedder.fromState(config.embedder.state, `${where}: embedder.state`);
    if (builtin.id !== config.embedder.id) throw new InvalidInputError(`the rebuilt embedder's id ${builtin.id} differs from the fitted one ${config.embedder.id}`, `${where}: embedder.id`);
    return (texts) => texts.map((t) => builtin.embedOne(t));
  }
  if (!embedder) throw new InvalidInputError(`the config's "${config.embedder.spec.kind}" embedder must be loaded to route with it`, `${where}: embedder.spec`);
  if (embedder.id !== config.embedder.id) {
    throw new InvalidInputError(`the embedder given is ${embedder.id}, but the config was tuned with ${config.embedder.id}: routing would compare different vectors`, `${where}: embedder.id`);
  }
  return (texts) => embedder.embed(texts);
}
