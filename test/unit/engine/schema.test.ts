import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { tunedConfigJsonSchemaText } from '../../../core/config-schema.js';
import { parseTunedConfig } from '../../../core/config.js';
import { InvalidInputError, UnsupportedVersionError } from '../../../core/errors.js';

describe('tuned config schema', () => {
  it('is committed exactly as scripts/gen-schema.ts generates it from zod', async () => {
    const committed = await readFile(new URL('../../../schema/tuned-config.schema.json', import.meta.url), 'utf8');
    expect(committed).toBe(tunedConfigJsonSchemaText());
  });

  it('refuses other versions before looking at any other field', () => {
    expect(() => parseTunedConfig({ version: 1 }, 'x.json')).toThrow(UnsupportedVersionError);
    expect(() => parseTunedConfig({ version: 3 }, 'x.json')).toThrow(UnsupportedVersionError);
    expect(() => parseTunedConfig({}, 'x.json')).toThrow(/x\.json: tuned config version undefined is not supported/);
    expect(() => parseTunedConfig(null)).toThrow(UnsupportedVersionError);
    expect(() => parseTunedConfig({ version: 2 }, 'x.json')).toThrow(InvalidInputError);
    expect(() => parseTunedConfig({ version: 2 }, 'x.json')).toThrow(/x\.json: field "createdAt"/);
  });
});
