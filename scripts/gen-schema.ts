// Writes schema/tuned-config.schema.json from the zod schema (core/config.ts).
// Run: npx tsx scripts/gen-schema.ts   (test/unit/engine/schema.test.ts checks the file is current)
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import writeFileAtomic from 'write-file-atomic';
import { tunedConfigJsonSchemaText } from '../core/config-schema.js';

const target = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../schema/tuned-config.schema.json');
await writeFileAtomic(target, tunedConfigJsonSchemaText());
process.stdout.write(`wrote ${target}\n`);
