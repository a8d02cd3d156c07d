import { afterAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../../test/helpers/redis-server.js';
import { BullMqJobQueue } from './job-queue.js';

/**
 * close() during a Redis outage: BullMQ's own close waits for Redis forever, so a worker told to
 * stop while Redis is down would hang; the queue drops its connections after closeTimeoutMs.
 */
describe('BullMQ job queue: close while Redis is down', () => {
  let redis: RedisServer | undefined;
  afterAll(async () => {
    await redis?.destroy();
  });

  it('resolves within its timeout, with a worker running, and a job left running is run again later', async () => {
    redis = await startRedisServer();
    const prefix = `wp-outage-${process.pid}`;
    const queue = new BullMqJobQueue({ connection: redis.url, prefix, lockDurationMs: 1000, stalledIntervalMs: 500, closeTimeoutMs: 1500 });
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    queue.work('slow', async (job) => {
      started();
      await new Promise((resolve) => job.signal.addEventListener('abort', resolve, { once: true }));
      throw new Error('aborted');
    });
    await queue.add({ name: 'slow', id: 'slow-1', data: {}, attempts: 3 });
    await running;
    await redis.stop('SIGKILL');
    const began = Date.now();
    await queue.close();
    const took = Date.now() - began;
    expect(took).toBeGreaterThanOrEqual(1400);
    expect(took).toBeLessThan(6000);

    // Redis is back: the job that was running when the queue let go is run again by a new worker.
    await redis.start();
    const again = new BullMqJobQueue({ connection: redis.url, prefix, lockDurationMs: 1000, stalledIntervalMs: 500 });
    try {
      const done = new Promise<number>((resolve) => again.work('slow', async (job) => resolve(job.attempt)));
      await expect(Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error('the job was not run again')), 15_000))])).resolves.toBeGreaterThanOrEqual(1);
    } finally {
      await again.close();
    }
  }, 40_000);
});
