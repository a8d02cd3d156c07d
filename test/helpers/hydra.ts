/**
 * THC Hydra as the attacker of the attack range (test/e2e): password guessing against an SSH
 * server from inside a network namespace, with a word list of its own, bounded in time.
 *
 * Needs /usr/bin/hydra (deploy/dev/test-tools.sh installs it) and root for `ip netns exec`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killProcessesIn } from './sshd.js';

/** Options of {@link startHydraSsh}. */
export interface HydraOptions {
  /** The attacker's network namespace. */
  readonly ns: string;
  readonly host: string;
  readonly port: number;
  /** The login tried with every password (a user that does not exist is fine: sshd logs each failure). */
  readonly login: string;
  /** The passwords, written to a word list in `dir`. */
  readonly passwords: readonly string[];
  /** Hydra's working directory (its restore file lands there) and where the word list goes. */
  readonly dir: string;
  /** Connections in parallel. @defaultValue 4 (what hydra recommends for SSH) */
  readonly tasks?: number;
  /** Hydra is killed after this long. @defaultValue 90000 */
  readonly timeoutMs?: number;
}

/** A running attack. */
export interface HydraRun {
  /** When hydra was started (ms since the epoch). */
  readonly startedAt: number;
  /** Resolves with hydra's exit code (null when killed) once it ended. */
  readonly exited: Promise<number | null>;
  /** What hydra printed so far. */
  output(): string;
  /** Ends hydra and every task it forked, by PID. Never throws. */
  stop(): Promise<void>;
}

/**
 * Starts `hydra -l <login> -P <list> -t <tasks> -f -w 5 -I ssh://<host>:<port>` in the namespace.
 * `-f` stops at a found password (there is none to find), `-I` ignores a restore file of an
 * earlier run.
 */
export function startHydraSsh(options: HydraOptions): HydraRun {
  const wordlist = join(options.dir, 'passwords.txt');
  writeFileSync(wordlist, `${options.passwords.join('\n')}\n`);
  const args = ['-l', options.login, '-P', wordlist, '-t', String(options.tasks ?? 4), '-f', '-w', '5', '-I', `ssh://${options.host}:${options.port}`];
  const startedAt = Date.now();
  // `ip netns exec` execs hydra in its place: the child's PID is hydra's.
  const child: ChildProcess = spawn('ip', ['netns', 'exec', options.ns, 'hydra', ...args], { cwd: options.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => void (output = (output + chunk.toString()).slice(-20_000));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
  void exited.then(() => {
    clearTimeout(timer);
    process.removeListener('exit', killOnExit);
  });
  return {
    startedAt,
    exited,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      // Its forked tasks, should any outlive the parent.
      await killProcessesIn(options.ns, 'hydra');
    },
  };
}
