import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@elastic/elasticsearch';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullMqJobQueue } from '../../backends/redis/job-queue.js';
import type { Alert, PlaybookRun } from '../../core/cases/types.js';
import { runJobId } from '../../core/response/jobs.js';
import { BIN } from '../helpers/cli.js';
import { testElasticsearchUrl, testRedisUrl, uniquePrefix } from '../helpers/services.js';
import { freePort, signIn, type ApiSession } from '../helpers/watchpost-server.js';

// Scale-out with real processes, as a larger site runs Watchpost: the split roles on one
// Elasticsearch (events and cases) and one Redis (queue and correlation windows) — two
// `watchpost ingest`, two `watchpost worker` and one `watchpost api`, each a child process of the
// real CLI. The playbook's block-ip step goes to the webhook driver, pointed at a receiver this
// test runs, which records every delivery with its Idempotency-Key.
//
// 1. An SSH brute force whose lines alternate between the two ingest processes (neither sees
//    enough failures alone) raises exactly one correlation alert, one run and one delivered block.
// 2. Forty brute forces from forty addresses: forty runs, each delivered once (forty distinct
//    idempotency keys, none repeated), each run job executed once and by one worker only, and both
//    workers took part.

const ROOT = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);
const BRUTE_FORCE_RULE = 'f88732c5-e5a2-43e1-83cc-a0caa5f0a7bc';
const BRUTE_FORCE_TITLE = 'SSH Brute Force From One Address';
const PLAYBOOK = 'block-ssh-brute-force';
/** The rule's threshold: ten failures from one address in five minutes. */
const FAILURES = 10;
const ATTACKER = '203.0.113.77';
const MANY = 40;
const manyAddresses = Array.from({ length: MANY }, (_, i) => `198.51.100.${i + 1}`);

const prefix = uniquePrefix('scale-out');
const dir = mkdtempSync(join(tmpdir(), 'wpt-scale-out-'));
const processes: RoleProcess[] = [];
let receiver: Receiver | undefined;

/** One `watchpost <role>` child process and what it printed. */
interface RoleProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Its HTTP address, from the "watchpost started" log line. */
  readonly url: string;
  output(): string;
}

/** Polls `check` until it returns a value, failing with `what` and `context()` after `timeoutMs`. */
async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined, context: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last instanceof Error ? last.message : JSON.stringify(last)})` : ''}\n${context()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The tails of every process's output, for failure messages. */
function allOutput(): string {
  return processes.map((p) => `--- ${p.name} (last 3 KB)\n${p.output().slice(-3000)}`).join('\n');
}

/** Spawns `watchpost <args>` and resolves once it logged "watchpost started" and `ready(output)` holds. */
async function spawnRole(name: string, args: readonly string[], ready: (output: string) => boolean = () => true): Promise<RoleProcess> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-2_000_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const role = { name, child, url: '', output: () => output };
  processes.push(role);
  const url = await waitFor(
    `${name} to start`,
    120_000,
    () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited with ${child.exitCode ?? child.signalCode}:\n${output.slice(-4000)}`);
      const started = /"msg":"watchpost started"/.test(output) ? /"url":"(http:[^"]+)"[^\n]*"msg":"watchpost started"|"msg":"watchpost started"[^\n]*"url":"(http:[^"]+)"/.exec(output) : null;
      const found = started?.[1] ?? started?.[2];
      return found !== undefined && ready(output) ? found : undefined;
    },
    () => output.slice(-4000),
  );
  Object.assign(role, { url });
  return role;
}

