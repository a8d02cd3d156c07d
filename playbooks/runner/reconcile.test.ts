import { afterEach, describe, expect, it } from 'vitest';
import { SqliteCaseStore } from '../../backends/sqlite/case-store.js';
import { openSqliteDatabase } from '../../backends/sqlite/database.js';
import { SqliteJobQueue } from '../../backends/sqlite/job-queue.js';
import type { PlaybookRun } from '../../core/cases/types.js';
import { RECONCILE_JOB, runJobId } from '../../core/response/jobs.js';
import { blockIdFor, expiryJobId, reconcileJobId, runIdFor } from './index.js';
import { STALE_RUN_MS } from './reconcile.js';
import { auditOf, blockStep, playbook, responseConfig, seedAlert, startTestResponse, trigger, waitFor, waitForRun, type TestResponse } from './testdata/harness.js';

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

/** The service with reconciliation left to the test (the timer's first pass runs at start, on empty stores). */
function start(stores: ReturnType<typeof openStores>, options: Partial<Parameters<typeof startTestResponse>[0]> = {}): TestResponse {
  const response = startTestResponse({
    cases: stores.cases,
    queue: stores.queue,
    playbooks: [playbook('block-brute', [blockStep()]), playbook('short-block', [blockStep({}, '1s')], { trigger: { on: 'alert', rules: ['short_rule'] } })],
    config: responseConfig({ reconcileIntervalMs: 3_600_000, approvalTimeoutMs: 150 }),
    ...options,
  });
  cleanups.push(() => response.service.close());
  return response;
}

async function blocked(stores: ReturnType<typeof openStores>, ip: string, rule = 'test_rule') {
  const { alert } = await seedAlert(stores.cases, ip, { ruleId: rule });
  await trigger(stores.queue, alert);
  const run = await waitForRun(stores.cases, runIdFor(rule === 'test_rule' ? 'block-brute' : 'short-block', alert.id), ['succeeded', 'failed']);
  expect(run.status).toBe('succeeded');
  const block = await stores.cases.blocks.get(blockIdFor('edge', ip));
  if (!block) throw new Error('no block recorded');
  return block;
}

