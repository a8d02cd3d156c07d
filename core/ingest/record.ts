import type { EcsEvent } from '../ecs/event.js';

/** How a record reached Watchpost. */
export type Transport = 'udp' | 'tcp' | 'tls' | 'file' | 'http';

/**
 * One raw record as a source emits it: a syslog frame, a (possibly multi-line) file record, or an
 * event posted over HTTP. Sources do not parse; the pipeline decodes and normalizes.
 * Records are JSON-serializable (after `data` is base64'd) because they pass through the spool.
 */
export interface RawRecord {
  /** The configured source id (`syslog-udp`, `auth-log`). */
  readonly sourceId: string;
  readonly transport: Transport;
  /** The bytes as received (one frame or line, without its framing or line terminator). */
  readonly data: Buffer;
  /** When Watchpost read it, ms since the epoch. */
  readonly receivedAt: number;
  /** Sender `ip:port` (`[v6]:port`) for network sources. */
  readonly peer?: string;
  /** The local `host:port` the record arrived on, for network sources. */
  readonly listener?: string;
  /** File sources: the path and the byte offset of the record's first byte. */
  readonly file?: string;
  readonly offset?: number;
  /**
   * Identity of the record within its source, stable across replays (file: fingerprint + offset;
   * HTTP: the client's id, if given). Feeds the deterministic event id; absent for syslog, whose
   * id derives from content, peer and receive time.
   */
  readonly key?: string;
  /** The record was longer than the configured maximum and was cut. */
  readonly truncated?: boolean;
  /** The IANA time zone for timestamps without an offset (per source, or per sender). */
  readonly timezone?: string;
  /** HTTP ingest: an event already structured by the sender (Watchpost fills the rest). */
  readonly event?: Readonly<EcsEvent> | Readonly<Record<string, unknown>>;
  /** A parser id configured for this source, if any. */
  readonly format?: string;
}

/**
 * Where records go: the ingest pipeline. `accept` resolves once the batch is durable in the
 * write-ahead spool (so a crash after it resolves loses nothing) and rejects with an
 * OperationalError when the pipeline is stopping. It waits while the spool is full: that wait
 * is the backpressure. The API's HTTP ingest receives one of these from the composition root.
 */
export interface RecordSink {
  accept(batch: readonly RawRecord[]): Promise<void>;
}
