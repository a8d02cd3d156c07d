import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../core/log.js';
import { createMetricsRegistry } from '../core/metrics.js';
import { loadConfig } from '../core/config/load.js';
import { openSqliteDatabase, type SqliteDatabase } from '../backends/sqlite/database.js';
import { SqliteEventStore } from '../backends/sqlite/event-store.js';
import { SqliteCaseStore } from '../backends/sqlite/case-store.js';
import { SqliteJobQueue } from '../backends/sqlite/job-queue.js';
import { buildApi } from './app.js';

describe('API app', () => {
  let app: FastifyInstance | undefined;
  let db: SqliteDatabase | undefined;
  let queue: SqliteJobQueue | undefined;

  afterEach(async () => {
    await app?.close();
    await queue?.close();
    if (db?.open) db.close();
  });

  async function build(authenticate?: Parameters<typeof buildApi>[0]['authenticate']): Promise<FastifyInstance> {
    db = openSqliteDatabase(join(mkdtempSync(join(tmpdir(), 'wp-api-')), 'watchpost.db'));
    queue = new SqliteJobQueue(db);
    const metrics = createMetricsRegistry({ role: 'api' });
    app = await buildApi({
      config: loadConfig({ env: {} }).api,
      logger: silentLogger(),
      version: '9.9.9',
      metrics,
      health: { events: new SqliteEventStore(db), cases: new SqliteCaseStore(db), queue },
      ...(authenticate ? { authenticate } : {}),
    });
    return app;
  }

  it('GET /api/health reports the version and each backend with its kind and state', async () => {
    const api = await build();
    const response = await api.inject({ method: 'GET', url: '/api/health' });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ status: string; version: string; backends: Record<string, { kind: string; state: string }> }>();
    expect(body.status).toBe('ok');
    expect(body.version).toBe('9.9.9');
    expect(body.backends).toEqual({
      events: { kind: 'sqlite', state: 'up' },
      cases: { kind: 'sqlite', state: 'up' },
      queue: { kind: 'sqlite', state: 'up' },
    });
  });

  it('GET /api/health answers 503 and names the backend that is down', async () => {
    const api = await build();
    await queue?.close();
    db?.close();
    const response = await api.inject({ method: 'GET', url: '/api/health' });
    expect(response.statusCode).toBe(503);
    const body = response.json<{ status: string; backends: Record<string, { state: string; detail?: string }> }>();
    expect(body.status).toBe('down');
    expect(body.backends.events?.state).toBe('down');
    expect(body.backends.events?.detail).toBeTruthy();
  });

  it('GET /metrics serves Prometheus text without authentication', async () => {
    const api = await build();
    const response = await api.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.body).toMatch(/^# HELP watchpost_process_cpu_user_seconds_total /m);
    expect(response.body).toContain('role="api"');
  });

  it('denies every other route, existing or not, without credentials', async () => {
    const api = await build();
    for (const url of ['/api/v1/alerts', '/api/v1/nothing-here', '/']) {
      const response = await api.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(401);
      expect(response.json()).toEqual({ error: 'unauthorized', message: 'authentication required' });
    }
  });

  it('lets an authenticated request through to routing', async () => {
    const api = await build(async (request) => (request.headers.authorization === 'Bearer good' ? { id: 'alice', roles: ['viewer'] } : undefined));
    expect((await api.inject({ method: 'GET', url: '/api/v1/nothing-here', headers: { authorization: 'Bearer bad' } })).statusCode).toBe(401);
    expect((await api.inject({ method: 'GET', url: '/api/v1/nothing-here', headers: { authorization: 'Bearer good' } })).statusCode).toBe(404);
  });
});
