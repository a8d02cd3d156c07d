import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../../api/app.js';
import { scryptHasher } from '../../../core/auth/password.js';
import { createUser } from '../../../core/auth/users.js';
import { ManualClock } from '../../../core/clock.js';
import { loadConfig } from '../../../core/config/load.js';
import { silentLogger } from '../../../core/log.js';
import { createMetricsRegistry } from '../../../core/metrics.js';
import { openTestStores, type StoreBackend, type TestStores } from '../backends.js';

const MIN = 60_000;
const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const hasher = scryptHasher({ N: 2 ** 10, r: 8, p: 1 });
const PASSWORD = 'alice-correct-horse';

/**
 * Sign-in lockouts shared by API processes: several apps over ONE case store stand for several
 * API processes (and a new app over the same store for a restart).
 */
export function describeLoginLockoutApi(backend: StoreBackend): void {
  describe(`sign-in lockouts across API processes (${backend})`, () => {
    let stores: TestStores;
    let clock: ManualClock;
    const apps: FastifyInstance[] = [];

    beforeEach(async () => {
      stores = await openTestStores(backend);
      clock = new ManualClock(T0);
      await createUser(stores.cases, hasher, { username: 'alice', roles: ['analyst'], password: PASSWORD }, { actor: 'cli', clock });
    });
    afterEach(async () => {
      for (const app of apps.splice(0)) await app.close();
      await stores.close();
    });

    async function apiProcess(): Promise<FastifyInstance> {
      const config = loadConfig({ env: {} });
      const app = await buildApi({
        config: config.api,
        auth: config.auth,
        logger: silentLogger(),
        version: '0.0.0-test',
        metrics: createMetricsRegistry({ role: 'api' }),
        health: { cases: stores.cases },
        cases: stores.cases,
        passwords: hasher,
        clock,
      });
      apps.push(app);
      return app;
    }

    const login = (app: FastifyInstance, username: string, password: string, remoteAddress = '192.0.2.10'): Promise<LightMyRequestResponse> =>
      app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password }, remoteAddress });

    it('locks a user out on every process after failures spread over two, keeps the lock over a restart, and unlocks after the lockout', async () => {
      const one = await apiProcess();
      const two = await apiProcess();
      // 5 failures (the default maxFailures), alternating between the processes: each saw fewer than 5.
      for (let i = 0; i < 5; i++) expect((await login(i % 2 === 0 ? one : two, 'Alice', `wrong password ${i}`)).statusCode).toBe(401);
      for (const app of [one, two]) {
        const locked = await login(app, 'alice', PASSWORD);
        expect(locked.statusCode).toBe(429);
        expect(locked.json()).toMatchObject({ code: 'WATCHPOST_ERR_AUTH_LOCKED' });
        expect(locked.headers['retry-after']).toBe('900');
      }
      expect(await stores.cases.lockouts.get('user:alice')).toMatchObject({ strikes: 1, lockedUntil: new Date(T0 + 15 * MIN).toISOString() });
      const lockouts = (await stores.cases.audit.list({ filter: { op: 'eq', field: 'action', value: 'auth.lockout', caseSensitive: true } })).items;
      expect(lockouts.map((entry) => entry.target)).toEqual([{ type: 'user', id: 'alice' }]);

      // A restart: both processes gone, a new one over the same store.
      for (const app of apps.splice(0)) await app.close();
      const restarted = await apiProcess();
      clock.advance(14 * MIN);
      expect((await login(restarted, 'alice', PASSWORD)).statusCode).toBe(429);
      clock.advance(1 * MIN);
      expect((await login(restarted, 'alice', PASSWORD)).statusCode).toBe(200);
      // Success forgets the failures and strikes.
      expect(await stores.cases.lockouts.get('user:alice')).toBeUndefined();
    });

    it('locks a client address across processes, and only that address', async () => {
      const config = loadConfig({ env: {} });
      const perIp = config.auth.login.maxFailuresPerIp;
      const one = await apiProcess();
      const two = await apiProcess();
      for (let i = 0; i < perIp; i++) expect((await login(i % 2 === 0 ? one : two, `user-${i}`, 'sprayed password', '198.51.100.7')).statusCode).toBe(401);
      expect((await login(two, 'alice', PASSWORD, '198.51.100.7')).statusCode).toBe(429);
      expect((await login(one, 'alice', PASSWORD, '198.51.100.7')).statusCode).toBe(429);
      expect((await login(one, 'alice', PASSWORD, '198.51.100.8')).statusCode).toBe(200);
    });
  });
}
