/**
 * Automated response as a worker process runs it, for the fault tests and the benchmark: the case
 * store on a SQLite file, the job queue on the same file (the embedded queue) or on Redis
 * (BullMQ), and the response service composed by cli/response.ts `startResponse` — the real
 * playbook loader, driver registry, safety layer and runner — from a `response` config section as
 * a user writes it.
 *
 * The same file is the child process of {@link startResponseWorker} (for kill -9 tests): run
 * through vite-node with `WPT_RESPONSE_WORKER_SPEC` set to a {@link ResponseStackSpec} in JSON, it
 * starts the stack, prints `ready`, prints `effect <driver> <address>` each time a block-ip call
 * returned from the device, and runs until it is killed (SIGTERM closes it politely).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import { BullMqJobQueue } from '../../backends/redis/job-queue.js';
import { SqliteCaseStore } from '../../backends/sqlite/case-store.js';
import { openSqliteDatabase, type SqliteDatabase } from '../../backends/sqlite/database.js';
import { SqliteJobQueue } from '../../backends/sqlite/job-queue.js';
import { startResponse, type RunningResponse } from '../../cli/response.js';
import { SYSTEM_CLOCK } from '../../core/clock.js';
import { AlertingConfigSchema, ResponseConfigSchema, type AlertingConfig, type ResponseConfig } from '../../core/config/schema.js';
import { formatProblem } from '../../core/errors.js';
import { randomId } from '../../core/ids.js';
import { createLogger, silentLogger, type Logger } from '../../core/log.js';
import type { Registry } from '../../core/metrics.js';
import type { CaseStore } from '../../core/stores/case-store.js';
import type { JobQueue } from '../../core/stores/job-queue.js';
import { createAlertingService, type AlertingService } from '../../engine/alerting/index.js';
import type { AlertMatch } from '../../engine/alerting/dedup.js';
import { parseSetElements } from '../../playbooks/actions/block-ip/nftables.js';
import { DRIVER_TYPES } from '../../playbooks/actions/index.js';
import type { ActionId, DriverContext, DriverType } from '../../playbooks/actions/types.js';
import { loadPlaybooks } from '../../playbooks/definition/index.js';
import { createNetnsPair, execIn, type NetnsPair } from './netns.js';

/**
 * Where the job queue lives. `leaseMs` is small in fault tests so a dead worker's job comes back
 * soon; the embedded queue polls every `pollIntervalMs` (20 ms unless given; production's default is 250).
 */
export type QueueSpec =
  | { readonly kind: 'sqlite'; readonly file: string; readonly leaseMs: number; readonly pollIntervalMs?: number }
  | { readonly kind: 'redis'; readonly url: string; readonly prefix: string; readonly leaseMs: number };

/** Everything a worker is made from; JSON, so it crosses into a child process. */
export interface ResponseStackSpec {
  /** The SQLite file of the case store. */
  readonly casesFile: string;
  readonly queue: QueueSpec;
  /** The `response` section of the config file, before defaults (checked against the schema). */
  readonly response: Record<string, unknown>;
  /**
   * Fault injection: after a block-ip call returned from the device, wait this long before the
   * runner may record it — the window a kill -9 must hit to test "effect done, record not".
   */
  readonly pauseAfterEffectMs?: number;
  /** Log level of the worker's logger (to stderr); absent: silent. */
  readonly logLevel?: string;
}

/** The `response` section with the schema's defaults, refused (thrown) when a user could not write it. */
export function responseConfigFrom(section: Record<string, unknown>): ResponseConfig {
  const config = Value.Default(ResponseConfigSchema, structuredClone(section)) as ResponseConfig;
  if (!Value.Check(ResponseConfigSchema, config)) {
    const first = Value.Errors(ResponseConfigSchema, config).First();
    throw new Error(`invalid response config: ${first ? `${first.path} ${first.message}` : 'does not fit the schema'}`);
  }
  return config;
}

/** Opens the job queue of `spec` (on `db` for the embedded queue, so it shares the case store's file). */
export function openQueue(spec: QueueSpec, db?: SqliteDatabase): JobQueue {
  if (spec.kind === 'sqlite') return new SqliteJobQueue(db ?? openSqliteDatabase(spec.file), { pollIntervalMs: spec.pollIntervalMs ?? 20, leaseMs: spec.leaseMs });
  return new BullMqJobQueue({ connection: spec.url, prefix: spec.prefix, lockDurationMs: spec.leaseMs, stalledIntervalMs: Math.max(250, Math.floor(spec.leaseMs / 2)) });
}

/**
 * The registry's driver types, with block-ip of every instance wrapped so that the test learns
 * when the device's answer came back (`onEffect`) and, with `pauseMs`, the runner waits before it
 * can record it. The driver itself is the real one, unchanged.
 */
