import type { Client, estypes } from '@elastic/elasticsearch';
import type { EcsEvent, StoredEvent } from '../../core/ecs/event.js';
import { silentLogger, type Logger } from '../../core/log.js';
import { MATCH_ALL } from '../../core/query/filter.js';
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
import { bulkCreate, type BulkItem } from './bulk.js';
import { compileFilterDsl, KEYWORD_SUBFIELD, type FieldTypes } from './filter-dsl.js';
import { eventsIndexTemplate, fieldTypeOf, STATIC_FIELD_TYPES } from './index-template.js';
import { guarded } from './store-errors.js';

/** Options of {@link ElasticsearchEventStore.open}. */
export interface ElasticsearchEventStoreOptions {
  /** Prefix of the template and the indices: `<prefix>-events-YYYY.MM.DD`. */
  readonly indexPrefix: string;
  /** @defaultValue 1 */
  readonly shards?: number;
  /** @defaultValue 0 */
  readonly replicas?: number;
  /** Retries of items refused with 429/5xx before append gives up. @defaultValue 5 */
  readonly bulkMaxRetries?: number;
  /** First backoff ceiling of those retries, in ms. @defaultValue 200 */
  readonly bulkRetryBaseMs?: number;
  /** The indices' refresh_interval, e.g. "5s". @defaultValue Elasticsearch's own (1s) */
  readonly refreshInterval?: string;
  /** @defaultValue a silent logger */
  readonly logger?: Logger;
}

const DAY_MS = 86_400_000;
/** How long field types learned from field_caps are trusted (other processes add fields). */
const FIELD_TYPES_TTL_MS = 30_000;
const DAILY_SUFFIX = /-events-(\d{4})\.(\d{2})\.(\d{2})$/;
const LENIENT = { ignore_unavailable: true, allow_no_indices: true } as const;

/** The parts of terms and date_histogram answers read here (the client's union types are wider). */
interface BucketsAggregate {
  readonly buckets?: readonly { readonly key: string | number; readonly key_as_string?: string; readonly doc_count: number }[];
}
interface ValueAggregate {
  readonly value: number | null;
}

/**
 * The event store on Elasticsearch: one index per UTC day of the event's own `@timestamp`
 * (`<prefix>-events-YYYY.MM.DD`), shaped by a composable index template, written with bulk
 * `create` and `_id` = `event.id`. Because the index derives from the event itself, a replayed
 * event lands on the same index and id, so idempotency holds across days.
 *
 * Consistency: search, count, aggregations **and get** see what the last refresh made visible
 * (within the refresh interval, or at once after {@link ElasticsearchEventStore.refresh}); get
 * cannot use the realtime GET API because an id alone does not tell the daily index.
 *
 * The client belongs to the caller: {@link ElasticsearchEventStore.close} does not close it.
 */
export class ElasticsearchEventStore implements EventStore {
  readonly kind = 'elasticsearch';
  private readonly pattern: string;
  private readonly logger: Logger;
  private fieldTypesCache: { readonly types: FieldTypes; readonly at: number } | undefined;

  private constructor(
    private readonly client: Client,
    private readonly options: ElasticsearchEventStoreOptions,
  ) {
    this.pattern = `${options.indexPrefix}-events-*`;
    this.logger = options.logger ?? silentLogger();
  }

  /** Installs (or updates, idempotently) the index template, then returns the store. */
  static async open(client: Client, options: ElasticsearchEventStoreOptions): Promise<ElasticsearchEventStore> {
    const store = new ElasticsearchEventStore(client, options);
    const template = eventsIndexTemplate({
      indexPattern: store.pattern,
      shards: options.shards ?? 1,
      replicas: options.replicas ?? 0,
      ...(options.refreshInterval === undefined ? {} : { refreshInterval: options.refreshInterval }),
    });
    await guarded('put index template', () => client.indices.putIndexTemplate({ name: store.templateName, ...template }));
    store.logger.info({ template: store.templateName }, 'event index template installed');
    return store;
  }

  /** The name of the index template this store installs. */
  get templateName(): string {
    return `${this.options.indexPrefix}-events`;
  }

  /** The daily index of an instant. */
  indexFor(ms: number): string {
    return `${this.options.indexPrefix}-events-${new Date(ms).toISOString().slice(0, 10).replace(/-/g, '.')}`;
  }

