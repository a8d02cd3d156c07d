import { describe, expect, it } from 'vitest';
import type { JobQueue } from '../../core/stores/job-queue.js';
import { describeJobQueueContract } from '../../test/contracts/job-queue.contract.js';
import { cleanupTestRedis, connectTestRedis } from '../../test/helpers/redis.js';
import { testRedisUrl, uniquePrefix } from '../../test/helpers/services.js';
import { BullMqJobQueue } from './job-queue.js';

const LOCK_MS = 1000;

/** Queue objects share one unique prefix, as processes share a Redis; a crash abandons one. */
async function openHarness() {
  const admin = await connectTestRedis();
  const prefix = uniquePrefix('job-queue');
  const queues: BullMqJobQueue[] = [];
  const openQueue = (): BullMqJobQueue => {
    const queue = new BullMqJobQueue({ connection: testRedisUrl(), prefix, lockDurationMs: LOCK_MS, stalledIntervalMs: 500 });
    queues.push(queue);
    return queue;
  };
  return {
    admin,
    prefix,
    queue: openQueue(),
    reopen: async () => openQueue(),
    crash: async (queue: JobQueue) => (queue as BullMqJobQueue).abandon(),
    cleanup: async () => {
      for (const queue of queues) await queue.close();
      await cleanupTestRedis(admin, prefix);
    },
  };
}

describeJobQueueContract('redis (BullMQ)', openHarness, { leaseMs: LOCK_MS });

describe('BullMqJobQueue', () => {
  it('keeps BullMQ keys under <prefix>:bull and finds a job by id through <prefix>:wp:jobnames', async () => {
    const harness = await openHarness();
    try {
      await harness.queue.add({ name: 'layout', id: 'lay-1', data: {} });
      expect(await harness.admin.hget(`${harness.prefix}:wp:jobnames`, 'lay-1')).toBe('layout');
      expect(await harness.admin.exists(`${harness.prefix}:bull:layout:wp.lay-1`)).toBe(1);
    } finally {
      await harness.cleanup();
    }
  });

  it('prunes ids whose jobs BullMQ removed, so they can be added again', async () => {
    const harness = await openHarness();
    try {
      const { queue } = harness;
      await queue.add({ name: 'pruned', id: 'gone-1', data: {} });
      await queue.add({ name: 'pruned', id: 'kept-1', data: {} });
      // What BullMQ's removeOnComplete by age does once the retention has passed.
      await harness.admin.del(`${harness.prefix}:bull:pruned:wp.gone-1`);
      expect(await queue.prune()).toBe(1);
      expect(await harness.admin.hkeys(`${harness.prefix}:wp:jobnames`)).toEqual(['kept-1']);
      expect(await queue.get('gone-1')).toBeUndefined();
      expect((await queue.add({ name: 'pruned', id: 'gone-1', data: {} })).added).toBe(true);
    } finally {
      await harness.cleanup();
    }
  });

  it('answers added:true once when the same new id is added concurrently', async () => {
    const harness = await openHarness();
    try {
      const other = await harness.reopen();
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? harness.queue : other).add({ name: 'race', id: 'race-1', data: { i } })),
      );
      expect(results.filter((r) => r.added)).toHaveLength(1);
      expect((await harness.queue.counts('race')).waiting).toBe(1);
    } finally {
      await harness.cleanup();
    }
  });

  it('reports down, not an exception, when Redis cannot be reached', async () => {
    const queue = new BullMqJobQueue({ connection: 'redis://127.0.0.1:1', prefix: uniquePrefix('down') });
    try {
      const health = await queue.health();
      expect(health.state).toBe('down');
      const error: unknown = await queue.add({ name: 'x', id: 'x', data: {} }).catch((e: unknown) => e);
      expect((error as { code?: string }).code).toBe('WATCHPOST_ERR_QUEUE_UNAVAILABLE');
    } finally {
      await queue.close();
    }
  });
});
