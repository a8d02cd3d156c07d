import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startSyslogListener, type StartedSyslogListener } from './source.js';
import { createTestContext, testConfig, texts, type TestContext } from './testing.js';

const run = promisify(execFile);

/** util-linux `logger`, a real sender, writing each stdin line as one message. */
async function logger(port: number, args: string[], lines: string[]): Promise<void> {
  const child = run('logger', ['-n', '127.0.0.1', '-P', String(port), '-t', 'wp-test', '-p', 'user.notice', ...args]);
  child.child.stdin?.end(lines.map((line) => `${line}\n`).join(''));
  await child;
}

describe('syslog source with util-linux logger', () => {
  let started: StartedSyslogListener | undefined;
  let context: TestContext;

  afterEach(async () => {
    context.controller.abort();
    await started?.done;
    started = undefined;
  });

  const cases: { name: string; protocol: 'udp' | 'tcp'; args: string[]; header: RegExp }[] = [
    { name: 'RFC 3164 over UDP', protocol: 'udp', args: ['-d', '--rfc3164'], header: /^<13>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d \S+ wp-test: / },
    { name: 'RFC 5424 over UDP', protocol: 'udp', args: ['-d', '--rfc5424'], header: /^<13>1 \d{4}-\d\d-\d\dT\S+ \S+ wp-test - - \[timeQuality[^\]]*\] / },
    { name: 'RFC 3164 over TCP, LF framing', protocol: 'tcp', args: ['-T', '--rfc3164'], header: /^<13>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d \S+ wp-test: / },
    { name: 'RFC 5424 over TCP, LF framing', protocol: 'tcp', args: ['-T', '--rfc5424'], header: /^<13>1 \d{4}-\d\d-\d\dT\S+ \S+ wp-test - - / },
    { name: 'RFC 3164 over TCP, octet counting', protocol: 'tcp', args: ['-T', '--octet-count', '--rfc3164'], header: /^<13>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d \S+ wp-test: / },
    { name: 'RFC 5424 over TCP, octet counting', protocol: 'tcp', args: ['-T', '--octet-count', '--rfc5424'], header: /^<13>1 \d{4}-\d\d-\d\dT\S+ \S+ wp-test - - / },
  ];

  for (const { name, protocol, args, header } of cases) {
    it(`receives ${name}: every line once, in order, with peer, listener and time zone`, async () => {
      context = createTestContext();
      const config = testConfig({ protocol, timezone: 'Europe/Berlin', timezones: { '127.0.0.1': 'America/New_York' } });
      started = await startSyslogListener(config, context);
      const { port, listener } = started.address;
      expect(listener).toBe(`127.0.0.1:${port}`);
      expect(port).toBeGreaterThan(0);

      // A line with a tab and UTF-8 checks bytes pass through untouched.
      const lines = Array.from({ length: 100 }, (_, i) => `message ${i} ümlaut\tend`);
      await logger(port, args, lines);
      const records = await context.waitFor(lines.length);

      const got = texts(records);
      expect(got).toHaveLength(lines.length);
      got.forEach((message, i) => {
        expect(message).toMatch(header);
        expect(message.endsWith(lines[i]!)).toBe(true);
      });
      for (const record of records) {
        expect(record).toMatchObject({ sourceId: config.id, transport: protocol, listener, timezone: 'America/New_York' });
        expect(record.peer).toMatch(/^127\.0\.0\.1:\d+$/);
        expect(record.truncated).toBeUndefined();
        expect(record.receivedAt).toBeGreaterThan(Date.now() - 60_000);
      }
      expect(context.metrics.counts.received).toBe(lines.length);
      if (protocol === 'tcp') expect(context.metrics.counts.connections.opened).toBe(1);
    });
  }
});
