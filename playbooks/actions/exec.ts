import { execFile } from 'node:child_process';
import { OperationalError, UserError } from '../../core/errors.js';

/** What a program printed and how it ended. */
export interface ProgramResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runProgram}. */
export interface RunProgramOptions {
  readonly signal?: AbortSignal;
  /** Written to the program's standard input (e.g. an `nft -f -` script built from parsed values). */
  readonly input?: string;
  /** @defaultValue 30 000 */
  readonly timeoutMs?: number;
  /** Exit codes that are not errors (e.g. `ipset test` exits 1 for "not in set"). @defaultValue [0] */
  readonly okExitCodes?: readonly number[];
}

/** What {@link runProgram} resolves with: the output and the exit code (one of `okExitCodes`). */
export interface ProgramOutcome extends ProgramResult {
  readonly code: number;
}

/** The largest output kept from a program. */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/**
 * Runs a program with an argument array: never a shell, so no argument is ever interpreted as
 * shell syntax. A missing program is a configuration problem (WATCHPOST_ERR_DRIVER_CONFIG), a
 * timeout or a kill is operational (WATCHPOST_ERR_DRIVER_UNAVAILABLE: retried), and an exit code
 * outside `okExitCodes` is a refusal (WATCHPOST_ERR_DRIVER_REJECTED) whose message carries the
 * program's stderr.
 */
export function runProgram(program: string, args: readonly string[], options: RunProgramOptions = {}): Promise<ProgramOutcome> {
  const ok = options.okExitCodes ?? [0];
  return new Promise((resolve, reject) => {
    const child = execFile(
      program,
      [...args],
      { timeout: options.timeoutMs ?? 30_000, maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8', shell: false, ...(options.signal ? { signal: options.signal } : {}), env: { ...process.env, LC_ALL: 'C' } },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ stdout, stderr, code: 0 });
          return;
        }
        const failure = error as NodeJS.ErrnoException & { code?: string | number; killed?: boolean; signal?: string };
        const command = [program, ...args].join(' ').slice(0, 300);
        if (failure.code === 'ENOENT') {
          reject(new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `program not found: ${program} (is it installed and on PATH?)`, { cause: error }));
        } else if (typeof failure.code === 'number' && ok.includes(failure.code)) {
          resolve({ stdout, stderr, code: failure.code });
        } else if (failure.killed || failure.signal || failure.name === 'AbortError' || typeof failure.code !== 'number') {
          reject(new OperationalError('WATCHPOST_ERR_DRIVER_UNAVAILABLE', `${command} did not finish (${String(failure.signal ?? failure.code ?? failure.name)})`, { cause: error }));
        } else {
          reject(new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `${command} exited with ${String(failure.code)}: ${stderr.trim().slice(0, 500)}`, { cause: error }));
        }
      },
    );
    // A program that exits before reading its input (a missing namespace, a usage error) closes the
    // pipe: the write then fails with EPIPE, which must not become an uncaught error in the worker.
    child.stdin?.on('error', () => undefined);
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}
