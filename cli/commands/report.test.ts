import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteCaseStore } from '../../backends/sqlite/case-store.js';
import { openSqliteDatabase } from '../../backends/sqlite/database.js';
import { SqliteEventStore } from '../../backends/sqlite/event-store.js';
import { loadConfig } from '../../core/config/load.js';
import { silentLogger } from '../../core/log.js';
import { PERIOD, seedWeek } from '../../reports/figures/testdata/seed.js';
import { runWatchpost } from '../../test/helpers/cli.js';
import { outcomeLine, outProblem, REPORT_FILE_MODE, runWeeklyReport } from './report.js';

describe('watchpost report weekly', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wp-report-cmd-'));
  const dataDir = join(dir, 'data');
  const configFile = join(dir, 'watchpost.yaml');

  beforeAll(async () => {
    mkdirSync(dataDir);
    // A fresh data directory seeded with a week of alerts, incidents, blocks and events.
    const db = openSqliteDatabase(join(dataDir, 'watchpost.db'));
    await seedWeek(new SqliteCaseStore(db), new SqliteEventStore(db));
    db.close();
    writeFileSync(configFile, 'organization:\n  name: Northwind Logistics\nreports:\n  schedule: { timeZone: Europe/Berlin }\n');
    // The first run compiles dist/; later runs reuse it.
    await runWatchpost(['--version']);
  }, 180_000);

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the PDF, keeps the report in the store and prints one line', async () => {
    const out = join(dir, 'w46.pdf');
    const result = await runWatchpost(['report', 'weekly', '--config', configFile, '--data-dir', dataDir, '--week', PERIOD.week, '--out', out]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const pdf = readFileSync(out);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(statSync(out).mode & 0o777).toBe(REPORT_FILE_MODE);
    expect(result.stdout).toMatch(new RegExp(`^2026-W46: \\d+ pages, ${pdf.length} bytes, written to ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n$`));
    const text = execFileSync('pdftotext', [out, '-'], { encoding: 'utf8' });
    expect(text).toContain('2026-W46');
    expect(text).toContain('Northwind Logistics');

    const db = openSqliteDatabase(join(dataDir, 'watchpost.db'));
    try {
      const cases = new SqliteCaseStore(db);
      expect(await cases.reports.get('weekly.2026-W46')).toMatchObject({ status: 'ready', requestedBy: 'cli', period: PERIOD, sizeBytes: pdf.length });
      const file = await cases.reportFiles.get('weekly.2026-W46');
      expect(Buffer.from(file?.base64 ?? '', 'base64').equals(pdf)).toBe(true);
    } finally {
      db.close();
    }
  }, 120_000);

  it('refuses a bad week, a week not over and a directory as --out, exiting 1 with the reason', async () => {
    const out = join(dir, 'never.pdf');
    const bad = await runWatchpost(['report', 'weekly', '--data-dir', dataDir, '--week', '2026-W60', '--out', out]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^watchpost: invalid week "2026-W60": write it YYYY-Www, e.g. 2026-W47 \[WATCHPOST_ERR_REPORT_INVALID\]\n$/);
    const noSuchWeek = await runWatchpost(['report', 'weekly', '--data-dir', dataDir, '--week', '2025-W53', '--out', out]);
    expect(noSuchWeek.code).toBe(1);
    expect(noSuchWeek.stderr).toContain('2025 has no week 53');
    const future = await runWatchpost(['report', 'weekly', '--data-dir', dataDir, '--week', '2099-W10', '--out', out]);
    expect(future.code).toBe(1);
    expect(future.stderr).toContain('week 2099-W10 has not ended yet');
    const directory = await runWatchpost(['report', 'weekly', '--data-dir', dataDir, '--week', PERIOD.week, '--out', dir]);
    expect(directory.code).toBe(1);
    expect(directory.stderr).toBe(`watchpost: --out ${dir} is a directory: name the PDF file to write\n`);
    expect(() => statSync(out)).toThrow();
    expect(statSync(dir).isDirectory()).toBe(true);
  }, 120_000);

  it('refuses --mail when no recipients are configured', async () => {
    const result = await runWatchpost(['report', 'weekly', '--data-dir', dataDir, '--week', PERIOD.week, '--out', join(dir, 'm.pdf'), '--mail']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--mail: the configuration names no report recipients');
  }, 120_000);
});

describe('report command helpers', () => {
  it('names why an --out path cannot be written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wp-report-out-'));
    try {
      expect(await outProblem(join(dir, 'new.pdf'))).toBeUndefined();
      expect(await outProblem(dir)).toContain('is a directory');
      expect(await outProblem(join(dir, 'missing', 'x.pdf'))).toContain('does not exist');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints pages, bytes, path and recipients', () => {
    const record = { id: 'weekly.2026-W47', period: { week: '2026-W47' }, pages: 1, mail: { sentAt: 'x', accepted: ['a@example.net', 'b@example.net'] } } as unknown as Parameters<typeof outcomeLine>[0]['record'];
    expect(outcomeLine({ record, path: 'r.pdf', bytes: 10 })).toBe('2026-W47: 1 page, 10 bytes, written to r.pdf; mailed to 2 recipients\n');
  });
});

describe('runWeeklyReport --mail', () => {
  it('writes the file, then mails the kept report through the configured smtp driver', async () => {
    const raws: string[] = [];
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, _session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          raws.push(Buffer.concat(chunks).toString('utf8'));
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const dir = mkdtempSync(join(tmpdir(), 'wp-report-mail-'));
    try {
      const db = openSqliteDatabase(join(dir, 'watchpost.db'));
      await seedWeek(new SqliteCaseStore(db), new SqliteEventStore(db));
      db.close();
      const port = (server.server.address() as AddressInfo).port;
      const config = loadConfig({
        env: {},
        text: `dataDir: ${dir}
reports:
  schedule: { timeZone: Europe/Berlin }
  mail: { driver: mail, to: [ciso@northwind.example] }
response:
  drivers:
    - { id: mail, type: smtp, settings: { host: 127.0.0.1, port: ${port}, from: "Watchpost <watchpost@northwind.example>", timeoutMs: 5000 } }
`,
      });
      const out = join(dir, 'mailed.pdf');
      const outcome = await runWeeklyReport(config, { week: PERIOD.week, out, mail: true }, silentLogger());
      expect(typeof outcome).toBe('object');
      const made = outcome as Exclude<typeof outcome, string>;
      expect(made.record).toMatchObject({ requestedBy: 'cli', status: 'ready', mail: { accepted: ['ciso@northwind.example'] } });
      expect(raws).toHaveLength(1);
      expect(raws[0]).toContain('filename=watchpost-weekly-2026-W46.pdf');
      expect(readFileSync(out).length).toBe(made.bytes);
      expect(outcomeLine(made)).toMatch(/; mailed to 1 recipient\n$/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
