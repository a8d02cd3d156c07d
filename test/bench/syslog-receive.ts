/**
 * Benchmark: syslog receive + frame + parse throughput of Watchpost against rsyslog receiving the
 * same stream into a file on the same machine, and UDP loss at a fixed rate.
 *
 *   npm run bench            (or: npx tsx test/bench/syslog-receive.ts [--runs 3] [--count 300000])
 *
 * Each figure is the median of the runs. "Per core" divides messages by the CPU seconds the
 * receiving process used (user + system), so it does not depend on how busy the other core is.
 * The sender is a separate process (test/bench/syslog-sender.mjs). Everything listens on 127.0.0.1
 * and stops by itself.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import { pino } from 'pino';
import { SyslogListenerConfigSchema, type SyslogListenerConfig } from '../../core/config/ingest.js';
import type { RawRecord } from '../../core/ingest/record.js';
import { startSyslogListener } from '../../ingest/sources/syslog/source.js';
import type { SourceContext } from '../../ingest/source.js';
import { parseSyslog } from '../../ingest/syslog/parse.js';
import { syslogEvent } from '../../ingest/syslog/to-ecs.js';

const SENDER = fileURLToPath(new URL('./syslog-sender.mjs', import.meta.url));
const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const RUNS = option('runs', 3);
const COUNT = option('count', 300_000);
const UDP_RATE = option('udp-rate', 50_000);
const UDP_SECONDS = option('udp-seconds', 5);
const UDP_BUFFER = 8 * 1024 * 1024;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function config(protocol: 'tcp' | 'udp'): SyslogListenerConfig {
  return Value.Default(SyslogListenerConfigSchema, {
    id: `bench-${protocol}`,
    protocol,
    listen: '127.0.0.1:0',
    receiveBufferBytes: UDP_BUFFER,
  }) as SyslogListenerConfig;
}

/** A context whose emit does the work the pipeline does per record before the spool: parse and normalize to ECS. */
function parsingContext(onCount: (n: number) => void): SourceContext & { controller: AbortController; drops: Record<string, number> } {
  const controller = new AbortController();
  const drops: Record<string, number> = {};
  return {
    controller,
    drops,
    logger: pino({ level: 'silent' }),
    signal: controller.signal,
    stateDir: tmpdir(),
    metrics: {
      received: () => undefined,
      dropped: (reason, count) => {
        drops[reason] = (drops[reason] ?? 0) + count;
      },
      truncated: () => undefined,
      connection: () => undefined,
    },
    emit: async (batch: readonly RawRecord[]) => {
      for (const record of batch) syslogEvent(record, parseSyslog(record.data, { receivedAt: record.receivedAt, timezone: 'UTC' }));
      onCount(batch.length);
    },
  };
}

function runSender(transport: 'tcp' | 'udp', port: number, count: number, rate?: number): Promise<{ ms: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SENDER, transport, '127.0.0.1', String(port), String(count), ...(rate ? [String(rate)] : [])], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as { ms: number }) : reject(new Error(`sender exited ${code}`))));
  });
}

async function watchpostTcp(): Promise<{ perCore: number; wall: number }> {
  let received = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const context = parsingContext((n) => {
    received += n;
    if (received >= COUNT) done();
  });
  const listener = await startSyslogListener(config('tcp'), context);
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all([runSender('tcp', listener.address.port, COUNT), finished]);
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  context.controller.abort();
  await listener.done;
  return { perCore: COUNT / ((used.user + used.system) / 1e6), wall: COUNT / (wallMs / 1000) };
}

async function watchpostUdp(): Promise<{ lossPercent: number; kernelDrops: number }> {
  const count = UDP_RATE * UDP_SECONDS;
  let received = 0;
  const context = parsingContext((n) => (received += n));
  const listener = await startSyslogListener(config('udp'), context);
  await runSender('udp', listener.address.port, count, UDP_RATE);
  await new Promise((resolve) => setTimeout(resolve, 500));
  context.controller.abort();
  await listener.done;
  return { lossPercent: (100 * (count - received)) / count, kernelDrops: context.drops.kernel_rcvbuf ?? 0 };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
}

function lineCount(file: string): number {
  if (!existsSync(file) || statSync(file).size === 0) return 0;
  let n = 0;
  const data = readFileSync(file);
  for (let i = data.indexOf(10); i >= 0; i = data.indexOf(10, i + 1)) n++;
  return n;
}

