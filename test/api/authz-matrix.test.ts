import { afterAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { PUBLIC_EXTENSION, ROLES_EXTENSION } from '../../api/plugins/openapi.js';
import { FEED_TOKEN_EXTENSION } from '../../api/routes/feeds/index.js';
import { hasRole } from '../../api/plugins/require-role.js';
import { formatToken } from '../../api/plugins/token-auth.js';
import { ROLES, type Role } from '../../core/cases/types.js';
import { hashSecret, randomSecret } from '../../core/ids.js';
import type { ResponseOperations } from '../../api/routes/response/operations.js';
import { SqliteJobQueue } from '../../backends/sqlite/job-queue.js';
import { fullApiHarness } from './full-harness.js';
import { testResponseOperations, type TestResponse } from './response-harness.js';

/**
 * The authorization matrix: every operation of the OpenAPI document × every role × anonymous,
 * through the real app with every dependency (test/api/full-harness.ts: SQLite stores, the
 * alerting service, the rules, ingest) and real API tokens. The expected answer comes from the
 * document alone (`x-watchpost-roles` and the role hierarchy of hasRole), so a route that forgets
 * its `requireRole` hook, checks roles after validating the body, or declares roles it does not
 * enforce fails here, and so does a route that declares neither roles nor `public`.
 *
 * Requests carry placeholder path parameters and an empty JSON object as body: authentication and
 * the role check run in onRequest, before validation, so a permitted principal gets past them
 * (and is then refused by validation or a 404, never by 401 or 403) while nothing changes. With
 * every dependency present a 503 means the request never reached the route's own checks (the
 * harness lacks something a route needs), so it fails the row too. Every request asks for JSON:
 * the live alert stream then answers 406 past the role check instead of holding the request open.
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
  /** Public to the guard but checking its own token (the blocklist feed): no principal opens it. */
  readonly feedToken?: unknown;
  readonly bodyType?: string;
}

interface OpenApiDocument {
  readonly openapi: string;
  readonly paths: Record<string, Partial<Record<string, { requestBody?: { content?: Record<string, unknown> } } & Record<string, unknown>>>>;
  readonly components?: { securitySchemes?: Record<string, unknown> };
}

// Automated response over the harness's own stores, which exist only once the harness is built:
// the app gets operations that call the real ones bound right after.
const late: { bound?: TestResponse } = {};
const real = (): ResponseOperations => {
  if (!late.bound) throw new Error('response operations used before the harness was built');
  return late.bound.operations;
};
const response: ResponseOperations = {
  playbooks: () => real().playbooks(),
  requestRun: (playbookId, subject, requestedBy) => real().requestRun(playbookId, subject, requestedBy),
  approveStep: (runId, by) => real().approveStep(runId, by),
  rejectStep: (runId, by, reason) => real().rejectStep(runId, by, reason),
  releaseBlock: (blockId, by, reason) => real().releaseBlock(blockId, by, reason),
  neverBlockList: () => real().neverBlockList(),
  breaker: () => real().breaker(),
  closeBreaker: (by) => real().closeBreaker(by),
};

// Built at module level (top-level await) so that each operation becomes its own test case.
const harness = await fullApiHarness({ response, drivers: [{ id: 'edge', type: 'feed', actions: ['block-ip', 'unblock-ip'], enabled: true }] });
const { app, cases } = harness;
const responseQueue = new SqliteJobQueue(harness.db, { pollIntervalMs: 50 });
late.bound = testResponseOperations({ cases, queue: responseQueue, clock: harness.clock });

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
    return { method, path, roles: operation[ROLES_EXTENSION], public: operation[PUBLIC_EXTENSION], feedToken: operation[FEED_TOKEN_EXTENSION], ...(bodyType !== undefined ? { bodyType } : {}) };
  }),
);

afterAll(async () => {
  await late.bound?.service.close();
  await responseQueue.close();
  await harness.close();
});

function requestFor(operation: Operation, principal: Principal): InjectOptions {
  const url = operation.path.replace(/\{[^}]+\}/g, PLACEHOLDER);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (principal !== 'anonymous') headers.authorization = bearers.get(principal) as string;
  const request: InjectOptions = { method: operation.method.toUpperCase() as InjectOptions['method'], url, headers };
  if (operation.bodyType !== undefined) {
    headers['content-type'] = operation.bodyType;
    request.payload = operation.bodyType.includes('json') ? '{}' : '';
  }
  return request;
}

