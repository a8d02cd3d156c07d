import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteCaseStore } from '../../backends/sqlite/case-store.js';
import { openSqliteDatabase, type SqliteDatabase } from '../../backends/sqlite/database.js';
import { SqliteJobQueue } from '../../backends/sqlite/job-queue.js';
import { runJobId } from '../../core/response/jobs.js';
import { blockIdFor, expiryJobId, runIdFor } from './index.js';
import {
  auditOf,
  blockStep,
  metricValue,
  playbook,
  ProbeDriver,
  seedAlert,
  startTestResponse,
  step,
  timelineOf,
  trigger,
  waitFor,
  waitForRun,
  type TestResponse,
} from './testdata/harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await (cleanups.pop() as () => Promise<void>)();
});

/** A SQLite file with the case store and the embedded queue on it; `handle()` opens another connection, as another process would. */
function openStores() {
  const dir = mkdtempSync(join(tmpdir(), 'wp-runner-'));
  const file = join(dir, 'watchpost.db');
  const handles: { db: SqliteDatabase; queue: SqliteJobQueue }[] = [];
  const handle = () => {
    const db = openSqliteDatabase(file);
    const opened = { db, cases: new SqliteCaseStore(db), queue: new SqliteJobQueue(db, { pollIntervalMs: 20, leaseMs: 600 }) };
    handles.push(opened);
    return opened;
  };
  cleanups.push(async () => {
    for (const { db, queue } of handles) {
      await queue.close();
      if (db.open) db.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return { ...handle(), handle };
}

function start(stores: ReturnType<typeof openStores>, options: Omit<Parameters<typeof startTestResponse>[0], 'cases' | 'queue'>): TestResponse {
  const response = startTestResponse({ cases: stores.cases, queue: stores.queue, ...options });
  cleanups.push(() => response.service.close());
  return response;
}

const NOTIFY = step({ id: 'notify', action: 'notify', with: { subject: 'Blocked {{ alert.entities.source.ip }}', message: 'see {{ alert.ruleTitle }}' } });

describe('playbook runner on SQLite', () => {
  it('turns an alert trigger into one verified block with its TTL, desired state, expiry job, timeline and audit, once', async () => {
    const stores = openStores();
    const { driver, metrics } = start(stores, { playbooks: [playbook('block-brute', [blockStep(), NOTIFY])] });
    const { alert, incident } = await seedAlert(stores.cases, '203.0.113.7');
    await trigger(stores.queue, alert);
    const runId = runIdFor('block-brute', alert.id);
    const run = await waitForRun(stores.cases, runId, ['succeeded', 'failed']);
    expect(run.status).toBe('succeeded');
    expect(run.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded']);
    const block = run.steps[0];
    expect(block?.outcomes).toEqual([expect.objectContaining({ driver: 'edge', status: 'succeeded', verified: true })]);
    expect(block?.attempts).toBe(1);
    expect(driver.executes('block-ip').map((c) => c.input)).toEqual([{ address: '203.0.113.7', ttlSeconds: 4 * 3600, reason: 'brute force from 203.0.113.7' }]);
    expect(driver.executes('block-ip')[0]?.idempotencyKey).toBe(`${runId}.block.edge`);

    const state = await stores.cases.blocks.get(blockIdFor('edge', '203.0.113.7'));
    expect(state).toMatchObject({ kind: 'ip', target: '203.0.113.7', driver: 'edge', state: 'active', offense: 1, runId, alertIds: [alert.id], createdBy: `run:${runId}` });
    expect(state?.verifiedAt).toBeDefined();
    const ttlMs = Date.parse(state?.expiresAt ?? '') - Date.parse(state?.createdAt ?? '');
    expect(ttlMs).toBe(4 * 3600 * 1000);
    expect((await stores.queue.get(expiryJobId(state?.id ?? '', state?.expiresAt ?? '')))?.state).toBe('delayed');

    // A second delivery of the trigger (another id, as a replay would make) finds the same run.
    await stores.queue.add({ name: 'playbook-trigger', id: `alert-${alert.id}-again`, data: { trigger: 'alert.created', alertId: alert.id, ruleKey: 'test_rule', severity: 'high', entities: alert.entities } });
    await waitFor(async () => ((await stores.queue.get(`alert-${alert.id}-again`))?.state === 'completed' ? true : undefined), 'the duplicate trigger');
    expect(driver.executes('block-ip')).toHaveLength(1);
    expect((await stores.cases.runs.list()).total).toBe(1);

    const timeline = await timelineOf(stores.cases, incident.id);
    expect(timeline.map((e) => e.id).sort()).toEqual([`${runId}.block.succeeded`, `${runId}.notify.succeeded`]);
    expect(timeline.find((e) => e.id === `${runId}.block.succeeded`)).toMatchObject({ kind: 'action', actor: 'playbook:block-brute', body: 'Blocked 203.0.113.7 on edge for 4 h (verified)' });
    const executed = await auditOf(stores.cases, 'response.execute');
    expect(executed).toHaveLength(2);
    expect(executed.find((e) => e.details?.stepId === 'block')).toMatchObject({ actor: 'playbook:block-brute', outcome: 'success', details: { alertIds: [alert.id] } });
    expect(await metricValue(metrics, 'watchpost_response_steps_total', { action: 'block-ip', outcome: 'succeeded' })).toBe(1);
    expect(await metricValue(metrics, 'watchpost_response_trigger_to_start_seconds_count')).toBe(1);
  });

  it('undoes the block when its TTL is up: unblocked on the device, verified, recorded released by expiry', async () => {
    const stores = openStores();
    const { driver } = start(stores, { playbooks: [playbook('short-block', [blockStep({}, '1s')])] });
    const { alert, incident } = await seedAlert(stores.cases, '198.51.100.23');
    await trigger(stores.queue, alert);
    const runId = runIdFor('short-block', alert.id);
    await waitForRun(stores.cases, runId, ['succeeded']);
    expect(driver.executes('block-ip')[0]?.input).toMatchObject({ ttlSeconds: 1 });
    expect(driver.executes('block-ip')[0]?.input).not.toHaveProperty('duration');
    const released = await waitFor(async () => {
      const block = await stores.cases.blocks.get(blockIdFor('edge', '198.51.100.23'));
      return block?.state === 'released' ? block : undefined;
    }, 'the expiry');
    expect(released.releasedBy).toBe('expiry');
    expect(driver.state.has('ip:198.51.100.23')).toBe(false);
    expect(driver.executes('unblock-ip')).toHaveLength(1);
    expect(await auditOf(stores.cases, 'response.undo')).toEqual([expect.objectContaining({ actor: 'system', target: { type: 'block', id: released.id } })]);
    const timeline = await timelineOf(stores.cases, incident.id);
    expect(timeline.some((e) => /^Unblocked 198\.51\.100\.23 on edge \(block expired\)$/.test(e.body ?? ''))).toBe(true);
  });

  it('retries a transient driver failure with backoff (attempts 2) and fails a permanent one at once', async () => {
    const stores = openStores();
    const { driver } = start(stores, { playbooks: [playbook('block-brute', [blockStep()])] });
    driver.failures.push('transient');
    const first = await seedAlert(stores.cases, '203.0.113.20');
    await trigger(stores.queue, first.alert);
    const retried = await waitForRun(stores.cases, runIdFor('block-brute', first.alert.id), ['succeeded', 'failed']);
    expect(retried.status).toBe('succeeded');
    expect(retried.steps[0]?.attempts).toBe(2);
    expect(driver.executes('block-ip')).toHaveLength(2);
    expect((await stores.queue.get(runJobId(retried.id)))?.attemptsMade).toBe(2);

    driver.failures.push('permanent');
    const second = await seedAlert(stores.cases, '203.0.113.21');
    await trigger(stores.queue, second.alert);
    const failed = await waitForRun(stores.cases, runIdFor('block-brute', second.alert.id), ['succeeded', 'failed']);
    expect(failed.status).toBe('failed');
    expect(failed.steps[0]).toMatchObject({ status: 'failed', attempts: 1, error: expect.stringContaining('403 forbidden') });
    await waitFor(async () => ((await stores.queue.get(runJobId(failed.id)))?.state === 'completed' ? true : undefined), 'the run job to end');
    expect((await stores.queue.get(runJobId(failed.id)))?.attemptsMade).toBe(1);
    expect(driver.executes('block-ip')).toHaveLength(3);
    expect((await stores.cases.blocks.get(blockIdFor('edge', '203.0.113.21')))?.state).toBe('failed');
    expect(await auditOf(stores.cases, 'response.failed')).toEqual([expect.objectContaining({ outcome: 'failure', details: expect.objectContaining({ stepId: 'block' }) })]);
  });

  it('in dry-run calls no driver, records no block and says what it would do', async () => {
    const stores = openStores();
    const { driver, metrics } = start(stores, { playbooks: [playbook('pretend', [blockStep()], { dryRun: true })] });
    const { alert, incident } = await seedAlert(stores.cases, '203.0.113.7');
    await trigger(stores.queue, alert);
    const run = await waitForRun(stores.cases, runIdFor('pretend', alert.id), ['succeeded', 'failed']);
    expect(run).toMatchObject({ status: 'succeeded', dryRun: true });
    expect(run.steps[0]).toMatchObject({ status: 'skipped', outcomes: [expect.objectContaining({ driver: 'edge', status: 'skipped', detail: { dryRun: true, wouldDo: 'block 203.0.113.7 on edge for 4 h' } })] });
    expect(driver.calls).toEqual([]);
    expect((await stores.cases.blocks.list()).total).toBe(0);
    expect((await timelineOf(stores.cases, incident.id)).map((e) => e.body)).toEqual(['Dry run: would block 203.0.113.7 on edge for 4 h']);
    expect(await metricValue(metrics, 'watchpost_response_steps_total', { action: 'block-ip', outcome: 'dry_run' })).toBe(1);
  });

  it('skips a step no driver serves, naming the action, and goes on', async () => {
    const stores = openStores();
    const notifier = new ProbeDriver('mail');
    Object.assign(notifier, { actions: ['notify'] });
    start(stores, { playbooks: [playbook('unconfigured', [blockStep(), NOTIFY])], drivers: [notifier] });
    const { alert, incident } = await seedAlert(stores.cases, '203.0.113.7');
    await trigger(stores.queue, alert);
    const run = await waitForRun(stores.cases, runIdFor('unconfigured', alert.id), ['succeeded', 'failed']);
    expect(run.steps.map((s) => [s.status, s.reason])).toEqual([
      ['skipped', 'no driver configured for block-ip'],
      ['succeeded', undefined],
    ]);
    expect(notifier.executes('notify')).toHaveLength(1);
    expect((await timelineOf(stores.cases, incident.id)).map((e) => e.body)).toContain('Skipped block: no driver configured for block-ip (would block 203.0.113.7)');
  });

  it('resumes a run whose worker died mid-action: the driver runs again (changed once), one block, one audit entry', async () => {
    const stores = openStores();
    const survivor = stores.handle();
    const driver = new ProbeDriver('edge');
    const book = playbook('block-brute', [blockStep()]);
    let crashed = false;
    driver.afterEffect = async (context) => {
      if (crashed) return;
      crashed = true;
      // The process dies after the device applied the block, before the runner recorded it.
      stores.db.close();
      await new Promise((resolve) => context.signal.addEventListener('abort', resolve, { once: true }));
      throw new Error('torn down');
    };
    start(stores, { playbooks: [book], drivers: [driver] });
    const { alert } = await seedAlert(survivor.cases, '203.0.113.9');
    await trigger(survivor.queue, alert);
    await waitFor(async () => (crashed ? true : undefined), 'the crash');
    const runId = runIdFor('block-brute', alert.id);
    const interrupted = await survivor.cases.runs.get(runId);
    expect(interrupted?.steps[0]).toMatchObject({ status: 'running', attempts: 1 });
    expect(interrupted?.steps[0]?.outcomes ?? []).toEqual([]);
    const other = startTestResponse({ cases: survivor.cases, queue: survivor.queue, playbooks: [book], drivers: [driver] });
    cleanups.push(() => other.service.close());
    const run = await waitForRun(survivor.cases, runId, ['succeeded', 'failed'], 15_000);
    expect(run.status).toBe('succeeded');
    expect(run.steps[0]?.attempts).toBe(2);
    expect(driver.executes('block-ip').map((c) => c.changed)).toEqual([true, false]);
    expect([...driver.state]).toEqual(['ip:203.0.113.9']);
    const blocks = await survivor.cases.blocks.list();
    expect(blocks.items.map((b) => [b.id, b.state, b.offense])).toEqual([['edge:203.0.113.9', 'active', 1]]);
    expect(await auditOf(survivor.cases, 'response.execute')).toHaveLength(1);
  });

  it('runs incident playbooks on incident triggers, with the incident in templates and its alerts as evidence', async () => {
    const stores = openStores();
    const ticket = step({ id: 'ticket', action: 'create-ticket', with: { title: '{{ incident.title }}', description: 'Incident {{ incident.id }}', severity: '{{ incident.severity }}', reference: '{{ incident.id }}' } });
    const { driver } = start(stores, { playbooks: [playbook('ticket', [ticket], { trigger: { on: 'incident', minSeverity: 'high' } })] });
    const { alert, incident } = await seedAlert(stores.cases, '203.0.113.30');
    await stores.queue.add({ name: 'playbook-trigger', id: `incident-${incident.id}-created`, data: { trigger: 'incident.created', incidentId: incident.id, severity: 'high', alertIds: [alert.id] } });
    const run = await waitForRun(stores.cases, runIdFor('ticket', incident.id), ['succeeded', 'failed']);
    expect(run).toMatchObject({ status: 'succeeded', trigger: { incidentId: incident.id } });
    expect(driver.executes('create-ticket').map((c) => c.input)).toEqual([{ title: 'Attacks from 203.0.113.30', description: `Incident ${incident.id}`, severity: 'high', reference: incident.id }]);
    expect(run.steps[0]?.result).toMatchObject({ changed: true, details: { edge: { ticket: 'INC0001' } } });
    expect((await auditOf(stores.cases, 'response.execute'))[0]?.details).toMatchObject({ alertIds: [alert.id] });
    expect((await timelineOf(stores.cases, incident.id)).map((e) => e.body)).toEqual(['Opened ticket "Attacks from 203.0.113.30" in edge (verified)']);
  });
});
