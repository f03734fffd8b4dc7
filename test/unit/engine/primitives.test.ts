// The core's one copy of each small primitive the engine, the embedder, the QE and the views share.
import { describe, expect, it } from 'vitest';
import { normalise } from '../../../core/embedder.js';
import { fnv1a, hexDigest } from '../../../core/hash.js';
import { taskCounts, topTask } from '../../../core/tasks.js';
import { cellIndex, type Workload } from '../../../core/workload.js';

describe('FNV-1a', () => {
  it('gives the reference 32-bit hashes', () => {
    // Test vectors of the FNV reference (Fowler, Noll, Vo): "", "a", "foobar".
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
    expect(fnv1a('bar', fnv1a('foo'))).toBe(fnv1a('foobar'));
  });

  it('digests bytes to 16 hex digits that change with any byte', () => {
    const a = hexDigest(Uint8Array.from([1, 2, 3]));
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(hexDigest(Uint8Array.from([1, 2, 4]))).not.toBe(a);
  });
});

describe('normalise', () => {
  it('scales in place to unit length and leaves a zero vector alone', () => {
    const v = Float32Array.from([3, 4]);
    expect(normalise(v)).toBe(v);
    expect([...v]).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect([...normalise(new Float32Array(3))]).toEqual([0, 0, 0]);
  });
});

describe('tasks', () => {
  const tasks = ['b', 'a', 'b', 'c', 'a', 'c'];
  it('counts the chosen rows per task, most first and ties by name', () => {
    expect(taskCounts(tasks)).toEqual([{ task: 'a', queries: 2 }, { task: 'b', queries: 2 }, { task: 'c', queries: 2 }]);
    expect(taskCounts(tasks, (i) => i !== 1)).toEqual([{ task: 'b', queries: 2 }, { task: 'c', queries: 2 }, { task: 'a', queries: 1 }]);
    expect(topTask(tasks, (i) => i >= 3)).toBe('c');
    expect(topTask(tasks, () => false)).toBe('');
  });
});

describe('cell index', () => {
  it('lays a workload out query by query', () => {
    const w = { models: ['x', 'y', 'z'] } as Workload;
    expect(cellIndex(w, 0, 2)).toBe(2);
    expect(cellIndex(w, 4, 1)).toBe(13);
  });
});
