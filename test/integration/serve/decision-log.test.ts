import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DecisionLog } from '../../../server/serve/decision-log.js';

const dirs: string[] = [];
async function tempDir() {
  const d = await mkdtemp(join(tmpdir(), 'serve-log-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('DecisionLog', () => {
  it('appends one JSON line per record, in order', async () => {
    const dir = await tempDir();
    const log = await DecisionLog.open({ dir });
    for (let i = 0; i < 50; i++) log.append({ i });
    await log.close();
    const lines = (await readFile(join(dir, 'decisions.jsonl'), 'utf8')).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).i)).toEqual([...Array(50).keys()]);
    expect(log.written).toBe(50);
  });

  it('rotates by size and keeps at most `keep` old files', async () => {
    const dir = await tempDir();
    const log = await DecisionLog.open({ dir, maxBytes: 2000, keep: 2 });
    const pad = 'x'.repeat(90);
    for (let i = 0; i < 200; i++) {
      log.append({ i, pad });
      // Let the writer catch up now and then, so several rotations happen.
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 5));
    }
    await log.close();
    const files = (await readdir(dir)).sort();
    expect(files).toEqual(['decisions.1.jsonl', 'decisions.2.jsonl', 'decisions.jsonl']);
    const kept = [];
    for (const f of files) {
      const text = await readFile(join(dir, f), 'utf8');
      expect(text === '' || text.endsWith('\n')).toBe(true);
      kept.push(...text.split('\n').filter(Boolean).map((l) => JSON.parse(l).i as number));
    }
    // The newest records survive; the oldest went with the rotated-out files.
    expect(Math.max(...kept)).toBe(199);
    expect(kept.length).toBeLessThan(200);
  });

  it('drops and counts records past the queue cap instead of growing without bound', async () => {
    const dir = await tempDir();
    let droppedSeen = 0;
    const log = await DecisionLog.open({ dir, maxQueued: 10, onDrop: (n) => (droppedSeen += n) });
    // All appended in one tick: the writer cannot drain in between, so only the cap is queued.
    for (let i = 0; i < 1000; i++) log.append({ i });
    expect(log.queued).toBeLessThanOrEqual(10);
    await log.close();
    expect(log.dropped).toBe(990);
    expect(droppedSeen).toBe(990);
    expect(log.written).toBe(10);
  });

  it('counts records appended after close as dropped', async () => {
    const log = await DecisionLog.open({ dir: await tempDir() });
    await log.close();
    expect(log.append({ late: true })).toBe(false);
    expect(log.dropped).toBe(1);
  });
});
