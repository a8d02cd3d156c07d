/**
 * The short timeline of a notable incident: what happened to it (opened, status changes, actions,
 * linked alerts, comments), at most six entries, oldest first. When there were more, the entry
 * that opened the incident and the five newest are kept, so the reader sees how it began and how
 * it stands, not only a run of linked alerts.
 */
import type { TimelineEntry } from '../../core/cases/types.js';
import type { FilterNode } from '../../core/query/filter.js';
import type { CaseStore } from '../../core/stores/case-store.js';

/** The entry kinds a report reader cares about. */
export const REPORTED_KINDS: readonly TimelineEntry['kind'][] = ['created', 'status', 'action', 'alert_linked', 'comment'];

/** Most entries per incident. */
export const MAX_TIMELINE_ENTRIES = 6;

/** Longest entry text, in characters (an ellipsis ends a cut one). */
export const MAX_ENTRY_TEXT = 160;

/** What an entry without a body says. */
const FALLBACK_TEXT: Partial<Record<TimelineEntry['kind'], string>> = {
  created: 'Incident opened',
  status: 'Status changed',
  action: 'Response action',
  alert_linked: 'Alert linked',
  comment: 'Comment',
};

/**
 * The body's first line that is not blank (or a line naming the kind), cut to
 * {@link MAX_ENTRY_TEXT} characters.
 */
export function entryText(entry: Pick<TimelineEntry, 'kind' | 'body' | 'data'>): string {
  let text = (entry.body ?? '').split(/\r?\n/).find((line) => line.trim() !== '')?.trim() ?? '';
  if (text === '') {
    const to = entry.data?.['to'];
    text = entry.kind === 'status' && typeof to === 'string' ? `Status → ${to}` : (FALLBACK_TEXT[entry.kind] ?? entry.kind);
  }
  const chars = [...text];
  return chars.length <= MAX_ENTRY_TEXT ? text : `${chars.slice(0, MAX_ENTRY_TEXT - 1).join('')}…`;
}

/** The short timeline of one incident. */
export async function shortTimeline(cases: CaseStore, incidentId: string): Promise<{ at: string; actor: string; text: string }[]> {
  const filter: FilterNode = {
    op: 'and',
    children: [
      { op: 'eq', field: 'incidentId', value: incidentId, caseSensitive: true },
      { op: 'or', children: REPORTED_KINDS.map((kind) => ({ op: 'eq' as const, field: 'kind', value: kind, caseSensitive: true })) },
    ],
  };
  const [oldest, newest] = await Promise.all([
    cases.timeline.list({ filter, sort: 'at', order: 'asc', limit: 1 }),
    cases.timeline.list({ filter, sort: 'at', order: 'desc', limit: MAX_TIMELINE_ENTRIES - 1 }),
  ]);
  const entries = [...newest.items].reverse();
  const first = oldest.items[0];
  if (first !== undefined && !entries.some((entry) => entry.id === first.id)) entries.unshift(first);
  return entries.map((entry) => ({ at: entry.at, actor: entry.actor, text: entryText(entry) }));
}