describe('reconciliation', () => {
  it('adds one reconcile job per interval when it starts', async () => {
    const stores = openStores();
    start(stores);
    const slot = Math.floor(Date.now() / 3_600_000);
    const job = await waitFor(async () => {
      const info = await stores.queue.get(reconcileJobId(slot));
      return info?.state === 'completed' ? info : undefined;
    }, 'the first reconcile job');
    expect(job).toMatchObject({ name: RECONCILE_JOB, result: { expired: 0, reapplied: 0, cancelledRuns: 0 } });
  });

  it('undoes an expired block whose expiry job was lost', async () => {
    const stores = openStores();
    const { service, driver } = start(stores);
    const block = await blocked(stores, '203.0.113.50', 'short_rule');
    expect(await stores.queue.cancel(expiryJobId(block.id, block.expiresAt ?? ''))).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(driver.state.has('ip:203.0.113.50')).toBe(true);
    const report = await service.reconcile();
    expect(report).toMatchObject({ expired: 1, reapplied: 0, errors: 0 });
    expect(await stores.cases.blocks.get(block.id)).toMatchObject({ state: 'released', releasedBy: 'reconcile' });
    expect(driver.state.has('ip:203.0.113.50')).toBe(false);
  });

  it('adds again the expiry job of an active block whose job was lost, once', async () => {
    const stores = openStores();
    const { service } = start(stores);
    const block = await blocked(stores, '203.0.113.53');
    const jobId = expiryJobId(block.id, block.expiresAt ?? '');
    expect(await stores.queue.cancel(jobId)).toBe(true);
    expect(await stores.queue.get(jobId)).toBeUndefined();
    expect(await service.reconcile()).toMatchObject({ rescheduled: 1, expired: 0, errors: 0 });
    expect(await stores.queue.get(jobId)).toMatchObject({ state: 'delayed', data: { blockId: block.id, expiresAt: block.expiresAt } });
    expect(await service.reconcile()).toMatchObject({ rescheduled: 0 });
  });

  it('puts back a block missing on its device for the time it has left, and records blocks seen in force', async () => {
    const stores = openStores();
    const { service, driver } = start(stores);
    const kept = await blocked(stores, '203.0.113.51');
    const lost = await blocked(stores, '203.0.113.52');
    driver.state.delete('ip:203.0.113.52');
    const report = await service.reconcile();
    expect(report).toMatchObject({ expired: 0, reapplied: 1, verified: 1, errors: 0 });
    expect(driver.state.has('ip:203.0.113.52')).toBe(true);
    const reapply = driver.executes('block-ip').at(-1);
    expect(reapply?.input.address).toBe('203.0.113.52');
    expect(reapply?.input.ttlSeconds).toBeGreaterThan(4 * 3600 - 60);
    expect(reapply?.input.ttlSeconds).toBeLessThanOrEqual(4 * 3600);
    expect(await auditOf(stores.cases, 'response.reapply')).toEqual([expect.objectContaining({ outcome: 'success', target: { type: 'block', id: lost.id } })]);
    expect((await stores.cases.blocks.get(kept.id))?.verifiedAt).toBeDefined();
    expect((await stores.cases.blocks.get(lost.id))?.state).toBe('active');
  });

  it('cancels runs whose approval deadline passed', async () => {
    const stores = openStores();
    const { service } = start(stores, { playbooks: [playbook('block-brute', [blockStep({ approval: 'required' })])] });
    const { alert } = await seedAlert(stores.cases, '203.0.113.53');
    await trigger(stores.queue, alert);
    const runId = runIdFor('block-brute', alert.id);
    await waitForRun(stores.cases, runId, ['pending_approval']);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await service.reconcile()).cancelledRuns).toBe(1);
    expect((await stores.cases.runs.get(runId))?.status).toBe('cancelled');
    expect((await service.reconcile()).cancelledRuns).toBe(0);
  });

  it('queues again a run left queued without a job', async () => {
    const stores = openStores();
    const { service, driver } = start(stores);
    const { alert } = await seedAlert(stores.cases, '203.0.113.54');
    const old = new Date(Date.now() - STALE_RUN_MS - 1000).toISOString();
    const run: PlaybookRun = {
      id: runIdFor('block-brute', alert.id),
      playbookId: 'block-brute',
      trigger: { alertId: alert.id },
      status: 'queued',
      steps: [{ id: 'block', action: 'block-ip', status: 'queued', dryRun: false, attempts: 0, drivers: ['edge'] }],
      currentStep: 0,
      createdAt: old,
      updatedAt: old,
    };
    await stores.cases.runs.create(run);
    await service.reconcile();
    expect((await stores.queue.get(runJobId(run.id)))?.name).toBe('playbook-run');
    expect((await waitForRun(stores.cases, run.id, ['succeeded', 'failed'])).status).toBe('succeeded');
    expect(driver.state.has('ip:203.0.113.54')).toBe(true);
  });
});

describe('releaseBlock', () => {
  it('undoes a block by hand, records who released it and drops its expiry job', async () => {
    const stores = openStores();
    const { service, driver } = start(stores);
    const block = await blocked(stores, '203.0.113.55');
    const released = await service.releaseBlock(block.id, 'alice');
    expect(released).toMatchObject({ state: 'released', releasedBy: 'alice' });
    expect(released).not.toHaveProperty('rev');
    expect(driver.state.has('ip:203.0.113.55')).toBe(false);
    expect(await stores.queue.get(expiryJobId(block.id, block.expiresAt ?? ''))).toBeUndefined();
    expect(await auditOf(stores.cases, 'response.undo')).toEqual([expect.objectContaining({ actor: 'alice' })]);
    expect(await service.releaseBlock(block.id, 'bob')).toMatchObject({ releasedBy: 'alice' });
    await expect(service.releaseBlock('edge:192.0.2.1', 'alice')).rejects.toMatchObject({ code: 'WATCHPOST_ERR_STORE_NOT_FOUND' });
  });
});
