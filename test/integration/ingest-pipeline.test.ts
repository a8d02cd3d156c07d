import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { Spool } from '../../ingest/pipeline/spool/spool.js';

// `watchpost start` as a real process, fed by util-linux `logger` and by a raw TCP sender, then
// killed with SIGKILL mid-stream and restarted: what reached the spool is stored exactly once.

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'watchpost');
const run = promisify(execFile);
const dirs: string[] = [];
const children: ChildProcess[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wp-ingest-int-'));
  dirs.push(dir);
  return dir;
}

/** A port free for both TCP and UDP on 127.0.0.1. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
}

/** Starts `watchpost start` and resolves once both syslog listeners log that they started. */
async function startWatchpost(dataDir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, 'start', '--data-dir', dataDir, '--api-listen', '127.0.0.1:0', '--syslog-listen', `127.0.0.1:${port}`], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const started = new Set<string>();
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`watchpost did not start listening: ${stderr}`)), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.includes('syslog listener started')) continue;
        const record = JSON.parse(line) as { source?: string };
        if (record.source) started.add(record.source);
        if (started.has('syslog-udp') && started.has('syslog-tcp')) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`watchpost exited with ${code}: ${stderr}`));
    });
  });
  return child;
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

/** The raw lines (event.original) stored so far, read from the SQLite file by a separate connection. */
function storedOriginals(dataDir: string): string[] {
  const db = new Database(join(dataDir, 'watchpost.db'), { readonly: true, fileMustExist: true });
  try {
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'events'").get();
    if (!hasTable) return [];
    return (db.prepare("SELECT json_extract(doc, '$.event.original') AS original FROM events").all() as { original: string }[]).map((row) => row.original);
  } catch {
    return [];
  } finally {
    db.close();
  }
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const SEQ = /kill-test (\d+)/;

beforeAll(async () => {
  // Build once up front (bin/watchpost compiles when dist/ is stale) so no test pays for it.
  await run(process.execPath, [BIN, '--version'], { cwd: ROOT, timeout: 180_000 });
}, 200_000);

afterEach(async () => {
  for (const child of children.splice(0)) await stop(child, 'SIGKILL');
});

afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('watchpost start: rules evaluated as events arrive', () => {
  it('raises one alert for the shipped SSH brute-force correlation from sshd lines util-linux logger sends', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const child = await startWatchpost(dataDir, port);
    const matches: { title: string; kind: string; entities: Record<string, unknown>; at: number }[] = [];
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.includes('alert raised')) continue;
        const record = JSON.parse(line) as { title: string; kind: string; entities: Record<string, unknown> };
        matches.push({ ...record, at: Date.now() });
      }
    });
    const attacker = '203.0.113.77';
    const sentAt: number[] = [];
    for (let i = 0; i < 12; i++) {
      await run('logger', ['-n', '127.0.0.1', '-P', String(port), '-T', '--rfc3164', '-t', 'sshd', '-p', 'auth.info', `Failed password for root from ${attacker} port ${40000 + i} ssh2`], { timeout: 10_000 });
      sentAt.push(Date.now());
    }
    const brute = await waitFor(
      () => matches.find((match) => match.kind === 'correlation' && /brute force/i.test(match.title)),
      20_000,
      'the brute-force correlation',
    );
    expect(brute.entities['source.ip']).toBe(attacker);
    // Give the last failures time to be evaluated too: one burst, one correlation match.
    await waitFor(() => (storedOriginals(dataDir).filter((line) => line.includes(attacker)).length >= 12 ? true : undefined), 20_000, 'all twelve lines stored');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(matches.filter((match) => match.kind === 'correlation' && /brute force/i.test(match.title))).toHaveLength(1);
    // The rule fires on the 10th failure: how long after logger returned for it did the match reach the log?
    process.stdout.write(`detection: brute-force match logged ${brute.at - (sentAt[9] ?? 0)} ms after the 10th line was sent\n`);
    await stop(child, 'SIGTERM');
    expect(child.exitCode).toBe(0);
  }, 120_000);
});

