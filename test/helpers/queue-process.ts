import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const VITE_NODE = fileURLToPath(new URL('../../node_modules/vite-node/vite-node.mjs', import.meta.url));
const CHILD = fileURLToPath(new URL('./queue-worker-process.ts', import.meta.url));

/** A worker process started by {@link startQueueWorkerProcess}. */
export interface QueueWorkerProcess {
  /** Resolves with the first line that starts with `prefix`. */
  line(prefix: string, timeoutMs?: number): Promise<string>;
  /** kill -9: no handler finishes, no lease is released, no connection is closed politely. */
  kill(): Promise<void>;
}

/** Starts test/helpers/queue-worker-process.ts in a child Node process (through vite-node, which runs TypeScript). */
export function startQueueWorkerProcess(args: readonly string[]): QueueWorkerProcess {
  const child: ChildProcess = spawn(process.execPath, [VITE_NODE, CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let stderr = '';
  let buffer = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      lines.push(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
    }
    for (const wake of waiters.splice(0)) wake();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    async line(prefix, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines.find((l) => l.startsWith(prefix));
        if (found) return found;
        if (child.exitCode !== null) throw new Error(`the worker process exited (${child.exitCode}) before printing "${prefix}": ${stderr}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`the worker process did not print "${prefix}" within ${timeoutMs} ms: ${stderr}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 100));
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
