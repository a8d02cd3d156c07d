import { afterEach, describe, expect, it } from 'vitest';
import { BullMqJobQueue } from '../../backends/redis/job-queue.js';
import { runJobId } from '../../core/response/jobs.js';
import { openTestStores } from '../../test/api/backends.js';
import { cleanupTestRedis, connectTestRedis } from '../../test/helpers/redis.js';
import { testRedisUrl, uniquePrefix } from '../../test/helpers/services.js';
import { blockIdFor, expiryJobId, runIdFor } from './index.js';
import { auditOf, blockStep, playbook, seedAlert, startTestResponse, step, timelineOf, trigger, waitFor, waitForRun } from './testdata/harness.js';

// The runner's core flow on the production backends: Elasticsearch case store, BullMQ queue.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await (cleanups.pop() as () => Promise<void>)();
});

async function openBackends() {
  const stores = await openTestStores('elasticsearch');
  cleanups.push(() => stores.close());
  const admin = await connectTestRedis();
  const prefix = uniquePrefix('runner');
  const queue = new BullMqJobQueue({ connection: testRedisUrl(), prefix, lockDurationMs: 2000, stalledIntervalMs: 1000 });
  cleanups.push(async () => {
    await queue.close();
    await cleanupTestRedis(admin, prefix);
  });
  return { cases: stores.cases, queue };
}

describe('playbook runner on Elasticsearch and BullMQ', () => {
  it('blocks once with a TTL, undoes it at expiry, and writes each timeline and audit entry once', async () => {
    const { cases, queue } = await openBackends();
    const notify = step({ id: 'notify', action: 'notify', with: { subject: 'Blocked {{ alert.entities.source.ip }}', message: 'block: {{ steps.block.status }}' } });
    const response = startTestResponse({ cases, queue, playbooks: [playbook('short-block', [blockStep({}, '2s'), notify])] });
    cleanups.push(() => response.service.close());
    const { driver } = response;
    const { alert, incident } = await seedAlert(cases, '203.0.113.77');
    await trigger(queue, alert);
    await trigger(queue, alert);
    const runId = runIdFor('short-block', alert.id);
    const run = await waitForRun(cases, runId, ['succeeded', 'failed'], 20_000);
    expect(run.status).toBe('succeeded');
    expect(run.steps[1]?.input).toMatchObject({ message: 'block: succeeded' });
    expect(driver.executes('block-ip').map((c) => c.input)).toEqual([{ address: '203.0.113.77', ttlSeconds: 2, reason: 'brute force from 203.0.113.77' }]);
    const block = await cases.blocks.get(blockIdFor('edge', '203.0.113.77'));
    expect(block).toMatchObject({ state: 'active', offense: 1, runId, alertIds: [alert.id] });
    expect((await queue.get(expiryJobId(block?.id ?? '', block?.expiresAt ?? '')))?.state).toBe('delayed');

    const released = await waitFor(async () => {
      const current = await cases.blocks.get(blockIdFor('edge', '203.0.113.77'));
      return current?.state === 'released' ? current : undefined;
    }, 'the expiry', 20_000);
    expect(released.releasedBy).toBe('expiry');
    expect(driver.state.size).toBe(0);
    const timeline = await timelineOf(cases, incident.id);
    expect(timeline.map((e) => e.id).sort()).toEqual([`${runId}.block.succeeded`, `${runId}.edge.released.${block?.expiresAt ?? ''}`, `${runId}.notify.succeeded`].sort());
    expect(await auditOf(cases, 'response.execute')).toHaveLength(2);
    expect(await auditOf(cases, 'response.undo')).toHaveLength(1);
  });

  it('retries a transient failure through BullMQ backoff, and runs an approved step exactly once', async () => {
    const { cases, queue } = await openBackends();
    const response = startTestResponse({ cases, queue, playbooks: [playbook('approve-me', [blockStep({ approval: 'required' })])] });
    cleanups.push(() => response.service.close());
    const { driver, service } = response;
    driver.failures.push('transient');
    const { alert } = await seedAlert(cases, '198.51.100.77');
    await trigger(queue, alert);
    const runId = runIdFor('approve-me', alert.id);
    await waitForRun(cases, runId, ['pending_approval'], 20_000);
    await expect(service.approveStep(runId, 'alice')).resolves.toMatchObject({ status: 'queued' });
    await expect(service.approveStep(runId, 'alice')).resolves.toMatchObject({ status: 'queued' });
    const run = await waitForRun(cases, runId, ['succeeded', 'failed'], 20_000);
    expect(run.status).toBe('succeeded');
    expect(run.steps[0]).toMatchObject({ approvedBy: 'alice', attempts: 2 });
    expect(driver.executes('block-ip').map((c) => c.changed)).toEqual([undefined, true]);
    expect((await queue.get(runJobId(runId)))?.attemptsMade).toBe(2);
    expect((await cases.blocks.list()).items.map((b) => b.state)).toEqual(['active']);
  });
});