  async append(events: readonly EcsEvent[]): Promise<AppendResult> {
    const rejected: RejectedEvent[] = [];
    const items: BulkItem[] = [];
    for (const event of events) {
      const detail = invalidEventDetail(event);
      const id: unknown = event.event?.id;
      if (detail !== undefined) rejected.push({ id: typeof id === 'string' ? id : '', reason: 'invalid_event', detail });
      else items.push({ index: this.indexFor(eventTimestampMs(event) as number), id: id as string, source: JSON.stringify(event) });
    }
    if (items.length === 0) return { written: 0, duplicates: 0, rejected };
    const outcome = await bulkCreate(this.client, items, {
      maxRetries: this.options.bulkMaxRetries ?? 5,
      retryBaseMs: this.options.bulkRetryBaseMs ?? 200,
      logger: this.logger,
    });
    // New documents may have brought new dynamic fields: learn their types on the next query.
    if (outcome.written > 0) this.fieldTypesCache = undefined;
    if (outcome.rejected.length > 0) this.logger.warn({ rejected: outcome.rejected.length }, 'events rejected by Elasticsearch');
    return { written: outcome.written, duplicates: outcome.duplicates, rejected: [...rejected, ...outcome.rejected] };
  }

  async refresh(): Promise<void> {
    await guarded('refresh', () => this.client.indices.refresh({ index: this.pattern, ...LENIENT }));
  }

  async get(id: string): Promise<StoredEvent | undefined> {
    const response = await guarded('get', () =>
      this.client.search<StoredEvent>({ index: this.pattern, ...LENIENT, size: 1, query: { ids: { values: [id] } } }),
    );
    return response.hits.hits[0]?._source;
  }

  async search(query: EventSearch): Promise<EventPage> {
    const size = pageSize(query);
    const order = query.order === 'asc' ? 'asc' : 'desc';
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const response = await guarded('search', async () =>
      this.client.search<StoredEvent>({
        index: this.pattern,
        ...LENIENT,
        query: await this.query(query),
        size: size + 1, // one more than the page tells whether another page follows
        sort: [
          { '@timestamp': { order, unmapped_type: 'date' } },
          { 'event.id': { order, unmapped_type: 'keyword' } },
        ],
        ...(cursor ? { search_after: [cursor.ms, cursor.id] } : {}),
        track_total_hits: MAX_EXACT_TOTAL,
      }),
    );
    const hits = response.hits.hits;
    const page = hits.slice(0, size);
    const last = page[page.length - 1];
    const total = response.hits.total;
    const sortValues = last?.sort as [number, string] | undefined;
    return {
      events: page.map((hit) => hit._source as StoredEvent),
      total: Math.min(MAX_EXACT_TOTAL, typeof total === 'number' ? total : (total?.value ?? 0)),
      ...(hits.length > size && sortValues ? { nextCursor: encodeCursor(sortValues[0], sortValues[1]) } : {}),
    };
  }

  async count(query: EventQuery): Promise<number> {
    const response = await guarded('count', async () => this.client.count({ index: this.pattern, ...LENIENT, query: await this.query(query) }));
    return response.count;
  }

  /**
   * A terms aggregation on the verbatim view of the field (`.keyword` of ip, date and text
   * fields, so values come back as written). shard_size is raised well above size, because
   * every daily index is a shard whose local top-N is merged.
   */
  async terms(query: EventQuery & { field: string; size?: number }): Promise<TermsBucket[]> {
    const size = termsSize(query.size);
    const esQuery = await this.query(query); // validates the field name too
    const type = (await this.fieldTypes())[query.field] ?? 'keyword';
    const field = type === 'text' || type === 'ip' || type === 'date' ? `${query.field}.${KEYWORD_SUBFIELD}` : query.field;
    const response = await guarded('terms', () =>
      this.client.search({
        index: this.pattern,
        ...LENIENT,
        size: 0,
        query: esQuery,
        aggs: { values: { terms: { field, size, shard_size: Math.max(size * 20, 1000), order: [{ _count: 'desc' }, { _key: 'asc' }] } } },
      }),
    );
    const buckets = (response.aggregations?.values as BucketsAggregate | undefined)?.buckets ?? [];
    return buckets.map((bucket) => ({
      value: type === 'boolean' ? bucket.key_as_string === 'true' : bucket.key,
      count: bucket.doc_count,
    }));
  }

