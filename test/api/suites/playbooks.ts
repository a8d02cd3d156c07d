import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PlaybookView } from '../../../api/routes/playbooks/index.js';
import type { RunView } from '../../../api/routes/runs/index.js';
import type { Alert, Incident } from '../../../core/cases/types.js';
import { PLAYBOOK_RUN_JOB, runJobId } from '../../../core/response/jobs.js';
import type { StoreBackend } from '../backends.js';
import { responseHarness, TEST_PLAYBOOKS, type ResponseHarness } from '../response-harness.js';

const AT = '2026-03-01T09:59:00.000Z';

function alert(id: string, entities: Record<string, string>): Alert {
  return {
    id,
    dedupKey: `k-${id}`,
    ruleId: 'watchpost_ssh_brute_force',
    ruleTitle: 'SSH brute force',
    severity: 'high',
    riskScore: 73,
    status: 'new',
    count: 1,
    firstSeen: AT,
    lastSeen: AT,
    entities,
    eventIds: ['e1'],
    explanation: { selections: ['selection'], matches: [] },
    tags: [],
    createdAt: AT,
    updatedAt: AT,
  };
}

function incident(id: string): Incident {
  return { id, title: 'Spraying', status: 'new', severity: 'high', tags: [], alertIds: [], observables: [], tasks: [], createdAt: AT, updatedAt: AT };
}

