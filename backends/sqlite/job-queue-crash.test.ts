import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startQueueWorkerProcess } from '../../test/helpers/queue-process.js';
import { openSqliteDatabase } from './database.js';
import { SqliteJobQueue } from './job-queue.js';

const LEASE_MS = 1000;

it('runs a job again after the process running it was killed with SIGKILL', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wp-queue-crash-'));
  const file = join(dir, 'watchpost.db');
  const db = openSqliteDatabase(file);
  const queue = new SqliteJobQueue(db, { pollIntervalMs: 50, leaseMs: LEASE_MS });
  const child = startQueueWorkerProcess(['sqlite', file, String(LEASE_MS)]);
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
    const deadline = Date.now() + LEASE_MS * 5;
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
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
