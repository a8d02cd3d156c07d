import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApi } from '../../api/app.js';
import { formatToken } from '../../api/plugins/token-auth.js';
import type { Role } from '../../core/cases/types.js';
import { scryptHasher } from '../../core/auth/password.js';
import { ManualClock } from '../../core/clock.js';
import { loadConfig } from '../../core/config/load.js';
import { hashSecret, randomId, randomSecret } from '../../core/ids.js';
import { silentLogger } from '../../core/log.js';
import { createMetricsRegistry } from '../../core/metrics.js';
import type { CaseStore } from '../../core/stores/case-store.js';
import { openTestStores, type StoreBackend } from './backends.js';

/** The app over a case store (SQLite in memory by default), a manual clock, and a way to mint principals. */
export interface ApiHarness {
  readonly app: FastifyInstance;
  readonly cases: CaseStore;
  readonly clock: ManualClock;
  /** An `authorization` header for a new token of `userId` (created with `roles` when missing). */
  bearer(userId: string, roles: Role[], tokenRoles?: Role[]): Promise<string>;
  /** `app.inject` with the given authorization header. */
  call(authorization: string | undefined, options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** Cheap scrypt parameters: these tests are about the API, not about the hash's cost. */
const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };

/** Builds the harness on `backend`; 'elasticsearch' needs the services of deploy/dev/services.sh. */
export async function apiHarness(backend: StoreBackend = 'sqlite'): Promise<ApiHarness> {
  const stores = await openTestStores(backend);
  const cases = stores.cases;
  const clock = new ManualClock(Date.now());
  const app = await buildApi({
    config: loadConfig({ env: {} }).api,
    logger: silentLogger(),
    version: '0.0.0-test',
    metrics: createMetricsRegistry({ role: 'api' }),
    health: { cases },
    cases,
    passwords: scryptHasher(TEST_SCRYPT),
    clock,
  });
  return {
    app,
    cases,
    clock,
    async bearer(userId, roles, tokenRoles = roles) {
      const at = new Date(clock.now()).toISOString();
      if (!(await cases.users.get(userId))) await cases.users.create({ id: userId, username: userId, roles, disabled: false, createdAt: at, updatedAt: at });
      const id = randomId();
      const secret = randomSecret();
      await cases.tokens.create({ id, name: `test ${userId}`, userId, secretHash: hashSecret(secret), roles: tokenRoles, revoked: false, createdAt: at });
      return `Bearer ${formatToken(id, secret)}`;
    },
    call(authorization, options) {
      return app.inject({ ...options, headers: { ...(options.headers ?? {}), ...(authorization !== undefined ? { authorization } : {}) } });
    },
    async close() {
      await app.close();
      await stores.close();
    },
  };
}
