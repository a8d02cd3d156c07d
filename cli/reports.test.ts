import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SqliteCaseStore } from '../backends/sqlite/case-store.js';
import { openSqliteDatabase } from '../backends/sqlite/database.js';
import { SqliteEventStore } from '../backends/sqlite/event-store.js';
import { SqliteJobQueue } from '../backends/sqlite/job-queue.js';
import { ManualClock } from '../core/clock.js';
import { loadConfig } from '../core/config/load.js';
import { createLogger } from '../core/log.js';
import { reportJobId, WEEKLY_REPORT_JOB } from '../core/reports/types.js';
import type { JobInfo, JobQueue } from '../core/stores/job-queue.js';
import { PERIOD, seedWeek } from '../reports/figures/testdata/seed.js';
import { scheduledAt } from '../reports/week.js';
import { startReports, type RunningReports } from './reports.js';

interface Received {
  readonly to: string[];
  readonly raw: string;
}

const received: Received[] = [];
let server: SMTPServer;
let port: number;

beforeAll(async () => {
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({ to: session.envelope.rcptTo.map((rcpt) => rcpt.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const cleanups: (() => Promise<void> | void)[] = [];
beforeEach(() => {
  received.length = 0;
});
afterEach(async () => {
  while (cleanups.length > 0) await (cleanups.pop() as () => Promise<void> | void)();
});

/** A data directory with the seeded week 2026-W46 (Europe/Berlin), and a worker composed over it. */
async function start(yaml: string, options: { work?: boolean } = {}): Promise<{ running: RunningReports; queue: JobQueue; cases: SqliteCaseStore; dir: string; lines: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'wp-reports-cli-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const db = openSqliteDatabase(join(dir, 'watchpost.db'));
  const cases = new SqliteCaseStore(db);
  const events = new SqliteEventStore(db);
  const queue = new SqliteJobQueue(db, { pollIntervalMs: 20 });
  cleanups.push(async () => {
    await queue.close();
    db.close();
  });
  await seedWeek(cases, events);
  const config = loadConfig({ text: yaml.replaceAll('DATA_DIR', dir), env: {} });
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => lines.push(line) } });
  // The week's report is due a second ago.
  const clock = new ManualClock(scheduledAt(PERIOD.week, { day: 'monday', time: '07:00', timeZone: 'Europe/Berlin' }) + 1000);
  const running = startReports({ config, events, cases, queue, logger, clock, work: options.work ?? true, env: {}, retry: { attempts: 2, backoffMs: 50 } });
  cleanups.push(() => running.close());
  return { running, queue, cases, dir, lines };
}

async function finished(queue: JobQueue, id: string, timeoutMs = 30_000): Promise<JobInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await queue.get(id);
    if (info && (info.state === 'completed' || info.state === 'failed')) return info;
    if (Date.now() > deadline) throw new Error(`job ${id} did not finish: ${JSON.stringify(info)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function config(mailDriver = 'mail'): string {
  return `
dataDir: DATA_DIR
organization:
  name: Northwind Logistics
reports:
  schedule: { day: monday, time: "07:00", timeZone: Europe/Berlin }
  mail: { driver: ${mailDriver}, to: [ciso@northwind.example] }
response:
  drivers:
    - id: mail
      type: smtp
      settings: { host: 127.0.0.1, port: PORT, from: "Watchpost <watchpost@northwind.example>", timeoutMs: 5000 }
`.replace('PORT', String(port));
}

describe('startReports in the worker role', () => {
  it('generates the due week on start with the real figures and renderer, mails it, and serves it to the API', async () => {
    const { running, queue, dir } = await start(config());
    expect(await finished(queue, reportJobId(PERIOD.week))).toMatchObject({ state: 'completed', result: { outcome: 'generated', status: 'ready' } });
    const record = await running.operations.get(`weekly.${PERIOD.week}`);
    expect(record).toMatchObject({ status: 'ready', requestedBy: 'schedule', period: PERIOD, mail: { accepted: ['ciso@northwind.example'], rejected: [] } });
    expect(record?.pages).toBeGreaterThan(1);
    const pdf = await running.operations.file(`weekly.${PERIOD.week}`);
    expect(pdf?.subarray(0, 5).toString()).toBe('%PDF-');
    writeFileSync(join(dir, 'report.pdf'), pdf as Buffer);
    const text = execFileSync('pdftotext', [join(dir, 'report.pdf'), '-'], { encoding: 'utf8' });
    expect(text).toContain('2026-W46');
    expect(text).toContain('Northwind Logistics');

    expect(received).toHaveLength(1);
    const raw = (received[0] as Received).raw;
    expect(raw).toMatch(/Content-Disposition: attachment; filename=watchpost-weekly-2026-W46\.pdf/);
    // The attachment's base64 starts with "%PDF-" encoded.
    expect(raw).toMatch(/filename=watchpost-weekly-2026-W46\.pdf\r?\n(?:[A-Za-z-]+: [^\r\n]*\r?\n)*\r?\nJVBERi0/);
    expect((await running.operations.list()).map((listed) => listed.id)).toEqual([`weekly.${PERIOD.week}`]);

    // A request from the API runs again, under a job id of its own.
    const requested = await running.operations.request({ week: PERIOD.week, mail: false, requestedBy: 'alice' });
    expect(await finished(queue, requested.jobId)).toMatchObject({ state: 'completed', result: { outcome: 'generated' } });
    expect(await running.operations.get(requested.id)).toMatchObject({ requestedBy: 'alice', status: 'ready' });
    expect(received).toHaveLength(1);
  }, 60_000);

  it('records why a report was not mailed when reports.mail names a driver that is not there', async () => {
    const { running, queue, lines } = await start(config('missing'));
    const info = await finished(queue, reportJobId(PERIOD.week));
    expect(info).toMatchObject({ state: 'failed', attemptsMade: 1 });
    expect(await running.operations.get(`weekly.${PERIOD.week}`)).toMatchObject({
      status: 'ready',
      mail: { error: expect.stringContaining('no driver missing in response.drivers') },
    });
    expect(lines.some((line) => line.includes('weekly reports will not be mailed'))).toBe(true);
    expect(received).toHaveLength(0);
  }, 60_000);

  it('in the API role only queues: no handler runs, no schedule adds', async () => {
    const { running, queue } = await start(config(), { work: false });
    const requested = await running.operations.request({ mail: true, requestedBy: 'alice' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await queue.get(requested.jobId)).toMatchObject({ state: 'waiting' });
    expect(await queue.get(reportJobId(PERIOD.week))).toBeUndefined();
    expect((await queue.counts(WEEKLY_REPORT_JOB)).waiting).toBe(1);
  });

  it('refuses a time zone the runtime does not know', async () => {
    await expect(start(config().replace('timeZone: Europe/Berlin', 'timeZone: Mars/Olympus'))).rejects.toMatchObject({ code: 'WATCHPOST_ERR_REPORT_INVALID' });
  });
});
