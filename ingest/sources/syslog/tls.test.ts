import { connect, type ConnectionOptions } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import type { SyslogTlsConfig } from '../../../core/config/ingest.js';
import { hasCode } from '../../../core/errors.js';
import { startSyslogListener, syslogSource, type StartedSyslogListener } from './source.js';
import { createTestContext, makeCertificates, pem, testConfig, texts, type TestCertificates, type TestContext } from './testing.js';

let certs: TestCertificates;
beforeAll(() => {
  certs = makeCertificates();
});
afterAll(() => rmSync(certs.dir, { recursive: true, force: true }));

interface ClientResult {
  /** The TLS handshake completed on the client's side. */
  readonly secured: boolean;
  readonly error?: string;
}

/** Connects, sends the octet-counted lines (RFC 5425 framing), closes, and reports what happened. */
function tlsSend(port: number, lines: string[], options: ConnectionOptions = {}): Promise<ClientResult> {
  return new Promise((resolve) => {
    let secured = false;
    let error: string | undefined;
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pem(certs.caCert), ...options }, () => {
      secured = true;
      const body = lines.map((line) => `${Buffer.byteLength(line)} ${line}`).join('');
      socket.end(body);
    });
    // Drain whatever the server sends (nothing, normally) so the close is seen.
    socket.resume();
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    socket.on('close', () => resolve({ secured, ...(error ? { error } : {}) }));
  });
}

async function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('syslog source over TLS (RFC 5425)', () => {
  let started: StartedSyslogListener | undefined;
  let context: TestContext;

  afterEach(async () => {
    context.controller.abort();
    await started?.done;
    started = undefined;
  });

  const listen = async (tls: Partial<SyslogTlsConfig>): Promise<number> => {
    context = createTestContext();
    const config = testConfig({ protocol: 'tls', tls: { certFile: certs.serverCert, keyFile: certs.serverKey, ...tls } as SyslogTlsConfig });
    started = await startSyslogListener(config, context);
    return started.address.port;
  };

  const lines = Array.from({ length: 20 }, (_, i) => `<13>1 2025-01-01T00:00:00Z host app - - - tls line ${i}`);

  it('accepts a client whose certificate chains to the CA (clientAuth required), with every line in order', async () => {
    const port = await listen({ caFile: certs.caCert, clientAuth: 'required' });
    const result = await tlsSend(port, lines, { cert: pem(certs.clientCert), key: pem(certs.clientKey) });
    expect(result.secured).toBe(true);
    expect(texts(await context.waitFor(lines.length))).toEqual(lines);
    expect(context.records[0]).toMatchObject({ transport: 'tls', listener: `127.0.0.1:${port}` });
    expect(context.metrics.counts.connections.refused).toBe(0);
  });

  it('refuses a client without a certificate and one with a certificate the CA did not sign', async () => {
    const port = await listen({ caFile: certs.caCert, clientAuth: 'required' });
    // Under TLS 1.3 the client finishes its handshake before the server checks its certificate,
    // so the refusal shows as a closed connection, not always as a client-side error.
    await tlsSend(port, lines);
    await tlsSend(port, lines, { cert: pem(certs.rogueCert), key: pem(certs.rogueKey) });
    await until(() => context.metrics.counts.connections.refused === 2);
    // Give a wrongly accepted connection time to emit before asserting nothing came through.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(context.records).toEqual([]);
    expect(context.metrics.counts.received).toBe(0);
  });

  it('accepts a self-signed client certificate by its allowed fingerprint, without any CA, and refuses the rest', async () => {
    const port = await listen({ clientAuth: 'required', allowedFingerprints: [certs.rogueFingerprint] });
    const allowed = await tlsSend(port, lines, { cert: pem(certs.rogueCert), key: pem(certs.rogueKey) });
    expect(allowed.secured).toBe(true);
    expect(texts(await context.waitFor(lines.length))).toEqual(lines);

    // Signed by a CA the listener was not told to trust, and no certificate at all: refused.
    await tlsSend(port, lines, { cert: pem(certs.clientCert), key: pem(certs.clientKey) });
    await tlsSend(port, lines);
    await until(() => context.metrics.counts.connections.refused === 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(context.records).toHaveLength(lines.length);
  });

  it('clientAuth optional accepts a client without a certificate, and none accepts anyone', async () => {
    let port = await listen({ caFile: certs.caCert, clientAuth: 'optional' });
    expect((await tlsSend(port, lines)).secured).toBe(true);
    expect(texts(await context.waitFor(lines.length))).toEqual(lines);
    context.controller.abort();
    await started?.done;

    port = await listen({});
    expect((await tlsSend(port, lines)).secured).toBe(true);
    expect(texts(await context.waitFor(lines.length))).toEqual(lines);
  });

  it('refuses TLS 1.2 when minVersion is TLSv1.3', async () => {
    const port = await listen({ minVersion: 'TLSv1.3' });
    const result = await tlsSend(port, lines, { maxVersion: 'TLSv1.2' });
    expect(result.secured).toBe(false);
    await until(() => context.metrics.counts.connections.refused === 1);
    expect(context.records).toEqual([]);
  });

  it('rejects run() with WATCHPOST_ERR_SOURCE_CONFIG when a certificate file is missing or not a certificate', async () => {
    context = createTestContext();
    const missing = syslogSource.create(testConfig({ protocol: 'tls', tls: { certFile: '/nonexistent.pem', keyFile: certs.serverKey } as SyslogTlsConfig }), context);
    const error = await missing.run().catch((e: unknown) => e);
    expect(hasCode(error, 'WATCHPOST_ERR_SOURCE_CONFIG')).toBe(true);
    expect((error as Error).name).toBe('UserError');
    await expect(missing.ready).rejects.toBe(error);

    const swapped = syslogSource.create(testConfig({ protocol: 'tls', tls: { certFile: certs.serverKey, keyFile: certs.serverCert } as SyslogTlsConfig }), context);
    expect(hasCode(await swapped.run().catch((e: unknown) => e), 'WATCHPOST_ERR_SOURCE_CONFIG')).toBe(true);

    const noTrust = syslogSource.create(testConfig({ protocol: 'tls', tls: { certFile: certs.serverCert, keyFile: certs.serverKey, clientAuth: 'required' } as SyslogTlsConfig }), context);
    expect(hasCode(await noTrust.run().catch((e: unknown) => e), 'WATCHPOST_ERR_SOURCE_CONFIG')).toBe(true);
  });
});
