import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunView } from '../../../api/routes/runs/index.js';
import type { PlaybookRun } from '../../../core/cases/types.js';
import { PLAYBOOK_RUN_JOB, runJobId } from '../../../core/response/jobs.js';
import type { StoreBackend } from '../backends.js';
import { responseHarness, type ResponseHarness } from '../response-harness.js';

function run(id: string, overrides: Partial<PlaybookRun> = {}): PlaybookRun {
  return {
    id,
    playbookId: 'block-ip',
    trigger: { alertId: `alert-${id}` },
    status: 'pending_approval',
    steps: [{ id: 'block', action: 'block-ip', status: 'pending_approval', dryRun: false, attempts: 0, approval: 'required', input: { address: '203.0.113.7', ttlSeconds: 3600, reason: 'scan' }, drivers: ['edge'] }],
    currentStep: 0,
    requestedBy: 'rita',
    createdAt: '2026-03-01T09:00:00.000Z',
    updatedAt: '2026-03-01T09:00:00.000Z',
    ...overrides,
  };
}

/** The /api/v1/runs API behaviours, on the case store of `backend` (see test/api/backends.ts). */
export function describeRunsApi(backend: StoreBackend): void {
  describe(`/api/v1/runs (${backend})`, () => {
    let h: ResponseHarness;
    let viewer: string;
    let approver: string;
    let requester: string;

    beforeEach(async () => {
      h = await responseHarness(backend);
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

    it('approves the step a run waits at: queued, approver recorded on run and step, the job run-<id> added once, audited', async () => {
      await h.cases.runs.create(run('r1'));
      const response = await approve('r1');
      expect(response.statusCode, response.body).toBe(200);
      const view = response.json<RunView>();
      expect(view).toMatchObject({ id: 'r1', status: 'queued', decidedBy: 'paul', decidedAt: '2026-03-01T10:00:00.000Z', updatedAt: '2026-03-01T10:00:00.000Z', currentStep: 0 });
      // The step's resolved input, drivers and approval are part of the answer.
      expect(view.steps[0]).toMatchObject({ id: 'block', approvedBy: 'paul', approval: 'required', input: { address: '203.0.113.7' }, drivers: ['edge'] });
      expect((await h.cases.runs.get('r1'))?.status).toBe('queued');
      const job = await h.queue.get(runJobId('r1'));
      expect(job).toMatchObject({ id: 'run-r1', name: PLAYBOOK_RUN_JOB, state: 'waiting', data: { runId: 'r1' } });

      // Again (a retry, a double click): the decision stands, the job is only re-added (one job), nothing more audited.
      h.clock.advance(1000);
      const again = await approve('r1', await h.bearer('ann', ['approver']));
      expect(again.statusCode, again.body).toBe(200);
      expect(again.json<RunView>()).toMatchObject({ decidedBy: 'paul', decidedAt: '2026-03-01T10:00:00.000Z' });
      expect((await h.queue.counts(PLAYBOOK_RUN_JOB)).waiting).toBe(1);

      const audit = (await h.cases.audit.list()).items;
      expect(audit.map((entry) => entry.action)).toEqual(['run.approve']);
      expect(audit[0]).toMatchObject({ actor: 'paul', target: { type: 'run', id: 'r1' }, details: { stepId: 'block', action: 'block-ip', input: { address: '203.0.113.7' } } });
    });

    it('approves a later step of a multi-approval run: its own job run-<id>-s<n>; ?step= must name the waiting step', async () => {
      const first = { id: 'block', action: 'block-ip', status: 'succeeded', dryRun: false, attempts: 1, approval: 'required', approvedBy: 'ann' } as const;
      const second = { id: 'disable', action: 'disable-account', status: 'pending_approval', dryRun: false, attempts: 0, approval: 'required', approvalReasons: ['accounts'] } as const;
      await h.cases.runs.create(run('m1', { steps: [first, second], currentStep: 1 }));
      // The approver saw the first step waiting; the run has moved on since: refused, unchanged.
      const stale = await h.call(approver, { method: 'POST', url: '/api/v1/runs/m1/approve?step=block' });
      expect(stale.statusCode, stale.body).toBe(409);
      expect((await h.cases.runs.get('m1'))?.status).toBe('pending_approval');

      const response = await h.call(approver, { method: 'POST', url: '/api/v1/runs/m1/approve?step=disable' });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json<RunView>().steps.map((step) => step.approvedBy)).toEqual(['ann', 'paul']);
      expect(response.json<RunView>().steps[1]?.approvalReasons).toEqual(['accounts']);
      expect(await h.queue.get(runJobId('m1'))).toBeUndefined();
      expect(await h.queue.get(runJobId('m1', 1))).toMatchObject({ id: 'run-m1-s1', data: { runId: 'm1' } });
    });

    it('rejects a pending run with its reason, audited, and queues nothing', async () => {
      await h.cases.runs.create(run('r2'));
      const response = await reject('r2', 'the IP is our VPN gateway');
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json<RunView>()).toMatchObject({ status: 'rejected', decidedBy: 'paul', decisionReason: 'the IP is our VPN gateway' });
      expect(response.json<RunView>().steps[0]).toMatchObject({ status: 'rejected', rejectedBy: 'paul', reason: 'the IP is our VPN gateway' });
      expect(await h.queue.get(runJobId('r2'))).toBeUndefined();
      const audit = (await h.cases.audit.list()).items;
      expect(audit.map((entry) => entry.action)).toEqual(['run.reject']);
      expect(audit[0]).toMatchObject({ actor: 'paul', target: { type: 'run', id: 'r2' }, details: { stepId: 'block', reason: 'the IP is our VPN gateway' } });
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

  describe(`/api/v1/runs without the response service (${backend})`, () => {
    it('answers 503 to approval and rejection and leaves the run pending', async () => {
      const h = await responseHarness(backend, { response: false });
      try {
        const approver = await h.bearer('paul', ['approver']);
        await h.cases.runs.create(run('q1'));
        expect((await h.call(approver, { method: 'POST', url: '/api/v1/runs/q1/approve' })).statusCode).toBe(503);
        expect((await h.call(approver, { method: 'POST', url: '/api/v1/runs/q1/reject', payload: { reason: 'no' } })).statusCode).toBe(503);
        expect((await h.cases.runs.get('q1'))?.status).toBe('pending_approval');
        expect(await h.queue.get(runJobId('q1'))).toBeUndefined();
        // What does not need the service still answers truthfully.
        expect((await h.call(approver, { method: 'POST', url: '/api/v1/runs/nope/approve' })).statusCode).toBe(404);
        await h.cases.runs.create(run('q2', { status: 'succeeded' }));
        expect((await h.call(approver, { method: 'POST', url: '/api/v1/runs/q2/approve' })).statusCode).toBe(409);
        expect((await h.call(approver, { method: 'GET', url: '/api/v1/runs/q2' })).statusCode).toBe(200);
      } finally {
        await h.close();
      }
    });
  });
}
