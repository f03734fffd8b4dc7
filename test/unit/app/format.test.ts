// The renderer's thousands separators read as en-US toLocaleString does, without Intl.
import { describe, expect, it } from 'vitest';
import { count } from '../../../renderer/format.js';

describe('count', () => {
  it('groups thousands as en-US does', () => {
    for (const x of [0, 7, 999, 1000, 2119, 38142.4, 1234567, -45678, 999.5]) expect(count(x)).toBe(Math.round(x).toLocaleString('en-US'));
  });
});
