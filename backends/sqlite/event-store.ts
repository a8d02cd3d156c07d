import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { EcsEvent, StoredEvent } from '../../core/ecs/event.js';
import { OperationalError } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/log.js';
import { MATCH_ALL } from '../../core/query/filter.js';
import { textWords } from '../../core/query/text.js';
import {
  bucketStart,
  checkHistogramSpan,
  decodeCursor,
  encodeCursor,
  eventTimestampMs,
  fillHistogram,
  histogramInterval,
  invalidEventDetail,
  pageSize,
  queryRange,
  termsSize,
} from '../../core/stores/event-query.js';
import {
  MAX_EXACT_TOTAL,
  MAX_HISTOGRAM_BUCKETS,
  type AppendResult,
  type BackendHealth,
  type EventPage,
  type EventQuery,
  type EventSearch,
  type EventStore,
  type HistogramBucket,
  type RejectedEvent,
  type TermsBucket,
} from '../../core/stores/event-store.js';
import { migrate, type SqliteDatabase } from './database.js';
import { compileFilterSql, documentIrregular, jsonPath, registerSqlFunctions } from './filter-sql.js';
import { resolvePath } from '../../core/query/paths.js';

/**
 * The events tables. `seq` is an INTEGER PRIMARY KEY so rowids survive VACUUM: the FTS5 index
 * refers to rows by rowid. The FTS5 table is contentless (it stores no copy of the text); append
 * fills it for rows it actually inserted, and a trigger removes a row's entry when it is deleted.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE events (
     seq INTEGER PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     ts INTEGER NOT NULL,
     doc TEXT NOT NULL
   );
   CREATE INDEX events_ts_id ON events (ts, id);
   CREATE VIRTUAL TABLE events_fts USING fts5(body, content = '', contentless_delete = 1, tokenize = 'unicode61');
   CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN
     DELETE FROM events_fts WHERE rowid = old.seq;
   END;`,
  // 1 for a document a plain JSON path can miss values in (arrays of objects, flat dotted keys):
  // the filters resolve fields past plain paths only on those rows (filter-sql.ts).
  `ALTER TABLE events ADD COLUMN irregular INTEGER NOT NULL DEFAULT 0;
   UPDATE events SET irregular = wp_irregular(doc);`,
];

/**
 * What the FTS5 index holds for an event: the `text` op's words (UAX #29, folded) of `message`
 * and `event.original`, separated by spaces. Indexing the words rather than the raw text keeps
 * FTS5's tokens inside word boundaries, so a MATCH on a word's tokens never misses a row the
 * exact check would keep (raw "foo日本" would be one unicode61 token, but two words).
 */
function ftsBody(event: EcsEvent): string {
  // Resolved as the filters resolve fields, so a flat `{"event.original": …}` is indexed too.
  const strings = (field: string): string[] => resolvePath(event, field).filter((v): v is string => typeof v === 'string');
  return textWords([...strings('message'), ...strings('event.original')].join('\n')).join(' ');
}

/** Rows deleted per transaction by retention, so the write lock is released between chunks. */
const DELETE_CHUNK = 5_000;

const DAY_MS = 86_400_000;

/** SQLite result codes that mean "the file is busy, full or unreachable": retry later. */
const OPERATIONAL_CODES = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|READONLY|PROTOCOL|NOLFS)/;

/** Options of {@link SqliteEventStore}. */
export interface SqliteEventStoreOptions {
  /** @defaultValue a silent logger */
  readonly logger?: Logger;
}

/**
 * The embedded event store: one table in the shared SQLite file, the document as JSON, its
 * `@timestamp` as epoch ms for range scans and ordering, and an FTS5 index of the message text
 * that narrows the `text` op before the exact word check.
 *
 * The database handle belongs to the caller (the composition root shares one file between the
 * stores): {@link SqliteEventStore.close} does not close it. Appends are durable when they
 * resolve (one transaction per batch, WAL); reads see them at once, so `refresh` does nothing.
 */
export class SqliteEventStore implements EventStore {
  readonly kind = 'sqlite';
  private readonly logger: Logger;
  private readonly insert;
  private readonly index;
  private readonly byId;

  constructor(
    private readonly db: SqliteDatabase,
    options: SqliteEventStoreOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger();
    registerSqlFunctions(db);
    migrate(db, 'events', MIGRATIONS);
    this.insert = db.prepare<[string, number, string, number], { seq: number }>(
      'INSERT INTO events (id, ts, doc, irregular) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING seq',
    );
    this.index = db.prepare<[number, string]>('INSERT INTO events_fts (rowid, body) VALUES (?, ?)');
    this.byId = db.prepare<[string], { doc: string }>('SELECT doc FROM events WHERE id = ?');
  }

