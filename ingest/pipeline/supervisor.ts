import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RawRecord } from '../../core/ingest/record.js';
import { UserError, WatchpostError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { Source, SourceDefinition, SourceMetrics } from '../source.js';

/** One source to run: its definition (from the registry) and its config slice. */
export interface SupervisedSource {
  readonly definition: SourceDefinition<never>;
  readonly config: { readonly id: string };
}

/** What the supervisor needs from the pipeline. */
export interface SupervisorSink {
  accept(batch: readonly RawRecord[]): Promise<void>;
  sourceMetrics(sourceId: string): SourceMetrics;
}

/** Options of {@link startSupervisor}. */
export interface SupervisorOptions {
  readonly sources: readonly SupervisedSource[];
  readonly sink: SupervisorSink;
  /** Sources keep state in `<dataDir>/state/<source id>`. */
  readonly dataDir: string;
  readonly logger: Logger;
  /** Restart backoff: first delay and cap. @defaultValue { initialMs: 1000, maxMs: 60000 } */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** How long close waits for a source to stop after the abort. @defaultValue 10000 */
  readonly stopTimeoutMs?: number;
}

/** Running sources; {@link Supervisor.close} stops them. */
export interface Supervisor {
  /** Aborts every source and waits for them to release sockets and files. Idempotent. */
  close(): Promise<void>;
}

/** A source that ran this long before failing restarts with the initial delay again. */
const STABLE_MS = 60_000;

/**
 * Starts every configured source and keeps it running: a source whose `run()` rejects (a port
 * in use, a certificate that does not load) or returns before it was asked to stop is restarted
 * with exponential backoff, as the Source contract leaves retrying to the pipeline. Source ids
 * must be unique: they label metrics, name state directories and feed event ids.
 */
export function startSupervisor(options: SupervisorOptions): Supervisor {
  const ids = options.sources.map((source) => source.config.id);
  const duplicates = ids.filter((id, index) => ids.indexOf(id) !== index);
  if (duplicates.length > 0) {
    throw new UserError('WATCHPOST_ERR_CONFIG_INVALID', `ingest source ids must be unique; repeated: ${[...new Set(duplicates)].join(', ')}`, {
      problems: [...new Set(duplicates)].map((id) => ({ message: `source id "${id}" is used more than once`, path: 'ingest' })),
    });
  }
  const abort = new AbortController();
  const { initialMs, maxMs } = options.backoff ?? { initialMs: 1000, maxMs: 60_000 };
  const runs = options.sources.map((source) => supervise(source));

  async function supervise({ definition, config }: SupervisedSource): Promise<void> {
    const logger = options.logger.child({ component: 'source', kind: definition.id, source: config.id });
    const stateDir = join(options.dataDir, 'state', config.id);
    const metrics = options.sink.sourceMetrics(config.id);
    let delay = initialMs;
    while (!abort.signal.aborted) {
      const started = Date.now();
      try {
        await mkdir(stateDir, { recursive: true });
        const source: Source = definition.create(config as never, {
          logger,
          signal: abort.signal,
          metrics,
          stateDir,
          emit: (batch) => options.sink.accept(batch),
        });
        await source.run();
        if (abort.signal.aborted) break;
        logger.warn({ restartInMs: delay }, 'source stopped without being asked to; restarting');
      } catch (error) {
        if (abort.signal.aborted) break;
        const operational = error instanceof WatchpostError && error.intent === 'operational';
        logger[operational ? 'warn' : 'error']({ err: error, restartInMs: delay }, 'source failed; restarting');
      }
      if (Date.now() - started >= STABLE_MS) delay = initialMs;
      await sleep(delay, undefined, { signal: abort.signal }).catch(() => undefined);
      delay = Math.min(delay * 2, maxMs);
    }
  }

  let closing: Promise<void> | undefined;
  return {
    close: () =>
      (closing ??= (async () => {
        abort.abort();
        const timeoutMs = options.stopTimeoutMs ?? 10_000;
        const all = Promise.all(runs).then(() => true);
        const timedOut = sleep(timeoutMs, false, { ref: false });
        if (!(await Promise.race([all, timedOut]))) {
          options.logger.error({ timeoutMs }, 'a source did not stop after the abort; closing the pipeline anyway');
        }
      })()),
  };
}
