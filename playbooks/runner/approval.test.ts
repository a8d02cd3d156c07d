import { afterEach, describe, expect, it } from 'vitest';
import { SqliteCaseStore } from '../../backends/sqlite/case-store.js';
import { openSqliteDatabase } from '../../backends/sqlite/database.js';
import { SqliteJobQueue } from '../../backends/sqlite/job-queue.js';
import type { Clock } from '../../core/clock.js';
import { BREAKER_RULE_ID } from '../safety/index.js';
import { runIdFor } from './index.js';
import { auditOf, blockStep, playbook, responseConfig, seedAlert, startTestResponse, timelineOf, trigger, waitFor, waitForRun, type TestResponse } from './testdata/harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await (cleanups.pop() as () => Promise<void>)();
});

function openStores() {
  const db = openSqliteDatabase(':memory:');
  const stores = { cases: new SqliteCaseStore(db), queue: new SqliteJobQueue(db, { pollIntervalMs: 20 }) };
  cleanups.push(async () => {
    await stores.queue.close();
    db.close();
  });
  return stores;
}

function start(stores: ReturnType<typeof openStores>, options: Omit<Parameters<typeof startTestResponse>[0], 'cases' | 'queue'>): TestResponse {
  const response = startTestResponse({ cases: stores.cases, queue: stores.queue, ...options });
  cleanups.push(() => response.service.close());
  return response;
}

/** The wall clock moved on by `shift` ms: lets a test step past the safety layer's list cache. */
function shiftedClock(): Clock & { shift: number } {
  const clock = { shift: 0, now: () => Date.now() + clock.shift };
  return clock;
}

const APPROVED_BLOCK = playbook('approve-me', [blockStep({ approval: 'required' })]);

