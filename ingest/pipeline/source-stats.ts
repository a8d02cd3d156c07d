import { createHash } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { hasCode, OperationalError, UserError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { SourceStat } from '../../core/reports/types.js';
import type { Collection } from '../../core/stores/case-store.js';
import { modify } from '../../core/stores/modify.js';
import { OTHER_SOURCE, type IngestMetrics } from './metrics.js';

const HOUR_MS = 3_600_000;

/** The longest instance id a record carries; longer names are shortened with a hash (see {@link sourceStatsInstance}). */
export const MAX_INSTANCE_LENGTH = 64;

/** The counters the writer reads: the ingest metrics' per-source counters and configured ids. */
export type SourceCounters = Pick<IngestMetrics, 'received' | 'parsed' | 'failed' | 'dropped' | 'sourceIds'>;

/** Options of {@link startSourceStatsWriter}. */
export interface SourceStatsWriterOptions {
  readonly metrics: SourceCounters;
  readonly stats: Collection<SourceStat>;
  /**
   * This process's id in the records, unique among the ingest processes that run at the same
   * time (e.g. `<hostname>-<pid>`, or a configured name that survives restarts). Made safe by
   * {@link sourceStatsInstance}.
   */
  readonly instance: string;
  readonly clock: Clock;
  /** How often the counts are written (and also at each hour's start). @defaultValue 60000 */
  readonly intervalMs?: number;
  readonly logger: Logger;
}

/** A running writer. */
export interface SourceStatsWriter {
  /** Writes what changed now. Never rejects: a store error is logged and the counts stay for the next flush. */
  flush(): Promise<void>;
  /** Stops the timer and writes what is left (a failure then is logged as lost). Idempotent. */
  close(): Promise<void>;
}

interface Counts {
  readonly received: number;
  readonly parsed: number;
  readonly failed: number;
  readonly dropped: number;
}

const ZERO: Counts = { received: 0, parsed: 0, failed: 0, dropped: 0 };
const FIELDS = ['received', 'parsed', 'failed', 'dropped'] as const;

/** One record this process owes the store: its counts for one source and hour. */
interface Bucket {
  readonly id: string;
  readonly source: string;
  readonly startsAt: string;
  /** What this process counted in the hour. */
  total: Counts;
  /** What the store holds of `total` (undefined until the first successful write). */
  written: Counts | undefined;
  /**
   * The counts the record held before this process first wrote it (an earlier run under the same
   * instance name in the same hour); undefined until the record has been created or read.
   */
  base: Counts | undefined;
  /** The `createdAt` of this process's create, which tells its own record from an earlier run's. */
  createdAt: string | undefined;
}

/**
 * The instance id as records carry it: letters, digits, `_` and `-` (anything else becomes `-`,
 * so the id `<source>.<hourStart>.<instance>` splits unambiguously), at most
 * {@link MAX_INSTANCE_LENGTH} characters; a longer name keeps its start and gets a hash of the
 * whole name, so two long host names that share a prefix stay distinct.
 */
export function sourceStatsInstance(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_-]/g, '-');
  if (!/[A-Za-z0-9]/.test(safe)) {
    throw new UserError('WATCHPOST_ERR_CONFIG_INVALID', `the ingest instance name ${JSON.stringify(name.slice(0, 80))} has no letter or digit`);
  }
  if (safe.length <= MAX_INSTANCE_LENGTH) return safe;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 12);
  return `${safe.slice(0, MAX_INSTANCE_LENGTH - hash.length - 1)}-${hash}`;
}

/** The start of the UTC hour holding `ms`, ISO. */
export function hourStart(ms: number): string {
  return new Date(Math.floor(ms / HOUR_MS) * HOUR_MS).toISOString();
}

/** The record id of one source's hour in one process. */
export function sourceStatId(source: string, startsAt: string, instance: string): string {
  return `${source}.${startsAt}.${instance}`;
}

function add(a: Counts, b: Counts): Counts {
  return { received: a.received + b.received, parsed: a.parsed + b.parsed, failed: a.failed + b.failed, dropped: a.dropped + b.dropped };
}

/** What the counters gained since `before`; one below it was reset (a registry reset), so all of it is new. */
function gained(now: Counts, before: Counts): Counts {
  const one = (field: (typeof FIELDS)[number]): number => (now[field] >= before[field] ? now[field] - before[field] : now[field]);
  return { received: one('received'), parsed: one('parsed'), failed: one('failed'), dropped: one('dropped') };
}

function same(a: Counts | undefined, b: Counts): boolean {
  return a !== undefined && FIELDS.every((field) => a[field] === b[field]);
}

function countsOf(record: SourceStat): Counts {
  return { received: record.received, parsed: record.parsed, failed: record.failed, dropped: record.dropped };
}

/** The cumulative counter values per source label (dropped summed over its reasons). */
async function readCounters(metrics: SourceCounters): Promise<Map<string, Counts>> {
  const totals = new Map<string, { received: number; parsed: number; failed: number; dropped: number }>();
  for (const field of FIELDS) {
    const { values } = await metrics[field].get();
    for (const { labels, value } of values) {
      const source = labels.source;
      if (typeof source !== 'string' || source === OTHER_SOURCE) continue;
      let counts = totals.get(source);
      if (!counts) totals.set(source, (counts = { ...ZERO }));
      counts[field] += value;
    }
  }
  return totals;
}

