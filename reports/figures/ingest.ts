/**
 * The ingest section: events and parse failures per source from the event store, drops from the
 * hourly `sourceStats` counters, and which configured sources fell silent.
 *
 * A source is listed when it is configured, sent events in the week, or has counters in the week
 * (a source that dropped everything it received still belongs in the report). Sources are listed
 * most events first, then by id.
 */
import { F, PARSE_FAILURE_TAG } from '../../core/ecs/fields.js';
import type { FilterNode } from '../../core/query/filter.js';
import type { ReportPeriod, SourceFigure, WeeklyFigures } from '../../core/reports/types.js';
import type { CaseStore } from '../../core/stores/case-store.js';
import { MAX_TERMS_SIZE, type EventStore } from '../../core/stores/event-store.js';
import { forEachRecord, within } from './paging.js';
import { byText } from './tally.js';

/** A configured source that sent nothing for this long before the week's end is silent. */
export const SILENT_AFTER_MS = 24 * 3_600_000;

const PARSE_FAILURE: FilterNode = { op: 'eq', field: F.TAGS, value: PARSE_FAILURE_TAG, caseSensitive: true };

function fromSource(source: string): FilterNode {
  return { op: 'eq', field: F.WATCHPOST_INPUT_ID, value: source, caseSensitive: true };
}

/** Events per source id over the range (with an extra filter), from one terms aggregation. */
async function perSource(events: EventStore, range: { from: Date; to: Date }, filter?: FilterNode): Promise<Map<string, number>> {
  const buckets = await events.terms({ ...range, ...(filter ? { filter } : {}), field: F.WATCHPOST_INPUT_ID, size: MAX_TERMS_SIZE });
  return new Map(buckets.map((bucket) => [String(bucket.value), bucket.count]));
}

/** The `@timestamp` of the source's newest event in the range, normalized to UTC ISO. */
async function newestEvent(events: EventStore, range: { from: Date; to: Date }, source: string): Promise<string | undefined> {
  const page = await events.search({ ...range, filter: fromSource(source), size: 1, order: 'desc' });
  const stamp = page.events[0]?.['@timestamp'];
  if (stamp === undefined) return undefined;
  const ms = Date.parse(stamp);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : stamp;
}

/** Drops per source from the counters of the hours starting in the period, summed over ingest processes. */
async function droppedPerSource(cases: CaseStore, period: ReportPeriod): Promise<Map<string, number>> {
  const dropped = new Map<string, number>();
  await forEachRecord(cases.sourceStats, { filter: within('startsAt', period), sort: 'startsAt' }, (stat) => {
    dropped.set(stat.source, (dropped.get(stat.source) ?? 0) + (Number.isFinite(stat.dropped) ? stat.dropped : 0));
  });
  return dropped;
}

/** The ingest figures of the period for the configured `sources`. */
export async function gatherIngestFigures(cases: CaseStore, events: EventStore, period: ReportPeriod, sources: readonly string[]): Promise<WeeklyFigures['ingest']> {
  const range = { from: new Date(period.from), to: new Date(period.to) };
  const [total, failures, eventCounts, failureCounts, dropped] = await Promise.all([
    events.count(range),
    events.count({ ...range, filter: PARSE_FAILURE }),
    perSource(events, range),
    perSource(events, range, PARSE_FAILURE),
    droppedPerSource(cases, period),
  ]);
  const configured = new Set(sources);
  const ids = [...new Set([...sources, ...eventCounts.keys(), ...dropped.keys()])];
  const silentBefore = range.to.getTime() - SILENT_AFTER_MS;
  const figures: SourceFigure[] = [];
  // One search per source, in turn: a deployment has tens of sources, and the store serves other work meanwhile.
  for (const source of ids) {
    const count = eventCounts.get(source) ?? 0;
    const parseFailures = failureCounts.get(source) ?? 0;
    const lastEventAt = count > 0 ? await newestEvent(events, range, source) : undefined;
    // Nothing for SILENT_AFTER_MS or more: the newest event is at or before the week's end less that.
    const silent = configured.has(source) && (lastEventAt === undefined || Date.parse(lastEventAt) <= silentBefore);
    figures.push({
      source,
      events: count,
      parseFailures,
      parseFailureRate: count === 0 ? 0 : parseFailures / count,
      dropped: dropped.get(source) ?? 0,
      ...(lastEventAt !== undefined ? { lastEventAt } : {}),
      silent,
    });
  }
  figures.sort((a, b) => b.events - a.events || byText(a.source, b.source));
  return {
    sources: figures,
    events: total,
    parseFailures: failures,
    dropped: [...dropped.values()].reduce((sum, n) => sum + n, 0),
  };
}