describe('approvals', () => {
  it('parks a run whose step needs approval, and runs it once another user approves', async () => {
    const stores = openStores();
    const { driver, service } = start(stores, { playbooks: [APPROVED_BLOCK] });
    const { alert, incident } = await seedAlert(stores.cases, '203.0.113.7');
    await trigger(stores.queue, alert);
    const runId = runIdFor('approve-me', alert.id);
    const pending = await waitForRun(stores.cases, runId, ['pending_approval']);
    expect(pending.steps[0]).toMatchObject({ status: 'pending_approval', approval: 'required', approvalReasons: ['playbook'] });
    expect(Date.parse(pending.approvalExpiresAt ?? '') - Date.parse(pending.createdAt)).toBe(30 * 60_000);
    expect(driver.calls).toEqual([]);
    expect(await auditOf(stores.cases, 'response.approval_required')).toHaveLength(1);
    expect((await timelineOf(stores.cases, incident.id)).map((e) => e.body)).toEqual(['Waiting for approval to block 203.0.113.7 on edge (playbook)']);

    const approved = await service.approveStep(runId, 'alice');
    expect(approved).toMatchObject({ status: 'queued', decidedBy: 'alice' });
    const done = await waitForRun(stores.cases, runId, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect(done.steps[0]).toMatchObject({ status: 'succeeded', approvedBy: 'alice' });
    expect(driver.executes('block-ip')).toHaveLength(1);
    expect(await auditOf(stores.cases, 'run.approve')).toEqual([expect.objectContaining({ actor: 'alice' })]);
    await expect(service.approveStep(runId, 'carol')).rejects.toMatchObject({ code: 'WATCHPOST_ERR_STORE_CONFLICT' });
  });

  it('never lets the requester decide their own run; another user may reject it', async () => {
    const stores = openStores();
    const { driver, service } = start(stores, { playbooks: [APPROVED_BLOCK] });
    const { alert } = await seedAlert(stores.cases, '203.0.113.8');
    const run = await service.requestRun('approve-me', { alertId: alert.id }, 'bob');
    expect(run).toMatchObject({ status: 'pending_approval', requestedBy: 'bob' });
    await expect(service.approveStep(run.id, 'bob')).rejects.toMatchObject({ code: 'WATCHPOST_ERR_RUN_SELF_APPROVAL' });
    await expect(service.rejectStep(run.id, 'bob', 'no')).rejects.toMatchObject({ code: 'WATCHPOST_ERR_RUN_SELF_APPROVAL' });
    expect((await stores.cases.runs.get(run.id))?.status).toBe('pending_approval');
    // Asking again while it waits is the same run.
    expect((await service.requestRun('approve-me', { alertId: alert.id }, 'bob')).id).toBe(run.id);
    const rejected = await service.rejectStep(run.id, 'carol', 'a customer address');
    expect(rejected).toMatchObject({ status: 'rejected', decidedBy: 'carol', decisionReason: 'a customer address' });
    expect(rejected.steps[0]).toMatchObject({ status: 'rejected', rejectedBy: 'carol' });
    expect(driver.calls).toEqual([]);
    expect(await auditOf(stores.cases, 'run.request')).toEqual([expect.objectContaining({ actor: 'bob' })]);
    expect(await auditOf(stores.cases, 'run.reject')).toEqual([expect.objectContaining({ actor: 'carol' })]);
    // Once it ended, asking again makes a new run.
    expect((await service.requestRun('approve-me', { alertId: alert.id }, 'bob')).id).toBe(`${run.id}.r2`);
  });

  it('cancels a run whose approval came too late, and says so', async () => {
    const stores = openStores();
    const { driver, service } = start(stores, { playbooks: [APPROVED_BLOCK], config: responseConfig({ approvalTimeoutMs: 200 }) });
    const { alert } = await seedAlert(stores.cases, '203.0.113.9');
    await trigger(stores.queue, alert);
    const runId = runIdFor('approve-me', alert.id);
    await waitForRun(stores.cases, runId, ['pending_approval']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(service.approveStep(runId, 'alice')).rejects.toThrow(/expired .* the run was cancelled/);
    const run = await stores.cases.runs.get(runId);
    expect(run).toMatchObject({ status: 'cancelled', decisionReason: 'approval expired' });
    expect(run?.steps[0]?.status).toBe('cancelled');
    expect(driver.calls).toEqual([]);
    expect(await auditOf(stores.cases, 'run.cancel')).toHaveLength(1);
  });
});

describe('safety', () => {
  it('refuses a never-block address when the run is queued: the step fails as refused and nothing is called', async () => {
    const stores = openStores();
    const { driver, metrics: _metrics } = start(stores, {
      playbooks: [playbook('block-brute', [blockStep()])],
      config: responseConfig({}, { neverBlock: ['203.0.113.0/24'] }),
    });
    const { alert, incident } = await seedAlert(stores.cases, '203.0.113.7');
    await trigger(stores.queue, alert);
    const run = await waitForRun(stores.cases, runIdFor('block-brute', alert.id), ['failed', 'succeeded']);
    expect(run.status).toBe('failed');
    expect(run.steps[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/^refused: /) });
    expect(driver.calls).toEqual([]);
    expect(await auditOf(stores.cases, 'response.refused')).toEqual([expect.objectContaining({ outcome: 'failure', actor: 'playbook:block-brute' })]);
    expect((await timelineOf(stores.cases, incident.id))[0]?.body).toMatch(/^Refused to block 203\.0\.113\.7 on edge: /);
  });

  it('refuses at execution an address put on the never-block list after the run was queued', async () => {
    const stores = openStores();
    const clock = shiftedClock();
    const { driver, service } = start(stores, { playbooks: [APPROVED_BLOCK], clock });
    const { alert } = await seedAlert(stores.cases, '198.51.100.4');
    await trigger(stores.queue, alert);
    const runId = runIdFor('approve-me', alert.id);
    await waitForRun(stores.cases, runId, ['pending_approval']);
    const now = new Date().toISOString();
    await stores.cases.neverBlock.create({ id: 'partner', value: '198.51.100.0/24', note: 'partner VPN', createdBy: 'admin', createdAt: now, updatedAt: now });
    clock.shift = 10_000;
    await service.approveStep(runId, 'alice');
    const run = await waitForRun(stores.cases, runId, ['failed', 'succeeded']);
    expect(run.status).toBe('failed');
    expect(run.steps[0]).toMatchObject({ status: 'failed', approvedBy: 'alice', error: expect.stringMatching(/^refused: .*198\.51\.100\.0\/24/) });
    expect(driver.calls).toEqual([]);
    expect(await auditOf(stores.cases, 'response.refused')).toHaveLength(1);
  });

  it('opens the circuit breaker at the 21st automatic block in a minute: that block waits for approval, and an alert says so', async () => {
    const stores = openStores();
    const { driver, service } = start(stores, { playbooks: [playbook('block-brute', [blockStep()])], concurrency: 1 });
    const alerts = [];
    for (let i = 1; i <= 21; i++) alerts.push((await seedAlert(stores.cases, `203.0.113.${i}`)).alert);
    for (const alert of alerts) await trigger(stores.queue, alert);
    const runs = await waitFor(async () => {
      const page = await stores.cases.runs.list({ limit: 100 });
      return page.items.length === 21 && page.items.every((run) => run.status === 'succeeded' || run.status === 'pending_approval') ? page.items : undefined;
    }, 'every run to settle', 30_000);
    const waiting = runs.filter((run) => run.status === 'pending_approval');
    expect(runs.filter((run) => run.status === 'succeeded')).toHaveLength(20);
    expect(waiting).toHaveLength(1);
    expect(waiting[0]?.steps[0]?.approvalReasons).toEqual(['breaker-open']);
    expect(driver.executes('block-ip')).toHaveLength(20);
    const breakerAlerts = (await stores.cases.alerts.list({ filter: { op: 'eq', field: 'ruleId', value: BREAKER_RULE_ID } })).items;
    expect(breakerAlerts).toHaveLength(1);
    expect((await service.approveStep(waiting[0]?.id ?? '', 'alice')).status).toBe('queued');
    const approved = await waitForRun(stores.cases, waiting[0]?.id ?? '', ['succeeded', 'failed']);
    expect(approved.status).toBe('succeeded');
    expect(driver.executes('block-ip')).toHaveLength(21);
  });
});
