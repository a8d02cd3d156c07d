import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SqliteCaseStore } from '../backends/sqlite/case-store.js';
import { openSqliteDatabase, type SqliteDatabase } from '../backends/sqlite/database.js';
import { SqliteJobQueue } from '../backends/sqlite/job-queue.js';
import { ManualClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import { MAX_REPORT_BYTES, reportId, reportJobId, WEEKLY_REPORT_JOB, type ReportJob, type ReportPeriod, type WeeklyFigures } from '../core/reports/types.js';
import type { JobInfo } from '../core/stores/job-queue.js';
import { smtpDriver, smtpSender, SmtpSettings } from '../playbooks/actions/notify/smtp.js';
import type { Driver } from '../playbooks/actions/types.js';
import { addReportJob, deleteExpiredReports, SCHEDULE_REQUESTER } from './schedule.js';
import {
  createReportOperations,
  generateReport,
  reportJobHandler,
  reportSubject,
  weekRange,
  type RenderReport,
  type ReportDependencies,
  type ReportMailer,
} from './service.js';
import { weekPeriod } from './week.js';

const FIGURES = JSON.parse(readFileSync(new URL('./render/testdata/figures.json', import.meta.url), 'utf8')) as WeeklyFigures;
const ZONE = 'Europe/Berlin';
/** Monday 30 November 2026, 09:00 in Berlin: weeks up to 2026-W48 have ended. */
const NOW = Date.parse('2026-11-30T08:00:00.000Z');
const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

interface Harness {
  readonly dir: string;
  readonly db: SqliteDatabase;
  readonly cases: SqliteCaseStore;
  readonly queue: SqliteJobQueue;
  readonly clock: ManualClock;
  readonly calls: { gather: ReportPeriod[]; render: { week: string; logo?: Buffer; attribution?: string }[] };
  deps(patch?: Partial<ReportDependencies>): ReportDependencies;
}

/** A PDF-looking stand-in: the scheduling and storage tests are not about the layout. */
function standInRender(calls: Harness['calls'], size?: number): RenderReport {
  return async (figures, options) => {
    calls.render.push({ week: figures.period.week, ...(options.logo ? { logo: options.logo } : {}), ...(options.attribution ? { attribution: options.attribution } : {}) });
    const head = Buffer.from(`%PDF-1.7\n% stand-in for ${figures.period.week} generated ${figures.generatedAt}\n`);
    return { pdf: size === undefined ? head : Buffer.concat([head, Buffer.alloc(size - head.length, 0x20)]), pages: 4 };
  };
}

const harnesses: Harness[] = [];
function harness(): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'wp-report-service-'));
  const db = openSqliteDatabase(join(dir, 'watchpost.db'));
  const cases = new SqliteCaseStore(db);
  const queue = new SqliteJobQueue(db, { pollIntervalMs: 20 });
  const clock = new ManualClock(NOW);
  const calls: Harness['calls'] = { gather: [], render: [] };
  const made: Harness = {
    dir,
    db,
    cases,
    queue,
    clock,
    calls,
    deps: (patch = {}) => ({
      cases,
      gather: async (period, nowMs) => {
        calls.gather.push(period);
        return { ...FIGURES, period, generatedAt: new Date(nowMs).toISOString() };
      },
      render: standInRender(calls),
      organization: { name: 'Northwind Logistics' },
      timeZone: ZONE,
      attribution: 'IP data: test',
      clock,
      logger: silentLogger(),
      ...patch,
    }),
  };
  harnesses.push(made);
  return made;
}

afterEach(async () => {
  for (const made of harnesses.splice(0)) {
    await made.queue.close();
    made.db.close();
    rmSync(made.dir, { recursive: true, force: true });
  }
});

