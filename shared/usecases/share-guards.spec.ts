import { describe, expect, it } from 'vitest';
import { AccessCoalescer, InvalidAttemptLimiter, sessionKeyOf } from './share-guards.js';
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
