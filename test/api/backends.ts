import { Client } from '@elastic/elasticsearch';
import type { CaseStore } from '../../core/stores/case-store.js';
import type { EventStore } from '../../core/stores/event-store.js';
import { openSqliteDatabase, type SqliteDatabase } from '../../backends/sqlite/database.js';
import { SqliteCaseStore } from '../../backends/sqlite/case-store.js';
import { SqliteEventStore } from '../../backends/sqlite/event-store.js';
import { caseIndices, caseTemplateName } from '../../backends/elasticsearch/case-indices.js';
import { ElasticsearchCaseStore } from '../../backends/elasticsearch/case-store.js';
import { ElasticsearchEventStore } from '../../backends/elasticsearch/event-store.js';
import { testElasticsearchUrl, uniquePrefix } from '../helpers/services.js';

/**
 * The store backends the API suites run on: SQLite in memory (unit project) or the real
 * Elasticsearch of deploy/dev/services.sh (int project, `*.int.test.ts` only).
 */
export type StoreBackend = 'sqlite' | 'elasticsearch';

/** The stores of one test app. `db` always exists: the job queue stays on SQLite for both backends. */
export interface TestStores {
  readonly db: SqliteDatabase;
  readonly cases: CaseStore;
  readonly events: EventStore;
  /** Closes the stores and, on Elasticsearch, deletes the indices and templates this test made. */
  close(): Promise<void>;
}

/**
 * Opens fresh stores on `backend`. On Elasticsearch every call gets its own index prefix, so tests
 * never see each other's records, and `close` removes what the prefix created (indices and
 * templates), as backends/elasticsearch/*.int.test.ts do.
 */
export async function openTestStores(backend: StoreBackend): Promise<TestStores> {
  const db = openSqliteDatabase(':memory:');
  if (backend === 'sqlite') {
    return {
      db,
      cases: new SqliteCaseStore(db),
      events: new SqliteEventStore(db),
      close: async () => {
        db.close();
      },
    };
  }
  const client = new Client({ node: testElasticsearchUrl(), requestTimeout: 30_000 });
  const prefix = uniquePrefix('api');
  try {
    const cases = await ElasticsearchCaseStore.open(client, { indexPrefix: prefix });
    // Case writes wait for a refresh (refresh=wait_for); at the default 1s interval a suite of
    // writes spends most of its time waiting. Same semantics, sooner refreshes.
    await client.indices.putSettings({ index: caseIndices(prefix), settings: { index: { refresh_interval: '50ms' } } });
    const events = await ElasticsearchEventStore.open(client, { indexPrefix: prefix, bulkRetryBaseMs: 10 });
    return {
      db,
      cases,
      events: refreshingEvents(events),
      async close() {
        try {
          await removeIndices(client, prefix);
        } finally {
          await client.close();
          db.close();
        }
      },
    };
  } catch (error) {
    await removeIndices(client, prefix).catch(() => undefined);
    await client.close();
    db.close();
    throw error;
  }
}

/**
 * The event store with a refresh after each append: the event store, unlike the case store, does
 * not wait for a refresh (ingest throughput), but a test reads what it has just written.
 */
function refreshingEvents(store: ElasticsearchEventStore): EventStore {
  // A child of the store (no # fields, so inherited methods work on it) with its own append.
  const child = Object.create(store) as ElasticsearchEventStore;
  child.append = async (events) => {
    const result = await store.append(events);
    await store.refresh();
    return result;
  };
  return child;
}

async function removeIndices(client: Client, prefix: string): Promise<void> {
  await client.indices.delete({ index: caseIndices(prefix), ignore_unavailable: true });
  await client.indices.deleteIndexTemplate({ name: caseTemplateName(prefix) }, { ignore: [404] });
  const events = Object.keys(await client.indices.get({ index: `${prefix}-events-*`, allow_no_indices: true, ignore_unavailable: true }));
  if (events.length > 0) await client.indices.delete({ index: events.join(',') });
  await client.indices.deleteIndexTemplate({ name: `${prefix}-events` }, { ignore: [404] });
}