async function rsyslog(transport: 'tcp' | 'udp'): Promise<{ perCore: number; wall: number; lossPercent: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'wp-bench-rsyslog-'));
  const port = await freePort();
  const out = join(dir, 'out.log');
  const input =
    transport === 'tcp'
      ? `module(load="imtcp")\ninput(type="imtcp" address="127.0.0.1" port="${port}")`
      : `module(load="imudp")\ninput(type="imudp" address="127.0.0.1" port="${port}" rcvbufSize="${UDP_BUFFER}")`;
  writeFileSync(
    join(dir, 'rsyslog.conf'),
    `global(workDirectory="${dir}")\n${input}\naction(type="omfile" file="${out}" template="RSYSLOG_FileFormat")\n`,
  );
  const child = spawn('/usr/sbin/rsyslogd', ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslog.pid')], { stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, 700));
  const count = transport === 'tcp' ? COUNT : UDP_RATE * UDP_SECONDS;
  const cpuBefore = cpuSecondsOf(child.pid as number);
  const started = performance.now();
  await runSender(transport, port, count, transport === 'udp' ? UDP_RATE : undefined);
  // Wait until the file stops growing or holds every line.
  let last = -1;
  for (let i = 0; i < 600; i++) {
    const lines = lineCount(out);
    if (lines >= count || (lines === last && transport === 'udp')) break;
    last = lines;
    await new Promise((resolve) => setTimeout(resolve, transport === 'udp' ? 300 : 50));
  }
  const wallMs = performance.now() - started;
  const cpu = cpuSecondsOf(child.pid as number) - cpuBefore;
  const lines = lineCount(out);
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  return { perCore: lines / cpu, wall: lines / (wallMs / 1000), lossPercent: (100 * (count - lines)) / count };
}

function raiseReceiveBufferCap(): string {
  try {
    const current = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
    if (current >= UDP_BUFFER) return `net.core.rmem_max=${current}`;
    execFileSync('sysctl', ['-q', '-w', `net.core.rmem_max=${UDP_BUFFER}`]);
    return `net.core.rmem_max raised from ${current} to ${UDP_BUFFER}`;
  } catch (error) {
    return `net.core.rmem_max could not be raised (${(error as Error).message.split('\n')[0]}); the kernel caps the buffer`;
  }
}

const format = (n: number): string => Math.round(n).toLocaleString('en-US');

console.log(`syslog receive benchmark: ${RUNS} runs, ${COUNT.toLocaleString('en-US')} TCP messages, UDP ${UDP_RATE.toLocaleString('en-US')}/s for ${UDP_SECONDS} s; ${raiseReceiveBufferCap()}`);
const ours = { tcpPerCore: [] as number[], tcpWall: [] as number[], udpLoss: [] as number[], kernelDrops: [] as number[] };
const theirs = { tcpPerCore: [] as number[], tcpWall: [] as number[], udpLoss: [] as number[] };
for (let run = 1; run <= RUNS; run++) {
  const tcp = await watchpostTcp();
  const udp = await watchpostUdp();
  const rTcp = await rsyslog('tcp');
  const rUdp = await rsyslog('udp');
  ours.tcpPerCore.push(tcp.perCore);
  ours.tcpWall.push(tcp.wall);
  ours.udpLoss.push(udp.lossPercent);
  ours.kernelDrops.push(udp.kernelDrops);
  theirs.tcpPerCore.push(rTcp.perCore);
  theirs.tcpWall.push(rTcp.wall);
  theirs.udpLoss.push(rUdp.lossPercent);
  console.log(
    `run ${run}: watchpost tcp ${format(tcp.perCore)} msg/s per core (${format(tcp.wall)} msg/s wall), udp loss ${udp.lossPercent.toFixed(3)} % (kernel drops ${udp.kernelDrops}); ` +
      `rsyslog tcp ${format(rTcp.perCore)} msg/s per core (${format(rTcp.wall)} wall), udp loss ${rUdp.lossPercent.toFixed(3)} %`,
  );
}
const tcpPerCore = median(ours.tcpPerCore);
const rsyslogPerCore = median(theirs.tcpPerCore);
console.log('');
console.log(`median TCP receive+frame+parse: watchpost ${format(tcpPerCore)} msg/s per core (${format(median(ours.tcpWall))} msg/s wall) — target ≥ 50,000 per core: ${tcpPerCore >= 50_000 ? 'met' : 'NOT met'}`);
console.log(`median TCP rsyslog into a file: ${format(rsyslogPerCore)} msg/s per core (${format(median(theirs.tcpWall))} msg/s wall)`);
console.log(`ratio watchpost / rsyslog per core: ${(tcpPerCore / rsyslogPerCore).toFixed(2)}`);
const udpLoss = median(ours.udpLoss);
console.log(`median UDP loss at ${UDP_RATE.toLocaleString('en-US')}/s with an 8 MiB buffer: watchpost ${udpLoss.toFixed(3)} % — target < 0.1 %: ${udpLoss < 0.1 ? 'met' : 'NOT met'}; rsyslog ${median(theirs.udpLoss).toFixed(3)} %`);
