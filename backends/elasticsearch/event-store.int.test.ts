import { Client } from '@elastic/elasticsearch';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCode } from '../../core/errors.js';
import { describeEventStoreContract } from '../../test/contracts/event-store.contract.js';
import { ALL, DAY, ev, T0 } from '../../test/contracts/event-store-fixtures.js';
import { testElasticsearchUrl, uniquePrefix } from '../../test/helpers/services.js';
import { ElasticsearchEventStore } from './event-store.js';

const client = new Client({ node: testElasticsearchUrl(), requestTimeout: 30_000 });

/** Deletes what a store with this prefix created: its indices (by name) and its template. */
async function removeAll(prefix: string): Promise<void> {
  const indices = Object.keys(await client.indices.get({ index: `${prefix}-events-*`, allow_no_indices: true, ignore_unavailable: true }));
  if (indices.length > 0) await client.indices.delete({ index: indices.join(',') });
  await client.indices.deleteIndexTemplate({ name: `${prefix}-events` }, { ignore: [404] });
}

async function openStore(name: string): Promise<{ store: ElasticsearchEventStore; prefix: string; cleanup: () => Promise<void> }> {
  const prefix = uniquePrefix(name);
  const store = await ElasticsearchEventStore.open(client, { indexPrefix: prefix, bulkRetryBaseMs: 10 });
  return { store, prefix, cleanup: () => removeAll(prefix) };
}

afterAll(async () => {
  await client.close();
});

describe('the test Elasticsearch', () => {
  // The first thing to fail, by name, when deploy/dev/services.sh has not started the server.
  it(`answers at ${testElasticsearchUrl()}`, async () => {
    const health = await client.cluster.health({ timeout: '5s' }, { requestTimeout: 5_000, maxRetries: 0 });
    expect(['green', 'yellow']).toContain(health.status);
  });
});

describeEventStoreContract('elasticsearch', () => openStore('events'));

describe('ElasticsearchEventStore on a real cluster', () => {
  let opened: Awaited<ReturnType<typeof openStore>>;
  beforeAll(async () => {
    opened = await openStore('events-es'); // when this fails, vitest fails the file and skips the four tests below
  });
  afterAll(async () => {
    await opened?.cleanup(); // undefined when beforeAll failed
  });

  it('writes each event to the daily index of its own @timestamp (UTC)', async () => {
    const late = ev('d1', Date.UTC(2024, 2, 1, 23, 59, 59, 999));
    const early = { ...ev('d2', 0), '@timestamp': '2024-03-02T00:30:00+01:00' }; // 2024-03-01T23:30Z
    expect(await opened.store.append([late, early, ev('d3', T0 + DAY)])).toEqual({ written: 3, duplicates: 0, rejected: [] });
    const indices = Object.keys(await client.indices.get({ index: `${opened.prefix}-events-*` })).sort();
    expect(indices).toEqual([`${opened.prefix}-events-2024.03.01`, `${opened.prefix}-events-2024.03.02`]);
    expect(await opened.store.append([late])).toEqual({ written: 0, duplicates: 1, rejected: [] });
  });

  it('reports a mapping conflict per item and writes the others', async () => {
    const bad = ev('m-bad', T0, { source: { port: 'not-a-port' as unknown as number } });
    const result = await opened.store.append([ev('m-ok1', T0), bad, ev('m-ok2', T0 + 1)]);
    expect(result.written).toBe(2);
    expect(result.duplicates).toBe(0);
    expect(result.rejected).toHaveLength(1);
    expect(result.rejected[0]).toEqual(expect.objectContaining({ id: 'm-bad', reason: 'mapping_conflict' }));
    expect(result.rejected[0]?.detail).toMatch(/source\.port/);
    await opened.store.refresh();
    expect(await opened.store.get('m-ok2')).toEqual(ev('m-ok2', T0 + 1));
    expect(await opened.store.get('m-bad')).toBeUndefined();
  });

  it('maps ip fields as ip with a verbatim keyword view, and keeps a malformed address', async () => {
    const odd = ev('ip-odd', T0, { source: { ip: 'unknown' } });
    expect(await opened.store.append([odd])).toEqual({ written: 1, duplicates: 0, rejected: [] });
    await opened.store.refresh();
    const mapping = await client.indices.getFieldMapping({ index: `${opened.prefix}-events-2024.03.01`, fields: 'source.ip' });
    const index = Object.values(mapping)[0];
    expect(index?.mappings['source.ip']?.mapping).toEqual({
      ip: {
        type: 'ip',
        ignore_malformed: true,
        fields: {
          keyword: { type: 'keyword', ignore_above: 8191 },
          lower: { type: 'keyword', ignore_above: 8191, normalizer: 'watchpost_lowercase' },
        },
      },
    });
    const hits = await opened.store.search({ ...ALL, filter: { op: 'eq', field: 'source.ip', value: 'UNKNOWN' } });
    expect(hits.events.map((e) => e.event.id)).toEqual(['ip-odd']);
  });

  it('returns empty answers before any index exists', async () => {
    const { store, cleanup } = await openStore('events-empty');
    try {
      expect(await store.search(ALL)).toEqual({ events: [], total: 0 });
      expect(await store.count(ALL)).toBe(0);
      expect(await store.terms({ ...ALL, field: 'tags' })).toEqual([]);
      expect(await store.dateHistogram({ ...ALL, intervalMs: 3_600_000 })).toEqual([]);
      expect(await store.get('x')).toBeUndefined();
      expect(await store.deleteOlderThan(new Date())).toBe(0);
      await store.refresh();
    } finally {
      await cleanup();
    }
  });
});

