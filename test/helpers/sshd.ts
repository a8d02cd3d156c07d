/**
 * A real OpenSSH server for the attack range (test/e2e): `sshd -D` inside a network namespace with
 * its own host key, config, pid file and log file, in a directory of its own. Password
 * authentication without PAM, so a guess for a user that does not exist is refused by sshd itself
 * and logged as "Failed password for invalid user ..." — the lines the linux-auth parser and the
 * SSH brute-force rules read. sshd writes its log with `-E` to a file (no timestamp, no program
 * name: the syslog forwarder adds both); the system's /dev/log and auth log are never touched.
 *
 * Needs root (privilege separation, `ip netns exec`) and /usr/sbin/sshd.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where Debian's sshd is installed (deploy/dev/test-tools.sh installs openssh-server). */
export const SSHD = '/usr/sbin/sshd';

/**
 * The privilege separation directory compiled into Debian's sshd: it must exist, owned by root
 * and not writable by others. systemd's tmpfiles make it on a host that runs sshd; a test machine
 * that only has the package installed may lack it.
 */
const PRIVSEP_DIR = '/run/sshd';

/** Options of {@link startSshd}. */
export interface SshdOptions {
  /** The network namespace sshd runs in. */
  readonly ns: string;
  /** The address it listens on (the namespace's address). */
  readonly address: string;
  /** The port. @defaultValue 2222 */
  readonly port?: number;
  /** A directory of its own for key, config, pid file and log (the caller removes it). */
  readonly dir: string;
  /** Password attempts per connection before sshd disconnects. @defaultValue 3 */
  readonly maxAuthTries?: number;
}

/** A running sshd. */
export interface RunningSshd {
  readonly ns: string;
  readonly address: string;
  readonly port: number;
  /** The file sshd writes its log to (`-E`). */
  readonly logFile: string;
  /** What sshd logged so far. */
  log(): string;
  /** Stops the listener and every sshd process left in its namespace (pre-auth children). Never throws. */
  stop(): Promise<void>;
}

