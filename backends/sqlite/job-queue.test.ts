import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import type { JobQueue } from '../../core/stores/job-queue.js';
import { describeJobQueueContract } from '../../test/contracts/job-queue.contract.js';
import { openSqliteDatabase, type SqliteDatabase } from './database.js';
import { SqliteJobQueue, type SqliteJobQueueOptions } from './job-queue.js';

const LEASE_MS = 900;

/**
 * Every queue object gets its own database handle on one temp file, as separate processes
 * would; a crash closes that handle under the running queue.
 */
function openHarness(options: SqliteJobQueueOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'wp-queue-'));
  const file = join(dir, 'watchpost.db');
  const handles = new Map<JobQueue, SqliteDatabase>();
  const openQueue = (): SqliteJobQueue => {
    const db = openSqliteDatabase(file);
    const queue = new SqliteJobQueue(db, { pollIntervalMs: 50, leaseMs: LEASE_MS, ...options });
    handles.set(queue, db);
    return queue;
  };
  return {
    file,
    queue: openQueue(),
    reopen: async () => openQueue(),
    crash: async (queue: JobQueue) => {
      handles.get(queue)?.close();
    },
    cleanup: async () => {
      for (const [queue, db] of handles) {
        await queue.close();
        if (db.open) db.close();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describeJobQueueContract('sqlite', async () => openHarness(), { leaseMs: LEASE_MS });

describe('SqliteJobQueue', () => {
  it('forgets finished jobs after the retention, so their ids can be added again', async () => {
    const clock = new ManualClock(Date.now());
    const harness = openHarness({ clock, retentionMs: 60_000 });
    try {
      const { queue } = harness;
      const worker = queue.work('short-lived', async () => 'done');
      await queue.add({ name: 'short-lived', id: 'ret-1', data: {} });
      await waitUntil(async () => (await queue.get('ret-1'))?.state === 'completed');
      await worker.close();
      expect((await queue.add({ name: 'short-lived', id: 'ret-1', data: {} })).added).toBe(false);
      clock.advance(60_001);
      expect(await queue.get('ret-1')).toBeUndefined();
      expect((await queue.counts('short-lived')).completed).toBe(0);
      expect((await queue.add({ name: 'short-lived', id: 'ret-1', data: { again: true } })).added).toBe(true);
      expect((await queue.get('ret-1'))?.state).toBe('waiting');
    } finally {
      await harness.cleanup();
    }
  });

  it('keeps its jobs in the database file, where a new handle finds them', async () => {
    const harness = openHarness();
    try {
      await harness.queue.add({ name: 'on-disk', id: 'disk-1', data: { x: 1 } });
      const db = openSqliteDatabase(harness.file);
      try {
        const row = db.prepare('SELECT name, state, data FROM queue_jobs WHERE id = ?').get('disk-1');
        expect(row).toEqual({ name: 'on-disk', state: 'waiting', data: '{"x":1}' });
      } finally {
        db.close();
      }
    } finally {
      await harness.cleanup();
    }
  });

  it('reports down when its database handle is closed', async () => {
    const harness = openHarness();
    try {
      await harness.crash(harness.queue);
      expect((await harness.queue.health()).state).toBe('down');
    } finally {
      await harness.cleanup();
    }
  });
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
