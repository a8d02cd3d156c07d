import { afterEach, describe, expect, it } from 'vitest';
import { SqliteCaseStore } from '../../backends/sqlite/case-store.js';
import { openSqliteDatabase } from '../../backends/sqlite/database.js';
import { ManualClock } from '../../core/clock.js';
import { OperationalError, UserError } from '../../core/errors.js';
import { createLogger } from '../../core/log.js';
import { createMetricsRegistry } from '../../core/metrics.js';
import type { SourceStat } from '../../core/reports/types.js';
import type { Collection } from '../../core/stores/case-store.js';
import { IngestMetrics } from './metrics.js';
import { MAX_INSTANCE_LENGTH, sourceStatsInstance, startSourceStatsWriter } from './source-stats.js';

const H10 = '2024-05-06T10:00:00.000Z';
const H11 = '2024-05-06T11:00:00.000Z';
const at = (time: string): number => Date.parse(`2024-05-06T${time}Z`);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The store seen through a switch that makes every call fail like a store that is down, and a count of writes. */
interface FaultyCollection {
  readonly collection: Collection<SourceStat>;
  down: boolean;
  /** When set, creates land in the store but the caller gets an error (the answer was lost). */
  loseCreateAnswers: boolean;
  writes: number;
}

function faulty(inner: Collection<SourceStat>): FaultyCollection {
  const state: FaultyCollection = { collection: undefined as unknown as Collection<SourceStat>, down: false, loseCreateAnswers: false, writes: 0 };
  const check = (): void => {
    if (state.down) throw new OperationalError('WATCHPOST_ERR_STORE_UNAVAILABLE', 'the case store is down (test)');
  };
  (state as { collection: Collection<SourceStat> }).collection = {
    async create(record) {
      check();
      const stored = await inner.create(record);
      state.writes += 1;
      if (state.loseCreateAnswers) throw new OperationalError('WATCHPOST_ERR_STORE_UNAVAILABLE', 'timed out waiting for the answer (test)');
      return stored;
    },
    async get(id) {
      check();
      return inner.get(id);
    },
    async replace(record) {
      check();
      const stored = await inner.replace(record);
      state.writes += 1;
      return stored;
    },
    async delete(id) {
      check();
      return inner.delete(id);
    },
    async list(query) {
      check();
      return inner.list(query);
    },
    async deleteMatching(filter) {
      check();
      return inner.deleteMatching(filter);
    },
  };
  return state;
}

function setup(options: { sourceIds?: readonly string[] | null; start?: string } = {}) {
  const db = openSqliteDatabase(':memory:');
  const store = new SqliteCaseStore(db);
  const clock = new ManualClock(at(options.start ?? '10:30:00'));
  const lines: string[] = [];
  const logger = createLogger({ destination: { write: (line: string) => lines.push(line) } });
  const stats = faulty(store.sourceStats);
  cleanups.push(() => {
    db.close();
  });
  /** One ingest process: its own counters and writer, on the shared store and clock. */
  const process = (instance: string, intervalMs = 3_600_000) => {
    const sourceIds = options.sourceIds === null ? undefined : (options.sourceIds ?? ['fw', 'web']);
    const metrics = new IngestMetrics(createMetricsRegistry({ defaultMetrics: false }), { ...(sourceIds ? { sourceIds } : {}), spoolStats: () => new Map() });
    const writer = startSourceStatsWriter({ metrics, stats: stats.collection, instance, clock, intervalMs, logger });
    cleanups.push(() => writer.close());
    return { metrics, writer };
  };
  const records = async (): Promise<Record<string, Omit<SourceStat, 'id' | 'createdAt' | 'updatedAt'>>> => {
    const page = await store.sourceStats.list({ limit: 1000 });
    return Object.fromEntries(
      page.items.map((r) => [r.id, { source: r.source, instance: r.instance, startsAt: r.startsAt, received: r.received, parsed: r.parsed, failed: r.failed, dropped: r.dropped }]),
    );
  };
  const logs = (): { level: string; msg: string }[] => lines.map((line) => JSON.parse(line) as { level: string; msg: string });
  return { store, clock, stats, process, records, logs };
}

/** Counts as the pipeline and the sources do: received and dropped through forSource, parsed and failed by label. */
function ingest(metrics: IngestMetrics, source: string, counts: { received?: number; parsed?: number; failed?: number; dropped?: Record<string, number> }): void {
  const label = metrics.label(source);
  if (counts.received) metrics.forSource(source).received(counts.received, counts.received * 100);
  if (counts.parsed) metrics.parsed.inc({ source: label }, counts.parsed);
  if (counts.failed) metrics.failed.inc({ source: label }, counts.failed);
  for (const [reason, count] of Object.entries(counts.dropped ?? {})) metrics.forSource(source).dropped(reason, count);
}

const zero = { received: 0, parsed: 0, failed: 0, dropped: 0 };

