import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { FileSourceConfig } from '../../../core/config/ingest.js';
import type { RawRecord } from '../../../core/ingest/record.js';
import { silentLogger } from '../../../core/log.js';
import type { SourceContext, SourceMetrics } from '../../source.js';
import { FileTailer, type FileTailerTuning } from './tailer.js';

/** Test-only helpers of the file source: a SourceContext that collects, and short timings. */

/** Timings short enough for tests, long enough to stay deterministic on two loaded cores. */
export const TEST_TUNING: Partial<FileTailerTuning> = {
  commitIntervalMs: 50,
  partialLineIdleMs: 400,
  goneGraceMs: 400,
  copyWindowMs: 600,
  closeInactiveMs: 60_000,
};

/** A full config with the schema's defaults. */
export function fileConfig(overrides: Partial<FileSourceConfig> & Pick<FileSourceConfig, 'paths'>): FileSourceConfig {
  return {
    id: 'test-files',
    exclude: [],
    startAt: 'beginning',
    timezone: 'UTC',
    maxLineBytes: 64 * 1024,
    pollIntervalMs: 100,
    ...overrides,
  };
}

/** A running file source whose emit collects records; emit can be slowed or made to fail. */
export class TestRun {
  readonly records: RawRecord[] = [];
  readonly counts = { received: 0, truncated: 0, batches: 0 };
  emitDelayMs = 0;
  failEmits = false;
  readonly controller = new AbortController();
  readonly done: Promise<void>;
  private pendingEmits = 0;

  constructor(config: FileSourceConfig, stateDir: string, tuning: Partial<FileTailerTuning> = TEST_TUNING) {
    const metrics: SourceMetrics = {
      received: (count) => (this.counts.received += count),
      dropped: () => undefined,
      truncated: (count) => (this.counts.truncated += count),
      connection: () => undefined,
    };
    const context: SourceContext = {
      logger: silentLogger(),
      signal: this.controller.signal,
      metrics,
      stateDir,
      emit: async (batch) => {
        this.pendingEmits += 1;
        try {
          if (this.emitDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.emitDelayMs));
          if (this.failEmits) throw new Error('emit failed');
          this.records.push(...batch);
          this.counts.batches += 1;
        } finally {
          this.pendingEmits -= 1;
        }
      },
    };
    this.done = new FileTailer(config, context, tuning).run();
  }

  get emitting(): boolean {
    return this.pendingEmits > 0;
  }

  /** The records' data as strings. */
  lines(): string[] {
    return this.records.map((record) => record.data.toString('utf8'));
  }

  async stop(): Promise<void> {
    this.controller.abort();
    await this.done;
  }
}

/** Polls `predicate` until it holds or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A fresh temp directory with `logs/` and `state/` paths; `cleanup` removes it. */
export async function tempDirs(): Promise<{ root: string; logs: string; state: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'watchpost-file-'));
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(root, 'logs'));
  return { root, logs: join(root, 'logs'), state: join(root, 'state'), cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** A numbered line the writers produce and the assertions parse back. */
export function numbered(n: number): string {
  return `line ${String(n).padStart(7, '0')} ${'x'.repeat(40)}`;
}

/** The numbers of `numbered` lines among `lines`. */
export function numbersOf(lines: readonly string[]): number[] {
  return lines.map((line) => /^line (\d{7}) /.exec(line)).filter((m) => m !== null).map((m) => Number(m[1]));
}

/**
 * Asserts that the numbered lines from..to were all emitted and that any line emitted twice
 * carried the same key both times (which the pipeline's deterministic ids deduplicate).
 */
export function expectExactlyOnceByKey(records: readonly RawRecord[], from: number, to: number): void {
  const keysByNumber = new Map<number, Set<string>>();
  for (const record of records) {
    const [n] = numbersOf([record.data.toString('utf8')]);
    if (n === undefined) continue;
    const keys = keysByNumber.get(n) ?? new Set<string>();
    keys.add(record.key ?? '');
    keysByNumber.set(n, keys);
  }
  const missing: number[] = [];
  const rekeyed: number[] = [];
  for (let n = from; n <= to; n++) {
    const keys = keysByNumber.get(n);
    if (!keys) missing.push(n);
    else if (keys.size > 1) rekeyed.push(n);
  }
  expect({ missing: missing.slice(0, 20), missingCount: missing.length, rekeyed: rekeyed.slice(0, 20) }).toEqual({ missing: [], missingCount: 0, rekeyed: [] });
  expect([...keysByNumber.keys()].filter((n) => n < from || n > to)).toEqual([]);
}
