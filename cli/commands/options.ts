import type { Command } from 'commander';
import { loadConfig } from '../../core/config/load.js';
import type { Config } from '../../core/config/schema.js';
import { createLogger, type Logger } from '../../core/log.js';

/** The flags of commands that open a store: which configuration, which data directory. */
export interface StoreOptions {
  readonly config?: string;
  readonly dataDir?: string;
  readonly logLevel?: string;
}

/** Adds `--config`, `--data-dir` and `--log-level` to a command that opens a store. */
export function withStoreOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'YAML configuration file (WATCHPOST_* environment variables override it)')
    .option('--data-dir <dir>', 'directory of the embedded database (default ./data)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace (logs go to stderr)');
}

/** The validated configuration, with `--data-dir` and `--log-level` applied over file and environment. */
export function configOf(options: StoreOptions): Readonly<Config> {
  const overrides: { path: string[]; value: unknown }[] = [];
  if (options.dataDir !== undefined) overrides.push({ path: ['dataDir'], value: options.dataDir });
  if (options.logLevel !== undefined) overrides.push({ path: ['log', 'level'], value: options.logLevel });
  return loadConfig({ ...(options.config !== undefined ? { file: options.config } : {}), overrides });
}

/**
 * A logger on stderr: these commands print their results on stdout (NDJSON, a token), which
 * must stay clean for pipes. Quiet below warn unless asked, as a command's chatter is noise.
 */
export function commandLogger(options: StoreOptions): Logger {
  return createLogger({ level: options.logLevel ?? 'warn', destination: process.stderr });
}

/** Reports a refusal the way `watchpost` reports errors, and makes the process exit 1. */
export function refuse(message: string): void {
  process.stderr.write(`watchpost: ${message}\n`);
  process.exitCode = 1;
}

let stdoutClosed = false;

/**
 * Writes to stdout, waiting when the pipe is full so a large result does not pile up in memory.
 * Resolves false once the reader has gone (`watchpost search | head`): the caller stops, quietly.
 */
export async function writeOut(text: string): Promise<boolean> {
  if (stdoutClosed) return false;
  if (process.stdout.listenerCount('error') === 0) {
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      // EPIPE is the reader closing the pipe, which is how `head` says it has enough.
      if (error.code !== 'EPIPE') throw error;
      stdoutClosed = true;
      process.stdout.emit('drain');
    });
  }
  if (text === '' || process.stdout.write(text)) return !stdoutClosed;
  await new Promise<void>((resolve) => {
    process.stdout.once('drain', resolve);
  });
  return !stdoutClosed;
}
