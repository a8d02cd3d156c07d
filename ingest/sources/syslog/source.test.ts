import { createSocket } from 'node:dgram';
import { rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyslogListenerConfigSchema, type SyslogListenerConfig, type SyslogTlsConfig } from '../../../core/config/ingest.js';
import { hasCode } from '../../../core/errors.js';
import { startSyslogListener, syslogSource } from './source.js';
import { createTestContext, makeCertificates, testConfig, type TestCertificates } from './testing.js';

let certs: TestCertificates;
beforeAll(() => {
  certs = makeCertificates();
});
afterAll(() => rmSync(certs.dir, { recursive: true, force: true }));

async function portIsFree(protocol: SyslogListenerConfig['protocol'], port: number): Promise<void> {
  if (protocol === 'udp') {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => socket.once('error', reject).bind(port, '127.0.0.1', resolve));
    socket.close();
    return;
  }
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  await new Promise((resolve) => server.close(resolve));
}

describe('syslog source definition', () => {
  it('is the "syslog" kind with the core listener schema', () => {
    expect(syslogSource.id).toBe('syslog');
    expect(syslogSource.configSchema).toBe(SyslogListenerConfigSchema);
  });

  for (const protocol of ['udp', 'tcp', 'tls'] as const) {
    it(`${protocol}: run() resolves promptly on abort, also with a silent connection open, and the port is released`, async () => {
      const context = createTestContext();
      const tls = protocol === 'tls' ? { tls: { certFile: certs.serverCert, keyFile: certs.serverKey } as SyslogTlsConfig } : {};
      const { address, done } = await startSyslogListener(testConfig({ protocol, ...tls }), context);
      let client: Socket | undefined;
      if (protocol !== 'udp') {
        // Connected but silent: for TLS it never even starts its handshake.
        client = connect({ host: '127.0.0.1', port: address.port });
        client.on('error', () => undefined);
        await new Promise((resolve) => client!.once('connect', resolve));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const before = Date.now();
      context.controller.abort();
      await done;
      expect(Date.now() - before).toBeLessThan(1000);
      await portIsFree(protocol, address.port);
      client?.destroy();
      expect(context.logs.map((log) => log.msg)).toEqual(expect.arrayContaining(['syslog listener started', 'syslog listener stopped']));
    });
  }

  it('resolves at once when the signal aborted before run()', async () => {
    const context = createTestContext();
    context.controller.abort();
    const source = syslogSource.create(testConfig({ protocol: 'tcp' }), context);
    await source.run();
    await expect(source.ready).resolves.toMatchObject({ host: '127.0.0.1' });
  });

  it('rejects with WATCHPOST_ERR_SOURCE_CONFIG for a TLS listener without a tls section', async () => {
    const source = syslogSource.create(testConfig({ protocol: 'tls' }), createTestContext());
    const error = await source.run().catch((e: unknown) => e);
    expect(hasCode(error, 'WATCHPOST_ERR_SOURCE_CONFIG')).toBe(true);
  });

  it('records IPv6 peers as [ip]:port', async () => {
    const context = createTestContext();
    const started = await startSyslogListener(testConfig({ protocol: 'tcp', listen: '[::1]:0' }), context).catch(() => undefined);
    if (!started) return; // no IPv6 loopback on this machine
    expect(started.address.listener).toBe(`[::1]:${started.address.port}`);
    const client = connect({ host: '::1', port: started.address.port });
    client.end('<13>over v6\n');
    const [record] = await context.waitFor(1);
    expect(record!.peer).toMatch(/^\[::1\]:\d+$/);
    expect(record!.listener).toBe(started.address.listener);
    context.controller.abort();
    await started.done;
  });
});
