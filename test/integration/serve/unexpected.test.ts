// The process-wide guard, in a child process of its own: a rejection nothing handled is charged
// to the request it happened in, and the process lives on until the guard is released.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const MODULE = resolve(import.meta.dirname, '../../../server/unexpected.ts');

function runScript(body: string): { status: number | null; stdout: string; stderr: string } {
  const script = `const { guardProcess, runOwned } = await import(${JSON.stringify(MODULE)});\n${body}`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('guardProcess', () => {
  it('reports an unhandled rejection to the request that owns it, and one outside any request to the fallback, and the process lives on', () => {
    const r = runScript(`
      const seen = [];
      const release = guardProcess((err, id) => seen.push(['fallback', id, err.message]));
      runOwned({ id: 'req-7', report: (err, id) => seen.push(['owner', id, err.message]) }, () => {
        setTimeout(() => void Promise.reject(new Error('late')), 5);
      });
      void Promise.reject(new Error('loose'));
      setTimeout(() => { console.log(JSON.stringify(seen)); release(); }, 100);
    `);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([['fallback', null, 'loose'], ['owner', 'req-7', 'late']]);
  });

  it('gives the process its default back once the last guard is released', () => {
    const r = runScript(`
      const a = guardProcess(() => undefined);
      const b = guardProcess(() => undefined);
      a();
      void Promise.reject(new Error('still guarded'));
      setTimeout(() => { b(); void Promise.reject(new Error('unguarded')); }, 50);
    `);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unguarded/);
    expect(r.stderr).not.toMatch(/still guarded/);
  });
});
