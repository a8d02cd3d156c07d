import { expect, it } from 'vitest';
import { cleanupTestRedis, connectTestRedis } from '../../test/helpers/redis.js';
import { startQueueWorkerProcess } from '../../test/helpers/queue-process.js';
import { testRedisUrl, uniquePrefix } from '../../test/helpers/services.js';
import { BullMqJobQueue } from './job-queue.js';

const LOCK_MS = 1000;

it('runs a job again after the process running it was killed with SIGKILL', async () => {
  const admin = await connectTestRedis();
  const prefix = uniquePrefix('queue-crash');
  const queue = new BullMqJobQueue({ connection: testRedisUrl(), prefix, lockDurationMs: LOCK_MS, stalledIntervalMs: LOCK_MS / 2 });
  const child = startQueueWorkerProcess(['redis', testRedisUrl(), String(LOCK_MS), prefix]);
  try {
    await child.line('ready');
    await queue.add({ name: 'crash', id: 'kill-9', data: { target: '203.0.113.7' } });
    expect(await child.line('started')).toBe('started kill-9 1');
    await child.kill();
    expect((await queue.get('kill-9'))?.state).toBe('active');
    const attempts: number[] = [];
    const worker = queue.work('crash', async (job) => {
      attempts.push(job.attempt);
      return 'recovered';
    });
    const deadline = Date.now() + LOCK_MS * 5 + 5000;
    while ((await queue.get('kill-9'))?.state !== 'completed') {
      if (Date.now() > deadline) throw new Error(`not recovered: ${JSON.stringify(await queue.get('kill-9'))}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(attempts).toEqual([2]);
    expect(await queue.get('kill-9')).toMatchObject({ attemptsMade: 2, result: 'recovered' });
    await worker.close();
  } finally {
    await child.kill();
    await queue.close();
    await cleanupTestRedis(admin, prefix);
  }
});