  /** Appends in one IMMEDIATE transaction; an id already present counts as a duplicate. */
  append(events: readonly EcsEvent[]): Promise<AppendResult> {
    return this.run('append', () => {
      const rejected: RejectedEvent[] = [];
      const rows: { row: [string, number, string, number]; event: EcsEvent }[] = [];
      for (const event of events) {
        const detail = invalidEventDetail(event);
        if (detail !== undefined) {
          const id: unknown = event.event?.id;
          rejected.push({ id: typeof id === 'string' ? id : '', reason: 'invalid_event', detail });
        } else {
          const row: [string, number, string, number] = [(event.event as { id: string }).id, eventTimestampMs(event) as number, JSON.stringify(event), documentIrregular(event) ? 1 : 0];
          rows.push({ row, event });
        }
      }
      let written = 0;
      this.db.transaction(() => {
        for (const { row, event } of rows) {
          const inserted = this.insert.get(...row);
          if (inserted === undefined) continue; // the id is stored already: a duplicate
          this.index.run(inserted.seq, ftsBody(event));
          written += 1;
        }
      }).immediate();
      const result = { written, duplicates: rows.length - written, rejected };
      this.logger.debug({ written, duplicates: result.duplicates, rejected: rejected.length }, 'events appended');
      return result;
    });
  }

  /** Does nothing: every acknowledged append is already visible. */
  refresh(): Promise<void> {
    return Promise.resolve();
  }

  get(id: string): Promise<StoredEvent | undefined> {
    return this.run('get', () => {
      const row = this.byId.get(id);
      return row ? (JSON.parse(row.doc) as StoredEvent) : undefined;
    });
  }

