import { execFile, execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { hasCode } from '../../../core/errors.js';
import { startSyslogListener, type StartedSyslogListener } from './source.js';
import { createTestContext, testConfig, texts, type TestContext } from './testing.js';
import { UDP_MAX_BACKLOG_RECORDS } from './udp.js';

const run = promisify(execFile);

/** A UDP sender in its own process: `count` datagrams of `size` bytes, numbered. */
const SENDER = `
const dgram = require('node:dgram');
const [port, count, size] = process.argv.slice(1).map(Number);
const socket = dgram.createSocket('udp4');
let done = 0;
for (let i = 0; i < count; i++) {
  const head = '<13>dgram ' + i + ' ';
  socket.send(head + 'x'.repeat(Math.max(0, size - head.length)), port, '127.0.0.1', () => {
    if (++done === count) socket.close();
  });
}
`;

async function sendDatagrams(port: number, ...messages: (string | Buffer)[]): Promise<void> {
  const socket = createSocket('udp4');
  for (const message of messages) await new Promise<void>((resolve, reject) => socket.send(message, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())));
  socket.close();
}

async function settle(context: TestContext, quietMs = 150): Promise<void> {
  let last = -1;
  while (context.metrics.counts.received !== last) {
    last = context.metrics.counts.received;
    await new Promise((resolve) => setTimeout(resolve, quietMs));
  }
}

describe('syslog source over UDP', () => {
  let started: StartedSyslogListener | undefined;
  let context: TestContext;

  afterEach(async () => {
    context.controller.abort();
    await started?.done;
    started = undefined;
  });

  const listen = async (partial: Parameters<typeof testConfig>[0] = { protocol: 'udp' }): Promise<number> => {
    context = createTestContext();
    started = await startSyslogListener(testConfig(partial), context);
    return started.address.port;
  };

  it('keeps one datagram as one record: strips one trailing LF, keeps binary, truncates and flags oversized ones', async () => {
    const port = await listen({ protocol: 'udp', maxMessageBytes: 480 });
    const binary = Buffer.from([0x3c, 0x31, 0x33, 0x3e, 0x00, 0xff, 0xfe, 0x0a, 0x80]);
    await sendDatagrams(port, '<13>one\n', '<13>two\r\n', '<13>multi\nline\n\n', binary, Buffer.alloc(2000, 'z'));
    const records = await context.waitFor(5);
    expect(texts(records.slice(0, 3))).toEqual(['<13>one', '<13>two', '<13>multi\nline\n']);
    expect(records[3]!.data.equals(binary)).toBe(true);
    expect(records[4]!.data.length).toBe(480);
    expect(records[4]!.truncated).toBe(true);
    expect(context.metrics.counts.truncated).toBe(1);
    expect(records[0]).toMatchObject({ transport: 'udp', listener: `127.0.0.1:${port}`, timezone: 'UTC' });
    expect(records[0]!.peer).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('drops and counts datagrams beyond the backlog while emit is stuck; received = emitted + dropped', async () => {
    const port = await listen();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const emit = context.emit.bind(context);
    context.emit = async (batch) => {
      await gate;
      await emit(batch);
    };
    const sent = UDP_MAX_BACKLOG_RECORDS + 3000;
    await run(process.execPath, ['-e', SENDER, String(port), String(sent), '120']);
    await settle(context);
    open();
    context.controller.abort();
    await started?.done;
    started = undefined;

    const { received, dropped } = context.metrics.counts;
    expect(dropped.backlog_full).toBeGreaterThan(0);
    expect(context.records.length).toBe(UDP_MAX_BACKLOG_RECORDS);
    expect(received).toBe(context.records.length + (dropped.backlog_full ?? 0));
    // Whatever the kernel dropped on top is counted too: nothing vanishes uncounted.
    expect(received + (dropped.kernel_rcvbuf ?? 0)).toBe(sent);
  });

  it("counts the kernel's receive-buffer drops exactly (per socket) when the process cannot read", async () => {
    const port = await listen({ protocol: 'udp', receiveBufferBytes: 65536 });
    const sent = 5000;
    // Blocks this process's event loop while the sender fills the 64 KiB receive buffer.
    execFileSync(process.execPath, ['-e', SENDER, String(port), String(sent), '1000']);
    await settle(context);
    context.controller.abort();
    await started?.done;
    started = undefined;

    const { received, dropped } = context.metrics.counts;
    expect(dropped.kernel_rcvbuf).toBeGreaterThan(0);
    expect(received + (dropped.kernel_rcvbuf ?? 0)).toBe(sent);
    expect(context.logs.some((log) => log.msg === 'syslog listener started' && log.kernelDropCounter === 'socket')).toBe(true);
    expect(context.logs.some((log) => log.level === 40 && typeof log.kernelRcvbuf === 'number' && log.kernelRcvbuf > 0)).toBe(true);
  });

  it('warns when the kernel grants a smaller receive buffer than configured', async () => {
    await listen({ protocol: 'udp', receiveBufferBytes: 1024 * 1024 * 1024 });
    const warning = context.logs.find((log) => log.msg === 'the kernel granted a smaller UDP receive buffer than configured');
    expect(warning).toMatchObject({ level: 40, requested: 1024 * 1024 * 1024 });
    expect(warning!.granted).toBeLessThan(1024 * 1024 * 1024);
  });

  it('on abort resolves run(), emits what was batched and releases the port; a port in use is an OperationalError', async () => {
    const port = await listen();
    const error = await startSyslogListener(testConfig({ protocol: 'udp', listen: `127.0.0.1:${port}` }), createTestContext()).catch((e: unknown) => e);
    expect(hasCode(error, 'WATCHPOST_ERR_SOURCE_LISTEN')).toBe(true);
    expect((error as Error).name).toBe('OperationalError');

    await sendDatagrams(port, '<13>last words');
    // Received but still in its 20 ms batch when the abort comes.
    while (context.metrics.counts.received === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(context.records).toEqual([]);
    context.controller.abort();
    await started?.done;
    started = undefined;
    expect(texts(context.records)).toEqual(['<13>last words']);

    const probe = createSocket('udp4');
    await new Promise<void>((resolve, reject) => probe.once('error', reject).bind(port, '127.0.0.1', resolve));
    probe.close();
  });
});
