import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteCaseStore } from '../../backends/sqlite/case-store.js';
import { openSqliteDatabase } from '../../backends/sqlite/database.js';
import type { PlaybookRun } from '../../core/cases/types.js';
import { probeTcp, waitForReachability } from '../helpers/netns.js';
import { cleanupTestRedis, connectTestRedis } from '../helpers/redis.js';
import { alertingOver, createResponseLab, nftSetAddresses, openQueue, ruleMatch, startResponseWorker, waitUntil, writePlaybook, type QueueSpec, type ResponseStackSpec } from '../helpers/response-worker.js';
import { testRedisUrl, uniquePrefix } from '../helpers/services.js';

// Fault: the worker process is killed with SIGKILL in the middle of a block — after nft added the
// element, before the runner recorded the outcome. A new worker takes the job over when its lease
// runs out and finishes the run: exactly one block on the device and in the store. Real runner,
// safety, playbook loader and nftables driver (nft in a network namespace the test made); the
// job queue is the embedded SQLite one or BullMQ on the dev Redis.

const LEASE_MS = 1500;
const RULE = 'wpt-kill-rule';
const TABLE = 'wpt_kill';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await (cleanups.pop() as () => Promise<void>)().catch(() => undefined);
});

async function killMidBlock(queueOf: (dir: string) => Promise<QueueSpec>): Promise<void> {
  const pair = await createResponseLab('rk');
  cleanups.push(() => pair.lab.destroy());
  const service = await pair.lab.tcpService(pair.victim.ns);
  const dir = mkdtempSync(join(tmpdir(), 'wpt-response-kill-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const playbooks = join(dir, 'playbooks');
  mkdirSync(playbooks);
  writePlaybook(
    playbooks,
    'wpt-kill-block',
    `id: wpt-kill-block
title: Block the source of the kill -9 test
trigger:
  on: alert
  rules: [${RULE}]
steps:
  - id: block
    action: block-ip
    drivers: [fw]
    with:
      address: "{{ alert.entities.source.ip }}"
      reason: "kill -9 test {{ alert.id }}"
`,
    [{ id: 'fw', type: 'nftables', actions: ['block-ip', 'unblock-ip'] }],
  );
  const casesFile = join(dir, 'watchpost.db');
  const spec: ResponseStackSpec = {
    casesFile,
    queue: await queueOf(casesFile),
    response: {
      playbookDirs: [playbooks],
      drivers: [{ id: 'fw', type: 'nftables', settings: { netns: pair.victim.ns, table: TABLE, hooks: ['input'] } }],
    },
    logLevel: process.env.WPT_LOG_LEVEL ?? 'warn',
  };

  // The producer side (the ingest process): the case store and the queue, and the alerting engine.
  const db = openSqliteDatabase(casesFile);
  const cases = new SqliteCaseStore(db);
  const queue = openQueue(spec.queue, spec.queue.kind === 'sqlite' ? db : undefined);
  cleanups.push(async () => {
    await queue.close();
    db.close();
  });

  // Worker 1 stops for a minute after nft answered, so the kill lands between effect and record.
  const first = startResponseWorker({ ...spec, pauseAfterEffectMs: 60_000 });
  cleanups.push(() => first.kill());
  await first.line('ready');

  expect(await probeTcp(pair.attacker.ns, pair.victim.ipv4, service.port)).toBe('open');
  const handled = await alertingOver(cases, queue).handle([ruleMatch(RULE, pair.attacker.ipv4)]);
  const alert = handled.newAlerts[0];
  expect(alert).toBeDefined();
  const runId = `wpt-kill-block.${alert?.id ?? ''}`;

  const running = await waitUntil(async () => {
    const run = await cases.runs.get(runId);
    return run?.steps[0]?.status === 'running' ? run : undefined;
  }, 'the block step to be running').catch(async (error: unknown) => {
    throw new Error(`${String(error)}; run: ${JSON.stringify(await cases.runs.get(runId))}; worker log: ${first.stderr()}`);
  });
  expect(running.steps[0]?.attempts).toBe(1);
  expect(await first.line(`effect fw ${pair.attacker.ipv4}`)).toBeDefined();
  // The device has the block; the store does not know yet.
  expect(await nftSetAddresses(pair.victim.ns, TABLE, 'blocklist4')).toEqual([pair.attacker.ipv4]);
  const before = await cases.runs.get(runId);
  expect(before?.steps[0]).toMatchObject({ status: 'running' });
  expect(before?.steps[0]?.outcomes ?? []).toEqual([]);
  expect((await cases.blocks.list()).items).toEqual([]);
  await first.kill();

  const killedAt = Date.now();
  const second = startResponseWorker(spec);
  cleanups.push(() => second.stop());
  await second.line('ready');
  const done = await waitUntil<PlaybookRun>(async () => {
    const run = await cases.runs.get(runId);
    return run && ['succeeded', 'failed', 'cancelled', 'rejected'].includes(run.status) ? run : undefined;
  }, 'the run to end on the second worker', 30_000);
  process.stdout.write(`${spec.queue.kind}: run finished ${Date.now() - killedAt} ms after the kill -9 (lease ${LEASE_MS} ms)\n`);

  expect(done.status).toBe('succeeded');
  const step = done.steps[0];
  expect(step?.status).toBe('succeeded');
  expect(step?.attempts).toBeGreaterThanOrEqual(2);
  expect(step?.outcomes).toEqual([expect.objectContaining({ driver: 'fw', status: 'succeeded', verified: true })]);
  const blocks = (await cases.blocks.list()).items.filter((block) => block.target === pair.attacker.ipv4);
  expect(blocks).toHaveLength(1);
  expect(blocks[0]).toMatchObject({ id: `fw:${pair.attacker.ipv4}`, state: 'active', runId, driver: 'fw' });
  expect(await nftSetAddresses(pair.victim.ns, TABLE, 'blocklist4')).toEqual([pair.attacker.ipv4]);
  const probe = await waitForReachability(pair.attacker.ns, pair.victim.ipv4, service.port, 'timeout', 2000);
  expect(probe.result).toBe('timeout');
  // The other family was not touched.
  expect(await probeTcp(pair.attacker.ns, pair.victim.ipv6, service.port)).toBe('open');
}

describe('worker kill -9 in the middle of a block', () => {
  it('embedded SQLite queue: the next worker finishes the run, and exactly one block exists', async () => {
    await killMidBlock(async (file) => ({ kind: 'sqlite', file, leaseMs: LEASE_MS }));
  }, 90_000);

  it('BullMQ: the stalled job is taken over, and exactly one block exists', async () => {
    const admin = await connectTestRedis();
    const prefix = uniquePrefix('response-kill');
    cleanups.push(() => cleanupTestRedis(admin, prefix));
    await killMidBlock(async () => ({ kind: 'redis', url: testRedisUrl(), prefix, leaseMs: LEASE_MS }));
  }, 90_000);
});
