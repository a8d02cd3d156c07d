import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { openSqliteDatabase, type SqliteDatabase } from '../../../backends/sqlite/database.js';
import { SqliteCaseStore } from '../../../backends/sqlite/case-store.js';
import { SqliteEventStore } from '../../../backends/sqlite/event-store.js';
import { SqliteJobQueue } from '../../../backends/sqlite/job-queue.js';
import { scryptHasher } from '../../../core/auth/password.js';
import { createUser } from '../../../core/auth/users.js';
import { ManualClock } from '../../../core/clock.js';
import { loadConfig } from '../../../core/config/load.js';
import { createLogger } from '../../../core/log.js';
import { createMetricsRegistry } from '../../../core/metrics.js';
import { buildApi } from '../../app.js';

const hasher = scryptHasher({ N: 2 ** 10, r: 8, p: 1 });
const PASSWORD = 'admin-correct-horse';

describe('GET /api/v1/auth/methods', () => {
  let db: SqliteDatabase;
  let queue: SqliteJobQueue;
  let app: FastifyInstance | undefined;

  beforeEach(() => {
    db = openSqliteDatabase(':memory:');
    queue = new SqliteJobQueue(db);
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await queue.close();
    db.close();
  });

  async function build(): Promise<FastifyInstance> {
    const cases = new SqliteCaseStore(db);
    const clock = new ManualClock(Date.parse('2030-01-01T00:00:00.000Z'));
    const config = loadConfig({ env: {}, overrides: [] });
    app = await buildApi({
      config: config.api,
      auth: config.auth,
      logger: createLogger({ level: 'silent' }),
      version: '9.9.9',
      metrics: createMetricsRegistry({ role: 'api' }),
      health: { events: new SqliteEventStore(db), cases, queue },
      cases,
      passwords: hasher,
      clock,
    });
    await createUser(cases, hasher, { username: 'admin', roles: ['admin'], password: PASSWORD }, { actor: 'cli', clock });
    await createUser(cases, hasher, { username: 'bob', roles: ['viewer'], password: PASSWORD }, { actor: 'cli', clock });
    return app;
  }

  const methods = async (api: FastifyInstance) => {
    const response = await api.inject({ method: 'GET', url: '/api/v1/auth/methods' });
    expect(response.statusCode).toBe(200);
    return response.json<Record<string, unknown>>();
  };

  it('is public and says firstRun until someone signs in, then never again', async () => {
    const api = await build();
    expect(await methods(api)).toEqual({ password: true, oidc: false, firstRun: true });

    // A failed sign-in is not a first sign-in.
    expect((await api.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: 'wrong' } })).statusCode).toBe(401);
    expect((await methods(api)).firstRun).toBe(true);

    expect((await api.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'bob', password: PASSWORD } })).statusCode).toBe(200);
    expect(await methods(api)).toEqual({ password: true, oidc: false, firstRun: false });
  });

  it('documents firstRun in the OpenAPI schema of the route', async () => {
    const api = await build();
    const document = (await api.inject({ method: 'GET', url: '/api/openapi.json' })).json<{
      paths: Record<string, { get?: { responses: Record<string, { content: Record<string, { schema: { required?: string[]; properties: Record<string, { type: string }> } }> }> } }>;
    }>();
    const schema = document.paths['/api/v1/auth/methods']?.get?.responses['200']?.content['application/json']?.schema;
    expect(schema?.properties.firstRun?.type).toBe('boolean');
    expect(schema?.required).toContain('firstRun');
  });
});
