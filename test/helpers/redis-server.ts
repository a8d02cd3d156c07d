/**
 * A throwaway redis-server for fault tests that must stop and restart Redis without touching the
 * shared one of deploy/dev/services.sh: its own free port on 127.0.0.1, its own temporary
 * directory, and durable settings (AOF with `appendfsync always`, `maxmemory-policy noeviction`,
 * which BullMQ requires), so that a restart finds every acknowledged write.
 *
 * Needs the `redis-server` program (installed with Redis; services.sh uses the same one).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** A redis-server process the test owns. */
export interface RedisServer {
  readonly port: number;
  readonly dir: string;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Whether the process is running now. */
  running(): boolean;
  /** Stops the server (SIGTERM: Redis flushes the AOF and exits; SIGKILL: it just dies) and waits for the exit. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same port and directory and waits until it answers PING (its data loaded). */
  start(): Promise<void>;
  /** stop + start. */
  restart(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Kills the server and removes its directory. Never throws. */
  destroy(): Promise<void>;
}

/** A TCP port free on 127.0.0.1 now. */
export async function freeTcpPort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const alive = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Last resort when the test process ends without `destroy()`. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of alive) child.kill('SIGKILL');
  });
}

/** Polls PING until the server answers (loading the AOF answers LOADING, which is not ready). */
async function waitForPong(port: number, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server on port ${port} exited: ${output()}`);
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return;
    } catch {
      // Not listening yet, or still loading.
    } finally {
      client.disconnect();
    }
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms: ${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts a redis-server on a free port with AOF (fsync always) in a new temporary directory. */
export async function startRedisServer(options: { readonly timeoutMs?: number } = {}): Promise<RedisServer> {
  installExitHook();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const port = await freeTcpPort();
  const dir = mkdtempSync(join(tmpdir(), 'wpt-redis-'));
  let child: ChildProcess | undefined;
  let output = '';
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--appendonly', 'yes',
    '--appendfsync', 'always',
    '--maxmemory-policy', 'noeviction',
    // No RDB snapshots: the AOF alone is the data, as in the deployment docs.
    '--save', '',
    '--daemonize', 'no',
    '--protected-mode', 'yes',
    '--loglevel', 'warning',
  ];

  const isRunning = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  const start = async () => {
    if (isRunning()) return;
    output = '';
    const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    alive.add(started);
    started.once('exit', () => alive.delete(started));
    started.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output = (output + chunk).slice(-4000)));
    started.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output = (output + chunk).slice(-4000)));
    await waitForPong(port, started, () => output, timeoutMs);
  };

  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill(signal);
    const timer = setTimeout(() => running.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  };

  try {
    await start();
  } catch (error) {
    await stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    dir,
    url: `redis://127.0.0.1:${port}`,
    running: isRunning,
    stop,
    start,
    async restart(signal = 'SIGTERM') {
      await stop(signal);
      await start();
    },
    async destroy() {
      await stop('SIGKILL').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
