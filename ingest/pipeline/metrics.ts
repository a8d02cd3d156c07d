import { Counter, Gauge, type Registry } from 'prom-client';
import type { SourceMetrics } from '../source.js';
import type { SpoolSourceStats } from './spool/spool.js';

/** Label used for a source id that is not configured, so labels stay bounded. */
export const OTHER_SOURCE = 'other';

/**
 * The ingest metrics, registered on the process registry: `watchpost_source_*` per source,
 * `watchpost_spool_*` gauges per source (read from the spool at scrape time) and the pipeline's
 * store-error and dead-letter counters. Source labels are configured ids only.
 */
export class IngestMetrics {
  readonly received: Counter<'source'>;
  readonly receivedBytes: Counter<'source'>;
  readonly parsed: Counter<'source'>;
  readonly failed: Counter<'source'>;
  readonly dropped: Counter<'source' | 'reason'>;
  readonly truncated: Counter<'source'>;
  readonly connections: Counter<'source' | 'event'>;
  readonly storeErrors: Counter;
  readonly afterStoreErrors: Counter;
  readonly deadLettered: Counter<'source' | 'reason'>;
  readonly spoolCorrupt: Counter;
  private readonly known: ReadonlySet<string> | undefined;

  constructor(registry: Registry, options: { sourceIds?: readonly string[]; spoolStats: () => ReadonlyMap<string, SpoolSourceStats> }) {
    this.known = options.sourceIds ? new Set(options.sourceIds) : undefined;
    const registers = [registry];
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> =>
      new Counter({ name, help, labelNames, registers });
    this.received = counter('watchpost_source_received_total', 'Records received by a source, before any drop.', ['source']);
    this.receivedBytes = counter('watchpost_source_received_bytes_total', 'Bytes of the records received by a source.', ['source']);
    this.parsed = counter('watchpost_source_parsed_total', 'Records decoded into events.', ['source']);
    this.failed = counter('watchpost_source_failed_total', 'Records stored with the parse-failure tag.', ['source']);
    this.dropped = counter('watchpost_source_dropped_total', 'Records a source could not hand over, by reason.', ['source', 'reason']);
    this.truncated = counter('watchpost_source_truncated_total', 'Records cut to the maximum size (still stored).', ['source']);
    this.connections = counter('watchpost_source_connections_total', 'TCP/TLS connections opened, closed and refused.', ['source', 'event']);
    this.storeErrors = new Counter({ name: 'watchpost_pipeline_store_errors_total', help: 'Failed appends to the event store (each retried).', registers });
    this.afterStoreErrors = new Counter({
      name: 'watchpost_pipeline_after_store_errors_total',
      help: 'Batches whose post-store processing (detection) failed with a bug; the events are stored but were not evaluated.',
      registers,
    });
    this.deadLettered = counter('watchpost_pipeline_dead_lettered_total', 'Events the store refused permanently, written to the dead-letter file.', [
      'source',
      'reason',
    ]);
    this.spoolCorrupt = new Counter({ name: 'watchpost_spool_corrupt_entries_total', help: 'Spool entries skipped for a bad checksum (records lost).', registers });
    const spoolGauge = (name: string, help: string, pick: (stats: SpoolSourceStats) => number): void => {
      const label = (id: string): string => this.label(id);
      new Gauge({
        name,
        help,
        labelNames: ['source'],
        registers,
        collect() {
          this.reset();
          for (const [source, stats] of options.spoolStats()) this.inc({ source: label(source) }, pick(stats));
        },
      });
    };
    spoolGauge('watchpost_spool_bytes', 'Bytes in the spool not yet stored, by source.', (stats) => stats.bytes);
    spoolGauge('watchpost_spool_entries', 'Records in the spool not yet stored, by source.', (stats) => stats.entries);
  }

  /**
   * The configured source ids, or undefined when every id is its own label: the hourly source
   * stats write a record for each even when it counted nothing, so silence is visible.
   */
  get sourceIds(): readonly string[] | undefined {
    return this.known ? [...this.known] : undefined;
  }

  /** The label of a source id: itself if configured, else {@link OTHER_SOURCE}. */
  label(sourceId: string): string {
    return this.known === undefined || this.known.has(sourceId) ? sourceId : OTHER_SOURCE;
  }

  /** The counters one source updates (its SourceContext.metrics). */
  forSource(sourceId: string): SourceMetrics {
    const source = this.label(sourceId);
    return {
      received: (count, bytes) => {
        this.received.inc({ source }, count);
        this.receivedBytes.inc({ source }, bytes);
      },
      dropped: (reason, count) => this.dropped.inc({ source, reason }, count),
      truncated: (count) => this.truncated.inc({ source }, count),
      connection: (event) => this.connections.inc({ source, event }),
    };
  }
}
