import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteCaseStore } from '../backends/sqlite/case-store.js';
import { openSqliteDatabase, type SqliteDatabase } from '../backends/sqlite/database.js';
import { SqliteJobQueue } from '../backends/sqlite/job-queue.js';
import { ManualClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import { reportJobId, WEEKLY_REPORT_JOB, type ReportJob, type WeeklyFigures } from '../core/reports/types.js';
import type { CaseStore } from '../core/stores/case-store.js';
import type { JobInfo, JobQueue } from '../core/stores/job-queue.js';
import { startReportSchedule, type RunningReportSchedule } from './schedule.js';
import { generateReport, reportJobHandler, type ReportDependencies } from './service.js';
import { scheduledAt, type ReportSchedule } from './week.js';

const FIGURES = JSON.parse(readFileSync(new URL('./render/testdata/figures.json', import.meta.url), 'utf8')) as WeeklyFigures;
const SCHEDULE: ReportSchedule = { day: 'monday', time: '07:00', timeZone: 'Europe/Berlin' };
/** 2026-W47's report is due on Monday 23 November 2026 at 07:00 Berlin (06:00Z). */
const DUE_W47 = scheduledAt('2026-W47', SCHEDULE);
const WEEK_MS = 7 * 86_400_000;

/** What every worker of a test did, shared as the stores are. */
interface Counters {
  readonly renders: string[];
}

/** One worker "process": its own connection to the shared file, its queue, store, handler and schedule. */
interface Worker {
  readonly db: SqliteDatabase;
  readonly queue: SqliteJobQueue;
  readonly cases: SqliteCaseStore;
  readonly schedule: RunningReportSchedule;
  close(): Promise<void>;
}

function dependencies(cases: CaseStore, clock: ManualClock, counters: Counters): ReportDependencies {
  return {
    cases,
    gather: async (period, nowMs) => ({ ...FIGURES, period, generatedAt: new Date(nowMs).toISOString() }),
    // A stand-in: this test is about how often generation runs, not what it draws.
    render: async (figures) => {
      counters.renders.push(figures.period.week);
      // Slow enough that both workers are polling while one generates.
      await new Promise((resolve) => setTimeout(resolve, 30));
      return { pdf: Buffer.from(`%PDF-1.7 ${figures.period.week}`), pages: 1 };
    },
    organization: { name: 'Northwind' },
    timeZone: SCHEDULE.timeZone,
    clock,
    logger: silentLogger(),
  };
}

function startWorker(file: string, clock: ManualClock, counters: Counters, options: { everyMs?: number; enabled?: boolean; keepWeeks?: number } = {}): Worker {
  const db = openSqliteDatabase(file);
  const queue = new SqliteJobQueue(db, { pollIntervalMs: 15 });
  const cases = new SqliteCaseStore(db);
  const handler = queue.work<ReportJob>(WEEKLY_REPORT_JOB, reportJobHandler(dependencies(cases, clock, counters)));
  const schedule = startReportSchedule({
    queue,
    cases,
    schedule: SCHEDULE,
    enabled: options.enabled ?? true,
    keepWeeks: options.keepWeeks ?? 104,
    clock,
    logger: silentLogger(),
    everyMs: options.everyMs ?? 3_600_000,
    retry: { attempts: 3, backoffMs: 20 },
  });
  return {
    db,
    queue,
    cases,
    schedule,
    async close() {
      await schedule.close();
      await handler.close();
      await queue.close();
      db.close();
    },
  };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await (cleanups.pop() as () => Promise<void> | void)();
});

function sharedFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wp-report-schedule-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'watchpost.db');
}

function workers(file: string, clock: ManualClock, counters: Counters, count: number, options?: Parameters<typeof startWorker>[3]): Worker[] {
  const started = Array.from({ length: count }, () => startWorker(file, clock, counters, options));
  cleanups.push(async () => {
    for (const worker of started) await worker.close();
  });
  return started;
}

async function finished(queue: JobQueue, id: string, timeoutMs = 10_000): Promise<JobInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await queue.get(id);
    if (info && (info.state === 'completed' || info.state === 'failed')) return info;
    if (Date.now() > deadline) throw new Error(`job ${id} did not finish: ${JSON.stringify(info)}`);
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}

