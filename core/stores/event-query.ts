import { UserError } from '../errors.js';
import type { EcsEvent } from '../ecs/event.js';
import {
  MAX_HISTOGRAM_BUCKETS,
  MAX_PAGE_SIZE,
  MAX_TERMS_SIZE,
  type EventQuery,
  type EventSearch,
  type HistogramBucket,
} from './event-store.js';

/**
 * The input rules of {@link EventStore} as code, so every backend accepts and refuses exactly the
 * same events and queries (the contract suite checks it), and the edge-case arithmetic of
 * histograms lives once.
 */

/** Page size when a search does not say. */
export const DEFAULT_PAGE_SIZE = 100;

/** Buckets a terms aggregation returns when the query does not say. */
export const DEFAULT_TERMS_SIZE = 10;

// ISO-8601 as Elasticsearch's strict_date_optional_time reads it and Date.parse agrees: a date,
// or a date-time with an explicit offset (without one, JS would read local time, ES UTC).
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** Why an event cannot be stored (reason `invalid_event`), or undefined when it can. */
export function invalidEventDetail(event: EcsEvent): string | undefined {
  const id: unknown = event.event?.id;
  if (typeof id !== 'string' || id.length === 0) return 'event.id is missing or not a non-empty string';
  if (id.length > 512) return 'event.id is longer than 512 characters';
  return eventTimestampMs(event) === undefined ? '@timestamp is missing or not an ISO-8601 timestamp with an offset' : undefined;
}

/** The event's `@timestamp` in ms since the epoch, or undefined when missing or malformed. */
export function eventTimestampMs(event: EcsEvent): number | undefined {
  const ts: unknown = event['@timestamp'];
  if (typeof ts !== 'string' || !ISO_TIMESTAMP.test(ts)) return undefined;
  const ms = Date.parse(ts);
  return Number.isNaN(ms) ? undefined : ms;
}

function invalid(message: string): never {
  throw new UserError('WATCHPOST_ERR_STORE_INVALID_QUERY', message);
}

/** The half-open range of a query in ms, or a UserError for an invalid date. */
export function queryRange(query: EventQuery): { readonly from: number; readonly to: number } {
  const from = query.from instanceof Date ? query.from.getTime() : Number.NaN;
  const to = query.to instanceof Date ? query.to.getTime() : Number.NaN;
  if (Number.isNaN(from) || Number.isNaN(to)) invalid('from and to must be valid dates');
  return { from, to };
}

/** The page size of a search: the default, or a UserError outside 1..{@link MAX_PAGE_SIZE}. */
export function pageSize(search: EventSearch): number {
  const size = search.size ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) invalid(`size must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  return size;
}

/** The size of a terms aggregation: the default, or a UserError outside 1..{@link MAX_TERMS_SIZE}. */
export function termsSize(size: number | undefined): number {
  const value = size ?? DEFAULT_TERMS_SIZE;
  if (!Number.isInteger(value) || value < 1 || value > MAX_TERMS_SIZE) invalid(`terms size must be an integer from 1 to ${MAX_TERMS_SIZE}`);
  return value;
}

/** Validates a histogram interval: a whole number of ms, at least 1. */
export function histogramInterval(intervalMs: number): number {
  if (!Number.isInteger(intervalMs) || intervalMs < 1) invalid('intervalMs must be a positive integer');
  return intervalMs;
}

/** The start of the epoch-aligned bucket holding `ms` (correct before 1970 too). */
export function bucketStart(ms: number, intervalMs: number): number {
  return ms - (((ms % intervalMs) + intervalMs) % intervalMs);
}

/**
 * Throws the UserError for a histogram whose span from the first to the last non-empty bucket
 * needs more than {@link MAX_HISTOGRAM_BUCKETS} buckets.
 */
export function checkHistogramSpan(firstMs: number, lastMs: number, intervalMs: number): void {
  const buckets = (bucketStart(lastMs, intervalMs) - bucketStart(firstMs, intervalMs)) / intervalMs + 1;
  if (buckets > MAX_HISTOGRAM_BUCKETS) {
    invalid(`the histogram would have ${buckets} buckets, more than ${MAX_HISTOGRAM_BUCKETS}; use a coarser interval or a shorter range`);
  }
}

/**
 * Non-empty buckets (any order) to the contract's answer: oldest first, with a zero bucket for
 * every empty interval between the first and the last, none outside.
 */
export function fillHistogram(nonEmpty: readonly HistogramBucket[], intervalMs: number): HistogramBucket[] {
  if (nonEmpty.length === 0) return [];
  const counts = new Map(nonEmpty.map((bucket) => [bucket.start, bucket.count]));
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const start of counts.keys()) {
    first = Math.min(first, start);
    last = Math.max(last, start);
  }
  checkHistogramSpan(first, last, intervalMs);
  const buckets: HistogramBucket[] = [];
  for (let start = first; start <= last; start += intervalMs) buckets.push({ start, count: counts.get(start) ?? 0 });
  return buckets;
}

/** Encodes a search position (`@timestamp` ms and id of the last event of a page) as an opaque cursor. */
export function encodeCursor(ms: number, id: string): string {
  return Buffer.from(JSON.stringify([ms, id]), 'utf8').toString('base64url');
}

/** Decodes {@link encodeCursor}, or throws a UserError for a cursor this store did not issue. */
export function decodeCursor(cursor: string): { readonly ms: number; readonly id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && typeof value[1] === 'string') {
      return { ms: value[0] as number, id: value[1] };
    }
  } catch {
    // fall through to the UserError
  }
  invalid('cursor is not a cursor this store issued');
}