async function settled(queue: SqliteJobQueue, id: string, timeoutMs = 10_000): Promise<JobInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await queue.get(id);
    if (info && (info.state === 'completed' || info.state === 'failed')) return info;
    if (Date.now() > deadline) throw new Error(`job ${id} did not finish: ${JSON.stringify(info)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('weekRange and reportSubject', () => {
  it('writes the local dates of the week the way people read them', () => {
    expect(weekRange(weekPeriod('2026-W47', ZONE))).toBe('16–22 Nov 2026');
    expect(weekRange(weekPeriod('2026-W49', 'UTC'))).toBe('30 Nov – 6 Dec 2026');
    expect(weekRange(weekPeriod('2026-W01', 'UTC'))).toBe('29 Dec 2025 – 4 Jan 2026');
    expect(reportSubject('Northwind Logistics', weekPeriod('2026-W47', ZONE))).toBe('[Northwind Logistics] Weekly threat report 2026-W47 (16–22 Nov 2026)');
  });
});

describe('generateReport', () => {
  it('keeps the PDF and a ready record with its size, digest, pages and headline figures', async () => {
    const h = harness();
    const { record, pdf } = await generateReport(h.deps(), { week: '2026-W47', requestedBy: 'alice', mail: false });
    expect(pdf?.subarray(0, 5).toString()).toBe('%PDF-');
    const sha256 = createHash('sha256').update(pdf as Buffer).digest('hex');
    expect(record).toMatchObject({
      id: 'weekly.2026-W47',
      kind: 'weekly',
      period: weekPeriod('2026-W47', ZONE),
      requestedBy: 'alice',
      status: 'ready',
      pages: 4,
      sizeBytes: (pdf as Buffer).length,
      sha256,
      summary: { alerts: FIGURES.alerts.total, incidentsOpened: FIGURES.incidents.opened, blocked: FIGURES.response.blocked.length },
    });
    expect(record.mail).toBeUndefined();
    expect(h.calls.gather).toEqual([weekPeriod('2026-W47', ZONE)]);
    expect(h.calls.render[0]).toMatchObject({ week: '2026-W47', attribution: 'IP data: test' });
    const operations = createReportOperations({ cases: h.cases, queue: h.queue, timeZone: ZONE, clock: h.clock });
    expect(await operations.get('weekly.2026-W47')).toEqual(record);
    expect((await operations.file('weekly.2026-W47'))?.equals(pdf as Buffer)).toBe(true);
    expect(await operations.file('weekly.2026-W01')).toBeUndefined();
  });

  it('replaces the earlier report of the same week, keeping one record', async () => {
    const h = harness();
    const first = await generateReport(h.deps(), { week: '2026-W47', requestedBy: 'alice', mail: false });
    h.clock.advance(3600_000);
    const second = await generateReport(h.deps(), { week: '2026-W47', requestedBy: 'bob', mail: false });
    expect(second.record.sha256).not.toBe(first.record.sha256);
    const listed = await h.cases.reports.list();
    expect(listed.total).toBe(1);
    expect(listed.items[0]).toMatchObject({ requestedBy: 'bob', sha256: second.record.sha256, createdAt: new Date(NOW + 3600_000).toISOString() });
    const file = await h.cases.reportFiles.get('weekly.2026-W47');
    expect(Buffer.from(file?.base64 ?? '', 'base64').equals(second.pdf as Buffer)).toBe(true);
  });

  it('refuses a week that has not ended and a week written wrong, writing nothing', async () => {
    const h = harness();
    await expect(generateReport(h.deps(), { week: '2026-W49', requestedBy: 'alice', mail: false })).rejects.toMatchObject({
      code: 'WATCHPOST_ERR_REPORT_INVALID',
      message: expect.stringContaining('2026-W49 has not ended yet'),
    });
    await expect(generateReport(h.deps(), { week: '2026-47', requestedBy: 'alice', mail: false })).rejects.toMatchObject({ code: 'WATCHPOST_ERR_REPORT_INVALID' });
    await expect(generateReport(h.deps(), { week: '2025-W53', requestedBy: 'alice', mail: false })).rejects.toMatchObject({ code: 'WATCHPOST_ERR_REPORT_INVALID' });
    expect(h.calls.gather).toEqual([]);
    expect((await h.cases.reports.list()).total).toBe(0);
  });

  it('reads the logo at generation and refuses one that is not a PNG or JPEG', async () => {
    const h = harness();
    const logo = join(h.dir, 'logo.png');
    writeFileSync(logo, PNG_1X1);
    await generateReport(h.deps({ organization: { name: 'Northwind', logo } }), { week: '2026-W47', requestedBy: 'alice', mail: false });
    expect(h.calls.render[0]?.logo?.equals(PNG_1X1)).toBe(true);
    writeFileSync(logo, '<svg xmlns="http://www.w3.org/2000/svg"/>');
    await expect(generateReport(h.deps({ organization: { name: 'Northwind', logo } }), { week: '2026-W46', requestedBy: 'alice', mail: false })).rejects.toMatchObject({
      code: 'WATCHPOST_ERR_REPORT_INVALID',
      message: expect.stringMatching(/^organization\.logo: .*neither PNG nor JPEG/),
    });
    await expect(generateReport(h.deps({ organization: { name: 'Northwind', logo: join(h.dir, 'gone.png') } }), { week: '2026-W46', requestedBy: 'alice', mail: false })).rejects.toMatchObject({
      code: 'WATCHPOST_ERR_REPORT_INVALID',
      message: expect.stringContaining('ENOENT'),
    });
    expect(await h.cases.reports.get('weekly.2026-W46')).toBeUndefined();
  });

  it('records a PDF over the limit as failed with the reason, and keeps a ready report of the week instead', async () => {
    const h = harness();
    const tooLarge = h.deps({ render: standInRender(h.calls, MAX_REPORT_BYTES + 1) });
    await expect(generateReport(tooLarge, { week: '2026-W46', requestedBy: 'alice', mail: false })).rejects.toMatchObject({ code: 'WATCHPOST_ERR_REPORT_RENDER' });
    expect(await h.cases.reports.get('weekly.2026-W46')).toMatchObject({ status: 'failed', error: expect.stringContaining(`over the ${MAX_REPORT_BYTES}-byte limit`) });
    expect(await h.cases.reportFiles.get('weekly.2026-W46')).toBeUndefined();

    const ready = await generateReport(h.deps(), { week: '2026-W47', requestedBy: 'alice', mail: false });
    await expect(generateReport(tooLarge, { week: '2026-W47', requestedBy: 'bob', mail: false })).rejects.toMatchObject({ code: 'WATCHPOST_ERR_REPORT_RENDER' });
    expect(await h.cases.reports.get('weekly.2026-W47')).toMatchObject({ status: 'ready', sha256: ready.record.sha256, requestedBy: 'alice' });
    expect(await h.cases.reportFiles.get('weekly.2026-W47')).toBeDefined();
  });

  it('turns a renderer crash into a retried render error', async () => {
    const h = harness();
    const broken = h.deps({ render: () => Promise.reject(new TypeError('cannot read x of undefined')) });
    await expect(generateReport(broken, { week: '2026-W46', requestedBy: 'alice', mail: false })).rejects.toMatchObject({
      code: 'WATCHPOST_ERR_REPORT_RENDER',
      intent: 'operational',
      message: expect.stringContaining('cannot read x of undefined'),
    });
  });
});

describe('report operations', () => {
  it('queues the last full week by default under a job id of its own, and refuses a week not over', async () => {
    const h = harness();
    const operations = createReportOperations({ cases: h.cases, queue: h.queue, timeZone: ZONE, clock: h.clock });
    const first = await operations.request({ mail: true, requestedBy: 'alice' });
    const second = await operations.request({ mail: false, requestedBy: 'bob' });
    expect(first).toMatchObject({ id: 'weekly.2026-W48', week: '2026-W48' });
    expect(first.jobId).toMatch(/^weekly-report\.2026-W48\.[0-9a-f]{12}$/);
    expect(second.jobId).not.toBe(first.jobId);
    expect(await h.queue.get(first.jobId)).toMatchObject({ name: WEEKLY_REPORT_JOB, state: 'waiting', data: { week: '2026-W48', mail: true, requestedBy: 'alice' }, attempts: 5 });
    expect((await operations.request({ week: '2026-W10', mail: false, requestedBy: 'bob' })).id).toBe('weekly.2026-W10');
    await expect(operations.request({ week: '2026-W49', mail: false, requestedBy: 'bob' })).rejects.toMatchObject({ code: 'WATCHPOST_ERR_REPORT_INVALID' });
    await expect(operations.request({ week: 'W49', mail: false, requestedBy: 'bob' })).rejects.toMatchObject({ code: 'WATCHPOST_ERR_REPORT_INVALID' });
  });

  it('lists reports newest week first, without store revisions', async () => {
    const h = harness();
    for (const week of ['2026-W46', '2026-W48', '2026-W45', '2026-W47']) await generateReport(h.deps(), { week, requestedBy: 'alice', mail: false });
    const operations = createReportOperations({ cases: h.cases, queue: h.queue, timeZone: ZONE, clock: h.clock });
    const listed = await operations.list();
    expect(listed.map((record) => record.period.week)).toEqual(['2026-W48', '2026-W47', '2026-W46', '2026-W45']);
    expect(listed[0]).not.toHaveProperty('rev');
  });

  it('deletes reports whose week ended more than keepWeeks ago, record and file', async () => {
    const h = harness();
    for (const week of ['2026-W44', '2026-W45', '2026-W46']) await generateReport(h.deps(), { week, requestedBy: 'alice', mail: false });
    // W44 ended 2026-11-01T23:00Z, W45 on the 8th: four weeks before NOW is 2026-11-02T08:00Z.
    expect(await deleteExpiredReports(h.cases, 4, NOW)).toBe(1);
    expect(await h.cases.reports.get('weekly.2026-W44')).toBeUndefined();
    expect(await h.cases.reportFiles.get('weekly.2026-W44')).toBeUndefined();
    expect(await h.cases.reports.get('weekly.2026-W45')).toBeDefined();
    expect(await deleteExpiredReports(h.cases, 4, NOW)).toBe(0);
  });
});

describe('the weekly-report job handler', () => {
  const context = (data: ReportJob, attempt = 1) => ({ id: reportJobId(data.week), name: WEEKLY_REPORT_JOB, data, attempt, signal: new AbortController().signal });

  it('skips a scheduled week the schedule already generated (its job id purged and added again)', async () => {
    const h = harness();
    const handler = reportJobHandler(h.deps());
    const job: ReportJob = { week: '2026-W47', mail: false, requestedBy: SCHEDULE_REQUESTER };
    expect(await handler(context(job))).toMatchObject({ outcome: 'generated', status: 'ready' });
    expect(await handler(context(job))).toMatchObject({ outcome: 'skipped' });
    expect(h.calls.render).toHaveLength(1);
    // A report asked for by hand is made again, and the schedule then does not replace it either way.
    expect(await handler(context({ ...job, requestedBy: 'alice' }))).toMatchObject({ outcome: 'generated' });
    expect(h.calls.render).toHaveLength(2);
  });

  it('fails a malformed payload at once', async () => {
    const h = harness();
    const handler = reportJobHandler(h.deps());
    await expect(handler({ ...context({ week: '2026-W47', mail: false, requestedBy: 'x' }), data: { week: 'soon' } as unknown as ReportJob })).rejects.toMatchObject({
      code: 'WATCHPOST_ERR_JOB_PERMANENT',
    });
  });
});

describe('mailing the report over SMTP', () => {
  interface Received {
    readonly to: string[];
    readonly raw: string;
  }
  const received: Received[] = [];
  /** How many more RCPT TO the server answers with 451 (greylisting). */
  let greylist = 0;
  let server: SMTPServer;
  let port: number;
  const drivers: Driver[] = [];

  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      size: 30 * 1024 * 1024,
      onRcptTo(address, _session, callback) {
        if (address.address.startsWith('nobody@')) callback(Object.assign(new Error('5.1.1 No such user here'), { responseCode: 550 }));
        else if (greylist > 0) {
          greylist -= 1;
          callback(Object.assign(new Error('4.7.1 Greylisted, try again later'), { responseCode: 451 }));
        } else callback();
      },
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

  beforeEach(() => {
    received.length = 0;
    greylist = 0;
  });

  afterEach(async () => {
    for (const driver of drivers.splice(0)) await driver.close?.();
  });

  function mailer(to: readonly string[]): ReportMailer {
    const settings = Value.Default(SmtpSettings, { host: '127.0.0.1', port, from: 'Watchpost <watchpost@northwind.example>', timeoutMs: 3000, tls: {} }) as SmtpSettings;
    const driver = smtpDriver.create({ id: 'mail', settings, credentials: {} }, { logger: silentLogger(), clock: new ManualClock(NOW) });
    drivers.push(driver);
    return { to, send: smtpSender(driver) as ReportMailer['send'] };
  }

  /** The parts of a raw message: headers, and the attachment's decoded content. */
  function parse(raw: string): { header: (name: string) => string | undefined; attachment?: { filename: string; content: Buffer }; text: string } {
    const [head = ''] = raw.split(/\r?\n\r?\n/, 1);
    const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
    // RFC 2047 encoded words (the subject's en dash), adjacent ones joined without their space.
    const decodeWords = (value: string): string =>
      value.replace(/\?=\s+=\?/g, '?==?').replace(/=\?UTF-8\?([QB])\?([^?]*)\?=/gi, (_, encoding: string, text: string) =>
        encoding.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64').toString('utf8')
          : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (__, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8'),
      );
    const header = (name: string): string | undefined => {
      const value = new RegExp(`^${name}: (.*)$`, 'mi').exec(unfolded)?.[1];
      return value === undefined ? undefined : decodeWords(value);
    };
    const boundary = /boundary="?([^";\r\n]+)"?/i.exec(unfolded)?.[1] as string;
    const parts = raw.split(`--${boundary}`).slice(1, -1);
    let attachment: { filename: string; content: Buffer } | undefined;
    let text = '';
    for (const part of parts) {
      const [partHead = '', ...body] = part.replace(/^\r?\n/, '').split(/\r?\n\r?\n/);
      const content = body.join('\n\n');
      const filename = /Content-Disposition: attachment; filename=("?)([^"\r\n]+)\1/i.exec(partHead)?.[2];
      if (filename) attachment = { filename, content: Buffer.from(content.replace(/\s+/g, ''), 'base64') };
      else if (/Content-Type: text\/plain/i.test(partHead)) {
        text = /quoted-printable/i.test(partHead)
          ? content.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
          : content;
      }
    }
    return { header, ...(attachment ? { attachment } : {}), text: Buffer.from(text, 'latin1').toString('utf8') };
  }

  it('mails one message with the PDF attached, the summary in the text and a Message-ID from the report and its digest', async () => {
    const h = harness();
    const { record, pdf } = await generateReport(h.deps({ mailer: mailer(['ciso@northwind.example', 'soc@northwind.example']) }), { week: '2026-W47', requestedBy: 'alice', mail: true });
    expect(received).toHaveLength(1);
    const message = received[0] as Received;
    expect(message.to).toEqual(['ciso@northwind.example', 'soc@northwind.example']);
    const parsed = parse(message.raw);
    expect(parsed.header('Subject')).toBe('[Northwind Logistics] Weekly threat report 2026-W47 (16–22 Nov 2026)');
    const expectedId = `<${createHash('sha256').update(`weekly.2026-W47.${record.sha256}`).digest('hex').slice(0, 32)}.watchpost@northwind.example>`;
    expect(parsed.header('Message-ID')).toBe(expectedId);
    expect(parsed.attachment?.filename).toBe('watchpost-weekly-2026-W47.pdf');
    expect(parsed.attachment?.content.equals(pdf as Buffer)).toBe(true);
    expect(parsed.text).toContain('weekly threat report for 2026-W47 (16–22 Nov 2026, Europe/Berlin)');
    expect(parsed.text).toContain('Watchpost raised 1,284 alerts this week');
    expect(record.mail).toEqual({ sentAt: new Date(NOW).toISOString(), accepted: ['ciso@northwind.example', 'soc@northwind.example'], rejected: [] });
    expect((await h.cases.reports.get('weekly.2026-W47'))?.mail?.sentAt).toBe(new Date(NOW).toISOString());
  });

  it('keeps the report when the server answers 4xx, and the retried job sends the mail without generating again', async () => {
    const h = harness();
    const deps = h.deps({ mailer: mailer(['ciso@northwind.example']) });
    h.queue.work<ReportJob>(WEEKLY_REPORT_JOB, reportJobHandler(deps));
    greylist = 1;
    const { jobId } = await addReportJob(h.queue, { week: '2026-W47', mail: true, requestedBy: SCHEDULE_REQUESTER }, { manual: false, retry: { attempts: 3, backoffMs: 50 } });
    expect(jobId).toBe(reportJobId('2026-W47'));
    const info = await settled(h.queue, jobId);
    expect(info).toMatchObject({ state: 'completed', attemptsMade: 2, result: { outcome: 'mailed', status: 'ready' } });
    expect(h.calls.render).toHaveLength(1);
    expect(received).toHaveLength(1);
    const record = await h.cases.reports.get(reportId('2026-W47'));
    expect(record).toMatchObject({ status: 'ready', mail: { accepted: ['ciso@northwind.example'], rejected: [] } });
    expect(record?.mail?.error).toBeUndefined();
    const expectedId = `<${createHash('sha256').update(`weekly.2026-W47.${record?.sha256}`).digest('hex').slice(0, 32)}.watchpost@northwind.example>`;
    expect(parse((received[0] as Received).raw).header('Message-ID')).toBe(expectedId);
  });

  it('fails the job at once when the server refuses every recipient for good, keeping the report and the reason', async () => {
    const h = harness();
    const deps = h.deps({ mailer: mailer(['nobody@northwind.example']) });
    h.queue.work<ReportJob>(WEEKLY_REPORT_JOB, reportJobHandler(deps));
    const { jobId } = await addReportJob(h.queue, { week: '2026-W47', mail: true, requestedBy: 'alice' }, { manual: true, retry: { attempts: 3, backoffMs: 50 } });
    const info = await settled(h.queue, jobId);
    expect(info).toMatchObject({ state: 'failed', attemptsMade: 1 });
    expect(info.error).toContain('kept but not mailed');
    const record = await h.cases.reports.get(reportId('2026-W47'));
    expect(record).toMatchObject({ status: 'ready', mail: { error: expect.stringContaining('550') } });
    expect(await h.cases.reportFiles.get(reportId('2026-W47'))).toBeDefined();
    expect(received).toHaveLength(0);
  });

  it('keeps but does not mail a report when no mailer is configured', async () => {
    const h = harness();
    const { record } = await generateReport(h.deps(), { week: '2026-W47', requestedBy: 'alice', mail: true });
    expect(record.status).toBe('ready');
    expect(record.mail).toBeUndefined();
    expect(received).toHaveLength(0);
  });
});
