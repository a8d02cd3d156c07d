import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlockState } from '../../../core/cases/types.js';
import { ManualClock } from '../../../core/clock.js';
import { loadConfig } from '../../../core/config/load.js';
import { hashSecret, randomSecret } from '../../../core/ids.js';
import { silentLogger } from '../../../core/log.js';
import { createMetricsRegistry } from '../../../core/metrics.js';
import { feedAccess } from '../../../playbooks/actions/block-ip/feed.js';
import { openTestStores, type TestStores } from '../../../test/api/backends.js';
import { buildApi } from '../../app.js';
import { formatToken } from '../../plugins/token-auth.js';

const TOKEN = 'feed-token-for-fortigate-0123456789';
const OTHER_TOKEN = 'feed-token-for-paloalto-9876543210';
const NOW = Date.parse('2025-03-01T12:00:00.000Z');

let stores: TestStores;
let app: FastifyInstance;
let apiToken: string;

function block(driver: string, target: string, extra: Partial<BlockState> = {}): BlockState {
  const at = new Date(NOW - 60_000).toISOString();
  return {
    id: `${driver}:${target}`,
    kind: 'ip',
    target,
    driver,
    state: 'active',
    reason: 'test',
    createdBy: 'run:r1',
    offense: 1,
    createdAt: at,
    updatedAt: at,
    expiresAt: new Date(NOW + 3_600_000).toISOString(),
    ...extra,
  };
}

beforeAll(async () => {
  stores = await openTestStores('sqlite');
  const cases = stores.cases;
  for (const record of [
    block('fortigate', '203.0.113.9'),
    block('fortigate', '198.51.100.0/24'),
    block('fortigate', '2001:db8::7'),
    block('fortigate', '192.0.2.1', { expiresAt: undefined }),
    block('fortigate', '192.0.2.50', { expiresAt: new Date(NOW - 1000).toISOString() }),
    block('fortigate', '192.0.2.51', { state: 'released' }),
    block('fortigate', '192.0.2.52', { state: 'failed' }),
    block('fortigate', 'alice', { kind: 'account' }),
    block('paloalto', '192.0.2.99'),
  ]) {
    const { expiresAt, ...rest } = record;
    await cases.blocks.create(expiresAt === undefined ? rest : record);
  }
  // An API token of an admin: it must not open a feed.
  const secret = randomSecret();
  const at = new Date(NOW).toISOString();
  await cases.users.create({ id: 'admin', username: 'admin', roles: ['admin'], disabled: false, createdAt: at, updatedAt: at });
  await cases.tokens.create({ id: 'tokadmin', name: 'admin', userId: 'admin', secretHash: hashSecret(secret), roles: ['admin'], revoked: false, createdAt: at });
  apiToken = formatToken('tokadmin', secret);
  app = await buildApi({
    config: loadConfig({ env: {} }).api,
    logger: silentLogger(),
    version: '0.0.0-test',
    metrics: createMetricsRegistry({ role: 'api' }),
    health: { cases },
    cases,
    clock: new ManualClock(NOW),
    feeds: [feedAccess('fortigate', TOKEN), feedAccess('paloalto', OTHER_TOKEN)],
  });
});

afterAll(async () => {
  await app?.close();
  await stores?.close();
});

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('GET /api/v1/feeds/{driverId}', () => {
  it('serves the active, unexpired (or permanent) IP blocks of the driver as sorted plain text, with basic auth', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/feeds/fortigate', headers: { authorization: basic('fortigate', TOKEN) } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toBe('192.0.2.1\n198.51.100.0/24\n2001:db8::7\n203.0.113.9\n');
  });

  it('takes the token as Bearer or in the query (pfSense URL tables)', async () => {
    const bearer = await app.inject({ method: 'GET', url: '/api/v1/feeds/paloalto', headers: { authorization: `Bearer ${OTHER_TOKEN}` } });
    expect(bearer.statusCode).toBe(200);
    expect(bearer.body).toBe('192.0.2.99\n');
    const query = await app.inject({ method: 'GET', url: `/api/v1/feeds/paloalto?token=${encodeURIComponent(OTHER_TOKEN)}` });
    expect(query.statusCode).toBe(200);
    expect(query.body).toBe('192.0.2.99\n');
  });

  it('drops blocks from the feed once they expire', async () => {
    const later = await buildApi({
      config: loadConfig({ env: {} }).api,
      logger: silentLogger(),
      version: '0.0.0-test',
      metrics: createMetricsRegistry({ role: 'api' }),
      health: { cases: stores.cases },
      cases: stores.cases,
      clock: new ManualClock(NOW + 2 * 3_600_000),
      feeds: [feedAccess('fortigate', TOKEN)],
    });
    try {
      const response = await later.inject({ method: 'GET', url: `/api/v1/feeds/fortigate?token=${TOKEN}` });
      expect(response.body).toBe('192.0.2.1\n');
    } finally {
      await later.close();
    }
  });

  it.each([
    ['no token', {}, '/api/v1/feeds/fortigate'],
    ['a wrong basic-auth password', { authorization: basic('fortigate', 'wrong-token-0123456789012345') }, '/api/v1/feeds/fortigate'],
    ["another feed's token", { authorization: `Bearer ${OTHER_TOKEN}` }, '/api/v1/feeds/fortigate'],
    ['an admin API token', { authorization: 'API' }, '/api/v1/feeds/fortigate'],
    ['an unknown feed with a valid token of another feed', { authorization: `Bearer ${TOKEN}` }, '/api/v1/feeds/nosuchfeed'],
    ['an unknown feed and no token', {}, '/api/v1/feeds/nosuchfeed'],
  ])('answers 401 to %s', async (_name, headers: Record<string, string>, url) => {
    const authorization = headers.authorization === 'API' ? `Bearer ${apiToken}` : headers.authorization;
    const response = await app.inject({ method: 'GET', url, headers: authorization ? { authorization } : {} });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toContain('Basic');
    expect(response.body).not.toContain('192.0.2');
  });

  it('is in the OpenAPI document as public, with a security note', async () => {
    const document = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{ paths: Record<string, Record<string, { description?: string; 'x-watchpost-public'?: boolean }>> }>();
    const operation = document.paths['/api/v1/feeds/{driverId}']?.get;
    expect(operation?.['x-watchpost-public']).toBe(true);
    expect(operation?.description).toContain('feed token');
  });
});
