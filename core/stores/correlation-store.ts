import type { BackendHealth } from './event-store.js';

/**
 * Windowed state for correlation rules (event_count, value_count, temporal, temporal_ordered),
 * shared by every ingest process that uses the same backend so that two processes receiving
 * halves of one attack still see one window. Implemented in memory (checkpointed to disk) and
 * in Redis; the contract suite in test/contracts/correlation-store.contract.ts holds both to
 * the semantics written here.
 *
 * The primitive is a sliding window per key: a set of members, each with the time it was last
 * seen. Counting events uses the event id as member; counting distinct values uses the value;
 * temporal rules use the rule id. Every operation on one key is atomic.
 */
export interface CorrelationStore {
  /** The technology, as /api/health reports it: "memory" or "redis". */
  readonly kind: string;

  /**
   * Records `member` as seen at `atMs` in the window of `key`, forgets members last seen at or
   * before `atMs - windowMs`, and returns what is left (including this member). A member seen
   * again keeps its latest time. The key expires `windowMs` after its newest member.
   */
  observe(key: string, member: string, atMs: number, windowMs: number): Promise<WindowState>;

  /** The members of the window of `key` last seen after `sinceMs`, oldest first. */
  members(key: string, sinceMs: number): Promise<WindowMember[]>;

  /** Forgets the window of `key` (after a correlation fired, to start counting anew). */
  reset(key: string): Promise<void>;

  /**
   * Claims `key` for `ttlMs`: true for exactly one caller among all processes until the claim
   * expires. Used so that a correlation that fires in two processes at once raises one alert.
   */
  claim(key: string, ttlMs: number): Promise<boolean>;

  /** Probes the backend. */
  health(): Promise<BackendHealth>;

  /** Persists state where the backend needs it (memory: to its checkpoint file) and releases resources. Idempotent. */
  close(): Promise<void>;
}

/** The window of one key after an observation. */
export interface WindowState {
  /** Distinct members in the window. */
  readonly count: number;
  /** Time of the oldest member still in the window, ms since the epoch. */
  readonly oldestMs: number;
}

/** One member of a window with the time it was last seen. */
export interface WindowMember {
  readonly member: string;
  readonly atMs: number;
}