describe('watchpost start: syslog in, events stored', () => {
  it('stores what util-linux logger sends over TCP (RFC 5424, octet counting) and UDP (RFC 3164)', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const child = await startWatchpost(dataDir, port);
    const tag = `wp${process.pid}${Date.now()}`;
    const send = (...args: string[]) => run('logger', ['-n', '127.0.0.1', '-P', String(port), '-t', 'inttest', ...args], { timeout: 10_000 });
    await send('-T', `${tag} tcp-5424`);
    await send('-T', '--octet-count', `${tag} tcp-octet`);
    await send('-T', '--rfc3164', `${tag} tcp-3164`);
    await send('-d', '--rfc3164', `${tag} udp-3164`);
    await send('-d', `${tag} udp-5424`);
    const mine = await waitFor(
      () => {
        const found = storedOriginals(dataDir).filter((original) => original.includes(tag));
        return found.length >= 5 ? found : undefined;
      },
      20_000,
      'the five logger lines',
    );
    expect(mine).toHaveLength(5);
    for (const kind of ['tcp-5424', 'tcp-octet', 'tcp-3164', 'udp-3164', 'udp-5424']) expect(mine.filter((line) => line.endsWith(`${tag} ${kind}`))).toHaveLength(1);
    await stop(child, 'SIGTERM');
    expect(child.exitCode).toBe(0);
  }, 120_000);

  it('after SIGKILL mid-stream and a restart, every line that reached the spool is stored exactly once', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const child = await startWatchpost(dataDir, port);

    // One TCP connection sending numbered lines as fast as the receiver takes them.
    const socket: Socket = connect({ host: '127.0.0.1', port });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.on('error', () => undefined); // the kill resets the connection
    let sent = 0;
    let sending = true;
    const sender = (async () => {
      while (sending) {
        let text = '';
        for (let i = 0; i < 200; i++) text += `<134>Nov 24 10:00:00 host app: kill-test ${sent++}\n`;
        if (!socket.write(text)) await new Promise((resolve) => socket.once('drain', resolve).once('close', resolve));
        if (socket.destroyed) break;
      }
    })();

    await waitFor(() => (storedOriginals(dataDir).length >= 3000 ? true : undefined), 60_000, '3000 stored lines');
    await stop(child, 'SIGKILL');
    sending = false;
    socket.destroy();
    await sender;

    const storedAtKill = new Set(storedOriginals(dataDir).map((line) => Number(SEQ.exec(line)?.[1])));
    // What the spool held at the kill (a copy: opening cuts a torn tail, as the restart will).
    const copy = tempDir();
    cpSync(join(dataDir, 'spool'), copy, { recursive: true });
    const spool = await Spool.open({ dir: copy, maxBytes: 1 << 30, segmentBytes: 16 << 20 });
    const spooled = new Set<number>();
    for (;;) {
      const { entries } = await spool.read(10_000);
      if (entries.length === 0) break;
      for (const entry of entries) spooled.add(Number(SEQ.exec(entry.record.data.toString())?.[1]));
    }
    await spool.close();

    const restarted = await startWatchpost(dataDir, port);
    const accepted = new Set([...storedAtKill, ...spooled]);
    const final = await waitFor(
      () => {
        const lines = storedOriginals(dataDir).filter((line) => SEQ.test(line));
        const seqs = lines.map((line) => Number(SEQ.exec(line)?.[1]));
        return [...accepted].every((n) => seqs.includes(n)) ? seqs : undefined;
      },
      60_000,
      'every spooled line to be stored',
    );
    expect(final.length).toBe(new Set(final).size); // no duplicates
    // TCP delivers in order: the stored lines are exactly 0..n-1, a prefix of what was sent.
    const max = Math.max(...final);
    expect(final.length).toBe(max + 1);
    expect(accepted.size).toBe(max + 1);
    expect(max).toBeLessThan(sent);
    await stop(restarted, 'SIGTERM');
  }, 180_000);

  it('keeps accepting while the SQLite file is locked by another writer, then stores everything once', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const child = await startWatchpost(dataDir, port);
    const lock = new Database(join(dataDir, 'watchpost.db'));
    lock.pragma('busy_timeout = 10000');
    // Another process holds the write lock: every append fails with SQLITE_BUSY after the busy timeout (the store is "down").
    lock.exec('BEGIN IMMEDIATE');
    const socket: Socket = connect({ host: '127.0.0.1', port });
    await new Promise((resolve) => socket.once('connect', resolve));
    let text = '';
    for (let i = 0; i < 2000; i++) text += `<134>Nov 24 10:00:00 host app: lock-test ${i}\n`;
    await new Promise<void>((resolve) => socket.end(text, resolve));
    await new Promise((resolve) => setTimeout(resolve, 7000));
    const whileLocked = (lock.prepare("SELECT count(*) AS n FROM events WHERE doc LIKE '%lock-test%'").get() as { n: number }).n;
    lock.exec('ROLLBACK');
    lock.close();
    expect(whileLocked).toBe(0);
    const stored = await waitFor(
      () => {
        const lines = storedOriginals(dataDir).filter((line) => line.includes('lock-test'));
        return lines.length >= 2000 ? lines : undefined;
      },
      60_000,
      'the 2000 lines after the lock was released',
    );
    expect(new Set(stored).size).toBe(2000);
    expect(stored).toHaveLength(2000);
    await stop(child, 'SIGTERM');
  }, 120_000);
});