/** The webhook receiver: every request it got, in order. */
interface Receiver {
  readonly url: string;
  readonly deliveries: { readonly key: string; readonly action: string; readonly address: string; readonly at: number }[];
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const deliveries: Receiver['deliveries'][number][] = [];
  const server: Server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const at = Date.now();
      const parsed = JSON.parse(body) as { action: string; input: { address?: string } };
      deliveries.push({ key: String(request.headers['idempotency-key']), action: parsed.action, address: parsed.input.address ?? '', at });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    deliveries,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** One newline-framed syslog TCP connection (RFC 5424, UTC timestamps) to an ingest process. */
async function syslogConnection(port: number): Promise<{ send(line: string): Promise<void>; close(): Promise<void> }> {
  const socket: Socket = await new Promise((resolve, reject) => {
    const opened = connect(port, '127.0.0.1', () => resolve(opened));
    opened.once('error', reject);
  });
  return {
    send: (message) =>
      new Promise<void>((resolve, reject) => {
        socket.write(`<38>1 ${new Date().toISOString()} bastion-01 sshd 4242 - - ${message}\n`, (error) => (error ? reject(error) : resolve()));
      }),
    close: () => new Promise<void>((resolve) => socket.end(() => resolve())),
  };
}

/** sshd's line for one failed guess; the port makes every line (and so every event id) distinct. */
function failedLine(address: string, n: number): string {
  return `Failed password for invalid user x from ${address} port ${40000 + n} ssh2`;
}

/** Every page of a list route. */
async function listAll<T>(session: ApiSession, path: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await session.call<{ items: T[]; nextCursor?: string }>('GET', `${path}${path.includes('?') ? '&' : '?'}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return items;
}

async function stopAll(): Promise<void> {
  await Promise.all(
    processes.map(async ({ child }) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

let session: ApiSession;
let ingestPorts: number[] = [];
let workers: RoleProcess[] = [];

beforeAll(async () => {
  // Build once up front (bin/watchpost compiles when dist/ is stale) so the roles start fast.
  await run(process.execPath, [BIN, '--version'], { cwd: ROOT, timeout: 180_000 });
  receiver = await startReceiver();
  const configFile = join(dir, 'watchpost.yml');
  writeFileSync(
    configFile,
    [
      'backends: { events: elasticsearch, cases: elasticsearch, queue: redis, correlation: redis }',
      `elasticsearch: { nodes: [${JSON.stringify(testElasticsearchUrl())}], indexPrefix: ${prefix} }`,
      `redis: { url: ${JSON.stringify(testRedisUrl())}, prefix: ${prefix} }`,
      'response:',
      '  drivers:',
      `    - { id: hook, type: webhook, settings: { url: ${JSON.stringify(receiver.url)}, actions: [block-ip, unblock-ip] } }`,
      // Forty blocks in a minute would open the circuit breaker (20 a minute by default).
      '  safety: { maxBlocksPerMinute: 10000, maxActiveBlocks: 10000 }',
    ].join('\n'),
  );
  const common = ['--config', configFile, '--api-listen', '127.0.0.1:0'];
  const dataDir = (name: string): string => mkdtempSync(join(dir, `${name}-`));
  // The api first: it creates the first administrator, whose password it prints once.
  const api = await spawnRole('api', ['api', ...common, '--data-dir', dataDir('api')], (output) => /with the password\n\n {4}\S+\n/.test(output));
  const password = /with the password\n\n {4}(\S+)\n/.exec(api.output())?.[1] as string;
  ingestPorts = [await freePort(), await freePort()];
  const started = await Promise.all([
    ...ingestPorts.map((port, i) =>
      spawnRole(`ingest-${i + 1}`, ['ingest', ...common, '--data-dir', dataDir(`ingest-${i + 1}`), '--syslog-listen', `127.0.0.1:${port}`], (output) =>
        /"protocol":"tcp"[^\n]*syslog listener started/.test(output),
      ),
    ),
    ...[1, 2].map((i) => spawnRole(`worker-${i}`, ['worker', ...common, '--data-dir', dataDir(`worker-${i}`)], (output) => output.includes('playbook runner started'))),
  ]);
  workers = started.slice(2);
  session = await signIn(api.url, 'admin', password);
}, 300_000);

afterAll(async () => {
  await stopAll();
  await receiver?.close();
  const es = new Client({ node: testElasticsearchUrl() });
  try {
    await es.indices.delete({ index: `${prefix}-*`, ignore_unavailable: true, allow_no_indices: true });
    const templates = await es.indices.getIndexTemplate({ name: `${prefix}-*` }).catch(() => ({ index_templates: [] }));
    for (const template of templates.index_templates) await es.indices.deleteIndexTemplate({ name: template.name });
  } finally {
    await es.close();
  }
  const redis = new Redis(testRedisUrl());
  try {
    const keys = await redis.keys(`${prefix}*`);
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  } finally {
    redis.disconnect();
  }
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('split roles, two of ingest and worker, on Elasticsearch and Redis', () => {
  it('an SSH brute force split between two ingest processes raises one alert, one run and one block', async () => {
    const connections = await Promise.all(ingestPorts.map((port) => syslogConnection(port)));
    let lastLineAt = 0;
    for (let n = 0; n < FAILURES; n++) {
      // Alternate lines: each ingest process sees five failures, fewer than the rule needs.
      await (connections[n % 2] as Awaited<ReturnType<typeof syslogConnection>>).send(failedLine(ATTACKER, n));
      lastLineAt = Date.now();
    }
    const block = await waitFor('the block of the attacker at the receiver', 60_000, () => receiver?.deliveries.find((d) => d.action === 'block-ip' && d.address === ATTACKER), allOutput);
    process.stdout.write(`scale-out: block-ip for ${ATTACKER} delivered ${block.at - lastLineAt} ms after the last of ${FAILURES} lines (split over two ingest processes)\n`);
    await Promise.all(connections.map((connection) => connection.close()));

    const runs = await waitFor(
      'the run to succeed',
      30_000,
      async () => {
        const found = (await listAll<PlaybookRun>(session, `/api/v1/runs?playbook=${PLAYBOOK}`)).filter((r) => r.steps[0]?.input?.address === ATTACKER);
        return found.length > 0 && found.every((r) => r.status === 'succeeded') ? found : undefined;
      },
      allOutput,
    );
    // Let a late duplicate (a second alert, run or delivery) show itself before counting.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const alerts = (await listAll<Alert>(session, '/api/v1/alerts')).filter((a) => a.ruleTitle === BRUTE_FORCE_TITLE && a.entities['source.ip'] === ATTACKER);
    expect(alerts, allOutput()).toHaveLength(1);
    expect(alerts[0]?.ruleId).toContain(BRUTE_FORCE_RULE);
    // Each ingest process stored its half: the alert's evidence holds the events of both.
    expect(alerts[0]?.eventIds.length).toBeGreaterThanOrEqual(FAILURES);
    expect(await listAll<PlaybookRun>(session, `/api/v1/runs?playbook=${PLAYBOOK}`)).toHaveLength(1);
    expect(runs[0]?.trigger.alertId).toBe(alerts[0]?.id);
    expect(receiver?.deliveries.filter((d) => d.address === ATTACKER)).toHaveLength(1);
    // Each ingest process received and parsed its half, five lines: only the shared window could fire.
    for (const ingest of processes.filter((p) => p.name.startsWith('ingest-'))) {
      const metrics = await (await fetch(`${ingest.url}/metrics`)).text();
      const parsed = /^watchpost_source_parsed_total\{[^}]*source="syslog-tcp"[^}]*\} (\d+)/m.exec(metrics)?.[1];
      expect(Number(parsed), `${ingest.name}:\n${metrics.split('\n').filter((l) => l.startsWith('watchpost_source_')).join('\n')}`).toBe(FAILURES / 2);
    }
    const events = await session.call<{ events: unknown[] }>(
      'GET',
      `/api/v1/events?q=${encodeURIComponent(`source.ip:${ATTACKER}`)}&from=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}&size=100`,
    );
    expect(events.events).toHaveLength(FAILURES);
  }, 150_000);

  it(`two workers never run one job twice: ${MANY} alerts → ${MANY} runs, each block delivered once, each run by one worker`, async () => {
    const before = receiver?.deliveries.length ?? 0;
    const connections = await Promise.all(ingestPorts.map((port) => syslogConnection(port)));
    let n = 0;
    for (const address of manyAddresses) {
      for (let k = 0; k < FAILURES; k++) await (connections[n++ % 2] as Awaited<ReturnType<typeof syslogConnection>>).send(failedLine(address, k));
    }
    const sentAt = Date.now();
    await waitFor(
      `${MANY} blocks at the receiver`,
      120_000,
      () => (new Set(receiver?.deliveries.slice(before).map((d) => d.address)).size >= MANY ? true : undefined),
      () => `${receiver?.deliveries.length ?? 0} deliveries so far\n${allOutput()}`,
    );
    process.stdout.write(`scale-out: ${MANY} blocks delivered ${Date.now() - sentAt} ms after the last of ${MANY * FAILURES} lines\n`);
    await Promise.all(connections.map((connection) => connection.close()));
    const runs = await waitFor(
      `${MANY} runs to succeed`,
      60_000,
      async () => {
        const found = (await listAll<PlaybookRun>(session, `/api/v1/runs?playbook=${PLAYBOOK}`)).filter((r) => manyAddresses.includes(String(r.steps[0]?.input?.address)));
        return found.length >= MANY && found.every((r) => r.status === 'succeeded') ? found : undefined;
      },
      allOutput,
    );
    await new Promise((resolve) => setTimeout(resolve, 3000));

    // Every driver call delivered once: one idempotency key per address, none repeated.
    const deliveries = (receiver?.deliveries ?? []).slice(before);
    expect(deliveries.every((d) => d.action === 'block-ip')).toBe(true);
    expect(new Set(deliveries.map((d) => d.address))).toEqual(new Set(manyAddresses));
    expect(new Set(deliveries.map((d) => d.key)).size).toBe(MANY);
    expect(deliveries).toHaveLength(MANY);

    // One alert and one run per address.
    const alerts = (await listAll<Alert>(session, '/api/v1/alerts')).filter((a) => a.ruleTitle === BRUTE_FORCE_TITLE && manyAddresses.includes(a.entities['source.ip'] ?? ''));
    expect(alerts).toHaveLength(MANY);
    expect(runs).toHaveLength(MANY);
    expect(new Set(runs.map((r) => r.trigger.alertId))).toEqual(new Set(alerts.map((a) => a.id)));

    // One attempt per run: on the run's step and on its job in the shared queue.
    const queue = new BullMqJobQueue({ redis: { url: testRedisUrl(), prefix } });
    try {
      for (const r of runs) {
        expect(r.steps[0]?.attempts, r.id).toBe(1);
        const job = await queue.get(runJobId(r.id));
        expect(job, r.id).toMatchObject({ state: 'completed', attemptsMade: 1 });
      }
    } finally {
      await queue.close();
    }

    // Which worker ran each run, from their logs: exactly one each, and both took part.
    const ranBy = new Map<string, string[]>();
    for (const worker of workers) {
      for (const line of worker.output().split('\n')) {
        if (!line.includes('"msg":"playbook step succeeded"') || !line.includes('"step":"block"')) continue;
        const id = /"run":"([^"]+)"/.exec(line)?.[1];
        if (id !== undefined) ranBy.set(id, [...(ranBy.get(id) ?? []), worker.name]);
      }
    }
    for (const r of runs) expect(ranBy.get(r.id), r.id).toHaveLength(1);
    const perWorker = workers.map((worker) => runs.filter((r) => ranBy.get(r.id)?.[0] === worker.name).length);
    process.stdout.write(`scale-out: runs per worker ${perWorker.join(' + ')}\n`);
    expect(perWorker.every((count) => count > 0)).toBe(true);
  }, 240_000);
});
