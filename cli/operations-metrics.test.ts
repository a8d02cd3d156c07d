import { afterEach, describe, expect, it } from 'vitest';
import { SqliteCaseStore } from '../backends/sqlite/case-store.js';
import { openSqliteDatabase } from '../backends/sqlite/database.js';
import { SqliteJobQueue } from '../backends/sqlite/job-queue.js';
import { silentLogger } from '../core/log.js';
import { createMetricsRegistry } from '../core/metrics.js';
import { BREAKER_ID } from '../playbooks/safety/index.js';
import { registerOperationsMetrics } from './operations-metrics.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await (cleanups.pop() as () => Promise<void>)();
});

function setup() {
  const db = openSqliteDatabase(':memory:');
  const cases = new SqliteCaseStore(db);
  const queue = new SqliteJobQueue(db, { pollIntervalMs: 20 });
  cleanups.push(async () => {
    await queue.close();
    db.close();
  });
  const metrics = createMetricsRegistry({ defaultMetrics: false });
  registerOperationsMetrics(metrics, { queue, cases, logger: silentLogger() });
  return { cases, queue, metrics };
}

describe('operations metrics', () => {
  it('counts queued jobs by state and shows the breaker open and closed, read at scrape time', async () => {
    const { cases, queue, metrics } = setup();
    expect(await metrics.metrics()).toContain('watchpost_response_breaker_open 0');
    await queue.add({ name: 'report-test', id: 'a', data: {} });
    await queue.add({ name: 'report-test', id: 'b', data: {}, delayMs: 60_000 });
    const text = await metrics.metrics();
    expect(text).toContain('watchpost_queue_jobs{state="waiting"} 1');
    expect(text).toContain('watchpost_queue_jobs{state="delayed"} 1');
    expect(text).toContain('watchpost_queue_jobs{state="failed"} 0');
    const at = new Date().toISOString();
    await cases.controls.create({ id: BREAKER_ID, state: 'open', reason: 'rate', openedAt: at, createdAt: at, updatedAt: at });
    expect(await metrics.metrics()).toContain('watchpost_response_breaker_open 1');
  });

  it('leaves the gauges empty, not the exposition failed, when the store is closed', async () => {
    const { queue, metrics } = setup();
    await queue.close();
    const text = await metrics.metrics();
    expect(text).not.toMatch(/watchpost_queue_jobs\{/);
    expect(text).toContain('# HELP watchpost_queue_jobs');
  });
});