export function observedDriverTypes(onEffect: (driver: string, address: string) => void, pauseMs = 0): DriverType[] {
  return DRIVER_TYPES.map((type) => ({
    ...type,
    create(config, dependencies) {
      const driver = type.create(config, dependencies);
      return {
        ...driver,
        id: driver.id,
        type: driver.type,
        actions: driver.actions,
        async execute(action: ActionId, input: unknown, context: DriverContext) {
          const result = await driver.execute(action, input, context);
          if (action === 'block-ip') {
            onEffect(driver.id, String((input as { address?: unknown }).address));
            if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
          }
          return result;
        },
        ...(driver.verify ? { verify: driver.verify.bind(driver) } : {}),
        ...(driver.close ? { close: driver.close.bind(driver) } : {}),
      };
    },
  }));
}

/** A started worker in this process. */
export interface ResponseStack {
  readonly db: SqliteDatabase;
  readonly cases: CaseStore;
  readonly queue: JobQueue;
  readonly response: RunningResponse;
  readonly config: ResponseConfig;
  /** Stops the runner, then the queue and the database. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link startResponseStack} that cannot cross a process boundary. */
export interface StackHooks {
  readonly logger?: Logger;
  readonly metrics?: Registry;
  readonly onEffect?: (driver: string, address: string) => void;
  /** Build the service but do not run jobs (a producer-only process). @defaultValue true */
  readonly work?: boolean;
}

/** Opens the stores of `spec` and starts automated response on them, as `watchpost worker` does. */
export function startResponseStack(spec: ResponseStackSpec, hooks: StackHooks = {}): ResponseStack {
  const config = responseConfigFrom(spec.response);
  const db = openSqliteDatabase(spec.casesFile);
  const cases = new SqliteCaseStore(db);
  const queue = openQueue(spec.queue, spec.queue.kind === 'sqlite' && spec.queue.file === spec.casesFile ? db : undefined);
  const logger = hooks.logger ?? silentLogger();
  const response = startResponse({
    config,
    cases,
    queue,
    logger,
    work: hooks.work ?? true,
    driverTypes: observedDriverTypes(hooks.onEffect ?? (() => undefined), spec.pauseAfterEffectMs ?? 0),
    ...(hooks.metrics ? { metrics: hooks.metrics } : {}),
  });
  if (!response) throw new Error('response.enabled is false in the spec');
  let closing: Promise<void> | undefined;
  return {
    db,
    cases,
    queue,
    response,
    config,
    close: () =>
      (closing ??= (async () => {
        try {
          await response.close();
        } finally {
          await queue.close();
          db.close();
        }
      })()),
  };
}

const VITE_NODE = fileURLToPath(new URL('../../node_modules/vite-node/vite-node.mjs', import.meta.url));
const SELF = fileURLToPath(import.meta.url);

/** A worker process started by {@link startResponseWorker}. */
export interface ResponseWorkerProcess {
  readonly pid: number;
  /** Resolves with the first line starting with `prefix` (printed since the start). */
  line(prefix: string, timeoutMs?: number): Promise<string>;
  /** kill -9: nothing finishes, no lease is released, no connection is closed politely. */
  kill(): Promise<void>;
  /** SIGTERM, and SIGKILL when it has not exited within 10 s. */
  stop(): Promise<void>;
  /** The last 8000 characters the worker wrote to stderr (its log), for failure messages. */
  stderr(): string;
}

/** Starts this file as a worker process (vite-node runs the TypeScript) with `spec`. */
export function startResponseWorker(spec: ResponseStackSpec): ResponseWorkerProcess {
  const child: ChildProcess = spawn(process.execPath, [VITE_NODE, SELF], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WPT_RESPONSE_WORKER_SPEC: JSON.stringify(spec) },
  });
  const lines: string[] = [];
  let stderr = '';
  let buffer = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      lines.push(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-8000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    pid: child.pid ?? -1,
    async line(prefix, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines.find((l) => l.startsWith(prefix));
        if (found !== undefined) return found;
        if (gone()) throw new Error(`the response worker exited (${String(child.exitCode ?? child.signalCode)}) before printing "${prefix}": ${stderr}`);
        if (Date.now() > deadline) throw new Error(`the response worker did not print "${prefix}" within ${timeoutMs} ms: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async kill() {
      if (!gone()) child.kill('SIGKILL');
      await exited;
    },
    stderr: () => stderr,
    async stop() {
      if (gone()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * An attacker and a victim namespace for response tests: like createNetnsPair, but on
 * 203.0.113.0/24 and 2001:db8:7a7d::/64. createNetnsPair's 192.0.2.0/24 may be the network of
 * the machine itself (here the host is 192.0.2.2 with gateway 192.0.2.1), and the real safety
 * layer rightly refuses to block this host's own gateway, which is the attacker's address there.
 * Attacker 203.0.113.1 and 2001:db8:7a7d::1, victim 203.0.113.2 and 2001:db8:7a7d::2.
 */
export function createResponseLab(tag: string): Promise<NetnsPair> {
  return createNetnsPair(tag, { ipv4: '203.0.113', ipv6: '2001:db8:7a7d' });
}

/** The addresses (and prefixes) in an nftables set inside namespace `ns`, as nft lists them. */
export async function nftSetAddresses(ns: string, table: string, set: string, family = 'inet'): Promise<string[]> {
  let json: string;
  try {
    json = await execIn(ns, 'nft', ['-j', 'list', 'set', family, table, set]);
  } catch (error) {
    // No table or set yet: the driver creates them on first use, so nothing was blocked.
    if (/No such file or directory|does not exist/.test((error as { stderr?: string }).stderr ?? String(error))) return [];
    throw error;
  }
  return parseSetElements(json).flatMap((element) => (element.address ? [element.address.text] : element.range ? [element.range] : []));
}

// The child process: only when started by startResponseWorker (vite-node does not keep the script
// in process.argv, so the environment variable alone marks it; the test process never sets it).
const childSpec = process.env.WPT_RESPONSE_WORKER_SPEC;
if (childSpec !== undefined) {
  delete process.env.WPT_RESPONSE_WORKER_SPEC;
  const spec = JSON.parse(childSpec) as ResponseStackSpec;
  const logger = spec.logLevel ? createLogger({ level: spec.logLevel, destination: process.stderr }) : silentLogger();
  const stack = startResponseStack(spec, {
    logger,
    onEffect: (driver, address) => process.stdout.write(`effect ${driver} ${address}\n`),
  });
  process.once('SIGTERM', () => {
    void stack.close().finally(() => process.exit(0));
  });
  process.stdout.write('ready\n');
}

/** A detection match as the detector produces one, for rule `ruleKey` with `ip` as source.ip (its evidence came over TCP). */
export function ruleMatch(ruleKey: string, ip: string, at = new Date().toISOString()): AlertMatch {
  return {
    rule: { key: ruleKey, id: ruleKey, title: `Test rule ${ruleKey}`, level: 'high', author: 'Watchpost tests', tags: ['attack.t1110'], source: `test/${ruleKey}.yml:1` },
    kind: 'detection',
    eventIds: [randomId()],
    at,
    selections: ['selection'],
    matched: [{ field: 'source.ip', value: ip, selection: 'selection' }],
    entities: { 'source.ip': ip, 'user.name': `u-${ip}`, 'host.name': `h-${ip}` },
    filtersApplied: [],
    transports: ['tcp'],
  };
}

/** The alerting engine over the test's stores with the default alerting config: alerts, incidents and the outbox. */
export function alertingOver(cases: CaseStore, queue: JobQueue): AlertingService {
  return createAlertingService({ store: cases, queue, clock: SYSTEM_CLOCK, config: Value.Default(AlertingConfigSchema, {}) as AlertingConfig });
}

/** Writes `yaml` as `<id>.yml` into `dir` and checks that the real loader takes it without a problem. */
export function writePlaybook(dir: string, id: string, yaml: string, drivers: readonly { id: string; type: string; actions: readonly ActionId[] }[] = []): void {
  writeFileSync(join(dir, `${id}.yml`), yaml);
  const loaded = loadPlaybooks({ dirs: [dir], drivers });
  const problems = loaded.problems;
  if (problems.length > 0) throw new Error(`playbook ${id}: ${problems.map((p) => formatProblem(p)).join('; ')}`);
  if (!loaded.playbooks.some((playbook) => playbook.id === id)) throw new Error(`playbook ${id} was not loaded from ${dir}`);
}

/** Polls `probe` every 25 ms until it returns a value other than undefined; throws after `timeoutMs`. */
export async function waitUntil<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** One webhook request as the receiver saw it. */
export interface WebhookArrival {
  readonly action: string;
  readonly idempotencyKey: string;
  readonly input: Record<string, unknown>;
  /** Date.now() when the request's first byte was handled. */
  readonly at: number;
}

/** A local webhook receiver that records each action it is sent, with its arrival time. */
export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>/hook` */
  readonly url: string;
  readonly arrivals: WebhookArrival[];
  close(): Promise<void>;
}

/** The largest request body the receiver reads (the webhook driver sends a small JSON object). */
const MAX_RECEIVER_BODY = 64 * 1024;

/** Starts a {@link WebhookReceiver} on 127.0.0.1 and a free port; it answers 200 `{}` to every POST. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const arrivals: WebhookArrival[] = [];
  const server = createHttpServer((request, response) => {
    const at = Date.now();
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > MAX_RECEIVER_BODY) request.destroy();
    });
    request.on('end', () => {
      try {
        const parsed = JSON.parse(body) as { action: string; idempotencyKey: string; input: Record<string, unknown> };
        arrivals.push({ action: parsed.action, idempotencyKey: parsed.idempotencyKey, input: parsed.input, at });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch {
        response.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    arrivals,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
