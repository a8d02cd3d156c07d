import { Client } from '@elastic/elasticsearch';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../core/ecs/event.js';
import type { FilterNode } from '../../core/query/filter.js';
import type { EventStore } from '../../core/stores/event-store.js';
import { ElasticsearchEventStore } from '../../backends/elasticsearch/event-store.js';
import { openSqliteDatabase } from '../../backends/sqlite/database.js';
import { SqliteEventStore } from '../../backends/sqlite/event-store.js';
import { eventContext } from '../../engine/query/event-context.js';
import { compilePredicate } from '../../engine/query/predicate.js';
import { ALL, CORPUS_ASC } from '../contracts/event-store-fixtures.js';
import { testElasticsearchUrl, uniquePrefix } from '../helpers/services.js';
import { CONFORMANCE_CORPUS, FILTER_CASES, INVALID_FILTERS, KNOWN_DSL_DIVERGENCES, SIGMA_CASES, SIGMA_IDS, STREAMING_CASES } from './filter-cases.js';

/**
 * The three compilers of the filter AST give identical answers: every case of the shared table
 * runs through the JS predicate over the corpus, and as a search on a real SQLite event store and
 * a real Elasticsearch event store seeded with the same corpus. The id lists must be equal, and
 * equal to the case's expected ids on its own corpus.
 */

const client = new Client({ node: testElasticsearchUrl(), requestTimeout: 30_000 });
const contexts = CONFORMANCE_CORPUS.map((event) => ({ id: event.event?.id ?? '', ctx: eventContext(event) }));

/** The predicate's ids, evaluated on contexts shared by every case, as the detector shares them across rules. */
function predicateIds(filter: FilterNode): string[] {
  const predicate = compilePredicate(filter);
  return contexts.filter(({ ctx }) => predicate(ctx)).map(({ id }) => id).sort();
}

interface Opened {
  readonly store: EventStore;
  readonly cleanup: () => Promise<void>;
}

async function openSqlite(): Promise<Opened> {
  const dir = mkdtempSync(join(tmpdir(), 'watchpost-conformance-'));
  const db = openSqliteDatabase(join(dir, 'watchpost.db'));
  const store = new SqliteEventStore(db);
  return {
    store,
    cleanup: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

async function openElasticsearch(): Promise<Opened> {
  const prefix = uniquePrefix('conformance');
  const store = await ElasticsearchEventStore.open(client, { indexPrefix: prefix });
  return {
    store,
    cleanup: async () => {
      const indices = Object.keys(await client.indices.get({ index: `${prefix}-events-*`, allow_no_indices: true, ignore_unavailable: true }));
      if (indices.length > 0) await client.indices.delete({ index: indices.join(',') });
      await client.indices.deleteIndexTemplate({ name: `${prefix}-events` }, { ignore: [404] });
    },
  };
}

/** A store seeded with the corpus; a store that cannot be opened fails every test with its error. */
function seeded(open: () => Promise<Opened>, corpus: readonly EcsEvent[]): () => EventStore {
  let opened: Opened | undefined;
  let failure: Error | undefined;
  beforeAll(async () => {
    try {
      opened = await open();
      expect(await opened.store.append(corpus)).toEqual({ written: corpus.length, duplicates: 0, rejected: [] });
      await opened.store.refresh();
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
  });
  afterAll(async () => {
    await opened?.store.close();
    await opened?.cleanup();
  });
  return () => {
    if (failure !== undefined) throw failure;
    if (!opened) throw new Error('store not opened');
    return opened.store;
  };
}

async function storeIds(store: EventStore, filter: FilterNode): Promise<string[]> {
  const page = await store.search({ ...ALL, filter, order: 'asc', size: 100 });
  return page.events.map((event) => event.event.id).sort();
}

/** The major version of the test Elasticsearch (GET / is not served by the test distribution). */
async function elasticsearchMajor(): Promise<number> {
  const info = await client.nodes.info();
  const version = Object.values(info.nodes)[0]?.version ?? '';
  return Number(version.split('.')[0]);
}

const invalidQuery = expect.objectContaining({ code: 'WATCHPOST_ERR_STORE_INVALID_QUERY', intent: 'user' });

afterAll(async () => {
  await client.close();
});

describe('filter conformance: JS predicate, SQLite SQL, Elasticsearch Query DSL', () => {
  const sqlite = seeded(openSqlite, CONFORMANCE_CORPUS);
  const elasticsearch = seeded(openElasticsearch, CONFORMANCE_CORPUS);

  const table: readonly (readonly [corpus: string, name: string, filter: FilterNode, expected: readonly string[], ownIds: readonly string[]])[] = [
    ...FILTER_CASES.map(([name, filter, expected]) => ['contract', name, filter, expected, CORPUS_ASC] as const),
    ...SIGMA_CASES.map(([name, filter, expected]) => ['sigma', name, filter, expected, SIGMA_IDS] as const),
  ];

  it.each(table)('%s: %s', async (_corpus, _name, filter, expected, ownIds) => {
    const js = predicateIds(filter);
    const [sql, dsl] = await Promise.all([storeIds(sqlite(), filter), storeIds(elasticsearch(), filter)]);
    expect({ sqlite: sql, elasticsearch: dsl }).toEqual({ sqlite: js, elasticsearch: js });
    expect(js.filter((id) => ownIds.includes(id))).toEqual(expected);
  });

  it.each(KNOWN_DSL_DIVERGENCES)('known Query DSL divergence, predicate and SQLite agree: %s', async (_name, filter, expected, majors) => {
    const js = predicateIds(filter);
    expect(js.filter((id) => (SIGMA_IDS as readonly string[]).includes(id))).toEqual(expected);
    expect(await storeIds(sqlite(), filter)).toEqual(js);
    const dsl = await storeIds(elasticsearch(), filter);
    if (majors.includes(await elasticsearchMajor())) expect(dsl).not.toEqual(js);
    else expect(dsl).toEqual(js);
  });

  it.each(STREAMING_CASES)('streaming only, the stores refuse it: %s', async (_name, filter, expected) => {
    expect(predicateIds(filter)).toEqual(expected);
    await expect(storeIds(sqlite(), filter)).rejects.toEqual(invalidQuery);
    await expect(storeIds(elasticsearch(), filter)).rejects.toEqual(invalidQuery);
  });

  it.each(INVALID_FILTERS)('all three refuse %s with the same UserError', async (_name, filter) => {
    let thrown: unknown;
    try {
      compilePredicate(filter);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toEqual(invalidQuery);
    await expect(storeIds(sqlite(), filter)).rejects.toEqual(invalidQuery);
    await expect(storeIds(elasticsearch(), filter)).rejects.toEqual(invalidQuery);
  });
});
