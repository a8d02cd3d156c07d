import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { hasCode } from '../../../core/errors.js';
import type { RawRecord } from '../../../core/ingest/record.js';
import { startSyslogListener, type StartedSyslogListener } from './source.js';
import { createTestContext, testConfig, texts, type TestContext } from './testing.js';

const run = promisify(execFile);

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
}

async function send(port: number, ...chunks: (string | Buffer)[]): Promise<void> {
  const socket = await open(port);
  for (const chunk of chunks) socket.write(chunk);
  socket.end();
  socket.resume();
  await closed(socket);
}

async function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A TCP sender in its own process: writes `megabytes` of numbered LF-framed lines, honouring write backpressure. */
const SENDER = `
const net = require('node:net');
const [port, megabytes] = process.argv.slice(1).map(Number);
const pad = 'x'.repeat(1000);
const socket = net.connect({ host: '127.0.0.1', port }, async () => {
  let bytes = 0, lines = 0, waits = 0;
  while (bytes < megabytes * 1024 * 1024) {
    const line = '<13>seq ' + lines + ' ' + pad + '\\n';
    bytes += line.length;
    lines += 1;
    if (!socket.write(line)) { waits += 1; await new Promise((r) => socket.once('drain', r)); }
  }
  socket.end(() => console.log(JSON.stringify({ lines, bytes, waits })));
});
`;

