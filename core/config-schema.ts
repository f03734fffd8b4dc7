import { z } from 'zod';
import { TunedConfigSchema, TUNED_CONFIG_VERSION } from './config.js';

/**
 * The published JSON Schema of the tuned config (draft 2020-12), generated from the zod schema
 * so the two cannot drift; scripts/gen-schema.ts writes it to schema/tuned-config.schema.json.
 */
export function tunedConfigJsonSchema(): Record<string, unknown> {
  return {
    $id: `https://cascade-lab.dev/schema/tuned-config.v${TUNED_CONFIG_VERSION}.json`,
    title: `Cascade Lab tuned config, version ${TUNED_CONFIG_VERSION}`,
    ...z.toJSONSchema(TunedConfigSchema, { io: 'input' }),
  };
}

/** The schema file's exact text: two-space JSON with a trailing newline. */
export function tunedConfigJsonSchemaText(): string {
  return JSON.stringify(tunedConfigJsonSchema(), null, 2) + '\n';
}