/** The /api/v1/playbooks API behaviours, on the case store of `backend` (see test/api/backends.ts). */
export function describePlaybooksApi(backend: StoreBackend): void {
  describe(`/api/v1/playbooks (${backend})`, () => {
    let h: ResponseHarness;
    let viewer: string;
    let responder: string;

    beforeEach(async () => {
      h = await responseHarness(backend);
      viewer = await h.bearer('vera', ['viewer']);
      responder = await h.bearer('rob', ['responder']);
      await h.cases.alerts.create(alert('a1', { 'source.ip': '203.0.113.7' }));
      await h.cases.incidents.create(incident('i1'));
    });
    afterEach(async () => {
      await h.close();
    });

    const runPlaybook = (id: string, payload: unknown, authorization = responder) =>
      h.call(authorization, { method: 'POST', url: `/api/v1/playbooks/${id}/run`, payload: payload as Record<string, unknown> });

    it('lists every loaded playbook, enabled or not, with its trigger, steps and source', async () => {
      const response = await h.call(viewer, { method: 'GET', url: '/api/v1/playbooks' });
      expect(response.statusCode, response.body).toBe(200);
      const items = response.json<{ items: PlaybookView[] }>().items;
      expect(items.map((p) => [p.id, p.enabled])).toEqual(TEST_PLAYBOOKS.map((p) => [p.id, p.enabled]));
      expect(items[0]).toMatchObject({
        title: 'Block an SSH brute-forcer',
        author: 'Watchpost',
        trigger: { on: 'alert', rules: ['watchpost_ssh_brute_force'] },
        source: { file: 'playbooks/block-ssh-brute-force.yml', line: 1 },
      });
      expect(items[0]?.steps[0]).toEqual({
        id: 'block',
        action: 'block-ip',
        with: { address: '{{ alert.entities.source.ip }}', reason: 'SSH brute force' },
        drivers: ['edge'],
        approval: 'auto',
        dryRun: false,
        continueOnError: false,
      });
      expect(items[2]?.steps[0]?.approval).toEqual({ requiredIf: { field: 'incident.severity', equals: 'critical' } });

      const one = await h.call(viewer, { method: 'GET', url: '/api/v1/playbooks/disable-account-after-spraying' });
      expect(one.statusCode).toBe(200);
      expect(one.json<PlaybookView>()).toMatchObject({ id: 'disable-account-after-spraying', steps: [{ id: 'disable', approval: 'required' }] });
      const missing = await h.call(viewer, { method: 'GET', url: '/api/v1/playbooks/nope' });
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toMatchObject({ code: 'WATCHPOST_ERR_PLAYBOOK_NOT_FOUND' });
    });

    it('runs a playbook for an alert on a responder’s request: 202, the run queued, requestedBy set, audited', async () => {
      const response = await runPlaybook('block-ssh-brute-force', { alertId: 'a1' });
      expect(response.statusCode, response.body).toBe(202);
      expect(response.headers.location).toBe('/api/v1/runs/block-ssh-brute-force.a1');
      const run = response.json<RunView>();
      expect(run).toMatchObject({ id: 'block-ssh-brute-force.a1', playbookId: 'block-ssh-brute-force', trigger: { alertId: 'a1' }, status: 'queued', requestedBy: 'rob' });
      expect(run.steps.map((step) => step.id)).toEqual(['block', 'tell']);
      expect(await h.queue.get(runJobId(run.id))).toMatchObject({ name: PLAYBOOK_RUN_JOB, data: { runId: run.id } });
      expect((await h.cases.runs.get(run.id))?.requestedBy).toBe('rob');
      // The block step as the runner prepared it: the template rendered, the driver resolved, no approval needed.
      expect(run.steps[0]).toMatchObject({ input: { address: '203.0.113.7', reason: 'SSH brute force' }, drivers: ['edge'], approval: 'auto' });
      const audit = (await h.cases.audit.list()).items;
      expect(audit.map((entry) => [entry.action, entry.target?.id, entry.actor])).toEqual([['run.request', run.id, 'rob']]);
      expect(audit[0]?.details).toMatchObject({ playbookId: 'block-ssh-brute-force', alertId: 'a1' });

      // Asking again while the run is going is the same run (a double click is one run).
      const again = await runPlaybook('block-ssh-brute-force', { alertId: 'a1' });
      expect(again.statusCode).toBe(202);
      expect(again.json<RunView>().id).toBe(run.id);
      expect((await h.cases.runs.list()).total).toBe(1);
    });

    it('a run that waits for approval can never be approved by its requester, but by another approver', async () => {
      // The requester holds the approver role as well: the rule is about the person.
      const requester = await h.bearer('rita', ['approver']);
      const response = await runPlaybook('disable-account-after-spraying', { incidentId: 'i1' }, requester);
      expect(response.statusCode, response.body).toBe(202);
      const run = response.json<RunView>();
      expect(run).toMatchObject({ status: 'pending_approval', trigger: { incidentId: 'i1' }, requestedBy: 'rita' });
      expect(await h.queue.get(runJobId(run.id))).toBeUndefined();

      const own = await h.call(requester, { method: 'POST', url: `/api/v1/runs/${run.id}/approve` });
      expect(own.statusCode).toBe(403);
      expect(own.json()).toMatchObject({ code: 'WATCHPOST_ERR_RUN_SELF_APPROVAL' });
      const other = await h.call(await h.bearer('paul', ['approver']), { method: 'POST', url: `/api/v1/runs/${run.id}/approve?step=disable` });
      expect(other.statusCode, other.body).toBe(200);
      expect(other.json<RunView>()).toMatchObject({ status: 'queued', decidedBy: 'paul' });
      expect(await h.queue.get(runJobId(run.id))).toMatchObject({ data: { runId: run.id } });
    });

    it('refuses bad requests: role, subject, unknown or disabled playbook, unknown alert', async () => {
      // A viewer may read but not run.
      expect((await runPlaybook('block-ssh-brute-force', { alertId: 'a1' }, viewer)).statusCode).toBe(403);
      // Exactly one of alertId and incidentId.
      expect((await runPlaybook('block-ssh-brute-force', {})).statusCode).toBe(400);
      expect((await runPlaybook('block-ssh-brute-force', { alertId: 'a1', incidentId: 'i1' })).statusCode).toBe(400);
      expect((await runPlaybook('block-ssh-brute-force', { alertId: 'x'.repeat(201) })).statusCode).toBe(400);
      const unknown = await runPlaybook('nope', { alertId: 'a1' });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json()).toMatchObject({ code: 'WATCHPOST_ERR_PLAYBOOK_NOT_FOUND' });
      const disabled = await runPlaybook('switched-off', { incidentId: 'i1' });
      expect(disabled.statusCode).toBe(404);
      expect(disabled.json()).toMatchObject({ code: 'WATCHPOST_ERR_PLAYBOOK_NOT_FOUND' });
      expect((await runPlaybook('block-ssh-brute-force', { alertId: 'no-such-alert' })).statusCode).toBe(404);
      expect((await h.cases.runs.list()).total).toBe(0);
      expect((await h.cases.audit.list()).total).toBe(0);
    });
  });

  describe(`/api/v1/playbooks without the response service (${backend})`, () => {
    it('answers 503', async () => {
      const h = await responseHarness(backend, { response: false });
      try {
        const responder = await h.bearer('rob', ['responder']);
        expect((await h.call(responder, { method: 'GET', url: '/api/v1/playbooks' })).statusCode).toBe(503);
        expect((await h.call(responder, { method: 'GET', url: '/api/v1/playbooks/x' })).statusCode).toBe(503);
        expect((await h.call(responder, { method: 'POST', url: '/api/v1/playbooks/x/run', payload: { alertId: 'a1' } })).statusCode).toBe(503);
      } finally {
        await h.close();
      }
    });
  });
}