describe('syslog source over TCP', () => {
  let started: StartedSyslogListener | undefined;
  let context: TestContext;

  afterEach(async () => {
    context.controller.abort();
    await started?.done;
    started = undefined;
  });

  const listen = async (partial: Parameters<typeof testConfig>[0] = { protocol: 'tcp' }): Promise<number> => {
    context = createTestContext();
    started = await startSyslogListener(testConfig(partial), context);
    return started.address.port;
  };

  it('survives lying octet counts, a 1 MiB line, random bytes and NULs: truncated and flagged, memory bounded', async () => {
    const port = await listen({ protocol: 'tcp', maxMessageBytes: 1024 });
    // A count that lies (absurd), then LF framing from there on; a frame longer than the maximum.
    await send(port, '8 <13>good', '999999999 <13>lie\n<13>after lie\n');
    await send(port, `3000 <13>${'o'.repeat(2996)}`, '5 <13>x');
    await send(port, Buffer.alloc(1024 * 1024, 'L'), '\n<13>after long line\n');
    await send(port, '<13>with\0nul\0\0<13>end\n');
    const noise = randomBytes(256 * 1024);
    await send(port, noise);
    // Still listening and framing fine afterwards.
    await send(port, '<13>still alive\n');
    await until(() => texts(context.records).includes('<13>still alive'));

    const got = texts(context.records);
    expect(got.slice(0, 3)).toEqual(['<13>good', '999999999 <13>lie', '<13>after lie']);
    const long = context.records.filter((record) => record.truncated);
    expect(long.length).toBeGreaterThanOrEqual(2);
    expect(context.records.every((record) => record.data.length <= 1024)).toBe(true);
    expect(got).toContain('<13>x');
    expect(got).toContain('<13>after long line');
    expect(got).toEqual(expect.arrayContaining(['<13>with', 'nul', '<13>end']));
    expect(context.metrics.counts.truncated).toBe(long.length);
  });

  it('pauses the socket while emit is slow: a 50 MB sender is pushed back, the heap stays bounded, every frame arrives in order', async () => {
    const port = await listen();
    context.emitDelayMs = 15;
    let expected = 0;
    let outOfOrder = 0;
    context.onRecord = (record: RawRecord) => {
      const seq = Number(/^<13>seq (\d+) /.exec(record.data.toString('latin1'))?.[1]);
      if (seq !== expected) outOfOrder += 1;
      expected = seq + 1;
    };
    const memory = (): number => {
      const usage = process.memoryUsage();
      return usage.heapUsed + usage.arrayBuffers;
    };
    global.gc?.();
    const baseline = memory();
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, memory())), 20);
    const started = Date.now();
    const { stdout } = await run(process.execPath, ['-e', SENDER, String(port), '50'], { timeout: 20_000 });
    const sender = JSON.parse(stdout) as { lines: number; bytes: number; waits: number };
    await context.waitFor(sender.lines, 20_000);
    clearInterval(sampler);

    expect(outOfOrder).toBe(0);
    expect(expected).toBe(sender.lines);
    expect(context.metrics.counts.received).toBe(sender.lines);
    // The sender had to wait for the kernel's window: our paused socket pushed back.
    expect(sender.waits).toBeGreaterThan(0);
    // Batches stay ~1 MiB (plus one 64 KiB read), so 50 MB took 50 slow emits, and the source
    // never held more than a couple of batches: reading did not run ahead of emit.
    expect(context.maxBatchBytes).toBeLessThan(1.2 * 1024 * 1024);
    expect(context.batches).toBeGreaterThanOrEqual(45);
    expect(Date.now() - started).toBeGreaterThanOrEqual(context.batches * 15 * 0.9);
    expect(context.maxHeldBytes).toBeLessThan(3 * 1024 * 1024);
    expect(peak - baseline).toBeLessThan(64 * 1024 * 1024);
  });

  it('on abort, emits what was read (a partial line too), closes connections, resolves run() and releases the port', async () => {
    const port = await listen();
    const client = await open(port);
    client.resume();
    client.write('<13>complete\n<13>partial without LF');
    await until(() => context.records.length === 1);
    context.controller.abort();
    await started?.done;
    started = undefined;
    expect(texts(context.records)).toEqual(['<13>complete', '<13>partial without LF']);
    await closed(client);
    // The port is free again.
    const probe = createServer();
    await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => probe.close(resolve));
  });

  it('emits an unfinished octet-counted frame at close, flagged truncated', async () => {
    const port = await listen();
    await send(port, '9 <13>whole', '40 <13>cut short');
    await context.waitFor(2);
    expect(context.records.map((r) => [r.data.toString(), r.truncated ?? false])).toEqual([
      ['<13>whole', false],
      ['<13>cut short', true],
    ]);
  });

  it('refuses connections beyond maxConnections and counts them', async () => {
    const port = await listen({ protocol: 'tcp', maxConnections: 1 });
    const first = await open(port);
    first.resume();
    await until(() => context.metrics.counts.connections.opened === 1);
    const second = await open(port);
    second.resume();
    await closed(second);
    await until(() => context.metrics.counts.connections.refused === 1);
    first.end('<13>first still works\n');
    await context.waitFor(1);
    expect(texts(context.records)).toEqual(['<13>first still works']);
  });

  it('closes an idle connection after idleTimeoutMs, emitting its unfinished line', async () => {
    const port = await listen({ protocol: 'tcp', idleTimeoutMs: 150 });
    const client = await open(port);
    client.resume();
    client.write('<13>then silence');
    await closed(client);
    expect(texts(context.records)).toEqual(['<13>then silence']);
    await until(() => context.metrics.counts.connections.closed === 1);
  });

  it('rejects run() with an OperationalError when the port is in use', async () => {
    const port = await listen();
    const other = createTestContext();
    const error = await startSyslogListener(testConfig({ protocol: 'tcp', listen: `127.0.0.1:${port}` }), other).catch((e: unknown) => e);
    expect(hasCode(error, 'WATCHPOST_ERR_SOURCE_LISTEN')).toBe(true);
    expect((error as Error).name).toBe('OperationalError');
  });

  it('stops when emit rejects (the pipeline is stopping) and counts what it could not hand over', async () => {
    const port = await listen();
    context.emit = () => Promise.reject(new Error('pipeline stopping'));
    await send(port, '<13>one\n<13>two\n');
    await started?.done;
    started = undefined;
    expect(context.metrics.counts.dropped.pipeline_stopped).toBe(2);
  });
});