/**
 * Persists the ingest counters per source and hour into `sourceStats`, so the weekly report can
 * sum drops and see silent sources across restarts and across several ingest processes, which
 * the in-memory Prometheus counters cannot show.
 *
 * Every interval, at each hour's start and on close, the counts this process gained since the
 * last look go to the hour of that last look: at a rollover the rest of the old hour is written to
 * its record before the new hour starts, so the records sum to the counters exactly. A record is
 * written as a whole (`base + total`, idempotent, so a write whose answer was lost does no harm),
 * only when it changed; each configured source gets a record every hour even when it counted
 * nothing, which tells "running but silent" from "not running". While the store fails the counts
 * stay in memory and are written at the next flush.
 */
export function startSourceStatsWriter(options: SourceStatsWriterOptions): SourceStatsWriter {
  const { metrics, stats, clock, logger } = options;
  const instance = sourceStatsInstance(options.instance);
  const intervalMs = options.intervalMs ?? 60_000;
  /** The hour that counts seen from now on belong to (that of the last look). */
  let hour = hourStart(clock.now());
  /** The cumulative counter values already given to an hour. Counters start at zero with the process. */
  const accounted = new Map<string, Counts>();
  /** The records owed, oldest hour first (insertion order). */
  const buckets = new Map<string, Bucket>();
  let failing = false;
  let closed = false;
  let closing: Promise<void> | undefined;
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const bucket = (source: string, startsAt: string): Bucket => {
    const id = sourceStatId(source, startsAt, instance);
    let found = buckets.get(id);
    if (!found) buckets.set(id, (found = { id, source, startsAt, total: ZERO, written: undefined, base: undefined, createdAt: undefined }));
    return found;
  };
  const openHour = (): void => {
    for (const source of metrics.sourceIds ?? []) if (source !== OTHER_SOURCE) bucket(source, hour);
  };
  openHour();

  /** Gives the counts gained since the last look to the hour of that look, then moves to the current hour. */
  const collect = async (): Promise<void> => {
    const current = await readCounters(metrics);
    const now = hourStart(clock.now());
    for (const [source, counts] of current) {
      const delta = gained(counts, accounted.get(source) ?? ZERO);
      accounted.set(source, counts);
      if (FIELDS.some((field) => delta[field] !== 0)) {
        const target = bucket(source, hour);
        target.total = add(target.total, delta);
      }
    }
    if (now !== hour) {
      hour = now;
      openHour();
    }
  };

  const write = async (owed: Bucket): Promise<void> => {
    const total = owed.total;
    const updatedAt = new Date(clock.now()).toISOString();
    // Two rounds at most: a record deleted between our reads (retention) is created again.
    for (let round = 0; round < 2; round++) {
      if (owed.base === undefined) {
        owed.createdAt ??= updatedAt;
        try {
          await stats.create({ id: owed.id, source: owed.source, instance, startsAt: owed.startsAt, ...total, createdAt: owed.createdAt, updatedAt });
          owed.base = ZERO;
          return;
        } catch (error) {
          if (!hasCode(error, 'WATCHPOST_ERR_STORE_CONFLICT')) throw error;
        }
        const existing = await stats.get(owed.id);
        if (!existing) continue;
        // Our own create whose answer was lost, or an earlier run of this instance in this hour.
        owed.base = existing.createdAt === owed.createdAt ? ZERO : countsOf(existing);
      }
      const base = owed.base;
      try {
        await modify(stats, owed.id, (record) => ({ ...record, ...add(base, total), updatedAt }));
        return;
      } catch (error) {
        if (!hasCode(error, 'WATCHPOST_ERR_STORE_NOT_FOUND')) throw error;
        owed.base = undefined;
        owed.createdAt = undefined;
      }
    }
    throw new OperationalError('WATCHPOST_ERR_STORE_UNAVAILABLE', `source stats record ${owed.id} kept disappearing while it was written`);
  };

  /** One pass: collect, then write what changed, oldest first; stops at the first failure. */
  const once = async (final: boolean): Promise<void> => {
    try {
      await collect();
      for (const owed of [...buckets.values()]) {
        if (!same(owed.written, owed.total)) {
          const total = owed.total;
          await write(owed);
          owed.written = total;
        }
        // An hour that is over gets no more counts: once written, it is done.
        if (owed.startsAt !== hour && same(owed.written, owed.total)) buckets.delete(owed.id);
      }
      if (failing) logger.info({ instance }, 'source stats written again');
      failing = false;
    } catch (error) {
      const unwritten = [...buckets.values()].filter((owed) => !same(owed.written, owed.total)).length;
      if (final) {
        logger.error({ err: error, instance, unwritten }, 'source stats could not be written at shutdown; these counts are lost from the report');
      } else if (!failing) {
        failing = true;
        const level = error instanceof OperationalError ? 'warn' : 'error';
        logger[level]({ err: error, instance, unwritten }, 'source stats could not be written; the counts are kept and retried');
      }
    }
  };

  /** Runs passes one at a time; calls made while one runs share the next. */
  const run = (): Promise<void> => {
    if (queued) return queued;
    if (!running) {
      running = once(false).finally(() => (running = undefined));
      return running;
    }
    queued = running.then(() => {
      queued = undefined;
      return run();
    });
    return queued;
  };

  // Ticks every interval and at each hour's start, so little of a new hour lands in the old one.
  const schedule = (): void => {
    const now = clock.now();
    const nextHour = (Math.floor(now / HOUR_MS) + 1) * HOUR_MS;
    timer = setTimeout(() => {
      void run().finally(() => {
        if (!closed) schedule();
      });
    }, Math.min(intervalMs, nextHour - now));
    timer.unref();
  };
  schedule();

  return {
    flush: () => (closed ? Promise.resolve() : run()),
    close() {
      closing ??= (async () => {
        closed = true;
        clearTimeout(timer);
        await (queued ?? running);
        await once(true);
      })();
      return closing;
    },
  };
}
