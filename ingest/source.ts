import type { TSchema } from '@sinclair/typebox';
import type { Logger } from '../core/log.js';
import type { Registry } from '../core/metrics.js';
import type { RawRecord } from '../core/ingest/record.js';

/**
 * The Source contract (docs/specs/source.md): config slice in, raw records out.
 *
 * - `run()` resolves when `signal` aborts (after releasing sockets and files) and rejects on a
 *   failure it cannot handle (a port in use, a certificate that does not load). It never retries
 *   on its own: the pipeline's supervisor restarts it with backoff.
 * - A source hands records to `emit` in batches and waits for the promise before it reads more:
 *   that wait is the backpressure (TCP stops reading, the tailer pauses). `emit` resolves once
 *   the batch is durable in the spool; only then may a resumable source commit its position.
 * - `emit` rejects only when the pipeline is stopping; the source then stops.
 * - A source never parses and never drops silently: every record it cannot emit is counted.
 * - Listeners bind to the configured address, loopback unless configured otherwise.
 */
export interface Source {
  run(): Promise<void>;
}

/** What a source gets from the pipeline. */
export interface SourceContext {
  /** Child logger bound with the source kind and id. */
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** Per-source counters; labelled by source id by the pipeline. */
  readonly metrics: SourceMetrics;
  /** Hands a batch over; resolves when it is durable in the spool. See {@link Source}. */
  emit(batch: readonly RawRecord[]): Promise<void>;
  /** Where the source may keep state (file positions), inside the data directory. */
  readonly stateDir: string;
}

/** Counters every source keeps (watchpost_source_* metrics with a `source` label). */
export interface SourceMetrics {
  /** Records received (before any drop). */
  received(count: number, bytes: number): void;
  /** Records dropped, with a low-cardinality reason (spool_full, oversized, kernel_rcvbuf, rate_limited, tls_refused...). */
  dropped(reason: string, count: number): void;
  /** Records cut to the maximum size (still emitted). */
  truncated(count: number): void;
  /** Connections (TCP/TLS) opened and refused. */
  connection(event: 'opened' | 'closed' | 'refused'): void;
}

/** A kind of source: its id, config schema and factory. Listed by hand in ingest/sources/index.ts. */
export interface SourceDefinition<Config> {
  readonly id: string;
  readonly description: string;
  readonly configSchema: TSchema;
  create(config: Readonly<Config>, context: SourceContext): Source;
}

export type { Registry };
