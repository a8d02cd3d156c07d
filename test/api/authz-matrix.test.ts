import { afterAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { PUBLIC_EXTENSION, ROLES_EXTENSION } from '../../api/plugins/openapi.js';
import { hasRole } from '../../api/plugins/require-role.js';
import { formatToken } from '../../api/plugins/token-auth.js';
import { buildApi } from '../../api/app.js';
import { ROLES, type Role } from '../../core/cases/types.js';
import { loadConfig } from '../../core/config/load.js';
import { hashSecret, randomSecret } from '../../core/ids.js';
import { silentLogger } from '../../core/log.js';
import { createMetricsRegistry } from '../../core/metrics.js';
import { openSqliteDatabase } from '../../backends/sqlite/database.js';
import { SqliteCaseStore } from '../../backends/sqlite/case-store.js';
import { SqliteEventStore } from '../../backends/sqlite/event-store.js';

/**
 * The authorization matrix: every operation of the OpenAPI document × every role × anonymous,
 * through the real app (SQLite stores, real API tokens). The expected answer comes from the
 * document alone (`x-watchpost-roles` and the role hierarchy of hasRole), so a route that forgets
 * its `requireRole` hook, checks roles after validating the body, or declares roles it does not
 * enforce fails here, and so does a route that declares neither roles nor `public`.
 *
 * Requests carry placeholder path parameters and an empty JSON object as body: authentication and
 * the role check run in onRequest, before validation, so a permitted principal gets past them
 * (and is then refused by validation, a 404 or a 503, never by 401 or 403) while nothing changes.
 */

type Principal = Role | 'anonymous';
const PRINCIPALS: readonly Principal[] = [...ROLES, 'anonymous'];
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
const PLACEHOLDER = 'placeholder';

interface Operation {
  readonly method: (typeof METHODS)[number];
  readonly path: string;
  readonly roles?: unknown;
  readonly public?: unknown;
  readonly bodyType?: string;
}

interface OpenApiDocument {
  readonly openapi: string;
  readonly paths: Record<string, Partial<Record<string, { requestBody?: { content?: Record<string, unknown> } } & Record<string, unknown>>>>;
  readonly components?: { securitySchemes?: Record<string, unknown> };
}

// Built at module level (top-level await) so that each operation becomes its own test case.
const db = openSqliteDatabase(':memory:');
const cases = new SqliteCaseStore(db);
const config = loadConfig({ env: {} });
const app = await buildApi({
  config: config.api,
  logger: silentLogger(),
  version: '0.0.0-matrix',
  metrics: createMetricsRegistry({ role: 'api' }),
  health: { cases },
  cases,
  events: new SqliteEventStore(db),
  ingest: { sink: { accept: async () => undefined }, config: config.ingest.http },
});

/** One user and one API token per role, each holding only that role. */
const bearers = new Map<Role, string>();
const now = new Date().toISOString();
for (const role of ROLES) {
  const id = `matrix-${role}`;
  const secret = randomSecret();
  await cases.users.create({ id, username: id, roles: [role], disabled: false, createdAt: now, updatedAt: now });
  await cases.tokens.create({ id: `tok${role}`, name: id, userId: id, secretHash: hashSecret(secret), roles: [role], revoked: false, createdAt: now });
  bearers.set(role, `Bearer ${formatToken(`tok${role}`, secret)}`);
}

const documentResponse = await app.inject({ method: 'GET', url: '/api/openapi.json' });
const document = documentResponse.json<OpenApiDocument>();
const operations: Operation[] = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
  METHODS.filter((method) => item?.[method] !== undefined).map((method) => {
    const operation = item?.[method] as Record<string, unknown> & { requestBody?: { content?: Record<string, unknown> } };
    const bodyType = Object.keys(operation.requestBody?.content ?? {})[0];
    return { method, path, roles: operation[ROLES_EXTENSION], public: operation[PUBLIC_EXTENSION], ...(bodyType !== undefined ? { bodyType } : {}) };
  }),
);

afterAll(async () => {
  await app.close();
  db.close();
});

function requestFor(operation: Operation, principal: Principal): InjectOptions {
  const url = operation.path.replace(/\{[^}]+\}/g, PLACEHOLDER);
  const headers: Record<string, string> = {};
  if (principal !== 'anonymous') headers.authorization = bearers.get(principal) as string;
  const request: InjectOptions = { method: operation.method.toUpperCase() as InjectOptions['method'], url, headers };
  if (operation.bodyType !== undefined) {
    headers['content-type'] = operation.bodyType;
    request.payload = operation.bodyType.includes('json') ? '{}' : '';
  }
  return request;
}

/** What the document says the principal gets: `granted` means anything but 401 and 403. */
function expected(operation: Operation, principal: Principal): 401 | 403 | 'granted' {
  if (operation.public === true) return 'granted';
  if (principal === 'anonymous') return 401;
  return hasRole({ id: `matrix-${principal}`, roles: [principal] }, operation.roles as Role[]) ? 'granted' : 403;
}

describe('the OpenAPI document', () => {
  it('is public, OpenAPI 3, and offers the session cookie and Bearer tokens', () => {
    expect(documentResponse.statusCode).toBe(200);
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.values(document.components?.securitySchemes ?? {})).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'apiKey', in: 'cookie' }), expect.objectContaining({ type: 'http', scheme: 'bearer' })]),
    );
  });

  it('lists the routes the matrix must cover (so the matrix cannot pass by covering nothing)', () => {
    const names = operations.map((operation) => `${operation.method.toUpperCase()} ${operation.path}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'GET /api/health',
        'GET /metrics',
        'GET /api/openapi.json',
        'POST /api/v1/ingest',
        'GET /api/v1/events',
        'GET /api/v1/users',
        'POST /api/v1/users',
        'GET /api/v1/users/{id}',
        'PATCH /api/v1/users/{id}',
        'POST /api/v1/users/{id}/disable',
        'POST /api/v1/users/{id}/enable',
        'GET /api/v1/tokens',
        'POST /api/v1/tokens',
        'GET /api/v1/tokens/{id}',
        'POST /api/v1/tokens/{id}/revoke',
        'GET /api/v1/audit',
      ]),
    );
  });

  it('gives every operation either x-watchpost-roles (known roles, at least one) or x-watchpost-public: true, never both', () => {
    const undeclared = operations.filter((operation) => {
      const roles = operation.roles;
      const validRoles = Array.isArray(roles) && roles.length > 0 && roles.every((role) => (ROLES as readonly unknown[]).includes(role));
      return operation.public === true ? roles !== undefined : !validRoles || operation.public !== undefined;
    });
    expect(undeclared.map((operation) => `${operation.method.toUpperCase()} ${operation.path}`)).toEqual([]);
  });
});

describe('the authorization matrix', () => {
  it.each(operations.map((operation) => [`${operation.method.toUpperCase()} ${operation.path}`, operation] as const))('%s', async (_name, operation) => {
    const mismatches: string[] = [];
    for (const principal of PRINCIPALS) {
      const response = await app.inject(requestFor(operation, principal));
      const want = expected(operation, principal);
      const ok = want === 'granted' ? response.statusCode !== 401 && response.statusCode !== 403 : response.statusCode === want;
      if (!ok) mismatches.push(`${principal}: expected ${want}, got ${response.statusCode} ${response.body.slice(0, 120)}`);
    }
    expect(mismatches).toEqual([]);
  });
});
