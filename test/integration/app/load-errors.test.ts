// A run-log path that is not a run log: the bridge answers 400 naming what is wrong, and never
// reads the file's contents back to the caller.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppServer, type AppServer } from '../../../server/app/app-server.js';

let dir: string;
let server: AppServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'load-errors-'));
  server = await startAppServer({ port: 0, simulatedDir: null, initialDataSet: null, runsDir: dir });
});
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

const load = (path: string) =>
  fetch(`${server.origin}/api/loadWorkspace`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` }, body: JSON.stringify({ kind: 'path', path }) });

describe('loadWorkspace with a bad path', () => {
  it('answers 400 for a CSV without the run-log columns, naming them but not echoing the header', async () => {
    const file = join(dir, 'notes.csv');
    await writeFile(file, 'sk-live-SECRET,password\n1,2\n');
    const res = await load(file);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { name: string; message: string } };
    expect(body.error.name).toBe('MissingColumnError');
    expect(body.error.message).toMatch(/missing columns "qid"/);
    expect(body.error.message).not.toMatch(/SECRET|password/);
  });

  it('answers 400 for a file that does not exist', async () => {
    expect((await load(join(dir, 'nope.csv'))).status).toBe(400);
  });
});
