import { describe, expect, it } from 'vitest';
import { Cancellation } from '../../../core/cancellation.js';

describe('Cancellation', () => {
  it('aborts once: sets the reason and calls each listener still registered, in order', () => {
    const c = new Cancellation();
    const calls: string[] = [];
    const a = () => calls.push('a');
    const b = () => calls.push('b');
    c.addEventListener('abort', a);
    c.addEventListener('abort', b);
    c.addEventListener('abort', () => calls.push('c'));
    c.removeEventListener('abort', b);
    expect(c.aborted).toBe(false);
    c.abort('first');
    c.abort('second');
    expect(c.aborted).toBe(true);
    expect(c.reason).toBe('first');
    expect(calls).toEqual(['a', 'c']);
  });

  it('never calls a listener added after the abort, and removing an unknown listener is harmless', () => {
    const c = new Cancellation();
    c.removeEventListener('abort', () => {});
    c.abort(new Error('gone'));
    let called = false;
    c.addEventListener('abort', () => (called = true));
    c.abort(new Error('again'));
    expect(called).toBe(false);
    expect((c.reason as Error).message).toBe('gone');
  });

  it('follows a parent signal until unfollowed, as a tier attempt follows its request', () => {
    const request = new Cancellation();
    const attempt = new Cancellation();
    attempt.follow(request);
    request.abort('client left');
    expect(attempt.aborted).toBe(true);
    expect(attempt.reason).toBe('client left');

    const later = new Cancellation();
    const other = new Cancellation();
    const unfollow = other.follow(later);
    unfollow();
    later.abort('too late');
    expect(other.aborted).toBe(false);

    const gone = new Cancellation();
    gone.abort('already');
    const child = new Cancellation();
    child.follow(gone);
    expect(child.reason).toBe('already');
    expect(new Cancellation().follow(undefined)).toBeTypeOf('function');
  });
});