/** What the document says the principal gets: `granted` means anything but 401, 403 and 503. */
function expected(operation: Operation, principal: Principal): 401 | 403 | 'granted' {
  if (operation.feedToken === true) return 401;
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
        'POST /api/v1/auth/login',
        'POST /api/v1/auth/logout',
        'GET /api/v1/auth/me',
        'GET /api/v1/auth/oidc/login',
        'GET /api/v1/auth/oidc/callback',
        'GET /api/v1/events',
        'GET /api/v1/events/terms',
        'GET /api/v1/events/histogram',
        'GET /api/v1/users',
        'POST /api/v1/users',
        'GET /api/v1/users/{id}',
        'GET /api/v1/users/assignable',
        'PATCH /api/v1/users/{id}',
        'POST /api/v1/users/{id}/disable',
        'POST /api/v1/users/{id}/enable',
        'GET /api/v1/tokens',
        'POST /api/v1/tokens',
        'GET /api/v1/tokens/{id}',
        'POST /api/v1/tokens/{id}/revoke',
        'GET /api/v1/audit',
        'GET /api/v1/rules',
        'GET /api/v1/rules/{key}',
        'POST /api/v1/rules/{key}/enable',
        'POST /api/v1/rules/{key}/disable',
        'POST /api/v1/rules/test',
        'GET /api/v1/rules/custom',
        'POST /api/v1/rules/custom',
        'GET /api/v1/rules/custom/{id}',
        'PUT /api/v1/rules/custom/{id}',
        'DELETE /api/v1/rules/custom/{id}',
        'GET /api/v1/alerts',
        'GET /api/v1/alerts/{id}',
        'GET /api/v1/alerts/{id}/events',
        'POST /api/v1/alerts/bulk/status',
        'POST /api/v1/alerts/bulk/assign',
        'POST /api/v1/alerts/bulk/link',
        'GET /api/v1/stream/alerts',
        'GET /api/v1/suppressions',
        'POST /api/v1/suppressions',
        'GET /api/v1/suppressions/{id}',
        'DELETE /api/v1/suppressions/{id}',
        'GET /api/v1/runs',
        'GET /api/v1/runs/{id}',
        'POST /api/v1/runs/{id}/approve',
        'POST /api/v1/runs/{id}/reject',
        'GET /api/v1/incidents',
        'POST /api/v1/incidents',
        'GET /api/v1/incidents/{id}',
        'PATCH /api/v1/incidents/{id}',
        'GET /api/v1/incidents/{id}/timeline',
        'POST /api/v1/incidents/{id}/status',
        'POST /api/v1/incidents/{id}/comments',
        'POST /api/v1/incidents/{id}/tasks',
        'PATCH /api/v1/incidents/{id}/tasks/{taskId}',
        'DELETE /api/v1/incidents/{id}/tasks/{taskId}',
        'POST /api/v1/incidents/{id}/observables',
        'DELETE /api/v1/incidents/{id}/observables',
        'POST /api/v1/incidents/{id}/alerts/link',
        'POST /api/v1/incidents/{id}/alerts/unlink',
        'POST /api/v1/incidents/{id}/merge',
        'POST /api/v1/incidents/{id}/split',
        'GET /api/v1/metrics/response',
        'GET /api/v1/playbooks',
        'GET /api/v1/playbooks/{id}',
        'POST /api/v1/playbooks/{id}/run',
        'GET /api/v1/actions',
        'GET /api/v1/blocks',
        'GET /api/v1/blocks/{id}',
        'POST /api/v1/blocks/{id}/release',
        'GET /api/v1/response/never-block',
        'POST /api/v1/response/never-block',
        'DELETE /api/v1/response/never-block/{id}',
        'GET /api/v1/response/breaker',
        'POST /api/v1/response/breaker/close',
        'GET /api/v1/feeds/{driverId}',
        'GET /api/v1/reports',
        'POST /api/v1/reports',
        'GET /api/v1/reports/{id}',
        'GET /api/v1/reports/{id}/pdf',
      ]),
    );
  });

  it('gives automated response the roles of DESIGN.md: viewers read, responders act, approvers decide, admins change safety', () => {
    const want: Record<string, Role[]> = {
      'GET /api/v1/playbooks': ['viewer'],
      'GET /api/v1/playbooks/{id}': ['viewer'],
      'POST /api/v1/playbooks/{id}/run': ['responder'],
      'GET /api/v1/actions': ['viewer'],
      'GET /api/v1/blocks': ['viewer'],
      'GET /api/v1/blocks/{id}': ['viewer'],
      'POST /api/v1/blocks/{id}/release': ['responder'],
      'GET /api/v1/runs': ['viewer'],
      'GET /api/v1/runs/{id}': ['viewer'],
      'POST /api/v1/runs/{id}/approve': ['approver'],
      'POST /api/v1/runs/{id}/reject': ['approver'],
      'GET /api/v1/response/never-block': ['viewer'],
      'POST /api/v1/response/never-block': ['admin'],
      'DELETE /api/v1/response/never-block/{id}': ['admin'],
      'GET /api/v1/response/breaker': ['viewer'],
      'POST /api/v1/response/breaker/close': ['admin'],
    };
    const declared = Object.fromEntries(
      operations.map((operation) => [`${operation.method.toUpperCase()} ${operation.path}`, operation.roles]).filter(([name]) => (name as string) in want),
    );
    expect(declared).toEqual(want);
  });

  it('lets viewers read and download reports and analysts generate them', () => {
    const want: Record<string, Role[]> = {
      'GET /api/v1/reports': ['viewer'],
      'GET /api/v1/reports/{id}': ['viewer'],
      'GET /api/v1/reports/{id}/pdf': ['viewer'],
      'POST /api/v1/reports': ['analyst'],
    };
    const declared = Object.fromEntries(
      operations.map((operation) => [`${operation.method.toUpperCase()} ${operation.path}`, operation.roles]).filter(([name]) => (name as string) in want),
    );
    expect(declared).toEqual(want);
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
      const ok = want === 'granted' ? ![401, 403, 503].includes(response.statusCode) : response.statusCode === want;
      if (!ok) mismatches.push(`${principal}: expected ${want}, got ${response.statusCode} ${response.body.slice(0, 120)}`);
    }
    expect(mismatches).toEqual([]);
  });
});
