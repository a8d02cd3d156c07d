import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { openSqliteDatabase, type SqliteDatabase } from '../../backends/sqlite/database.js';
import { SqliteEventStore } from '../../backends/sqlite/event-store.js';
import { ECS_VERSION, type EcsEvent } from '../../core/ecs/event.js';
import { PARSE_FAILURE_TAG } from '../../core/ecs/fields.js';
import { OperationalError } from '../../core/errors.js';
import type { RawRecord } from '../../core/ingest/record.js';
import type { AppendResult, EventStore } from '../../core/stores/event-store.js';
import { inputOf } from './events.js';
import { IngestPipeline, type IngestPipelineOptions } from './pipeline.js';

const dirs: string[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wp-pipeline-'));
  dirs.push(dir);
  return dir;
}

/** A stand-in for the syslog normalizer: the text as message, "BAD" lines tagged, "THROW" lines throw. */
function normalize(record: RawRecord): EcsEvent {
  const text = record.data.toString('utf8');
  if (text.startsWith('THROW')) throw new Error('parser bug');
  return {
    '@timestamp': new Date(record.receivedAt).toISOString(),
    message: text,
    ecs: { version: ECS_VERSION },
    event: { original: text },
    watchpost: { input: inputOf(record) },
    ...(text.startsWith('BAD') ? { tags: [PARSE_FAILURE_TAG] } : {}),
  };
}

function records(from: number, count: number, sourceId = 'syslog-tcp'): RawRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    sourceId,
    transport: 'tcp' as const,
    data: Buffer.from(`line ${from + i}`),
    receivedAt: 1_700_000_000_000 + from + i,
    peer: '127.0.0.1:5000',
  }));
}

function sqliteStore(dir: string): { db: SqliteDatabase; store: SqliteEventStore } {
  const db = openSqliteDatabase(join(dir, 'watchpost.db'));
  cleanups.push(() => {
    db.close();
  });
  return { db, store: new SqliteEventStore(db) };
}

async function openPipeline(dir: string, store: EventStore, overrides: Partial<IngestPipelineOptions> = {}): Promise<IngestPipeline> {
  const pipeline = await IngestPipeline.open({
    dataDir: dir,
    spool: { maxBytes: 64 * 1024 * 1024, segmentBytes: 64 * 1024 },
    batch: { maxRecords: 100, maxDelayMs: 20 },
    store,
    normalize,
    metrics: new Registry(),
    retry: { initialMs: 10, maxMs: 50 },
    ...overrides,
  });
  cleanups.push(() => pipeline.close());
  return pipeline;
}

