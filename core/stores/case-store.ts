import type {
  Alert,
  ApiToken,
  AuditEntry,
  BlockState,
  LoginLockout,
  NeverBlockEntry,
  ResponseControl,
  CustomRule,
  Incident,
  PlaybookRun,
  RuleState,
  Session,
  Suppression,
  TimelineEntry,
  User,
} from '../cases/types.js';
import type { ReportFile, ReportRecord, SourceStat } from '../reports/types.js';
import type { FilterNode } from '../query/filter.js';
import type { BackendHealth } from './event-store.js';

/**
 * Case management state: alerts, incidents, timelines, users, API tokens, sessions, the audit
 * log, playbook runs and block desired-state. Implemented by backends/sqlite and
 * backends/elasticsearch; the contract suite in test/contracts/case-store.contract.ts holds both
 * to the semantics written here.
 */
export interface CaseStore {
  /** The technology, as /api/health reports it. */
  readonly kind: string;
  readonly alerts: Collection<Alert>;
  readonly incidents: Collection<Incident>;
  readonly users: Collection<User>;
  readonly tokens: Collection<ApiToken>;
  readonly sessions: Collection<Session>;
  readonly runs: Collection<PlaybookRun>;
  readonly blocks: Collection<BlockState>;
  /** The never-block list as edited through the API. */
  readonly neverBlock: Collection<NeverBlockEntry>;
  /** Response switches shared by every process (the circuit breaker). */
  readonly controls: Collection<ResponseControl>;
  /** Failed sign-in counters and lockouts, shared by every API process. */
  readonly lockouts: Collection<LoginLockout>;
  /** Generated reports (the weekly threat report), newest week last by id. */
  readonly reports: Collection<ReportRecord>;
  /** The PDF of each report, apart from its record so that listing reports stays light. */
  readonly reportFiles: Collection<ReportFile>;
  /** Hourly ingest counters per source and process, for the report's drops and silent sources. */
  readonly sourceStats: Collection<SourceStat>;
  /** Alert suppressions (tuning): expired ones stay until deleted, and stop applying. */
  readonly suppressions: Collection<Suppression>;
  /** Rules switched on or off from the API, keyed by rule key; ingest polls them. */
  readonly ruleStates: Collection<RuleState>;
  /** Rule files uploaded through the API; ingest polls them. */
  readonly customRules: Collection<CustomRule>;
  /** The incident timelines: append-only, entries keyed by their `incidentId`. */
  readonly timeline: AppendOnlyLog<TimelineEntry>;
  /** The audit log: append-only; only retention deletes from it. */
  readonly audit: AppendOnlyLog<AuditEntry>;
  /** Probes the backend: resolves with its state, or rejects with an OperationalError. */
  health(): Promise<BackendHealth>;
  /** Releases connections and file handles. Idempotent. */
  close(): Promise<void>;
}

/** A record as stored: the record plus its revision for optimistic concurrency. */
export type Stored<T> = T & {
  /** Opaque revision; changes on every write. Pass it back to {@link Collection.replace}. */
  readonly rev: string;
};

/**
 * A set of records keyed by `id`.
 *
 * Every write is durable when its promise resolves, and read-your-writes: `get` and `list` see
 * every acknowledged write at once, in any process sharing the backend.
 */
export interface Collection<T extends { readonly id: string }> {
  /**
   * Stores a new record. Rejects with WATCHPOST_ERR_STORE_CONFLICT when the id exists, which is
   * how deterministic ids make creation effectively-once across processes.
   */
  create(record: T): Promise<Stored<T>>;

  /** The record with this id, or undefined. */
  get(id: string): Promise<Stored<T> | undefined>;

  /**
   * Replaces a record if nobody wrote it since it was read: `record.rev` must be the revision
   * read. Rejects with WATCHPOST_ERR_STORE_CONFLICT on a stale revision and with
   * WATCHPOST_ERR_STORE_NOT_FOUND when the record no longer exists. Returns the new revision.
   */
  replace(record: Stored<T>): Promise<Stored<T>>;

  /** Deletes the record; true when it existed. */
  delete(id: string): Promise<boolean>;

  /** Records matching the query, in a total order (the sort field, then id), paged by cursor. */
  list(query?: ListQuery): Promise<Page<Stored<T>>>;

  /** Deletes every record matching the filter (used for expiry); returns how many. */
  deleteMatching(filter: FilterNode): Promise<number>;
}

/**
 * A log that only grows: entries are appended, listed, and removed only by retention.
 * `append` is idempotent by id: an entry whose id exists is not written again and the stored
 * one is returned, so a retried job writes its timeline entry once.
 */
export interface AppendOnlyLog<T extends { readonly id: string; readonly at: string }> {
  append(entry: T): Promise<T>;
  /** Entries matching the query; the default order is `at` ascending. */
  list(query?: ListQuery): Promise<Page<T>>;
  /** Retention: deletes entries whose `at` is before the cutoff; returns how many. */
  deleteOlderThan(cutoff: Date): Promise<number>;
}

/**
 * Which records, in what order. Filters use the filter AST over the record's fields (top-level
 * and dotted nested names, e.g. `entity.value`; an array field matches if any element does,
 * including a field inside an array of objects, e.g. `observables.value`; a key that itself
 * contains dots is reached by the same dotted name, e.g. `entities.source.ip`).
 */
export interface ListQuery {
  readonly filter?: FilterNode;
  /**
   * Field to sort on (dotted letters, digits and `_`; anything else is
   * WATCHPOST_ERR_STORE_INVALID_QUERY); ties broken by id. Records without the field come first
   * ascending and last descending. @defaultValue "createdAt" (collections) or "at" (logs)
   */
  readonly sort?: string;
  /** @defaultValue "asc" */
  readonly order?: 'asc' | 'desc';
  /** @defaultValue 100; at most {@link MAX_LIST_LIMIT} */
  readonly limit?: number;
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string;
}

/** One page of records. */
export interface Page<T> {
  readonly items: T[];
  /** How many records match in all. */
  readonly total: number;
  /** Present when more records follow. Opaque. */
  readonly nextCursor?: string;
}

/** The largest page {@link Collection.list} returns. */
export const MAX_LIST_LIMIT = 1_000;
