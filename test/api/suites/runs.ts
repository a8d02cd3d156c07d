import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../../api/app.js';
import { formatToken } from '../../../api/plugins/token-auth.js';
import { PLAYBOOK_RUN_JOB, runJobId, type RunView } from '../../../api/routes/runs/index.js';
import { SqliteJobQueue } from '../../../backends/sqlite/job-queue.js';
import type { PlaybookRun, Role } from '../../../core/cases/types.js';
import { ManualClock } from '../../../core/clock.js';
import { loadConfig } from '../../../core/config/load.js';
import { hashSecret, randomId, randomSecret } from '../../../core/ids.js';
import { silentLogger } from '../../../core/log.js';
import { createMetricsRegistry } from '../../../core/metrics.js';
import type { CaseStore } from '../../../core/stores/case-store.js';
import { openTestStores, type StoreBackend } from '../backends.js';

interface RunsHarness {
  readonly app: FastifyInstance;
  readonly cases: CaseStore;
  readonly queue: SqliteJobQueue;
  readonly clock: ManualClock;
  bearer(userId: string, roles: Role[]): Promise<string>;
  call(authorization: string | undefined, options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** The app over `backend` with a job queue on the in-memory SQLite (`withQueue` false: none). */
async function runsHarness(backend: StoreBackend, withQueue = true): Promise<RunsHarness> {
  const stores = await openTestStores(backend);
  const { db, cases } = stores;
  const queue = new SqliteJobQueue(db, { pollIntervalMs: 50 });
  const clock = new ManualClock(Date.parse('2026-03-01T10:00:00.000Z'));
  const app = await buildApi({
    config: loadConfig({ env: {} }).api,
    logger: silentLogger(),
    version: '0.0.0-test',
    metrics: createMetricsRegistry({ role: 'api' }),
    health: { cases },
    cases,
    clock,
    ...(withQueue ? { jobs: queue } : {}),
  });
  return {
    app,
    cases,
    queue,
    clock,
    async bearer(userId, roles) {
      const at = new Date(clock.now()).toISOString();
      if (!(await cases.users.get(userId))) await cases.users.create({ id: userId, username: userId, roles, disabled: false, createdAt: at, updatedAt: at });
      const id = randomId();
      const secret = randomSecret();
      await cases.tokens.create({ id, name: `test ${userId}`, userId, secretHash: hashSecret(secret), roles, revoked: false, createdAt: at });
      return `Bearer ${formatToken(id, secret)}`;
    },
    call(authorization, options) {
      return app.inject({ ...options, headers: { ...(options.headers ?? {}), ...(authorization !== undefined ? { authorization } : {}) } });
    },
    async close() {
      await app.close();
      await queue.close();
      await stores.close();
    },
  };
}

function run(id: string, overrides: Partial<PlaybookRun> = {}): PlaybookRun {
  return {
    id,
    playbookId: 'block-ip',
    trigger: { alertId: `alert-${id}` },
    status: 'pending_approval',
    steps: [{ id: 'block', action: 'firewall.block', status: 'pending_approval', dryRun: false, attempts: 0 }],
    requestedBy: 'rita',
    createdAt: '2026-03-01T09:00:00.000Z',
    updatedAt: '2026-03-01T09:00:00.000Z',
    ...overrides,
  };
}

/** The /api/v1/runs API behaviours, on the case store of `backend` (see test/api/backends.ts). */
export function describeRunsApi(backend: StoreBackend): void {
  describe(`/api/v1/runs (${backend})`, () => {
    let h: RunsHarness;
    let viewer: string;
    let approver: string;
    let requester: string;

    beforeEach(async () => {
      h = await runsHarness(backend);
      viewer = await h.bearer('vera', ['viewer']);
      approver = await h.bearer('paul', ['approver']);
      // The requester holds the approver role too: the rule is about the person, not the role.
      requester = await h.bearer('rita', ['approver']);
    });
    afterEach(async () => {
      await h.close();
    });

    const approve = (id: string, authorization = approver) => h.call(authorization, { method: 'POST', url: `/api/v1/runs/${id}/approve` });
    const reject = (id: string, reason: unknown, authorization = approver) =>
      h.call(authorization, { method: 'POST', url: `/api/v1/runs/${id}/reject`, payload: { reason } });

    it('approves a pending run: queued, approver and time recorded, the job run-<id> added once, audited', async () => {
      await h.cases.runs.create(run('r1'));
      const response = await approve('r1');
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json<RunView>()).toMatchObject({ id: 'r1', status: 'queued', decidedBy: 'paul', decidedAt: '2026-03-01T10:00:00.000Z', updatedAt: '2026-03-01T10:00:00.000Z' });
      expect((await h.cases.runs.get('r1'))?.status).toBe('queued');
      const job = await h.queue.get(runJobId('r1'));
      expect(job).toMatchObject({ id: 'run-r1', name: PLAYBOOK_RUN_JOB, state: 'waiting', data: { runId: 'r1' } });

      // Again: idempotent, same run, still one job, no second audit entry.
      h.clock.advance(1000);
      const again = await approve('r1');
      expect(again.statusCode).toBe(200);
      expect(again.json<RunView>().decidedAt).toBe('2026-03-01T10:00:00.000Z');
      expect((await h.queue.counts(PLAYBOOK_RUN_JOB)).waiting).toBe(1);

      const audit = (await h.cases.audit.list()).items;
      expect(audit.map((entry) => entry.action)).toEqual(['run.approve']);
      expect(audit[0]).toMatchObject({ target: { type: 'run', id: 'r1' }, details: { before: { status: 'pending_approval' }, after: { status: 'queued', decidedBy: 'paul' } } });
    });

    it('rejects a pending run with its reason, audited, and queues nothing', async () => {
      await h.cases.runs.create(run('r2'));
      const response = await reject('r2', 'the IP is our VPN gateway');
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json<RunView>()).toMatchObject({ status: 'rejected', decidedBy: 'paul', decisionReason: 'the IP is our VPN gateway' });
      expect(await h.queue.get(runJobId('r2'))).toBeUndefined();
      const audit = (await h.cases.audit.list()).items;
      expect(audit.map((entry) => entry.action)).toEqual(['run.reject']);
      expect(audit[0]).toMatchObject({ details: { before: { status: 'pending_approval' }, after: { status: 'rejected' } } });
      // A rejected run cannot be approved afterwards.
      expect((await approve('r2')).statusCode).toBe(409);
    });

    it('refuses the requester deciding their own run (403 with a catalogue code), even as admin', async () => {
      await h.cases.runs.create(run('r3'));
      const admin = await h.bearer('rita-admin', ['admin']);
      await h.cases.runs.create(run('r4', { requestedBy: 'rita-admin' }));
      for (const [id, authorization, call] of [
        ['r3', requester, 'approve'],
        ['r3', requester, 'reject'],
        ['r4', admin, 'approve'],
      ] as const) {
        const response = call === 'approve' ? await approve(id, authorization) : await reject(id, 'no', authorization);
        expect(response.statusCode, `${call} ${id}`).toBe(403);
        expect(response.json()).toMatchObject({ error: 'forbidden', code: 'WATCHPOST_ERR_RUN_SELF_APPROVAL' });
      }
      expect((await h.cases.runs.get('r3'))?.status).toBe('pending_approval');
      expect(await h.queue.get(runJobId('r3'))).toBeUndefined();
      expect((await h.cases.audit.list()).total).toBe(0);
      // Another admin may.
      const other = await h.bearer('ada', ['admin']);
      expect((await approve('r4', other)).statusCode).toBe(200);
    });

    it('answers 409 for a run not waiting for approval, 404 for an unknown one, 400 for a missing reason', async () => {
      await h.cases.runs.create(run('r5', { status: 'running' }));
      expect((await approve('r5')).statusCode).toBe(409);
      expect((await reject('r5', 'late')).statusCode).toBe(409);
      expect(await h.queue.get(runJobId('r5'))).toBeUndefined();
      expect((await approve('nope')).statusCode).toBe(404);
      await h.cases.runs.create(run('r6'));
      expect((await h.call(approver, { method: 'POST', url: '/api/v1/runs/r6/reject', payload: {} })).statusCode).toBe(400);
      expect((await reject('r6', 'x'.repeat(2001))).statusCode).toBe(400);
      expect((await h.cases.runs.get('r6'))?.status).toBe('pending_approval');
    });

    it('lets a viewer read but not decide (403), and lists with filters and paging', async () => {
      await h.cases.runs.create(run('a', { createdAt: '2026-03-01T09:00:01.000Z' }));
      await h.cases.runs.create(run('b', { playbookId: 'disable-account', trigger: { incidentId: 'inc-1' }, createdAt: '2026-03-01T09:00:02.000Z' }));
      await h.cases.runs.create(run('c', { status: 'succeeded', createdAt: '2026-03-01T09:00:03.000Z' }));
      expect((await approve('a', viewer)).statusCode).toBe(403);
      expect((await reject('a', 'no', viewer)).statusCode).toBe(403);
      expect((await h.cases.runs.get('a'))?.status).toBe('pending_approval');

      const ids = async (query: string) => {
        const response = await h.call(viewer, { method: 'GET', url: `/api/v1/runs${query}` });
        expect(response.statusCode, response.body).toBe(200);
        return response.json<{ items: RunView[]; total: number; nextCursor?: string }>();
      };
      expect((await ids('')).items.map((r) => r.id)).toEqual(['c', 'b', 'a']);
      expect((await ids('?status=pending_approval')).items.map((r) => r.id)).toEqual(['b', 'a']);
      expect((await ids('?playbook=disable-account')).items.map((r) => r.id)).toEqual(['b']);
      expect((await ids('?incident=inc-1')).items.map((r) => r.id)).toEqual(['b']);
      expect((await ids('?alert=alert-c')).items.map((r) => r.id)).toEqual(['c']);
      const first = await ids('?limit=2');
      expect(first.items.map((r) => r.id)).toEqual(['c', 'b']);
      expect(first.total).toBe(3);
      expect((await ids(`?limit=2&cursor=${encodeURIComponent(first.nextCursor ?? '')}`)).items.map((r) => r.id)).toEqual(['a']);
      expect((await h.call(viewer, { method: 'GET', url: '/api/v1/runs?status=bogus' })).statusCode).toBe(400);

      const one = await h.call(viewer, { method: 'GET', url: '/api/v1/runs/b' });
      expect(one.json<RunView>()).toMatchObject({ id: 'b', playbookId: 'disable-account', trigger: { incidentId: 'inc-1' } });
      expect((await h.call(viewer, { method: 'GET', url: '/api/v1/runs/zz' })).statusCode).toBe(404);
    });
  });

  describe(`/api/v1/runs without a job queue (${backend})`, () => {
    it('answers 503 to approval and leaves the run pending', async () => {
      const h = await runsHarness(backend, false);
      try {
        const approver = await h.bearer('paul', ['approver']);
        await h.cases.runs.create(run('q1'));
        expect((await h.call(approver, { method: 'POST', url: '/api/v1/runs/q1/approve' })).statusCode).toBe(503);
        expect((await h.cases.runs.get('q1'))?.status).toBe('pending_approval');
        // What does not need the queue still answers truthfully.
        expect((await h.call(approver, { method: 'POST', url: '/api/v1/runs/nope/approve' })).statusCode).toBe(404);
        await h.cases.runs.create(run('q2', { status: 'succeeded' }));
        expect((await h.call(approver, { method: 'POST', url: '/api/v1/runs/q2/approve' })).statusCode).toBe(409);
      } finally {
        await h.close();
      }
    });
  });
}
