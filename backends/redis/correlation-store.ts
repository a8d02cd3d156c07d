import type { Redis } from 'ioredis';
import { OperationalError, UnexpectedError } from '../../core/errors.js';
import type { CorrelationStore, WindowMember, WindowState } from '../../core/stores/correlation-store.js';
import type { BackendHealth } from '../../core/stores/event-store.js';

/** Options of {@link RedisCorrelationStore}. */
export interface RedisCorrelationStoreOptions {
  /** Prefix of every key; windows live at `<prefix>:corr:w:<key>`, claims at `<prefix>:corr:c:<key>`. */
  readonly prefix: string;
}

/**
 * One observation, atomically: the member keeps its latest time (ZADD GT), members at or before
 * `at - window` are forgotten, and the key expires `window` after its newest member — measured
 * from this observation, so a late event (older than the newest) does not shorten the key's life.
 *
 * KEYS: window. ARGV: member, atMs, windowMs. Returns { count, oldest score as a string }.
 */
const OBSERVE = `
local at = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], 'GT', at, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', at - window)
local count = redis.call('ZCARD', KEYS[1])
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil(tonumber(newest[2]) + window - at)))
return { count, oldest[2] }
`;

const HEALTH_TIMEOUT_MS = 2000;

/**
 * Correlation windows in Redis, shared by every ingest process that uses the same Redis and
 * prefix: one sorted set per key (member → time last seen), each observation one Lua script so
 * it is atomic across processes, and claims by SET NX PX. The connection belongs to the caller,
 * who closes it after {@link RedisCorrelationStore.close}.
 */
export class RedisCorrelationStore implements CorrelationStore {
  readonly kind = 'redis';
  private readonly windowPrefix: string;
  private readonly claimPrefix: string;
  private closed = false;

  constructor(
    private readonly redis: Redis,
    options: RedisCorrelationStoreOptions,
  ) {
    this.windowPrefix = `${options.prefix}:corr:w:`;
    this.claimPrefix = `${options.prefix}:corr:c:`;
    redis.defineCommand('wpCorrelationObserve', { numberOfKeys: 1, lua: OBSERVE });
  }

  async observe(key: string, member: string, atMs: number, windowMs: number): Promise<WindowState> {
    this.assertOpen();
    if (!Number.isFinite(atMs) || !Number.isFinite(windowMs) || windowMs <= 0) {
      throw new UnexpectedError('WATCHPOST_ERR_INTERNAL', `observe needs a finite time and a positive window, got atMs=${atMs} windowMs=${windowMs}`);
    }
    const observe = (this.redis as unknown as { wpCorrelationObserve: (...args: (string | number)[]) => Promise<[number, string]> })
      .wpCorrelationObserve;
    const [count, oldest] = await this.guard(() => observe.call(this.redis, this.windowPrefix + key, member, atMs, windowMs));
    return { count, oldestMs: Number(oldest) };
  }

  async members(key: string, sinceMs: number): Promise<WindowMember[]> {
    this.assertOpen();
    const min = Number.isFinite(sinceMs) ? `(${sinceMs}` : sinceMs > 0 ? '+inf' : '-inf';
    const flat = await this.guard(() => this.redis.zrangebyscore(this.windowPrefix + key, min, '+inf', 'WITHSCORES'));
    const result: WindowMember[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) result.push({ member: flat[i] as string, atMs: Number(flat[i + 1]) });
    return result;
  }

  async reset(key: string): Promise<void> {
    this.assertOpen();
    await this.guard(() => this.redis.del(this.windowPrefix + key));
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    this.assertOpen();
    const ttl = Math.max(1, Math.ceil(ttlMs));
    return (await this.guard(() => this.redis.set(this.claimPrefix + key, '1', 'PX', ttl, 'NX'))) === 'OK';
  }

  async health(): Promise<BackendHealth> {
    if (this.closed) return { state: 'down', detail: 'the correlation store is closed' };
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no PING answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
      });
      await Promise.race([this.redis.ping(), timeout]);
      return { state: 'up' };
    } catch (error) {
      return { state: 'down', detail: (error as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Marks the store closed; the connection is the caller's to close. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new UnexpectedError('WATCHPOST_ERR_INTERNAL', 'the correlation store was used after close()');
  }

  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new OperationalError('WATCHPOST_ERR_CORRELATION_UNAVAILABLE', `the Redis correlation store failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}
