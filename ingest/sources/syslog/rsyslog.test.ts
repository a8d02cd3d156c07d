import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SyslogTlsConfig } from '../../../core/config/ingest.js';
import { startSyslogListener, type StartedSyslogListener } from './source.js';
import { createTestContext, makeCertificates, testConfig, texts, type TestCertificates, type TestContext } from './testing.js';

const RSYSLOGD = '/usr/sbin/rsyslogd';
const LINES = 2000;

let certs: TestCertificates;
beforeAll(() => {
  certs = makeCertificates();
});
afterAll(() => rmSync(certs.dir, { recursive: true, force: true }));

interface Forwarding {
  readonly framing: 'traditional' | 'octet-counted';
  /** TLS (gtls) with the given authentication of our server; rsyslog always presents a client certificate. */
  readonly tls?: 'anon' | 'x509/name';
  /** Which client certificate rsyslog presents. @defaultValue "client" (signed by the CA) */
  readonly clientCert?: 'client' | 'rogue';
}

/** rsyslog in the foreground: an imtcp input on an ephemeral port, forwarding everything with omfwd to `port`. */
class Rsyslog {
  readonly #dir = mkdtempSync(join(tmpdir(), 'watchpost-rsyslog-'));
  #child: ChildProcess | undefined;
  #stderr = '';

  async start(port: number, forwarding: Forwarding): Promise<number> {
    const dir = this.#dir;
    const tlsGlobals = forwarding.tls
      ? forwarding.clientCert === 'rogue'
        ? `DefaultNetstreamDriverCAFile="${certs.caCert}" DefaultNetstreamDriverCertFile="${certs.rogueCert}" DefaultNetstreamDriverKeyFile="${certs.rogueKey}"`
        : `DefaultNetstreamDriverCAFile="${certs.caCert}" DefaultNetstreamDriverCertFile="${certs.clientCert}" DefaultNetstreamDriverKeyFile="${certs.clientKey}"`
      : '';
    const tlsAction = forwarding.tls
      ? `StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="${forwarding.tls}"${forwarding.tls === 'x509/name' ? ' StreamDriverPermittedPeers="localhost"' : ''}`
      : '';
    writeFileSync(
      join(dir, 'rsyslog.conf'),
      `global(workDirectory="${dir}" ${tlsGlobals})
module(load="imtcp")
input(type="imtcp" port="0" address="127.0.0.1" listenPortFileName="${dir}/imtcp.port" ruleset="forward")
ruleset(name="forward") {
  action(type="omfwd" target="127.0.0.1" port="${port}" protocol="tcp" TCP_Framing="${forwarding.framing}"
         template="RSYSLOG_SyslogProtocol23Format" ${tlsAction})
}
`,
    );
    const child = spawn(RSYSLOGD, ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    child.stdout.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
    const portFile = join(dir, 'imtcp.port');
    const deadline = Date.now() + 10_000;
    while (!existsSync(portFile) || readFileSync(portFile, 'utf8').trim() === '') {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`rsyslogd did not start: ${this.#stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return Number(readFileSync(portFile, 'utf8').trim());
  }

  get output(): string {
    return this.#stderr;
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** Writes the lines to rsyslog's imtcp input, LF-framed, as a sending application would. */
async function feed(port: number, lines: readonly string[]): Promise<void> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.end(lines.map((line) => `${line}\n`).join(''));
  socket.resume();
  await new Promise((resolve) => socket.once('close', resolve));
}

describe('syslog source receiving from rsyslog (omfwd)', () => {
  let rsyslog: Rsyslog | undefined;
  let started: StartedSyslogListener | undefined;
  let context: TestContext;

  afterEach(async () => {
    await rsyslog?.stop();
    rsyslog = undefined;
    context.controller.abort();
    await started?.done;
    started = undefined;
  });

  const tlsConfig = (clientAuth: SyslogTlsConfig['clientAuth']): SyslogTlsConfig =>
    ({ certFile: certs.serverCert, keyFile: certs.serverKey, caFile: certs.caCert, clientAuth }) as SyslogTlsConfig;

  const cases: { name: string; forwarding: Forwarding; clientAuth?: SyslogTlsConfig['clientAuth'] }[] = [
    { name: 'plain TCP, LF framing', forwarding: { framing: 'traditional' } },
    { name: 'plain TCP, octet counting', forwarding: { framing: 'octet-counted' } },
    { name: 'TLS (gtls, anon)', forwarding: { framing: 'octet-counted', tls: 'anon' } },
    {
      name: 'TLS (gtls, x509/name) with a client certificate required by our CA',
      forwarding: { framing: 'octet-counted', tls: 'x509/name' },
      clientAuth: 'required',
    },
  ];

  for (const { name, forwarding, clientAuth } of cases) {
    it(`receives every line exactly once and in order over ${name}`, async () => {
      context = createTestContext();
      const protocol = forwarding.tls ? 'tls' : 'tcp';
      started = await startSyslogListener(testConfig({ protocol, ...(forwarding.tls ? { tls: tlsConfig(clientAuth ?? 'none') } : {}) }), context);

      rsyslog = new Rsyslog();
      const input = await rsyslog.start(started.address.port, forwarding);
      const lines = Array.from({ length: LINES }, (_, i) => `<134>Jan  2 03:04:05 web-1 nginx: request ${i} GET /index.html 200`);
      await feed(input, lines);
      const records = await context.waitFor(LINES, 20_000).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}; rsyslogd said: ${rsyslog?.output ?? ''}`);
      });
      // Let a duplicate, if any, arrive before counting.
      await new Promise((resolve) => setTimeout(resolve, 100));

      const got = texts(records);
      expect(got).toHaveLength(LINES);
      got.forEach((message, i) => {
        // RSYSLOG_SyslogProtocol23Format: <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG, no trailing LF.
        expect(message).toMatch(/^<134>1 \S+ web-1 nginx - - - /);
        expect(message.endsWith(` request ${i} GET /index.html 200`)).toBe(true);
      });
      expect(records.every((record) => record.transport === protocol && !record.truncated)).toBe(true);
      expect(context.metrics.counts.connections.refused).toBe(0);
    });
  }

  it('refuses rsyslog presenting a certificate our CA did not sign: counted refused, nothing emitted', async () => {
    context = createTestContext();
    started = await startSyslogListener(testConfig({ protocol: 'tls', tls: tlsConfig('required') }), context);
    rsyslog = new Rsyslog();
    const input = await rsyslog.start(started.address.port, { framing: 'octet-counted', tls: 'x509/name', clientCert: 'rogue' });
    await feed(input, ['<134>Jan  2 03:04:05 web-1 nginx: must not arrive']);
    const deadline = Date.now() + 10_000;
    while (context.metrics.counts.connections.refused === 0) {
      if (Date.now() > deadline) throw new Error(`no refusal seen; rsyslogd said: ${rsyslog.output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(context.records).toEqual([]);
    expect(context.metrics.counts.received).toBe(0);
    expect(context.logs.some((log) => log.msg === 'TLS handshake failed; client refused' && typeof log.peer === 'string')).toBe(true);
    // The certificate itself is never logged.
    expect(JSON.stringify(context.logs)).not.toContain('BEGIN CERTIFICATE');
  });
});
