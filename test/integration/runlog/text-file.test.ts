// JSON Lines are decoded line by line from the file's bytes; the values, line numbers and
// errors must be those of decoding the whole text first.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJsonLines, readTextFile, type TextFile } from '../../../native-models/runlog/text-file.js';

describe('readTextFile and parseJsonLines', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cascade-lab-text-file-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const lines = (file: TextFile) => [...parseJsonLines(file)];

  it('gives the same lines as the whole decoded text: BOM, CRLF, blank lines, non-ASCII, bad UTF-8, gzip', async () => {
    const body = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from('{"a":"plain"}\r\n\n  \n{"b":"naïve — 東京 🙂"}\n'),
      Buffer.from('{"c":"'), Buffer.from([0xc3]), Buffer.from('"}\n{"d":1}'),
    ]);
    for (const [name, bytes] of [['log.jsonl', body], ['log.jsonl.gz', gzipSync(body)]] as const) {
      const path = join(dir, name);
      await writeFile(path, bytes);
      const file = await readTextFile(path);
      const whole = { path: file.path, sha256: file.sha256, text: file.text };
      expect(file.text.charCodeAt(0)).not.toBe(0xfeff);
      expect(lines(file)).toEqual(lines(whole));
      expect(lines(file).map((l) => l.line)).toEqual([1, 4, 5, 6]);
      expect(lines(file)[2].value).toEqual({ c: '\ufffd' });
    }
  });

  it('names the same line when one is malformed', async () => {
    const path = join(dir, 'bad.jsonl');
    await writeFile(path, '{"a":1}\n{"b":\n');
    const file = await readTextFile(path);
    expect(() => lines(file)).toThrow(/bad\.jsonl:2/);
    expect(() => lines({ path: file.path, sha256: file.sha256, text: file.text })).toThrow(/bad\.jsonl:2/);
  });
});