function count(db: SqliteDatabase): number {
  return (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
}

function messages(db: SqliteDatabase): string[] {
  return (db.prepare('SELECT doc FROM events').all() as { doc: string }[]).map((row) => (JSON.parse(row.doc) as EcsEvent).message as string);
}

/** The real SQLite store behind a switch: while `down`, append fails as an unreachable store does. */
class FlakyStore implements EventStore {
  down = false;
  appends = 0;
  failures = 0;
  readonly kind = 'sqlite';
  constructor(private readonly inner: EventStore) {}
  append(events: readonly EcsEvent[]): Promise<AppendResult> {
    this.appends += 1;
    if (this.down) {
      this.failures += 1;
      return Promise.reject(new OperationalError('WATCHPOST_ERR_STORE_UNAVAILABLE', 'injected: store down'));
    }
    return this.inner.append(events);
  }
  refresh = (): Promise<void> => this.inner.refresh();
  get = (id: string) => this.inner.get(id);
  search = (...args: Parameters<EventStore['search']>) => this.inner.search(...args);
  count = (...args: Parameters<EventStore['count']>) => this.inner.count(...args);
  terms = (...args: Parameters<EventStore['terms']>) => this.inner.terms(...args);
  dateHistogram = (...args: Parameters<EventStore['dateHistogram']>) => this.inner.dateHistogram(...args);
  deleteOlderThan = (cutoff: Date) => this.inner.deleteOlderThan(cutoff);
  health = () => this.inner.health();
  close = () => this.inner.close();
}

describe('IngestPipeline', () => {
  it('stores every accepted record once, with deterministic ids and ingest time', async () => {
    const dir = tempDir();
    const { db, store } = sqliteStore(dir);
    const pipeline = await openPipeline(dir, store);
    await Promise.all([pipeline.accept(records(0, 250)), pipeline.accept(records(250, 250, 'auth-log'))]);
    await pipeline.idle();
    expect(count(db)).toBe(500);
    const doc = JSON.parse((db.prepare('SELECT doc FROM events LIMIT 1').get() as { doc: string }).doc) as EcsEvent;
    expect(doc.event?.id).toMatch(/^[0-9a-f]{32}$/);
    expect(doc.event?.ingested).toBeDefined();
  });

  it('replays what was stored but not committed without duplicating it', async () => {
    const dir = tempDir();
    const { db, store } = sqliteStore(dir);
    const spy = new FlakyStore(store);
    // First run: the store acknowledges, but the cursor commit never happens (the process "dies"):
    // appends are intercepted after they reach the store and the pipeline is abandoned.
    let crashed = false;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const crashing: EventStore = Object.assign(Object.create(spy) as EventStore, {
      append: async (events: readonly EcsEvent[]) => {
        const result = await spy.append(events);
        crashed = true;
        await released; // held until the end of the test: the cursor is not committed
        throw new OperationalError('WATCHPOST_ERR_STORE_UNAVAILABLE', 'the first process is gone');
        return result;
      },
    });
    const first = await IngestPipeline.open({
      dataDir: dir,
      spool: { maxBytes: 64 * 1024 * 1024, segmentBytes: 64 * 1024 },
      batch: { maxRecords: 1000, maxDelayMs: 20 },
      store: crashing,
      normalize,
      metrics: new Registry(),
    });
    await first.accept(records(0, 300));
    while (!crashed) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(count(db)).toBe(300);
    expect(existsSync(join(dir, 'spool', 'cursor.json'))).toBe(false);
    // Second run over the same data dir: everything is read again and lands on the same ids.
    const second = await openPipeline(dir, spy);
    await second.idle();
    expect(count(db)).toBe(300);
    expect(spy.appends).toBeGreaterThanOrEqual(2);
    await second.accept(records(300, 10));
    await second.idle();
    expect(count(db)).toBe(310);
    expect(new Set(messages(db)).size).toBe(310);
    await second.close();
    release();
    await first.close(); // only to release its files; it stores and commits nothing more
  });

  it('spools while the store is down and drains it when it is back: no loss, no duplicates', async () => {
    const dir = tempDir();
    const { db, store } = sqliteStore(dir);
    const flaky = new FlakyStore(store);
    const registry = new Registry();
    const pipeline = await openPipeline(dir, flaky, { metrics: registry });
    await pipeline.accept(records(0, 100));
    await pipeline.idle();
    flaky.down = true;
    for (let i = 1; i < 10; i++) await pipeline.accept(records(i * 100, 100));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(count(db)).toBe(100);
    expect(flaky.failures).toBeGreaterThan(1);
    const spooled = await registry.getSingleMetricAsString('watchpost_spool_entries');
    expect(spooled).toMatch(/watchpost_spool_entries\{source="syslog-tcp"\} [1-9]\d*/);
    flaky.down = false;
    await pipeline.idle();
    expect(count(db)).toBe(1000);
    expect(new Set(messages(db)).size).toBe(1000);
    expect(await registry.getSingleMetricAsString('watchpost_pipeline_store_errors_total')).toMatch(/ [1-9]\d*$/m);
  });

  it('keeps the spool across a restart while the store is down', async () => {
    const dir = tempDir();
    const { db, store } = sqliteStore(dir);
    const flaky = new FlakyStore(store);
    flaky.down = true;
    const first = await openPipeline(dir, flaky);
    await first.accept(records(0, 500));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await first.close();
    expect(count(db)).toBe(0);
    flaky.down = false;
    const second = await openPipeline(dir, flaky);
    await second.idle();
    expect(count(db)).toBe(500);
  });

  it('writes events the store refuses to the dead-letter file and moves on', async () => {
    const dir = tempDir();
    const { db, store } = sqliteStore(dir);
    const registry = new Registry();
    const pipeline = await openPipeline(dir, store, {
      metrics: registry,
      // A bad @timestamp is what the store refuses permanently (invalid_event).
      normalize: (record) => ({ ...normalize(record), ...(record.data.toString().endsWith('3') ? { '@timestamp': 'not a time' } : {}) }),
    });
    await pipeline.accept(records(0, 10));
    await pipeline.idle();
    expect(count(db)).toBe(9);
    const letters = readFileSync(join(dir, 'dead-letter.ndjson'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ reason: 'invalid_event', source: 'syslog-tcp', event: { message: 'line 3' } });
    expect(await registry.getSingleMetricAsString('watchpost_pipeline_dead_lettered_total')).toContain('reason="invalid_event"} 1');
  });

  it('dead-letters the one event a store fails on unexpectedly, storing the rest', async () => {
    const dir = tempDir();
    const { db, store } = sqliteStore(dir);
    const poisoned = new FlakyStore(store);
    poisoned.append = (events) =>
      events.some((event) => event.message === 'line 7') ? Promise.reject(new TypeError('driver bug')) : store.append(events);
    const pipeline = await openPipeline(dir, poisoned);
    await pipeline.accept(records(0, 20));
    await pipeline.idle();
    expect(count(db)).toBe(19);
    expect(readFileSync(join(dir, 'dead-letter.ndjson'), 'utf8')).toContain('"reason":"store_error"');
  });

  it('stores a record that fails to decode, tagged, and counts parse failures', async () => {
    const dir = tempDir();
    const { db, store } = sqliteStore(dir);
    const registry = new Registry();
    const pipeline = await openPipeline(dir, store, { metrics: registry });
    await pipeline.accept([...records(0, 2), { ...records(2, 1)[0]!, data: Buffer.from('THROW \xff') }, { ...records(3, 1)[0]!, data: Buffer.from('BAD') }]);
    await pipeline.idle();
    expect(count(db)).toBe(4);
    const failed = (db.prepare('SELECT doc FROM events').all() as { doc: string }[])
      .map((row) => JSON.parse(row.doc) as EcsEvent)
      .find((event) => event.message?.startsWith('THROW'));
    expect(failed?.tags).toContain(PARSE_FAILURE_TAG);
    expect(failed?.watchpost?.parse?.failure).toBe('decode_error');
    expect(failed?.event?.original).toContain('THROW');
    expect(await registry.getSingleMetricAsString('watchpost_source_failed_total')).toContain('source="syslog-tcp"} 2');
    expect(await registry.getSingleMetricAsString('watchpost_source_parsed_total')).toContain('source="syslog-tcp"} 2');
  });

  it('uses the record key as identity when there is one: the same key never stores twice', async () => {
    const dir = tempDir();
    const { db, store } = sqliteStore(dir);
    const pipeline = await openPipeline(dir, store);
    const keyed = records(0, 5).map((record, i) => ({ ...record, transport: 'file' as const, key: `fp:${i * 10}` }));
    await pipeline.accept(keyed);
    await pipeline.accept(keyed); // the tailer re-read these after a crash before committing its position
    await pipeline.idle();
    expect(count(db)).toBe(5);
  });

  it('labels unknown sources as "other" and rejects accept after close', async () => {
    const dir = tempDir();
    const { store } = sqliteStore(dir);
    const registry = new Registry();
    const pipeline = await openPipeline(dir, store, { metrics: registry, sourceIds: ['syslog-tcp'] });
    pipeline.sourceMetrics('syslog-tcp').received(3, 30);
    pipeline.sourceMetrics('made-up').dropped('spool_full', 1);
    expect(await registry.getSingleMetricAsString('watchpost_source_received_bytes_total')).toContain('source="syslog-tcp"} 30');
    expect(await registry.getSingleMetricAsString('watchpost_source_dropped_total')).toContain('source="other",reason="spool_full"} 1');
    await pipeline.close();
    await expect(pipeline.accept(records(0, 1))).rejects.toBeInstanceOf(OperationalError);
  });

  it('hands each stored batch to afterStore once stored, retries its OperationalErrors and survives its bugs', async () => {
    const dir = tempDir();
    const { db, store } = sqliteStore(dir);
    const registry = new Registry();
    const seen: string[] = [];
    let unavailable = 2;
    const pipeline = await openPipeline(dir, store, {
      metrics: registry,
      afterStore: (events) => {
        // The events must already be searchable when the hook runs.
        expect(count(db)).toBeGreaterThanOrEqual(events.length);
        if (events.some((event) => event.message === 'line 3') && unavailable > 0) {
          unavailable -= 1;
          return Promise.reject(new OperationalError('WATCHPOST_ERR_STORE_UNAVAILABLE', 'injected: correlation store down'));
        }
        if (events.some((event) => event.message === 'line 7')) return Promise.reject(new Error('detection bug'));
        for (const event of events) seen.push(event.message as string);
        return Promise.resolve();
      },
    });
    await pipeline.accept(records(0, 5));
    await pipeline.idle();
    expect(unavailable).toBe(0);
    expect(seen.sort()).toEqual(['line 0', 'line 1', 'line 2', 'line 3', 'line 4']);
    await pipeline.accept(records(5, 5));
    await pipeline.idle();
    expect(count(db)).toBe(10);
    expect(await registry.getSingleMetricAsString('watchpost_pipeline_after_store_errors_total')).toContain('watchpost_pipeline_after_store_errors_total 1');
  });
});
