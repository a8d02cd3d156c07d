import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.js';
import { TokenBucketLimiter } from './rate-limit.js';

describe('TokenBucketLimiter', () => {
  it('allows the burst at once, then the rate, and says how long to wait', () => {
    const clock = new ManualClock(0);
    const limiter = new TokenBucketLimiter({ ratePerSecond: 10, burst: 50, clock });
    expect(limiter.take('a', 50)).toEqual({ ok: true });
    expect(limiter.take('a', 5)).toEqual({ ok: false, retryAfterMs: 500 });
    clock.advance(500);
    expect(limiter.check('a', 5)).toEqual({ ok: true });
    expect(limiter.take('a', 5)).toEqual({ ok: true });
    expect(limiter.take('a', 1)).toEqual({ ok: false, retryAfterMs: 100 });
    // Never more than the burst, however long it was quiet.
    clock.advance(3_600_000);
    expect(limiter.take('a', 51)).toEqual({ ok: false, retryAfterMs: Number.POSITIVE_INFINITY });
    expect(limiter.take('a', 50)).toEqual({ ok: true });
  });

  it('keeps keys apart, refunds, and forgets idle buckets past maxKeys', () => {
    const clock = new ManualClock(0);
    const limiter = new TokenBucketLimiter({ ratePerSecond: 1, burst: 2, clock, maxKeys: 2 });
    expect(limiter.take('a', 2).ok).toBe(true);
    expect(limiter.take('b', 2).ok).toBe(true);
    expect(limiter.take('a', 1).ok).toBe(false);
    limiter.refund('a', 2);
    expect(limiter.take('a', 2).ok).toBe(true);
    clock.advance(2_000);
    // Both buckets are full again, so a third key evicts them rather than growing the map.
    expect(limiter.take('c', 2).ok).toBe(true);
    expect(limiter.take('a', 2).ok).toBe(true);
  });
});
