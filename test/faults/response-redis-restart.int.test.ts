import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { PlaybookRun } from '../../core/cases/types.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import {
  alertingOver,
  createResponseLab,
  nftSetAddresses,
  ruleMatch,
  startResponseStack,
  startWebhookReceiver,
  waitUntil,
  writePlaybook,
  type ResponseStack,
  type WebhookReceiver,
} from '../helpers/response-worker.js';
import type { NetnsPair } from '../helpers/netns.js';
import { expiryJobId } from '../../playbooks/runner/index.js';

// Fault: Redis (BullMQ's) stops and starts again while playbook runs are in flight. Redis is a
// throwaway redis-server with the durable settings the deployment docs ask for (AOF, fsync
// always, noeviction); it is stopped with SIGTERM and started on the same port and directory.
// Every run must finish and every address must be blocked exactly once: one nft element, one
// BlockState per driver, one idempotency key at the webhook receiver.

const N = 30;
const RULE = 'wpt-restart-rule';
const TABLE = 'wpt_restart';
const OUTAGE_MS = 1500;

let redis: RedisServer | undefined;
let pair: NetnsPair | undefined;
let receiver: WebhookReceiver | undefined;
let stack: ResponseStack | undefined;
let dir: string | undefined;

/** Waits for `promise` at most 15 s (a hung close must not hide the test's own failure). */
async function within(promise: Promise<unknown> | undefined, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      process.stderr.write(`${what} did not finish within 15 s\n`);
      resolve();
    }, 15_000);
  });
  await Promise.race([promise?.catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
}

afterAll(async () => {
  await within(stack?.close(), 'closing the response stack');
  await receiver?.close().catch(() => undefined);
  await redis?.destroy();
  await pair?.lab.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it(`Redis restarted mid-run: all ${N} runs finish, each address blocked exactly once`, async () => {
  redis = await startRedisServer();
  pair = await createResponseLab('rr');
  receiver = await startWebhookReceiver();
  dir = mkdtempSync(join(tmpdir(), 'wpt-response-redis-'));
  const playbooks = join(dir, 'playbooks');
  mkdirSync(playbooks);
  const drivers = [
    { id: 'fw', type: 'nftables', settings: { netns: pair.victim.ns, table: TABLE, hooks: ['input'] } },
    { id: 'hook', type: 'webhook', settings: { url: receiver.url, actions: ['block-ip', 'unblock-ip'] } },
  ];
  writePlaybook(
    playbooks,
    'wpt-restart-block',
    `id: wpt-restart-block
title: Block the source (Redis restart test)
trigger:
  on: alert
  rules: [${RULE}]
steps:
  - id: block
    action: block-ip
    drivers: [fw, hook]
    with:
      address: "{{ alert.entities.source.ip }}"
      reason: "Redis restart test"
`,
    [
      { id: 'fw', type: 'nftables', actions: ['block-ip', 'unblock-ip'] },
      { id: 'hook', type: 'webhook', actions: ['block-ip', 'unblock-ip'] },
    ],
  );
  // Redis is stopped (SIGTERM) the moment the 5th block came back from nft (or the first after
  // every trigger was queued, if later), while the other runs
  // are queued or in flight, and started again on the same port and directory OUTAGE_MS later;
  // each block call lingers 50 ms, so the outage finds handlers between the device and the store.
  const server = redis;
  let effects = 0;
  let armed = false;
  let restart: Promise<{ stoppedAt: number; downMs: number }> | undefined;
  stack = startResponseStack(
    {
      casesFile: join(dir, 'watchpost.db'),
      queue: { kind: 'redis', url: redis.url, prefix: 'wpt-restart', leaseMs: 2000 },
      // 30 blocks in a few seconds are the point here, not the breaker (response-safety tests it).
      response: { playbookDirs: [playbooks], drivers, safety: { maxBlocksPerMinute: 1000 } },
      pauseAfterEffectMs: 50,
    },
    {
      onEffect: (driver) => {
        if (driver !== 'fw' || ++effects < 5 || !armed || restart) return;
        const stoppedAt = Date.now();
        restart = (async () => {
          await server.stop('SIGTERM');
          await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
          await server.start();
          return { stoppedAt, downMs: Date.now() - stoppedAt };
        })();
      },
    },
  );
  const { cases, queue } = stack;
  const addresses = Array.from({ length: N }, (_, i) => `198.51.100.${i + 1}`);

  // Every trigger is queued (in Redis, fsynced) before the restart.
  const handled = await alertingOver(cases, queue).handle(addresses.map((ip) => ruleMatch(RULE, ip)));
  expect(handled.newAlerts).toHaveLength(N);
  armed = true;
  const runIds = handled.newAlerts.map((alert) => `wpt-restart-block.${alert.id}`);
  const ended = async () => {
    const runs = await Promise.all(runIds.map((id) => cases.runs.get(id)));
    return runs.flatMap((run): PlaybookRun[] => (run !== undefined && ['succeeded', 'failed', 'cancelled', 'rejected'].includes(run.status) ? [run] : []));
  };

  const finishedBefore = await waitUntil(async () => (restart ? (await ended()).length : undefined), 'the 5th block', 30_000);
  const { stoppedAt, downMs } = await (restart as unknown as Promise<{ stoppedAt: number; downMs: number }>);
  expect(finishedBefore).toBeLessThan(N);

  const runs = await waitUntil(async () => {
    const done = await ended();
    return done.length === N ? done : undefined;
  }, `all ${N} runs to end`, 60_000);
  process.stdout.write(`redis restart: ${finishedBefore}/${N} runs had ended when Redis was stopped; down ${downMs} ms; all ended ${Date.now() - stoppedAt} ms after the stop\n`);
  expect(runs.map((run) => run.status)).toEqual(Array.from({ length: N }, () => 'succeeded'));

  // One record per driver and address, all active.
  const blocks = (await cases.blocks.list({ limit: 1000 })).items;
  expect(blocks).toHaveLength(2 * N);
  for (const driver of ['fw', 'hook']) {
    const mine = blocks.filter((block) => block.driver === driver);
    expect(mine.map((block) => block.target).sort()).toEqual([...addresses].sort());
    expect(mine.every((block) => block.state === 'active')).toBe(true);
  }
  // Every undo is scheduled: the expiry job of each block is in the queue, delayed until its TTL ends.
  const expiries = await Promise.all(blocks.map((block) => queue.get(expiryJobId(block.id, block.expiresAt ?? ''))));
  const missing = blocks.filter((_, i) => expiries[i]?.state !== 'delayed');
  expect(
    missing.map((block) => block.id),
    'blocks recorded while Redis was down must get their expiry job when the run is retried',
  ).toEqual([]);
  // The device: each address once.
  expect((await nftSetAddresses(pair.victim.ns, TABLE, 'blocklist4')).sort()).toEqual([...addresses].sort());
  // The receiver: one idempotency key per address (a redelivery would repeat the same key).
  const blockArrivals = receiver.arrivals.filter((arrival) => arrival.action === 'block-ip');
  const keysByAddress = new Map<string, Set<string>>();
  for (const arrival of blockArrivals) {
    const address = String(arrival.input.address);
    keysByAddress.set(address, (keysByAddress.get(address) ?? new Set()).add(arrival.idempotencyKey));
  }
  expect([...keysByAddress.keys()].sort()).toEqual([...addresses].sort());
  expect([...keysByAddress.values()].every((keys) => keys.size === 1)).toBe(true);
  process.stdout.write(`redis restart: webhook received ${blockArrivals.length} block-ip requests for ${keysByAddress.size} distinct keys\n`);
}, 90_000);
