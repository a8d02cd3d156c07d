/**
 * A job-queue worker in its own process, for the kill -9 tests: it opens the queue given on its
 * command line, works the job name `crash`, prints `started <id> <attempt>` when a handler
 * starts, and then hangs in that handler until it is killed. Run by {@link startQueueWorkerProcess}.
 *
 *   vite-node test/helpers/queue-worker-process.ts sqlite <db file> <leaseMs>
 *   vite-node test/helpers/queue-worker-process.ts redis <url> <leaseMs> <prefix>
 */
import { BullMqJobQueue } from '../../backends/redis/job-queue.js';
import { openSqliteDatabase } from '../../backends/sqlite/database.js';
import { SqliteJobQueue } from '../../backends/sqlite/job-queue.js';
import type { JobQueue } from '../../core/stores/job-queue.js';

const [backend, target, lease, prefix] = process.argv.slice(2);
const leaseMs = Number(lease);
const queue: JobQueue =
  backend === 'sqlite'
    ? new SqliteJobQueue(openSqliteDatabase(target as string), { pollIntervalMs: 50, leaseMs })
    : new BullMqJobQueue({ connection: target, prefix, lockDurationMs: leaseMs, stalledIntervalMs: leaseMs / 2 });

queue.work('crash', async (job) => {
  process.stdout.write(`started ${job.id} ${job.attempt}\n`);
  await new Promise(() => undefined);
});
process.stdout.write('ready\n');
