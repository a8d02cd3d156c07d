import type { EcsEvent, StoredEvent } from '../ecs/event.js';
import type { FilterNode } from '../query/filter.js';

/**
 * Where normalized events live: appended in batches by ingest, searched and aggregated by the
 * API, the engine and reports. Implemented by backends/sqlite and backends/elasticsearch; the
 * contract suite in test/contracts/event-store.contract.ts holds every implementation to the
 * semantics written here.
 */
export interface EventStore {
  /** The technology, as /api/health reports it: "sqlite" or "elasticsearch". */
  readonly kind: string;

  /**
   * Appends a batch of events, each with a deterministic `event.id` and an `@timestamp`.
   *
   * - Idempotent by `event.id`: an id already stored is not written again and counts as a
   *   duplicate, whatever its content (so a replay or a retried batch never duplicates).
   * - When the promise resolves, every event of the batch is durable and is either `written`,
   *   a `duplicate`, or listed in `rejected` with a permanent reason (e.g. a mapping conflict)
   *   that a retry would not fix; the caller dead-letters rejected events, never drops them.
   * - Transient trouble (the backend is down, 429 backpressure that outlasts the store's own
   *   bounded retries) rejects with an OperationalError; any subset may then have been
   *   written, and retrying the same batch is safe.
   * - An event without `event.id` or a parsable `@timestamp` is rejected in `rejected` with
   *   reason `invalid_event`; it never fails the batch.
   * - Appended events become visible to search within {@link EventStoreOptions} refresh
   *   interval, or at once after {@link EventStore.refresh}.
   */
  append(events: readonly EcsEvent[]): Promise<AppendResult>;

  /** Makes every acknowledged append visible to search and aggregations. */
  refresh(): Promise<void>;

  /** Returns the event with this id, or undefined. */
  get(id: string): Promise<StoredEvent | undefined>;

  /**
   * Events in the time range matching the filter, newest first by default, paged by cursor.
   * Order is total: `@timestamp`, then `event.id` as tie-break, so paging never skips or repeats.
   */
  search(query: EventSearch): Promise<EventPage>;

  /** How many events in the time range match the filter. */
  count(query: EventQuery): Promise<number>;

  /**
   * The most frequent values of a field among matching events, most frequent first (ties by
   * value ascending). Array fields count each element. Values are returned as stored (a
   * number stays a number). Missing values are not a bucket.
   */
  terms(query: EventQuery & { field: string; size?: number }): Promise<TermsBucket[]>;

  /**
   * Counts of matching events per fixed interval of `@timestamp`, oldest first, buckets aligned
   * to multiples of the interval since the Unix epoch (UTC). Buckets with no events between the
   * first and the last non-empty one are included with count 0; none outside the range.
   */
  dateHistogram(query: EventQuery & { intervalMs: number }): Promise<HistogramBucket[]>;

  /**
   * Deletes events whose `@timestamp` is older than `cutoff`. A backend may keep up to one day
   * more than asked (Elasticsearch deletes whole daily indices); it never deletes an event at or
   * after the cutoff's day. Returns how many events (or, for index-based stores, an estimate) were removed.
   */
  deleteOlderThan(cutoff: Date): Promise<number>;

  /** Probes the backend: resolves with "up" or rejects with an OperationalError. */
  health(): Promise<BackendHealth>;

  /** Releases connections and file handles. Idempotent. */
  close(): Promise<void>;
}

/** What happened to a batch handed to {@link EventStore.append}. */
export interface AppendResult {
  /** Events newly stored. */
  readonly written: number;
  /** Events whose id was already stored. */
  readonly duplicates: number;
  /** Events refused for a reason a retry cannot fix, with that reason. */
  readonly rejected: readonly RejectedEvent[];
}

/** An event the store refused permanently. */
export interface RejectedEvent {
  /** The event's id, or "" when it had none. */
  readonly id: string;
  /** A short, low-cardinality code: invalid_event, mapping_conflict, too_large, rejected. */
  readonly reason: string;
  /** The backend's own message, for the dead-letter record. */
  readonly detail?: string;
}

/** A time range and an optional filter. The range is half-open: from ≤ @timestamp < to. */
export interface EventQuery {
  readonly from: Date;
  readonly to: Date;
  readonly filter?: FilterNode;
}

/** A search: a query plus paging. */
export interface EventSearch extends EventQuery {
  /** Page size. @defaultValue 100; at most {@link MAX_PAGE_SIZE}. */
  readonly size?: number;
  /** @defaultValue "desc" (newest first) */
  readonly order?: 'asc' | 'desc';
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string;
}

/** One page of events. */
export interface EventPage {
  readonly events: StoredEvent[];
  /** Total matches of the query (exact up to {@link MAX_EXACT_TOTAL}, then a lower bound). */
  readonly total: number;
  /** Present when more events follow. Opaque. */
  readonly nextCursor?: string;
}

/** A value of a terms aggregation with its count. */
export interface TermsBucket {
  readonly value: string | number | boolean;
  readonly count: number;
}

/** One interval of a date histogram. */
export interface HistogramBucket {
  /** Start of the interval, ms since the epoch. */
  readonly start: number;
  readonly count: number;
}

/** The state of a backend as /api/health reports it. */
export interface BackendHealth {
  readonly state: 'up' | 'degraded' | 'down';
  readonly detail?: string;
}

/** The largest page {@link EventStore.search} returns. */
export const MAX_PAGE_SIZE = 10_000;

/** Totals beyond this may be reported as a lower bound. */
export const MAX_EXACT_TOTAL = 10_000;

/** The most buckets {@link EventStore.terms} returns. */
export const MAX_TERMS_SIZE = 1_000;

/** The most buckets {@link EventStore.dateHistogram} may produce; a finer interval is a UserError. */
export const MAX_HISTOGRAM_BUCKETS = 10_000;
