// Automated response latency: from an alert's creation to its playbook's first action starting
// on the device, p50 / p99 / max, with the embedded SQLite queue and with BullMQ (the Redis of
// deploy/dev/services.sh, WATCHPOST_TEST_REDIS_URL or redis://127.0.0.1:6390). Target (issue 7):
// p99 ≤ 2 s. Prints figures, asserts nothing.
//   npx tsx test/bench/response.ts [alerts] [burst size] [ms between bursts]
// The chain measured is the production one, in one process as `watchpost start` runs it: the
// alerting engine writes the alert with its pending trigger and the outbox queues the
// `playbook-trigger` job; the runner's trigger handler makes the run and queues `playbook-run`;
// the run handler asks the safety layer (never-block, TTL, breaker admission) and calls the
// driver. The driver is the real webhook driver posting to a local HTTP receiver, whose arrival
// time is "action started" — measured outside Watchpost. Queues use their production settings
// (SQLite: 250 ms poll, 30 s lease; BullMQ: 30 s lock), the case store is a SQLite file for both.
// The breaker's limits are raised so that every alert is blocked automatically.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupTestRedis, connectTestRedis } from '../helpers/redis.js';
import {
  alertingOver,
  ruleMatch,
  startResponseStack,
  startWebhookReceiver,
  waitUntil,
  writePlaybook,
  type QueueSpec,
} from '../helpers/response-worker.js';
import { testRedisUrl, uniquePrefix } from '../helpers/services.js';

const ALERTS = Number(process.argv[2] ?? 200);
const BURST = Number(process.argv[3] ?? 20);
const GAP_MS = Number(process.argv[4] ?? 500);
const TARGET_P99_MS = 2000;
const RULE = 'wpt-bench-rule';

/** `count` distinct public (documentation-range) addresses. */
function addresses(count: number): string[] {
  const ranges = ['198.51.100', '203.0.113', '192.0.2'];
  return Array.from({ length: count }, (_, i) => `${ranges[Math.floor(i / 250) % ranges.length] as string}.${(i % 250) + 1}`);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

interface Figures {
  readonly name: string;
  readonly latencies: number[];
  readonly missing: number;
  readonly wallMs: number;
}

async function measure(name: string, queue: (dir: string) => QueueSpec): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'wpt-bench-response-'));
  const receiver = await startWebhookReceiver();
  try {
    const playbooks = join(dir, 'playbooks');
    mkdirSync(playbooks);
    writePlaybook(
      playbooks,
      'wpt-bench-block',
      `id: wpt-bench-block
title: Block the source (benchmark)
trigger:
  on: alert
  rules: [${RULE}]
steps:
  - id: block
    action: block-ip
    drivers: [edge]
    with:
      address: "{{ alert.entities.source.ip }}"
      reason: "benchmark"
`,
      [{ id: 'edge', type: 'webhook', actions: ['block-ip', 'unblock-ip'] }],
    );
    const casesFile = join(dir, 'watchpost.db');
    const stack = startResponseStack({
      casesFile,
      queue: queue(casesFile),
      response: {
        playbookDirs: [playbooks],
        drivers: [{ id: 'edge', type: 'webhook', settings: { url: receiver.url, actions: ['block-ip', 'unblock-ip'] } }],
        safety: { maxBlocksPerMinute: 1_000_000, maxActiveBlocks: 1_000_000 },
      },
    });
    try {
      const alerting = alertingOver(stack.cases, stack.queue);
      const targets = addresses(ALERTS);
      const createdAt = new Map<string, number>();
      const started = performance.now();
      for (let i = 0; i < targets.length; i += BURST) {
        const burst = targets.slice(i, i + BURST);
        const handled = await alerting.handle(burst.map((ip) => ruleMatch(RULE, ip)));
        for (const alert of handled.newAlerts) createdAt.set(alert.entities['source.ip'] as string, Date.parse(alert.createdAt));
        if (i + BURST < targets.length) await new Promise((resolve) => setTimeout(resolve, GAP_MS));
      }
      await waitUntil(() => (receiver.arrivals.filter((a) => a.action === 'block-ip').length >= ALERTS ? true : undefined), 'every block to arrive', 60_000).catch(() => undefined);
      const wallMs = performance.now() - started;
      const first = new Map<string, number>();
      for (const arrival of receiver.arrivals) {
        const address = String(arrival.input.address);
        if (arrival.action === 'block-ip' && !first.has(address)) first.set(address, arrival.at);
      }
      const latencies = [...createdAt].flatMap(([address, at]) => (first.has(address) ? [(first.get(address) as number) - at] : []));
      return { name, latencies: latencies.sort((a, b) => a - b), missing: createdAt.size - latencies.length + (ALERTS - createdAt.size), wallMs };
    } finally {
      await stack.close();
    }
  } finally {
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

process.stdout.write(`alert → action started (webhook arrival), ${ALERTS} alerts in bursts of ${BURST} every ${GAP_MS} ms; target p99 ≤ ${TARGET_P99_MS} ms\n`);
const results: Figures[] = [];
results.push(await measure('embedded SQLite queue', (file) => ({ kind: 'sqlite', file, leaseMs: 30_000, pollIntervalMs: 250 })));
const admin = await connectTestRedis();
const prefix = uniquePrefix('bench-response');
try {
  results.push(await measure('BullMQ (Redis)', () => ({ kind: 'redis', url: testRedisUrl(), prefix, leaseMs: 30_000 })));
} finally {
  await cleanupTestRedis(admin, prefix);
}
const verdicts: string[] = [];
for (const { name, latencies, missing, wallMs } of results) {
  if (latencies.length === 0) {
    process.stdout.write(`${name}\n  no action arrived (${missing} missing)\n`);
    verdicts.push(`${name}: no figures: NOT met`);
    continue;
  }
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  const max = latencies[latencies.length - 1] as number;
  process.stdout.write(
    `${name}\n  ${latencies.length} actions started${missing > 0 ? `, ${missing} missing` : ''} in ${Math.round(wallMs)} ms: ` +
      `p50 ${p50} ms, p99 ${p99} ms, max ${max} ms (min ${latencies[0] as number} ms)\n`,
  );
  verdicts.push(`${name}: p99 ${p99} ms ${p99 <= TARGET_P99_MS && missing === 0 ? 'met' : 'NOT met'}`);
}
process.stdout.write(`\ntarget p99 ≤ ${TARGET_P99_MS} ms\n${verdicts.map((v) => `  ${v}`).join('\n')}\n`);
process.exit(0);