/** A stand-in Elasticsearch on 127.0.0.1 that answers bulk requests from a script: a fault injected at the network boundary. */
class FakeBulkServer {
  readonly bulkBodies: string[][] = [];
  private server: Server | undefined;
  constructor(private readonly statusFor: (call: number, id: string) => number) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const reply = (status: number, payload: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
      res.end(JSON.stringify(payload));
    };
    if (req.method === 'PUT' && req.url?.startsWith('/_index_template/')) return reply(200, { acknowledged: true });
    if (req.method !== 'POST' || !req.url?.startsWith('/_bulk')) return reply(404, { error: 'not scripted' });
    const lines = body.split('\n').filter((line) => line !== '');
    const ids = lines.filter((_, i) => i % 2 === 0).map((line) => (JSON.parse(line) as { create: { _id: string } }).create._id);
    this.bulkBodies.push(ids);
    const call = this.bulkBodies.length;
    const items = ids.map((id) => {
      const status = this.statusFor(call, id);
      return {
        create: {
          _index: 'x',
          _id: id,
          status,
          ...(status >= 300 ? { error: { type: status === 429 ? 'es_rejected_execution_exception' : 'version_conflict_engine_exception', reason: `scripted ${status}` } } : {}),
        },
      };
    });
    reply(200, { took: 1, errors: items.some((item) => item.create.status >= 300), items });
  }
}

describe('ElasticsearchEventStore bulk retries (scripted 429s)', () => {
  it('retries only the refused items, with backoff, and reports the right result', async () => {
    // First bulk: e2 and e3 are refused with 429 and e4 is already stored; the retry succeeds.
    const server = new FakeBulkServer((call, id) => (call === 1 && (id === 'e2' || id === 'e3') ? 429 : id === 'e4' ? 409 : 201));
    const fake = new Client({ node: await server.start(), maxRetries: 0 });
    try {
      const store = await ElasticsearchEventStore.open(fake, { indexPrefix: 'fake', bulkMaxRetries: 3, bulkRetryBaseMs: 5 });
      const result = await store.append([ev('e1', T0), ev('e2', T0), ev('e3', T0), ev('e4', T0)]);
      expect(result).toEqual({ written: 3, duplicates: 1, rejected: [] });
      expect(server.bulkBodies).toEqual([
        ['e1', 'e2', 'e3', 'e4'],
        ['e2', 'e3'],
      ]);
    } finally {
      await fake.close();
      await server.stop();
    }
  });

  it('gives up after bulkMaxRetries with WATCHPOST_ERR_STORE_BACKPRESSURE', async () => {
    const server = new FakeBulkServer((_call, id) => (id === 'e2' ? 429 : 201));
    const fake = new Client({ node: await server.start(), maxRetries: 0 });
    try {
      const store = await ElasticsearchEventStore.open(fake, { indexPrefix: 'fake', bulkMaxRetries: 2, bulkRetryBaseMs: 5 });
      const failure: unknown = await store.append([ev('e1', T0), ev('e2', T0)]).catch((error: unknown) => error);
      expect(hasCode(failure, 'WATCHPOST_ERR_STORE_BACKPRESSURE')).toBe(true);
      expect(failure).toEqual(expect.objectContaining({ intent: 'operational' }));
      expect(server.bulkBodies).toEqual([['e1', 'e2'], ['e2'], ['e2']]);
    } finally {
      await fake.close();
      await server.stop();
    }
  });

  it('turns a refused connection into WATCHPOST_ERR_STORE_UNAVAILABLE', async () => {
    const server = new FakeBulkServer(() => 201);
    const url = await server.start();
    await server.stop(); // nothing listens there any more
    const fake = new Client({ node: url, maxRetries: 0 });
    try {
      const failure: unknown = await ElasticsearchEventStore.open(fake, { indexPrefix: 'fake' }).catch((error: unknown) => error);
      expect(hasCode(failure, 'WATCHPOST_ERR_STORE_UNAVAILABLE')).toBe(true);
    } finally {
      await fake.close();
    }
  });
});
