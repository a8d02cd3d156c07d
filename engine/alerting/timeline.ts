import type { TimelineEntry } from '../../core/cases/types.js';
import { deterministicId, timeOrderedId } from '../../core/ids.js';

/** The actor of what the alerting engine does by itself. */
export const SYSTEM_ACTOR = 'system';

/** The longest comment body, in characters. */
export const MAX_COMMENT_LENGTH = 64 * 1024;

/**
 * Where system entries written in the same millisecond sort among themselves (the log breaks
 * ties of `at` by id): an incident's `created` before the `alert_linked` written with it.
 */
const SYSTEM_ORDER: Partial<Record<TimelineEntry['kind'], number>> = { created: 0, alert_linked: 1 };

/**
 * The id of an entry the system writes: derived from what caused it, so a retried grouping or a
 * second SLA check appends nothing new (the log's append is idempotent by id). `s<n>` first: a
 * tie of `at` then lists it after hand entries (whose time-ordered ids are hex) of the same
 * millisecond, and `created` before `alert_linked`.
 */
export function systemEntryId(incidentId: string, kind: TimelineEntry['kind'], ...parts: readonly (string | number)[]): string {
  return `s${SYSTEM_ORDER[kind] ?? 2}${deterministicId('timeline', incidentId, kind, ...parts)}`;
}

/**
 * A timeline entry. Hand operations get time-ordered random ids (two identical comments are two
 * entries); pass `id` for what the system writes.
 */
export function timelineEntry(
  fields: Omit<TimelineEntry, 'id' | 'at'> & { readonly id?: string },
  nowMs: number,
): TimelineEntry {
  const { id, ...rest } = fields;
  return { id: id ?? timeOrderedId(nowMs), at: new Date(nowMs).toISOString(), ...rest };
}