  search(query: EventSearch): Promise<EventPage> {
    return this.run('search', () => {
      const size = pageSize(query);
      const order = query.order === 'asc' ? 'ASC' : 'DESC';
      const where = this.where(query, 'e');
      const params = [...where.params];
      let after = '';
      if (query.cursor !== undefined) {
        const cursor = decodeCursor(query.cursor);
        after = ` AND (e.ts, e.id) ${order === 'ASC' ? '>' : '<'} (?, ?)`;
        params.push(cursor.ms, cursor.id);
      }
      const rows = this.db
        .prepare<unknown[], { ts: number; id: string; doc: string }>(
          `SELECT e.ts, e.id, e.doc FROM events e WHERE ${where.sql}${after} ORDER BY e.ts ${order}, e.id ${order} LIMIT ?`,
        )
        .all(...params, size + 1);
      const total = this.db
        .prepare<unknown[], { n: number }>(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM events e WHERE ${where.sql} LIMIT ?)`)
        .get(...where.params, MAX_EXACT_TOTAL)?.n ?? 0;
      const page = rows.slice(0, size);
      const last = page[page.length - 1];
      return {
        events: page.map((row) => JSON.parse(row.doc) as StoredEvent),
        total,
        ...(rows.length > size && last ? { nextCursor: encodeCursor(last.ts, last.id) } : {}),
      };
    });
  }

  count(query: EventQuery): Promise<number> {
    return this.run('count', () => {
      const where = this.where(query, 'e');
      return this.db.prepare<unknown[], { n: number }>(`SELECT COUNT(*) AS n FROM events e WHERE ${where.sql}`).get(...where.params)?.n ?? 0;
    });
  }

  /**
   * Counts each value once per event (an array holding a value twice counts once, as in
   * Elasticsearch), keeping numbers, strings and booleans apart. Fields are resolved as the
   * filters resolve them: irregular rows (arrays of objects, flat dotted keys) through wp_values.
   */
  terms(query: EventQuery & { field: string; size?: number }): Promise<TermsBucket[]> {
    return this.run('terms', () => {
      const size = termsSize(query.size);
      const path = jsonPath(query.field);
      const where = this.where(query, 'e');
      const rows = this.db
        .prepare<unknown[], { kind: string; value: string | number; n: number }>(
          `SELECT kind, value, COUNT(*) AS n FROM (
             SELECT DISTINCT e.seq,
               CASE WHEN j.type IN ('true', 'false') THEN 'b' WHEN j.type IN ('integer', 'real') THEN 'n' ELSE 't' END AS kind,
               j.value AS value
             FROM events e, json_each(CASE WHEN e.irregular <> 0 THEN wp_values(e.doc, ?) ELSE e.doc END, CASE WHEN e.irregular <> 0 THEN '$' ELSE ? END) AS j
             WHERE ${where.sql} AND typeof(j.key) <> 'text' AND j.type IN ('text', 'integer', 'real', 'true', 'false')
           ) GROUP BY kind, value ORDER BY n DESC, value ASC LIMIT ?`,
        )
        .all(query.field, path, ...where.params, size);
      return rows.map((row) => ({ value: row.kind === 'b' ? row.value === 1 : row.value, count: row.n }));
    });
  }

  dateHistogram(query: EventQuery & { intervalMs: number }): Promise<HistogramBucket[]> {
    return this.run('dateHistogram', () => {
      const interval = histogramInterval(query.intervalMs);
      const { from, to } = queryRange(query);
      const where = this.where(query, 'e');
      // A range that could need too many buckets: check the span of the actual events first,
      // before grouping (a 1 ms interval over a year would otherwise group every event).
      if (to > from && (to - from) / interval > MAX_HISTOGRAM_BUCKETS) {
        const span = this.db
          .prepare<unknown[], { first: number | null; last: number | null }>(`SELECT MIN(e.ts) AS first, MAX(e.ts) AS last FROM events e WHERE ${where.sql}`)
          .get(...where.params);
        if (span?.first == null || span.last == null) return [];
        checkHistogramSpan(span.first, span.last, interval);
      }
      const rows = this.db
        .prepare<unknown[], { start: number; n: number }>(
          `SELECT e.ts - ((e.ts % ?) + ?) % ? AS start, COUNT(*) AS n FROM events e WHERE ${where.sql} GROUP BY start`,
        )
        .all(interval, interval, interval, ...where.params);
      return fillHistogram(rows.map((row) => ({ start: bucketStart(row.start, interval), count: row.n })), interval);
    });
  }

  /**
   * Deletes the events of every UTC day before the cutoff's day, in chunks, yielding between
   * them. Whole days, like the Elasticsearch store, so both keep exactly the same events.
   */
  async deleteOlderThan(cutoff: Date): Promise<number> {
    const before = bucketStart(cutoff.getTime(), DAY_MS);
    if (Number.isNaN(before)) throw new TypeError('cutoff must be a valid date');
    const chunk = this.db.prepare<[number, number]>(
      'DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE ts < ? ORDER BY ts LIMIT ?)',
    );
    let deleted = 0;
    for (;;) {
      const changes = await this.run('deleteOlderThan', () => this.db.transaction(() => chunk.run(before, DELETE_CHUNK).changes).immediate());
      deleted += changes;
      if (changes < DELETE_CHUNK) break;
      await yieldToEventLoop(); // let readers and the ingest writer in between chunks
    }
    if (deleted > 0) this.logger.info({ deleted, cutoff: cutoff.toISOString() }, 'old events deleted');
    return deleted;
  }

  health(): Promise<BackendHealth> {
    return this.run('health', () => {
      this.db.prepare('SELECT 1').get();
      return { state: 'up' as const };
    });
  }

  /** Does nothing: the database handle belongs to the caller, who closes it. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** The WHERE clause of a query: the half-open time range and the filter. */
  private where(query: EventQuery, alias: string): { sql: string; params: unknown[] } {
    const { from, to } = queryRange(query);
    const filter = compileFilterSql(query.filter ?? MATCH_ALL, `${alias}.doc`, {
      fts: { table: 'events_fts', rowid: `${alias}.seq` },
      irregularColumn: `${alias}.irregular`,
    });
    return { sql: `${alias}.ts >= ? AND ${alias}.ts < ? AND ${filter.sql}`, params: [from, to, ...filter.params] };
  }

  /** Runs a synchronous database call, turning "busy, full, unreachable" into an OperationalError. */
  private run<T>(operation: string, work: () => T): Promise<T> {
    try {
      return Promise.resolve(work());
    } catch (error) {
      if (!(error instanceof Error)) return Promise.reject(new Error(String(error)));
      const code = (error as { code?: unknown }).code;
      const closed = error instanceof TypeError && /database connection is not open/.test(error.message);
      if ((typeof code === 'string' && OPERATIONAL_CODES.test(code)) || closed) {
        this.logger.warn({ err: error, operation }, 'event store unavailable');
        return Promise.reject(
          new OperationalError('WATCHPOST_ERR_STORE_UNAVAILABLE', `SQLite event store ${operation} failed: ${error.message}`, { cause: error }),
        );
      }
      return Promise.reject(error);
    }
  }
}
