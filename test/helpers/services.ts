import { randomBytes } from 'node:crypto';

/**
 * Where the integration suites find their real servers. `deploy/dev/services.sh up` starts them
 * and `services.sh env` prints these variables; without them the dev defaults are used, and a
 * suite whose server is not there fails (it never skips).
 */
export function testElasticsearchUrl(): string {
  return process.env.WATCHPOST_TEST_ES_URL ?? 'http://127.0.0.1:9250';
}

/** The Redis URL of the integration suites (see {@link testElasticsearchUrl}). */
export function testRedisUrl(): string {
  return process.env.WATCHPOST_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
}

/** A prefix unique to one test run, for index names, queue names and Redis keys: lowercase, safe everywhere. */
export function uniquePrefix(name: string): string {
  return `wpt-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${randomBytes(4).toString('hex')}`;
}