describe('the weekly schedule', () => {
  it('the scheduled job runs once per period even with two workers (two queues and two schedulers on one SQLite file)', async () => {
    const file = sharedFile();
    const clock = new ManualClock(DUE_W47 - 60_000);
    const counters: Counters = { renders: [] };
    const [a, b] = workers(file, clock, counters, 2) as [Worker, Worker];

    // Before the due time the newest due week is 2026-W46; both workers' start ticks added it once.
    await Promise.all([a.schedule.tick(), b.schedule.tick()]);
    await finished(a.queue, reportJobId('2026-W46'));

    clock.set(DUE_W47 + 1000);
    for (let round = 0; round < 5; round++) {
      const ticks = await Promise.all([a.schedule.tick(), b.schedule.tick(), a.schedule.tick(), b.schedule.tick()]);
      expect(ticks.every((tick) => tick.week === '2026-W47')).toBe(true);
      expect(ticks.filter((tick) => tick.added).length).toBe(round === 0 ? 1 : 0);
    }
    expect(await finished(b.queue, reportJobId('2026-W47'))).toMatchObject({ state: 'completed', result: { outcome: 'generated' } });
    // Ticks after the job finished add nothing either.
    await Promise.all([a.schedule.tick(), b.schedule.tick()]);
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(counters.renders.sort()).toEqual(['2026-W46', '2026-W47']);
    expect((await a.cases.reports.list()).items.map((record) => [record.id, record.requestedBy, record.status])).toEqual([
      ['weekly.2026-W46', 'schedule', 'ready'],
      ['weekly.2026-W47', 'schedule', 'ready'],
    ]);
    const counts = await a.queue.counts(WEEKLY_REPORT_JOB);
    expect(counts.completed).toBe(2);
    expect(counts.waiting + counts.active + counts.delayed + counts.failed).toBe(0);

    // The next week: again once.
    clock.advance(WEEK_MS);
    await Promise.all([a.schedule.tick(), b.schedule.tick(), b.schedule.tick()]);
    await finished(a.queue, reportJobId('2026-W48'));
    await Promise.all([a.schedule.tick(), b.schedule.tick()]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(counters.renders.filter((week) => week === '2026-W48')).toHaveLength(1);
    expect((await b.cases.reports.list()).total).toBe(3);
  });

  it('generates a week once when a restarted worker finds the job purged but the report there', async () => {
    const file = sharedFile();
    const clock = new ManualClock(DUE_W47 + 1000);
    const counters: Counters = { renders: [] };
    const [first] = workers(file, clock, counters, 1) as [Worker];
    await finished(first.queue, reportJobId('2026-W47'));
    await first.close();
    cleanups.pop();
    // A new queue table (as if its jobs had been purged by retention) beside the same reports.
    const db = openSqliteDatabase(file);
    db.exec('DELETE FROM queue_jobs');
    db.close();
    const [restarted] = workers(file, clock, counters, 1);
    await finished((restarted as Worker).queue, reportJobId('2026-W47'));
    expect(await (restarted as Worker).queue.get(reportJobId('2026-W47'))).toMatchObject({ result: { outcome: 'skipped' } });
    expect(counters.renders).toEqual(['2026-W47']);
  });

  it('ticks on its timer until closed, adds nothing when disabled, and deletes reports past keepWeeks', async () => {
    const file = sharedFile();
    const clock = new ManualClock(DUE_W47 + 1000);
    const counters: Counters = { renders: [] };
    const db = openSqliteDatabase(file);
    cleanups.push(() => {
      db.close();
    });
    const cases = new SqliteCaseStore(db);
    // An old report, made by hand, due for deletion with keepWeeks 4.
    const oldClock = new ManualClock(DUE_W47 + 1000);
    await generateReport(dependencies(cases, oldClock, counters), { week: '2026-W40', requestedBy: 'alice', mail: false });

    const [worker] = workers(file, clock, counters, 1, { everyMs: 20, enabled: false, keepWeeks: 4 }) as [Worker];
    await until(async () => (await cases.reports.get('weekly.2026-W40')) === undefined);
    expect(await cases.reportFiles.get('weekly.2026-W40')).toBeUndefined();
    expect(await worker.queue.get(reportJobId('2026-W47'))).toBeUndefined();
    await worker.close();
    cleanups.splice(cleanups.length - 1, 1);

    const [enabled] = workers(file, clock, counters, 1, { everyMs: 20 }) as [Worker];
    await finished(enabled.queue, reportJobId('2026-W47'));
    clock.advance(WEEK_MS);
    // No manual tick: the timer finds the next week.
    await finished(enabled.queue, reportJobId('2026-W48'));
    await enabled.schedule.close();
    clock.advance(WEEK_MS);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await enabled.queue.get(reportJobId('2026-W49'))).toBeUndefined();
  });
});
