import { describe, expect, it } from 'vitest';
import { AccessCoalescer, DenialCoalescer, InvalidAttemptLimiter, sessionKeyOf } from './share-guards.js';
import { ManualClock, T0 } from '../../test/shares/fakes.js';

describe('InvalidAttemptLimiter (token bucket per client)', () => {
  it('allows a burst of invalid attempts, then refuses until tokens refill', () => {
    const clock = new ManualClock(T0.getTime());
    const limiter = new InvalidAttemptLimiter(clock, { burst: 3, refillPerMinute: 1, maxClients: 100 });
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfterSeconds('a')).toBe(0);
      limiter.fail('a');
    }
    expect(limiter.retryAfterSeconds('a')).toBe(60);
    expect(limiter.retryAfterSeconds('b')).toBe(0);
    clock.advance(30_000);
    expect(limiter.retryAfterSeconds('a')).toBe(30);
    clock.advance(30_000);
    expect(limiter.retryAfterSeconds('a')).toBe(0);
  });

  it('keeps a bounded number of clients', () => {
    const limiter = new InvalidAttemptLimiter(new ManualClock(0), { burst: 1, refillPerMinute: 1, maxClients: 2 });
    limiter.fail('a');
    limiter.fail('b');
    limiter.fail('c'); // evicts a
    expect(limiter.retryAfterSeconds('a')).toBe(0);
    expect(limiter.retryAfterSeconds('c')).toBeGreaterThan(0);
  });
});

describe('AccessCoalescer', () => {
  it('records the first access per key in each window', () => {
    const clock = new ManualClock(0);
    const c = new AccessCoalescer(clock, 60_000);
    expect(c.shouldRecord('k')).toBe(true);
    expect(c.shouldRecord('k')).toBe(false);
    expect(c.shouldRecord('other')).toBe(true);
    clock.advance(59_999);
    expect(c.shouldRecord('k')).toBe(false);
    clock.advance(1);
    expect(c.shouldRecord('k')).toBe(true);
  });

  it('session keys are hashes, stable per client and user agent', () => {
    expect(sessionKeyOf('1.2.3.4', 'UA')).toBe(sessionKeyOf('1.2.3.4', 'UA'));
    expect(sessionKeyOf('1.2.3.4', 'UA')).not.toBe(sessionKeyOf('1.2.3.4', 'UA2'));
    expect(sessionKeyOf('1.2.3.4', 'UA')).not.toContain('1.2.3.4');
  });
});

describe('DenialCoalescer (denials on a known link)', () => {
  const note = (shareId: string, reason = 'share-revoked') => ({ tenantId: 't1', incidentId: 'inc-1', shareId, reason });

  it('one record at the first denial of a window, one summary of the repeats when it closes', () => {
    const clock = new ManualClock(0);
    const c = new DenialCoalescer(clock, 60_000);
    expect(c.note(note('s1'))).toEqual([{ ...note('s1'), attempts: 1 }]);
    for (let i = 0; i < 300; i++) expect(c.note(note('s1', i % 2 ? 'share-revoked' : 'evidence-not-shared'))).toEqual([]);
    expect(c.note(note('s2'))).toHaveLength(1);
    expect(c.drain()).toEqual([]); // still open
    clock.advance(60_000);
    // A denial after the window: the summary of the old window, then this one.
    expect(c.note(note('s1'))).toEqual([{ ...note('s1', 'share-revoked'), attempts: 300 }, { ...note('s1'), attempts: 1 }]);
    expect(c.drain()).toEqual([]); // s2 had no repeats: closed without a summary
    expect(c.size).toBe(1);
    expect(c.drain(true)).toEqual([]);
    expect(c.size).toBe(0);
  });

  it('keeps a bounded number of windows; the evicted one is summarised', () => {
    const c = new DenialCoalescer(new ManualClock(0), 60_000, 2);
    c.note(note('a'));
    c.note(note('a'));
    c.note(note('b'));
    expect(c.note(note('c'))).toEqual([{ ...note('a'), attempts: 1 }, { ...note('c'), attempts: 1 }]);
    expect(c.size).toBe(2);
  });

  it('tracks background writes until they finish', async () => {
    const c = new DenialCoalescer(new ManualClock(0));
    let done = 0;
    c.track(async () => {
      await new Promise((r) => setTimeout(r, 20));
      done++;
    });
    expect(done).toBe(0); // not before the caller has returned
    await c.idle();
    expect(done).toBe(1);
  });
});