/** The version of the installed sshd, e.g. `[9, 2]`, from `sshd -V` ("OpenSSH_9.2p1 ..."). */
async function sshdVersion(): Promise<readonly [number, number]> {
  // sshd -V prints to stderr and exits 1 on older releases: read both either way.
  const output = await run(SSHD, ['-V'], { encoding: 'utf8' }).then(
    ({ stdout, stderr }) => stdout + stderr,
    (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`,
  );
  const match = /OpenSSH_(\d+)\.(\d+)/.exec(output);
  if (!match) throw new Error(`cannot read the version of ${SSHD}: ${output.slice(0, 200)}`);
  return [Number(match[1]), Number(match[2])];
}

/** The PIDs of processes in `ns` whose command name starts with `name` (from `ip netns pids`). */
export async function processesIn(ns: string, name: string): Promise<number[]> {
  const { stdout } = await run('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).catch(() => ({ stdout: '' }));
  const pids: number[] = [];
  for (const pid of stdout.split(/\s+/).filter(Boolean).map(Number)) {
    let comm = '';
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue; // Gone meanwhile.
    }
    if (comm.startsWith(name)) pids.push(pid);
  }
  return pids;
}

/**
 * Kills (SIGKILL, by PID) the processes named `name*` in `ns` and waits until they are gone, at
 * most `withinMs`. For children a test's programs left behind: sshd's per-connection children
 * start sessions of their own, so killing the listener does not take them along.
 */
export async function killProcessesIn(ns: string, name: string, withinMs = 5000): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const pids = await processesIn(ns, name);
    if (pids.length === 0 || Date.now() > deadline) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Makes the privilege separation directory when it is missing; says whether it did. */
function ensurePrivsepDir(): boolean {
  if (existsSync(PRIVSEP_DIR)) return false;
  mkdirSync(PRIVSEP_DIR, { mode: 0o755 });
  return true;
}

/**
 * Generates a host key and a config in `options.dir`, checks the config with `sshd -t`, starts
 * `sshd -D -E <log>` in the namespace and resolves once it logged "Server listening".
 */
export async function startSshd(options: SshdOptions): Promise<RunningSshd> {
  const port = options.port ?? 2222;
  const dir = options.dir;
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  const configFile = join(dir, 'sshd_config');
  const logFile = join(dir, 'sshd.log');
  const madePrivsepDir = ensurePrivsepDir();
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'watchpost-attack-range', '-f', hostKey], { timeout: 30_000 });
  const [major, minor] = await sshdVersion();
  const lines = [
    `ListenAddress ${options.address}:${port}`,
    `HostKey ${hostKey}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    'PasswordAuthentication yes',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication no',
    'PermitRootLogin no',
    // Without PAM sshd checks the password itself and logs the failure itself, once per attempt.
    'UsePAM no',
    `MaxAuthTries ${options.maxAuthTries ?? 3}`,
    'LogLevel INFO',
    // Leftover pre-auth children give up soon should cleanup miss one.
    'LoginGraceTime 20',
    'UseDNS no',
    'AuthorizedKeysFile none',
    // OpenSSH 9.8 and later slow down or refuse a source that fails repeatedly: the range tests
    // Watchpost's block, not sshd's own penalty box.
    ...(major > 9 || (major === 9 && minor >= 8) ? ['PerSourcePenalties no'] : []),
  ];
  writeFileSync(configFile, `${lines.join('\n')}\n`, { mode: 0o600 });
  writeFileSync(logFile, '');
  await run(SSHD, ['-t', '-f', configFile], { timeout: 30_000 }).catch((error: unknown) => {
    throw new Error(`sshd -t refused the test config: ${(error as { stderr?: string }).stderr ?? String(error)}`);
  });

  const child: ChildProcess = spawn('ip', ['netns', 'exec', options.ns, SSHD, '-D', '-E', logFile, '-f', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-8000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const log = (): string => readFileSync(logFile, 'utf8');

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await killProcessesIn(options.ns, 'sshd');
    // Leave the machine as it was: remove the privilege separation directory if this made it.
    if (madePrivsepDir && readdirSync(PRIVSEP_DIR).length === 0) {
      try {
        rmdirSync(PRIVSEP_DIR);
      } catch {
        // Another sshd started meanwhile and uses it.
      }
    }
  };

  const deadline = Date.now() + 15_000;
  while (!log().includes(`Server listening on ${options.address} port ${port}.`)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`sshd did not start listening on ${options.address}:${port} in ${options.ns}: ${stderr} ${log().slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { ns: options.ns, address: options.address, port, logFile, log, stop };
}

/** sshd's line for one refused password (`Failed password for [invalid user] <user> from <ip> port <n> ssh2`). */
export const FAILED_PASSWORD = /^Failed password for (?:invalid user )?\S* from (\S+) port \d+ ssh2$/;

/** The lines of sshd's `-E` log, which ends each line with CR LF as on a terminal. */
export function logLines(text: string): string[] {
  return text.split(/\r?\n/);
}

/**
 * Resolves with the wall-clock time (ms since the epoch) at which a line matching `pattern`
 * first appeared in `file`, and the line. Watches the file (inotify) and polls it every 50 ms as
 * well, so the time is the moment the line was written give or take a few milliseconds.
 */
export function firstLineAt(file: string, pattern: RegExp, timeoutMs: number): Promise<{ readonly at: number; readonly line: string }> {
  return new Promise((resolve, reject) => {
    let watcher: FSWatcher | undefined;
    const finish = (result: { at: number; line: string } | Error): void => {
      clearInterval(poll);
      clearTimeout(timer);
      watcher?.close();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const check = (): void => {
      const at = Date.now();
      let text = '';
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        return; // Not there yet.
      }
      const line = logLines(text).find((candidate) => pattern.test(candidate));
      if (line !== undefined) finish({ at, line });
    };
    const poll = setInterval(check, 50);
    const timer = setTimeout(() => finish(new Error(`no line matching ${String(pattern)} in ${file} within ${timeoutMs} ms`)), timeoutMs);
    try {
      watcher = watch(file, check);
    } catch {
      // Polling alone.
    }
    check();
  });
}
