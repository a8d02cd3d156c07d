import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BullMqJobQueue } from '../backends/redis/job-queue.js';
import { SqliteCaseStore } from '../backends/sqlite/case-store.js';
import { openSqliteDatabase } from '../backends/sqlite/database.js';
import { ManualClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import { reportJobId, WEEKLY_REPORT_JOB, type ReportJob, type WeeklyFigures } from '../core/reports/types.js';
import type { JobInfo, JobQueue } from '../core/stores/job-queue.js';
import { cleanupTestRedis, connectTestRedis } from '../test/helpers/redis.js';
import { testRedisUrl, uniquePrefix } from '../test/helpers/services.js';
import { startReportSchedule, type RunningReportSchedule } from './schedule.js';
import { reportJobHandler } from './service.js';
import { scheduledAt, type ReportSchedule } from './week.js';

const FIGURES = JSON.parse(readFileSync(new URL('./render/testdata/figures.json', import.meta.url), 'utf8')) as WeeklyFigures;
const SCHEDULE: ReportSchedule = { day: 'monday', time: '07:00', timeZone: 'Europe/Berlin' };
const WEEK_MS = 7 * 86_400_000;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await (cleanups.pop() as () => Promise<void> | void)();
});

async function finished(queue: JobQueue, id: string, timeoutMs = 15_000): Promise<JobInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await queue.get(id);
    if (info && (info.state === 'completed' || info.state === 'failed')) return info;
    if (Date.now() > deadline) throw new Error(`job ${id} did not finish: ${JSON.stringify(info)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('the weekly schedule on BullMQ', () => {
  it('the scheduled job runs once per period even with two workers (two BullMQ workers on the real Redis)', async () => {
    const admin = await connectTestRedis();
    const prefix = uniquePrefix('report-schedule');
    cleanups.push(() => cleanupTestRedis(admin, prefix));
    const dir = mkdtempSync(join(tmpdir(), 'wp-report-bull-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const clock = new ManualClock(scheduledAt('2026-W47', SCHEDULE) + 1000);
    const renders: string[] = [];

    const workers: { queue: BullMqJobQueue; cases: SqliteCaseStore; schedule: RunningReportSchedule }[] = [];
    for (let i = 0; i < 2; i++) {
      // Each "process": its own Redis connections and its own handle on the report store.
      const db = openSqliteDatabase(join(dir, 'watchpost.db'));
      const cases = new SqliteCaseStore(db);
      const queue = new BullMqJobQueue({ connection: testRedisUrl(), prefix, lockDurationMs: 5000, stalledIntervalMs: 2500 });
      const handler = queue.work<ReportJob>(
        WEEKLY_REPORT_JOB,
        reportJobHandler({
          cases,
          gather: async (period, nowMs) => ({ ...FIGURES, period, generatedAt: new Date(nowMs).toISOString() }),
          render: async (figures) => {
            renders.push(figures.period.week);
            await new Promise((resolve) => setTimeout(resolve, 50));
            return { pdf: Buffer.from(`%PDF-1.7 ${figures.period.week}`), pages: 1 };
          },
          organization: { name: 'Northwind' },
          timeZone: SCHEDULE.timeZone,
          clock,
          logger: silentLogger(),
        }),
      );
      const schedule = startReportSchedule({ queue, cases, schedule: SCHEDULE, enabled: true, keepWeeks: 104, clock, logger: silentLogger(), everyMs: 3_600_000 });
      cleanups.push(async () => {
        await schedule.close();
        await handler.close();
        await queue.close();
        db.close();
      });
      workers.push({ queue, cases, schedule });
    }
    const [a, b] = workers as [(typeof workers)[0], (typeof workers)[0]];

    for (let round = 0; round < 4; round++) {
      const ticks = await Promise.all([a.schedule.tick(), b.schedule.tick(), a.schedule.tick(), b.schedule.tick()]);
      expect(ticks.every((tick) => tick.week === '2026-W47' && !tick.added)).toBe(true);
    }
    expect(await finished(a.queue, reportJobId('2026-W47'))).toMatchObject({ state: 'completed', result: { outcome: 'generated' } });
    await Promise.all([a.schedule.tick(), b.schedule.tick()]);

    clock.advance(WEEK_MS);
    const next = await Promise.all([a.schedule.tick(), b.schedule.tick(), a.schedule.tick(), b.schedule.tick()]);
    expect(next.filter((tick) => tick.added)).toHaveLength(1);
    expect(await finished(b.queue, reportJobId('2026-W48'))).toMatchObject({ state: 'completed', result: { outcome: 'generated' } });
    await Promise.all([a.schedule.tick(), b.schedule.tick()]);
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(renders.sort()).toEqual(['2026-W47', '2026-W48']);
    expect((await a.cases.reports.list()).items.map((record) => [record.id, record.requestedBy, record.status])).toEqual([
      ['weekly.2026-W47', 'schedule', 'ready'],
      ['weekly.2026-W48', 'schedule', 'ready'],
    ]);
    expect((await a.queue.counts(WEEKLY_REPORT_JOB)).completed).toBe(2);
  });
});
