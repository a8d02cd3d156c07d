import type { Redis } from 'ioredis';
import { closeRedisConnection, createRedisConnection } from '../../backends/redis/connection.js';
import { testRedisUrl } from './services.js';

/**
 * Connects to the integration Redis and proves it answers: rejects (failing the suite, never
 * skipping it) when the server is unreachable.
 */
export async function connectTestRedis(): Promise<Redis> {
  const redis = createRedisConnection({ url: testRedisUrl() }, { name: 'watchpost-test' });
  try {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis at ${testRedisUrl()} did not answer PING within 5 s`)), 5000);
    });
    await Promise.race([redis.ping(), timeout]).finally(() => clearTimeout(timer));
    return redis;
  } catch (error) {
    redis.disconnect();
    throw new Error(`Redis at ${testRedisUrl()} is unreachable (start it with \`bash deploy/dev/services.sh up\`): ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Deletes every key under `prefix:` (SCAN, never KEYS, so a shared server is not blocked). */
export async function deleteRedisKeys(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** Deletes the test's keys and closes the connection. */
export async function cleanupTestRedis(redis: Redis, prefix: string): Promise<void> {
  try {
    await deleteRedisKeys(redis, prefix);
  } finally {
    await closeRedisConnection(redis);
  }
}
