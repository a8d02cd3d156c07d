import { describe, expect, it } from 'vitest';
import { describeCorrelationStoreContract } from '../../test/contracts/correlation-store.contract.js';
import { cleanupTestRedis, connectTestRedis } from '../../test/helpers/redis.js';
import { uniquePrefix } from '../../test/helpers/services.js';
import { closeRedisConnection, createRedisConnection } from './connection.js';
import { RedisCorrelationStore } from './correlation-store.js';

/** Every store gets its own connection, as separate ingest processes would; all share one prefix. */
async function openHarness() {
  const admin = await connectTestRedis();
  const prefix = uniquePrefix('correlation');
  const connections = [admin];
  const stores: RedisCorrelationStore[] = [];
  const openStore = async (): Promise<RedisCorrelationStore> => {
    const redis = await connectTestRedis();
    connections.push(redis);
    const store = new RedisCorrelationStore(redis, { prefix });
    stores.push(store);
    return store;
  };
  return {
    admin,
    prefix,
    store: await openStore(),
    peer: openStore,
    cleanup: async () => {
      for (const store of stores) await store.close();
      for (const redis of connections.slice(1)) await closeRedisConnection(redis);
      await cleanupTestRedis(admin, prefix);
    },
  };
}

describeCorrelationStoreContract('redis', openHarness);

describe('RedisCorrelationStore', () => {
  it('shares one window between two stores on separate connections', async () => {
    const harness = await openHarness();
    try {
      const other = await harness.peer();
      const t = Date.now();
      await harness.store.observe('spray|10.0.0.5', 'alice', t, 60_000);
      await other.observe('spray|10.0.0.5', 'bob', t + 1, 60_000);
      expect(await harness.store.observe('spray|10.0.0.5', 'carol', t + 2, 60_000)).toEqual({ count: 3, oldestMs: t });
      expect((await other.members('spray|10.0.0.5', 0)).map((m) => m.member)).toEqual(['alice', 'bob', 'carol']);
    } finally {
      await harness.cleanup();
    }
  });

  it('keeps its keys under the prefix with a TTL of the window after the newest member', async () => {
    const harness = await openHarness();
    try {
      const t = Date.now();
      await harness.store.observe('ttl', 'a', t, 60_000);
      await harness.store.observe('ttl', 'late', t - 30_000, 60_000);
      const ttl = await harness.admin.pttl(`${harness.prefix}:corr:w:ttl`);
      // The late sighting (30 s older than the newest) leaves the key 30 s more than a fresh one.
      expect(ttl).toBeGreaterThan(89_000);
      expect(ttl).toBeLessThanOrEqual(90_000);
      await harness.store.claim('c', 5000);
      expect(await harness.admin.pttl(`${harness.prefix}:corr:c:c`)).toBeGreaterThan(4000);
    } finally {
      await harness.cleanup();
    }
  });

  it('rejects with an OperationalError when Redis cannot be reached', async () => {
    const redis = createRedisConnection({ url: 'redis://127.0.0.1:1' });
    const store = new RedisCorrelationStore(redis, { prefix: uniquePrefix('down') });
    try {
      await expect(store.observe('k', 'a', Date.now(), 1000)).rejects.toMatchObject({ code: 'WATCHPOST_ERR_CORRELATION_UNAVAILABLE' });
      expect((await store.health()).state).toBe('down');
    } finally {
      await store.close();
      redis.disconnect();
    }
  });
});