  async dateHistogram(query: EventQuery & { intervalMs: number }): Promise<HistogramBucket[]> {
    const interval = histogramInterval(query.intervalMs);
    const { from, to } = queryRange(query);
    const esQuery = await this.query(query);
    if (to > from && (to - from) / interval > MAX_HISTOGRAM_BUCKETS) {
      // Check the span of the actual events before asking for buckets (search.max_buckets).
      const span = await guarded('dateHistogram', () =>
        this.client.search({
          index: this.pattern,
          ...LENIENT,
          size: 0,
          query: esQuery,
          aggs: { first: { min: { field: '@timestamp' } }, last: { max: { field: '@timestamp' } } },
        }),
      );
      const first = (span.aggregations?.first as ValueAggregate | undefined)?.value;
      const last = (span.aggregations?.last as ValueAggregate | undefined)?.value;
      if (first == null || last == null) return [];
      checkHistogramSpan(first, last, interval);
    }
    const response = await guarded('dateHistogram', () =>
      this.client.search({
        index: this.pattern,
        ...LENIENT,
        size: 0,
        query: esQuery,
        // Non-empty buckets only; fillHistogram adds the zeros exactly as the SQLite store does.
        aggs: { buckets: { date_histogram: { field: '@timestamp', fixed_interval: `${interval}ms`, min_doc_count: 1 } } },
      }),
    );
    const buckets = (response.aggregations?.buckets as BucketsAggregate | undefined)?.buckets ?? [];
    return fillHistogram(buckets.map((bucket) => ({ start: bucketStart(Number(bucket.key), interval), count: bucket.doc_count })), interval);
  }

  /**
   * Deletes every daily index whose day is before the cutoff's day and returns how many events
   * they held (counted after a refresh, so exact unless writes race the deletion).
   */
  async deleteOlderThan(cutoff: Date): Promise<number> {
    const before = bucketStart(cutoff.getTime(), DAY_MS);
    if (Number.isNaN(before)) throw new TypeError('cutoff must be a valid date');
    const indices = await guarded('deleteOlderThan', () => this.client.indices.get({ index: this.pattern, ...LENIENT, expand_wildcards: 'open' }));
    const old = Object.keys(indices).filter((name) => {
      const match = DAILY_SUFFIX.exec(name);
      return match !== null && name.startsWith(`${this.options.indexPrefix}-events-`) && Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) < before;
    });
    let deleted = 0;
    // Explicit names: action.destructive_requires_name forbids wildcard deletes, and short URLs.
    for (let i = 0; i < old.length; i += 50) {
      const batch = old.slice(i, i + 50).join(',');
      await guarded('deleteOlderThan', () => this.client.indices.refresh({ index: batch, ...LENIENT }));
      deleted += (await guarded('deleteOlderThan', () => this.client.count({ index: batch, ...LENIENT }))).count;
      await guarded('deleteOlderThan', () => this.client.indices.delete({ index: batch, ignore_unavailable: true }));
    }
    if (old.length > 0) this.logger.info({ indices: old.length, deleted, cutoff: cutoff.toISOString() }, 'old event indices deleted');
    return deleted;
  }

  /** green or yellow: up (yellow is normal for a one-node cluster with replicas); red: degraded. */
  async health(): Promise<BackendHealth> {
    const health = await guarded('health', () => this.client.cluster.health({ timeout: '5s' }));
    if (health.status === 'red') return { state: 'degraded', detail: `cluster ${health.cluster_name} is red` };
    return { state: 'up' };
  }

  /** Does nothing: the client belongs to the caller. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** The query of an EventQuery: the half-open time range and the compiled filter. */
  private async query(query: EventQuery): Promise<estypes.QueryDslQueryContainer> {
    const { from, to } = queryRange(query);
    const filter = compileFilterDsl(query.filter ?? MATCH_ALL, await this.fieldTypes(), { lowerSubfields: true });
    return { bool: { filter: [{ range: { '@timestamp': { gte: from, lt: to, format: 'epoch_millis' } } }, filter] } };
  }

  /**
   * The mapping type of every field: the template's explicit ones, plus what field_caps reports
   * for dynamic fields (numbers and booleans need typed queries). Cached briefly.
   */
  private async fieldTypes(): Promise<FieldTypes> {
    const cached = this.fieldTypesCache;
    if (cached && Date.now() - cached.at < FIELD_TYPES_TTL_MS) return cached.types;
    const caps = await guarded('field_caps', () => this.client.fieldCaps({ index: this.pattern, fields: '*', ...LENIENT }));
    const types: Record<string, FieldTypes[string]> = {};
    for (const [field, byType] of Object.entries(caps.fields)) {
      // A field mapped differently across daily indices: the first usable type wins.
      for (const esType of Object.keys(byType)) {
        const type = fieldTypeOf(esType);
        if (type !== undefined) {
          types[field] = type;
          break;
        }
      }
    }
    const merged: FieldTypes = { ...types, ...STATIC_FIELD_TYPES };
    this.fieldTypesCache = { types: merged, at: Date.now() };
    return merged;
  }
}
