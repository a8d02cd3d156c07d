import { describe, expect, it } from 'vitest';
import { buildApi } from '../../app.js';
import { formatToken } from '../../plugins/token-auth.js';
import { loadConfig } from '../../../core/config/load.js';
import { hashSecret, randomSecret } from '../../../core/ids.js';
import { silentLogger } from '../../../core/log.js';
import { createMetricsRegistry } from '../../../core/metrics.js';
import { openSqliteDatabase } from '../../../backends/sqlite/database.js';
import { SqliteCaseStore } from '../../../backends/sqlite/case-store.js';
import { describeIncidentsApi } from '../../../test/api/suites/incidents.js';

// The bodies live in the suite so that test/api/routes.int.test.ts runs them on Elasticsearch too.
describeIncidentsApi('sqlite');

describe('without an alerting engine', () => {
  it('answers 503', async () => {
    const db = openSqliteDatabase(':memory:');
    const cases = new SqliteCaseStore(db);
    const app = await buildApi({ config: loadConfig({ env: {} }).api, logger: silentLogger(), version: '0', metrics: createMetricsRegistry({ role: 'api' }), health: { cases }, cases });
    const secret = randomSecret();
    const at = new Date().toISOString();
    await cases.users.create({ id: 'v', username: 'v', roles: ['viewer'], disabled: false, createdAt: at, updatedAt: at });
    await cases.tokens.create({ id: 't', name: 't', userId: 'v', secretHash: hashSecret(secret), roles: ['viewer'], revoked: false, createdAt: at });
    const response = await app.inject({ method: 'GET', url: '/api/v1/incidents', headers: { authorization: `Bearer ${formatToken('t', secret)}` } });
    expect(response.statusCode).toBe(503);
    await app.close();
    db.close();
  });
});
