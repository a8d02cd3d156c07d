import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Value } from '@sinclair/typebox/value';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CLOCK } from '../../../core/clock.js';
import { silentLogger } from '../../../core/log.js';
import { makeCertificates, pem, type TestCertificates } from '../../../ingest/sources/syslog/testing.js';
import { closedPort, driverContext, errorText, thrown } from '../http-test-server.js';
import type { Driver } from '../types.js';
import { smtpDriver, smtpSender, SmtpSettings } from './smtp.js';

const USER = 'watchpost@example.net';
const PASSWORD = 'smtp-password-0123456789';
const deps = { logger: silentLogger(), clock: SYSTEM_CLOCK };

interface Received {
  readonly from: string | undefined;
  readonly to: string[];
  readonly user: string | undefined;
  readonly secure: boolean;
  readonly raw: string;
}

let certificates: TestCertificates;
let server: SMTPServer;
let port: number;
const received: Received[] = [];
let driver: Driver;

beforeAll(async () => {
  certificates = makeCertificates();
  server = new SMTPServer({
    // STARTTLS with a certificate from the test CA; authentication required (only after STARTTLS).
    key: pem(certificates.serverKey),
    cert: pem(certificates.serverCert),
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === USER && auth.password === PASSWORD) callback(null, { user: auth.username });
      else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      if (address.address.startsWith('nobody@')) callback(Object.assign(new Error('5.1.1 No such user here'), { responseCode: 550 }));
      else if (address.address.startsWith('later@')) callback(Object.assign(new Error('4.7.1 Greylisted, try again later'), { responseCode: 451 }));
      else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          user: session.user as string | undefined,
          secure: session.secure,
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(certificates.dir, { recursive: true, force: true });
});

afterEach(() => driver?.close?.());

function build(settings: Record<string, unknown> = {}, credentials: Record<string, string> = { user: USER, password: PASSWORD }): Driver {
  const full = Value.Default(SmtpSettings, {
    host: '127.0.0.1',
    port,
    requireTLS: true,
    tls: { caFile: certificates.caCert },
    from: 'Watchpost <watchpost@example.net>',
    to: ['soc@example.net'],
    timeoutMs: 3000,
    ...settings,
  }) as SmtpSettings;
  expect(Value.Check(SmtpSettings, full)).toBe(true);
  return smtpDriver.create({ id: 'mail', settings: full, credentials }, deps);
}

const notify = { subject: 'SSH brute force from 192.0.2.7', message: 'Blocked 192.0.2.7 for 4 hours.\nRule: watchpost_ssh_brute_force', severity: 'high', link: 'https://watchpost.example/incidents/42' };

describe('smtpDriver', () => {
  it('sends one message over STARTTLS with authentication, to the configured recipients, with a Message-ID from the idempotency key', async () => {
    driver = build();
    const before = received.length;
    const result = await driver.execute('notify', notify, driverContext('run-7.notify.mail'));
    const expectedId = `<${createHash('sha256').update('run-7.notify.mail').digest('hex').slice(0, 32)}.watchpost@example.net>`;
    expect(result).toEqual({ changed: true, detail: { messageId: expectedId, accepted: ['soc@example.net'], rejected: [] } });
    expect(received.length).toBe(before + 1);
    const mail = received.at(-1) as Received;
    expect(mail.secure).toBe(true);
    expect(mail.user).toBe(USER);
    expect(mail.from).toBe('watchpost@example.net');
    expect(mail.to).toEqual(['soc@example.net']);
    expect(mail.raw).toMatch(/^Subject: \[Watchpost\] SSH brute force from 192\.0\.2\.7$/m);
    expect(mail.raw).toMatch(/^From: Watchpost <watchpost@example\.net>$/m);
    expect(mail.raw).toContain(`Message-ID: ${expectedId}`);
    expect(mail.raw).toContain('Blocked 192.0.2.7 for 4 hours.');
    expect(mail.raw).toContain('Severity: high');
    expect(mail.raw).toContain('text/html');
    expect(mail.raw).toContain('https://watchpost.example/incidents/42');
  });

  it('sends a retried step with the same Message-ID, and to the input recipients when given', async () => {
    driver = build();
    await driver.execute('notify', { ...notify, to: ['a@example.net', 'b@example.net'] }, driverContext('run-8.notify.mail'));
    await driver.execute('notify', { ...notify, to: ['a@example.net', 'b@example.net'] }, driverContext('run-8.notify.mail'));
    const [first, second] = received.slice(-2) as [Received, Received];
    expect(first.to).toEqual(['a@example.net', 'b@example.net']);
    const id = (raw: string): string | undefined => /^Message-ID: (.+)$/m.exec(raw)?.[1];
    expect(id(first.raw)).toBeDefined();
    expect(id(first.raw)).toBe(id(second.raw));
  });

  it('escapes alert text in the HTML part', async () => {
    driver = build();
    await driver.execute('notify', { subject: 'x', message: 'user <script>alert(1)</script>' }, driverContext());
    const raw = (received.at(-1) as Received).raw.replace(/=\r?\n/g, '');
    expect(raw).toContain('&lt;script&gt;');
    expect(raw).not.toMatch(/<pre[^>]*>user <script>/);
  });

  it('reports a partly rejected recipient list as sent, listing the rejected', async () => {
    driver = build();
    const result = await driver.execute('notify', { ...notify, to: ['soc@example.net', 'nobody@example.net'] }, driverContext());
    expect(result.detail).toMatchObject({ accepted: ['soc@example.net'], rejected: ['nobody@example.net'] });
  });

  it('maps a 550 on every recipient to REJECTED and a 451 to UNAVAILABLE', async () => {
    driver = build();
    const rejected = await thrown(() => driver.execute('notify', { ...notify, to: ['nobody@example.net'] }, driverContext()));
    expect(rejected.code).toBe('WATCHPOST_ERR_DRIVER_REJECTED');
    expect((rejected.details as { responseCode?: number }).responseCode).toBe(550);
    const later = await thrown(() => driver.execute('notify', { ...notify, to: ['later@example.net'] }, driverContext()));
    expect(later.code).toBe('WATCHPOST_ERR_DRIVER_UNAVAILABLE');
  });

  it('maps refused authentication to REJECTED without the password', async () => {
    driver = build({}, { user: USER, password: 'wrong-password-000000' });
    const error = await thrown(() => driver.execute('notify', notify, driverContext()));
    expect(error.code).toBe('WATCHPOST_ERR_DRIVER_REJECTED');
    expect(errorText(error)).not.toContain('wrong-password-000000');
    expect(errorText(error)).not.toContain(Buffer.from(`\u0000${USER}\u0000wrong-password-000000`).toString('base64'));
  });

  it('refuses a server certificate it cannot verify', async () => {
    driver = build({ tls: {} });
    const error = await thrown(() => driver.execute('notify', notify, driverContext()));
    expect(error.code).toBe('WATCHPOST_ERR_DRIVER_REJECTED');
    expect(error.message).toMatch(/certificate/i);
  });

  it('maps a server that is down to UNAVAILABLE', async () => {
    driver = build({ port: await closedPort() });
    const error = await thrown(() => driver.execute('notify', notify, driverContext()));
    expect(error.code).toBe('WATCHPOST_ERR_DRIVER_UNAVAILABLE');
    expect(errorText(error)).not.toContain(PASSWORD);
  });

  it('refuses to run without recipients, and half-given credentials at creation', async () => {
    driver = build({ to: [] });
    expect((await thrown(() => driver.execute('notify', notify, driverContext()))).message).toContain('no recipients');
    expect(() => build({}, { user: USER })).toThrow(/both credentials.user and credentials.password/);
  });

  it('sends a composed message with an attachment through smtpSender, its subject as given', async () => {
    driver = build();
    const send = smtpSender(driver);
    expect(send).toBeDefined();
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(3000, 7)]);
    const sent = await (send as NonNullable<typeof send>)(
      { to: ['manager@example.net'], subject: '[Acme] Weekly threat report 2026-W47', text: 'The week in brief.', attachments: [{ filename: 'report.pdf', content: pdf, contentType: 'application/pdf' }] },
      { idempotencyKey: 'weekly.2026-W47.abc', signal: new AbortController().signal },
    );
    const expectedId = `<${createHash('sha256').update('weekly.2026-W47.abc').digest('hex').slice(0, 32)}.watchpost@example.net>`;
    expect(sent).toEqual({ messageId: expectedId, accepted: ['manager@example.net'], rejected: [] });
    const raw = (received.at(-1) as Received).raw;
    expect(raw).toMatch(/^Subject: \[Acme\] Weekly threat report 2026-W47$/m);
    expect(raw).toMatch(/Content-Type: application\/pdf; name=report\.pdf/);
    expect(raw).toMatch(/Content-Disposition: attachment; filename=report\.pdf/);
    const body = raw.split(/Content-Disposition: attachment; filename=report\.pdf\r?\n\r?\n/)[1] ?? '';
    expect(Buffer.from(body.replace(/\r?\n--[\s\S]*$/, ''), 'base64').equals(pdf)).toBe(true);
  });

  it('gives no sender for a driver of another type', () => {
    const other = { id: 'hook', type: 'webhook', actions: [], execute: () => Promise.resolve({ changed: false }) } as Driver;
    expect(smtpSender(other)).toBeUndefined();
  });
});
