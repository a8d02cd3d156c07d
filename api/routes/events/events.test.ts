import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Role } from '../../../core/cases/types.js';
import type { EcsEvent } from '../../../core/ecs/event.js';
import { silentLogger } from '../../../core/log.js';
import { createMetricsRegistry } from '../../../core/metrics.js';
import { loadConfig } from '../../../core/config/load.js';
import { MAX_KQL_BYTES } from '../../../engine/query/kql.js';
import { openSqliteDatabase, type SqliteDatabase } from '../../../backends/sqlite/database.js';
import { SqliteEventStore } from '../../../backends/sqlite/event-store.js';
import { buildApi } from '../../app.js';

const HOUR = 3_600_000;

interface Page {
  events: EcsEvent[];
  total: number;
  nextCursor?: string;
}

describe('GET /api/v1/events', () => {
  let db: SqliteDatabase;
  let app: FastifyInstance;
  let bare: FastifyInstance;
  const now = Date.now();
  const at = (hoursAgo: number) => new Date(now - hoursAgo * HOUR).toISOString();

  beforeAll(async () => {
    db = openSqliteDatabase(':memory:');
    const events = new SqliteEventStore(db);
    const event = (id: string, hoursAgo: number, message: string, fields: Record<string, unknown>): EcsEvent =>
      ({ '@timestamp': at(hoursAgo), message, event: { id }, ...fields });
    await events.append([
      event('e1', 1, 'Failed password for root', { user: { name: 'root' }, source: { ip: '10.0.0.5' }, destination: { port: 22 } }),
      event('e2', 2, 'Accepted publickey for alice', { user: { name: 'alice' }, source: { ip: '198.51.100.4' }, destination: { port: 22 } }),
      event('e3', 3, 'Failed password for bob', { user: { name: 'bob' }, source: { ip: '10.9.9.9' }, destination: { port: 2222 } }),
      event('e4', 30, 'Failed password for old', { user: { name: 'root' }, source: { ip: '10.0.0.5' }, destination: { port: 22 } }),
    ]);
    // Who a request comes from is the x-role header here; token-auth.test.ts covers real tokens.
    const common = {
      config: loadConfig({ env: {} }).api,
      logger: silentLogger(),
      version: '0.0.0',
      metrics: createMetricsRegistry({ role: 'api' }),
      health: {},
      authenticate: async (request: { headers: Record<string, string | string[] | undefined> }) => {
        const role = request.headers['x-role'];
        return typeof role === 'string' ? { id: 'someone', roles: [role as Role] } : undefined;
      },
    };
    app = await buildApi({ ...common, events });
    bare = await buildApi(common);
  });

  afterAll(async () => {
    await app.close();
    await bare.close();
    db.close();
  });

  const get = (query: Record<string, string>, role: string | null = 'viewer', api = app) =>
    api.inject({ method: 'GET', url: '/api/v1/events', query, headers: role === null ? {} : { 'x-role': role } });
  const ids = (page: Page) => page.events.map((e) => e.event?.id);

  it('answers 401 without credentials and 403 to a principal below viewer', async () => {
    const anonymous = await get({ q: 'failed' }, null);
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.body).not.toContain('e1');
    const ingest = await get({ q: 'failed' }, 'ingest');
    expect(ingest.statusCode).toBe(403);
    expect(ingest.json()).toEqual({ error: 'forbidden', message: 'requires one of the roles: viewer' });
  });

  it('answers a KQL query with the matching events of the last 24 h, newest first, for viewer and above', async () => {
    for (const role of ['viewer', 'analyst', 'admin']) {
      const response = await get({ q: 'failed and user.name:(root or bob)' }, role);
      expect(response.statusCode, role).toBe(200);
      const page = response.json<Page>();
      expect(ids(page)).toEqual(['e1', 'e3']);
      expect(page.total).toBe(2);
      expect(page.events[0]?.message).toBe('Failed password for root');
    }
    expect(ids((await get({ q: 'source.ip:10.0.0.0/8 and destination.port > 1024' })).json<Page>())).toEqual(['e3']);
    expect(ids((await get({ q: 'not source.ip:10.0.0.0/8' })).json<Page>())).toEqual(['e2']);
  });

  it('honours from, to, order, size and cursor', async () => {
    expect(ids((await get({ q: 'user.name:root', from: at(48) })).json<Page>())).toEqual(['e1', 'e4']);
    expect(ids((await get({ q: '', from: at(48), to: at(1.5), order: 'asc' })).json<Page>())).toEqual(['e4', 'e3', 'e2']);

    const first = (await get({ size: '2' })).json<Page>();
    expect(ids(first)).toEqual(['e1', 'e2']);
    expect(first.total).toBe(3);
    expect(first.nextCursor).toBeDefined();
    const second = (await get({ size: '2', cursor: first.nextCursor as string })).json<Page>();
    expect(ids(second)).toEqual(['e3']);
    expect(second.nextCursor).toBeUndefined();
  });

  it('answers 400 with the parser’s message, line and column for a bad query', async () => {
    const response = await get({ q: 'user.name:root and (source.ip:10.0.0.0/8' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: 'bad_request',
      code: 'WATCHPOST_ERR_QUERY_SYNTAX',
      message: 'invalid query at column 41: missing ")" to close the "(" at column 20',
      line: 1,
      column: 41,
    });
    const wild = (await get({ q: 'fail*' })).json<{ column: number; message: string }>();
    expect(wild.column).toBe(1);
    expect(wild.message).toContain('wildcards need a field');
  });

  it('answers 400 for parameters outside the schema and for a bad cursor or range', async () => {
    for (const query of <Record<string, string>[]>[
      { size: '0' },
      { size: '1001' },
      { size: 'ten' },
      { order: 'sideways' },
      { from: 'yesterday' },
      { q: 'x'.repeat(MAX_KQL_BYTES + 1) },
    ]) {
      const response = await get(query);
      expect(response.statusCode, JSON.stringify(query).slice(0, 40)).toBe(400);
    }
    const reversed = await get({ from: at(1), to: at(2) });
    expect(reversed.statusCode).toBe(400);
    expect(reversed.json<{ message: string }>().message).toBe('from must be before to');
    const cursor = await get({ cursor: 'not-a-cursor' });
    expect(cursor.statusCode).toBe(400);
    expect(cursor.json<{ code: string }>().code).toBe('WATCHPOST_ERR_STORE_INVALID_QUERY');
  });

  it('answers 503 when the process has no event store', async () => {
    const response = await get({ q: 'x' }, 'viewer', bare);
    expect(response.statusCode).toBe(503);
    expect(response.json<{ error: string }>().error).toBe('unavailable');
  });

  const aggregate = (path: 'terms' | 'histogram', query: Record<string, string>, role: string | null = 'viewer', api = app) =>
    api.inject({ method: 'GET', url: `/api/v1/events/${path}`, query, headers: role === null ? {} : { 'x-role': role } });

  describe('GET /api/v1/events/terms', () => {
    it('counts the values of a field among the events matching the query, most frequent first', async () => {
      const response = await aggregate('terms', { field: 'source.ip', from: at(48) });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({
        field: 'source.ip',
        buckets: [
          { value: '10.0.0.5', count: 2 },
          { value: '10.9.9.9', count: 1 },
          { value: '198.51.100.4', count: 1 },
        ],
      });
      const failed = (await aggregate('terms', { field: 'user.name', q: 'failed', size: '1' })).json<{ buckets: unknown[] }>();
      expect(failed.buckets).toEqual([{ value: 'bob', count: 1 }]);
      const ports = (await aggregate('terms', { field: 'destination.port' })).json<{ buckets: unknown[] }>();
      expect(ports.buckets).toEqual([
        { value: 22, count: 2 },
        { value: 2222, count: 1 },
      ]);
    });

    it('refuses what is outside its limits or schema, and answers 401, 403 and 503 like the search', async () => {
      for (const query of <Record<string, string>[]>[{}, { field: 'a b' }, { field: 'user.name', size: '101' }, { field: 'user.name', size: '0' }, { field: 'x', from: '2020-01-01', to: '2022-01-01' }]) {
        expect((await aggregate('terms', query)).statusCode, JSON.stringify(query)).toBe(400);
      }
      const bad = await aggregate('terms', { field: 'user.name', q: 'user.name:(root' });
      expect(bad.json()).toMatchObject({ code: 'WATCHPOST_ERR_QUERY_SYNTAX', column: expect.any(Number) });
      expect((await aggregate('terms', { field: 'user.name' }, null)).statusCode).toBe(401);
      expect((await aggregate('terms', { field: 'user.name' }, 'ingest')).statusCode).toBe(403);
      expect((await aggregate('terms', { field: 'user.name' }, 'viewer', bare)).statusCode).toBe(503);
    });
  });

  describe('GET /api/v1/events/histogram', () => {
    it('counts matching events per interval over the whole range, empty intervals included', async () => {
      const from = new Date(Math.floor((now - 4 * HOUR) / HOUR) * HOUR).toISOString();
      const to = new Date(Math.floor((now - 4 * HOUR) / HOUR) * HOUR + 5 * HOUR).toISOString();
      const response = await aggregate('histogram', { from, to, interval: '1h' });
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json<{ intervalMs: number; buckets: { start: string; count: number }[] }>();
      expect(body.intervalMs).toBe(HOUR);
      expect(body.buckets).toHaveLength(5);
      expect(body.buckets[0]?.start).toBe(from);
      expect(body.buckets.reduce((sum, b) => sum + b.count, 0)).toBe(3);
      const failed = (await aggregate('histogram', { from, to, interval: '1h', q: 'failed' })).json<{ buckets: { count: number }[] }>();
      expect(failed.buckets.reduce((sum, b) => sum + b.count, 0)).toBe(2);
      // Without an interval: about 60 buckets over the default 24 hours.
      const auto = (await aggregate('histogram', {})).json<{ intervalMs: number; buckets: unknown[] }>();
      expect(auto.intervalMs).toBe(30 * 60_000);
      expect(auto.buckets.length).toBeGreaterThanOrEqual(48);
      expect(auto.buckets.length).toBeLessThanOrEqual(49);
    });

    it('refuses too many buckets, an interval under a second and a malformed one', async () => {
      const tooMany = await aggregate('histogram', { interval: '1s' });
      expect(tooMany.statusCode).toBe(400);
      expect(tooMany.json<{ message: string }>().message).toContain('buckets');
      expect((await aggregate('histogram', { interval: '500ms' })).statusCode).toBe(400);
      expect((await aggregate('histogram', { interval: 'hourly' })).statusCode).toBe(400);
      expect((await aggregate('histogram', {}, 'ingest')).statusCode).toBe(403);
    });
  });
});