describe('startSourceStatsWriter', () => {
  it('writes the hour counts of each source to <source>.<hourStart>.<instance>, dropped summed over reasons', async () => {
    const { process, records } = setup();
    const { metrics, writer } = process('ingest-a');
    ingest(metrics, 'fw', { received: 10, parsed: 7, failed: 2, dropped: { udp_buffer: 1, spool_full: 3 } });
    await writer.flush();
    expect(await records()).toEqual({
      [`fw.${H10}.ingest-a`]: { source: 'fw', instance: 'ingest-a', startsAt: H10, received: 10, parsed: 7, failed: 2, dropped: 4 },
      [`web.${H10}.ingest-a`]: { source: 'web', instance: 'ingest-a', startsAt: H10, ...zero },
    });
    ingest(metrics, 'fw', { received: 5, parsed: 5 });
    await writer.flush();
    expect((await records())[`fw.${H10}.ingest-a`]).toMatchObject({ received: 15, parsed: 12, failed: 2, dropped: 4 });
  });

  it('splits exactly at the hour: the rest of the old hour goes to its record, the new hour starts from zero', async () => {
    const { clock, process, records } = setup();
    const { metrics, writer } = process('ingest-a');
    ingest(metrics, 'fw', { received: 5, parsed: 5 });
    await writer.flush();
    clock.set(at('10:59:59'));
    ingest(metrics, 'fw', { received: 3, failed: 3, dropped: { udp_buffer: 2 } });
    // Not flushed before the hour turns: these counts were seen in 10:00 and go there.
    clock.set(at('11:00:01'));
    await writer.flush();
    ingest(metrics, 'fw', { received: 4, parsed: 4 });
    clock.set(at('11:20:00'));
    await writer.flush();
    const written = await records();
    expect(written[`fw.${H10}.ingest-a`]).toMatchObject({ received: 8, parsed: 5, failed: 3, dropped: 2 });
    expect(written[`fw.${H11}.ingest-a`]).toMatchObject({ received: 4, parsed: 4, failed: 0, dropped: 0 });
    expect(written[`web.${H11}.ingest-a`]).toMatchObject(zero);
    const received = Object.values(written).reduce((sum, r) => sum + r.received, 0);
    expect(received).toBe((await metrics.received.get()).values.reduce((sum, v) => sum + v.value, 0));
  });

  it('makes one record per instance when two processes share the store, and they sum to both counters', async () => {
    const { process, records, store } = setup();
    const a = process('ingest-a');
    const b = process('ingest-b');
    ingest(a.metrics, 'fw', { received: 6, parsed: 6, dropped: { udp_buffer: 1 } });
    ingest(b.metrics, 'fw', { received: 9, parsed: 8, failed: 1 });
    await Promise.all([a.writer.flush(), b.writer.flush()]);
    ingest(a.metrics, 'fw', { received: 1, parsed: 1 });
    await Promise.all([a.writer.flush(), b.writer.flush()]);
    const written = await records();
    expect(written[`fw.${H10}.ingest-a`]).toMatchObject({ received: 7, parsed: 7, dropped: 1 });
    expect(written[`fw.${H10}.ingest-b`]).toMatchObject({ received: 9, parsed: 8, failed: 1 });
    const fw = await store.sourceStats.list({ filter: { op: 'eq', field: 'source', value: 'fw' } });
    expect(fw.total).toBe(2);
    expect(fw.items.reduce((sum, r) => sum + r.received, 0)).toBe(16);
  });

  it('keeps the counts while the store is down, warns once for the streak, and loses nothing on recovery', async () => {
    const { clock, stats, process, records, logs } = setup();
    const { metrics, writer } = process('ingest-a');
    stats.down = true;
    ingest(metrics, 'fw', { received: 5, parsed: 5 });
    await writer.flush();
    ingest(metrics, 'fw', { received: 2, dropped: { spool_full: 2 } });
    await writer.flush();
    clock.set(at('11:10:00'));
    await writer.flush();
    ingest(metrics, 'fw', { received: 1, parsed: 1 });
    await writer.flush();
    expect(logs().filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(await records()).toEqual({});
    stats.down = false;
    await writer.flush();
    const written = await records();
    expect(written[`fw.${H10}.ingest-a`]).toMatchObject({ received: 7, parsed: 5, dropped: 2 });
    expect(written[`fw.${H11}.ingest-a`]).toMatchObject({ received: 1, parsed: 1 });
    expect(written[`web.${H10}.ingest-a`]).toMatchObject(zero);
    expect(written[`web.${H11}.ingest-a`]).toMatchObject(zero);
    expect(logs().filter((l) => l.level === 'info' && /written again/.test(l.msg))).toHaveLength(1);
    // A second streak warns again.
    stats.down = true;
    ingest(metrics, 'fw', { received: 1 });
    await writer.flush();
    expect(logs().filter((l) => l.level === 'warn')).toHaveLength(2);
  });

  it('does not count twice when a create landed but its answer was lost', async () => {
    const { stats, process, records } = setup();
    const { metrics, writer } = process('ingest-a');
    ingest(metrics, 'fw', { received: 5 });
    stats.loseCreateAnswers = true;
    await writer.flush();
    stats.loseCreateAnswers = false;
    ingest(metrics, 'fw', { received: 1 });
    await writer.flush();
    expect((await records())[`fw.${H10}.ingest-a`]).toMatchObject({ received: 6 });
  });

  it('adds to the record an earlier run under the same instance name left in the same hour', async () => {
    const { clock, process, records } = setup();
    const first = process('collector-1');
    ingest(first.metrics, 'fw', { received: 5, parsed: 5 });
    await first.writer.close();
    clock.set(at('10:40:00'));
    const second = process('collector-1');
    ingest(second.metrics, 'fw', { received: 3, parsed: 2, failed: 1 });
    await second.writer.flush();
    ingest(second.metrics, 'fw', { received: 1, parsed: 1 });
    await second.writer.flush();
    expect((await records())[`fw.${H10}.collector-1`]).toMatchObject({ received: 9, parsed: 8, failed: 1 });
  });

  it('counts everything after a counter reset as new', async () => {
    const { process, records } = setup();
    const { metrics, writer } = process('ingest-a');
    ingest(metrics, 'fw', { received: 5 });
    await writer.flush();
    metrics.received.reset();
    ingest(metrics, 'fw', { received: 2 });
    await writer.flush();
    expect((await records())[`fw.${H10}.ingest-a`]).toMatchObject({ received: 7 });
  });

  it('writes what is left on close, and nothing after', async () => {
    const { stats, process, records } = setup();
    const { metrics, writer } = process('ingest-a');
    ingest(metrics, 'web', { received: 4, parsed: 4 });
    await writer.close();
    expect((await records())[`web.${H10}.ingest-a`]).toMatchObject({ received: 4, parsed: 4 });
    const writes = stats.writes;
    ingest(metrics, 'web', { received: 1 });
    await writer.flush();
    await writer.close();
    expect(stats.writes).toBe(writes);
  });

  it('logs an error when the last write at close fails', async () => {
    const { stats, process, logs } = setup();
    const { metrics, writer } = process('ingest-a');
    ingest(metrics, 'fw', { received: 4 });
    stats.down = true;
    await writer.close();
    expect(logs().filter((l) => l.level === 'error' && /lost/.test(l.msg))).toHaveLength(1);
  });

  it('gives an idle source one zero record per hour and does not rewrite unchanged records', async () => {
    const { clock, stats, process, records } = setup();
    const { writer } = process('ingest-a');
    await writer.flush();
    expect(stats.writes).toBe(2);
    await writer.flush();
    clock.set(at('10:50:00'));
    await writer.flush();
    expect(stats.writes).toBe(2);
    clock.set(at('11:00:00'));
    await writer.flush();
    await writer.flush();
    expect(stats.writes).toBe(4);
    expect(Object.keys(await records()).sort()).toEqual([`fw.${H10}.ingest-a`, `fw.${H11}.ingest-a`, `web.${H10}.ingest-a`, `web.${H11}.ingest-a`]);
  });

  it('skips the "other" label, and without configured ids writes the sources it has seen', async () => {
    const { process, records } = setup({ sourceIds: null });
    const { metrics, writer } = process('ingest-a');
    await writer.flush();
    expect(await records()).toEqual({});
    ingest(metrics, 'syslog-udp', { received: 2, parsed: 2 });
    metrics.received.inc({ source: 'other' }, 7);
    await writer.flush();
    expect(Object.keys(await records())).toEqual([`syslog-udp.${H10}.ingest-a`]);

    const other = setup({ sourceIds: ['fw'] });
    const configured = other.process('ingest-b');
    ingest(configured.metrics, 'not-configured', { received: 3 });
    await configured.writer.flush();
    // The unconfigured id counts as "other", which is not persisted; fw still gets its zero record.
    expect(await other.records()).toEqual({ [`fw.${H10}.ingest-b`]: { source: 'fw', instance: 'ingest-b', startsAt: H10, ...zero } });
  });

  it('writes on its own timer', async () => {
    const { process, records } = setup();
    const { metrics } = process('ingest-a', 20);
    ingest(metrics, 'fw', { received: 2 });
    await expect.poll(async () => (await records())[`fw.${H10}.ingest-a`]?.received, { timeout: 3000, interval: 20 }).toBe(2);
  });
});

describe('sourceStatsInstance', () => {
  it('keeps safe names and replaces dots and other characters', () => {
    expect(sourceStatsInstance('ingest-1_a')).toBe('ingest-1_a');
    expect(sourceStatsInstance('siem01.example.org-4242')).toBe('siem01-example-org-4242');
    expect(sourceStatsInstance('a b/c')).toBe('a-b-c');
  });

  it('caps the length with a hash, so long names stay distinct', () => {
    const long = 'h'.repeat(100);
    const a = sourceStatsInstance(`${long}-1`);
    const b = sourceStatsInstance(`${long}-2`);
    expect(a).toHaveLength(MAX_INSTANCE_LENGTH);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('refuses a name with nothing left to identify it', () => {
    expect(() => sourceStatsInstance('...')).toThrow(UserError);
    expect(() => sourceStatsInstance('')).toThrow(UserError);
  });
});
