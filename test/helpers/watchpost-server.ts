import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from './cli.js';

/** A `watchpost start` child process with its own data directory and ports, as a user runs it. */
export interface WatchpostServer {
  /** The console and API, e.g. http://127.0.0.1:41234. */
  readonly baseUrl: string;
  /** The syslog port (UDP and TCP) on 127.0.0.1. */
  readonly syslogPort: number;
  readonly dataDir: string;
  /** The password of `admin`, printed once on stderr at the first start. */
  readonly adminPassword: string;
  /** Everything the process wrote to stdout (JSON log) and stderr so far, for failure messages. */
  output(): string;
  /** Stops the process (SIGTERM, then SIGKILL after 10 s) and removes the data directory. */
  stop(): Promise<void>;
}

/** Options of {@link startWatchpostServer}. */
export interface StartOptions {
  /** YAML configuration written to a file and passed with --config. */
  readonly config?: string;
  /** How long to wait for the password and /api/health. @defaultValue 60000 */
  readonly timeoutMs?: number;
}

/** A TCP port free on 127.0.0.1 that is also free for UDP (syslog listens on both). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
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
    if (port > 0 && udpFree) return port;
  }
  throw new Error('no free port for both TCP and UDP on 127.0.0.1');
}

const PASSWORD = /with the password\n\n {4}(\S+)\n/;

/**
 * Starts `node bin/watchpost start` with a fresh data directory and free ports, waits for the first
 * admin password on stderr and for GET /api/health to answer, and returns how to reach it.
 */
export async function startWatchpostServer(options: StartOptions = {}): Promise<WatchpostServer> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const dataDir = mkdtempSync(join(tmpdir(), 'wp-e2e-'));
  const apiPort = await freePort();
  const syslogPort = await freePort();
  const args = [BIN, 'start', '--data-dir', dataDir, '--api-listen', `127.0.0.1:${apiPort}`, '--syslog-listen', `127.0.0.1:${syslogPort}`];
  if (options.config !== undefined) {
    const configFile = join(dataDir, 'watchpost.yml');
    writeFileSync(configFile, options.config);
    args.push('--config', configFile);
  }
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const output = (): string => `--- stderr\n${stderr}\n--- stdout (last 8 KB)\n${stdout.slice(-8192)}`;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Should the test worker end without stop() (a crash, a timeout kill), the server goes with it.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (!stopped) {
      stopped = true;
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  const baseUrl = `http://127.0.0.1:${apiPort}`;
  const deadline = Date.now() + timeoutMs;
  try {
    let adminPassword: string | undefined;
    let healthy = false;
    while (Date.now() < deadline && (adminPassword === undefined || !healthy)) {
      if (child.exitCode !== null) throw new Error(`watchpost exited with ${child.exitCode}\n${output()}`);
      adminPassword ??= PASSWORD.exec(stderr)?.[1];
      if (!healthy) {
        healthy = await fetch(`${baseUrl}/api/health`).then(
          (response) => response.ok,
          () => false,
        );
      }
      if (adminPassword === undefined || !healthy) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    if (adminPassword === undefined || !healthy) throw new Error(`watchpost did not come up in ${timeoutMs} ms\n${output()}`);
    return { baseUrl, syslogPort, dataDir, adminPassword, output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A signed-in API session (cookie and CSRF token), for arranging what the browser then shows. */
export interface ApiSession {
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
}

/** Signs in with a password over the API, as the console does. */
export async function signIn(baseUrl: string, username: string, password: string): Promise<ApiSession> {
  const login = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!login.ok) throw new Error(`login as ${username}: ${login.status} ${await login.text()}`);
  const cookie = login.headers
    .getSetCookie()
    .map((value) => value.split(';')[0])
    .join('; ');
  const { csrfToken } = (await login.json()) as { csrfToken?: string };
  return {
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      const headers: Record<string, string> = { cookie, accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
      const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
  };
}
