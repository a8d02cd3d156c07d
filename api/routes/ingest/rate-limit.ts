import { SYSTEM_CLOCK, type Clock } from '../../../core/clock.js';

/** Options of {@link TokenBucketLimiter}. */
export interface TokenBucketOptions {
  /** Tokens added per second. */
  readonly ratePerSecond: number;
  /** Most tokens a bucket holds: what a client may spend at once after being quiet. */
  readonly burst: number;
  /** @defaultValue the system clock */
  readonly clock?: Clock;
  /** Buckets kept before full (idle) ones are forgotten. @defaultValue 10000 */
  readonly maxKeys?: number;
}

/** The answer of {@link TokenBucketLimiter.take}. */
export type TakeResult = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * One token bucket per key (per API token), one token per event. In memory, per process: with
 * several API processes behind a balancer each allows the full rate, so the effective limit is
 * the configured one times the number of processes. Good enough to stop one runaway agent from
 * starving the others; a shared limit would need the Redis backend.
 */
export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly clock: Clock;
  private readonly maxKeys: number;

  constructor(private readonly options: TokenBucketOptions) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.maxKeys = options.maxKeys ?? 10_000;
  }

  /** The most tokens one take can ever get. */
  get burst(): number {
    return this.options.burst;
  }

  private bucket(key: string): Bucket {
    const now = this.clock.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.forgetIdle(now);
      bucket = { tokens: this.options.burst, at: now };
      this.buckets.set(key, bucket);
      return bucket;
    }
    const elapsed = Math.max(0, now - bucket.at);
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + (elapsed * this.options.ratePerSecond) / 1000);
    bucket.at = now;
    return bucket;
  }

  private forgetIdle(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) * this.options.ratePerSecond) / 1000 >= this.options.burst) this.buckets.delete(key);
    }
  }

  /** Whether `count` tokens are there now, without taking them (to refuse before reading a body). */
  check(key: string, count: number): TakeResult {
    const bucket = this.bucket(key);
    if (count <= bucket.tokens) return { ok: true };
    if (count > this.options.burst) return { ok: false, retryAfterMs: Number.POSITIVE_INFINITY };
    return { ok: false, retryAfterMs: Math.ceil(((count - bucket.tokens) * 1000) / this.options.ratePerSecond) };
  }

  /**
   * Takes `count` tokens if the bucket holds them; otherwise takes none and says how long until
   * it will (infinite when `count` exceeds the burst: that request can never pass).
   */
  take(key: string, count: number): TakeResult {
    const result = this.check(key, count);
    if (result.ok) (this.buckets.get(key) as Bucket).tokens -= count;
    return result;
  }

  /** Gives back tokens taken for work that was then not done (the sink refused the batch). */
  refund(key: string, count: number): void {
    const bucket = this.bucket(key);
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + count);
  }
}
