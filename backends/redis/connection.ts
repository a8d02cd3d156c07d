import { Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../../core/config/schema.js';
import type { Logger } from '../../core/log.js';

/** Options of {@link createRedisConnection}. */
export interface RedisConnectionOptions {
  /** Connect on the first command instead of at once. @defaultValue false */
  readonly lazyConnect?: boolean;
  /**
   * A connection for BullMQ workers: commands wait through reconnects instead of failing
   * (`maxRetriesPerRequest: null`, which BullMQ requires of the connections its workers block
   * on). Otherwise a command fails after one reconnect attempt, so a producer sees an outage at
   * once and keeps its outbox entry. @defaultValue false
   */
  readonly forBullMQ?: boolean;
  /** Where connection trouble is logged (the URL's password redacted). @defaultValue nothing is logged */
  readonly logger?: Logger;
  /** The client name Redis shows in CLIENT LIST. @defaultValue "watchpost" */
  readonly name?: string;
}

/** Log connection errors at most this often: ioredis emits one per reconnect attempt. */
const ERROR_LOG_INTERVAL_MS = 30_000;

/**
 * Opens an ioredis connection from the `redis` config section (or ready-made ioredis options).
 * It reconnects forever with capped backoff (200 ms doubling to 5 s); its errors are logged,
 * rate-limited, with the password redacted, instead of reaching ioredis's console fallback.
 */
export function createRedisConnection(config: Pick<RedisConfig, 'url'> | RedisOptions, options: RedisConnectionOptions = {}): Redis {
  const settings: RedisOptions = {
    lazyConnect: options.lazyConnect ?? false,
    maxRetriesPerRequest: options.forBullMQ ? null : 1,
    connectionName: options.name ?? 'watchpost',
    retryStrategy: (times) => Math.min(200 * 2 ** Math.min(times - 1, 5), 5000),
  };
  const url = 'url' in config && typeof config.url === 'string' ? config.url : undefined;
  const redis = url === undefined ? new Redis({ ...settings, ...(config as RedisOptions) }) : new Redis(url, settings);
  const where = url === undefined ? describeOptions(config as RedisOptions) : redactRedisUrl(url);
  const logger = options.logger?.child({ redis: where });
  let lastErrorLoggedAt = Number.NEGATIVE_INFINITY;
  let failing = false;
  // Without an 'error' listener ioredis prints every failed reconnect to the console.
  redis.on('error', (error: Error) => {
    failing = true;
    const now = Date.now();
    if (now - lastErrorLoggedAt < ERROR_LOG_INTERVAL_MS) return;
    lastErrorLoggedAt = now;
    logger?.warn({ err: { message: error.message, code: (error as NodeJS.ErrnoException).code } }, 'redis connection error; reconnecting');
  });
  redis.on('ready', () => {
    if (!failing) return;
    failing = false;
    lastErrorLoggedAt = Number.NEGATIVE_INFINITY;
    logger?.info('redis connection restored');
  });
  return redis;
}

/** The URL with its password (and a user-only credential) replaced by `***`, for logs and errors. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    else if (parsed.username) parsed.username = '***';
    return parsed.toString();
  } catch {
    // Not a URL we can parse: say nothing rather than risk echoing a secret.
    return 'redis://[unparsable url]';
  }
}

/**
 * Closes a connection politely (QUIT, so queued replies arrive) when it is up, and at once when
 * it is not (a QUIT would wait for a reconnect that may never come).
 */
export async function closeRedisConnection(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}

function describeOptions(options: RedisOptions): string {
  return `redis://${options.host ?? '127.0.0.1'}:${options.port ?? 6379}/${options.db ?? 0}`;
}
