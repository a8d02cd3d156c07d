import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApi } from '../../api/app.js';
import type { DriverInstanceSummary, ResponseOperations } from '../../api/routes/response/operations.js';
import { SqliteJobQueue } from '../../backends/sqlite/job-queue.js';
import type { Role } from '../../core/cases/types.js';
import { ManualClock, type Clock } from '../../core/clock.js';
import { loadConfig } from '../../core/config/load.js';
import type { ResponseDriverConfig } from '../../core/config/schema.js';
import { silentLogger } from '../../core/log.js';
import { createMetricsRegistry } from '../../core/metrics.js';
import type { CaseStore } from '../../core/stores/case-store.js';
import type { JobQueue } from '../../core/stores/job-queue.js';
import { feedDriver } from '../../playbooks/actions/block-ip/feed.js';
import { buildDrivers } from '../../playbooks/actions/registry.js';
import { webhookDriver } from '../../playbooks/actions/webhook.js';
import type { Playbook } from '../../playbooks/definition/types.js';
import { createResponseService, type ResponseService } from '../../playbooks/runner/index.js';
import { createSafety, type HostFacts } from '../../playbooks/safety/index.js';
import { apiCaller } from './alerting-harness.js';
import { openTestStores, type StoreBackend } from './backends.js';

/** The host the safety layer of the API tests protects: fixed, so the effective list is known. */
export const TEST_HOST: HostFacts = { addresses: ['198.51.100.10'], gateways: ['198.51.100.1'], dnsServers: ['198.51.100.53'] };

/** The driver instances of the API tests: a blocklist feed for addresses, a webhook for the rest (never called: no worker runs). */
export const TEST_DRIVER_CONFIGS: readonly ResponseDriverConfig[] = [
  { id: 'edge', type: 'feed', enabled: true, settings: {}, credentials: { token: 'feed-token-0123456789abcdef' } },
  { id: 'idp', type: 'webhook', enabled: true, settings: { url: 'http://127.0.0.1:9/never-called', actions: ['disable-account', 'enable-account', 'notify'] }, credentials: {} },
];

/** Three playbooks: one that blocks at once, one whose only step waits for a person, one switched off. */
export const TEST_PLAYBOOKS: readonly Playbook[] = [
  {
    id: 'block-ssh-brute-force',
    title: 'Block an SSH brute-forcer',
    author: 'Watchpost',
    enabled: true,
    dryRun: false,
    trigger: { on: 'alert', rules: ['watchpost_ssh_brute_force'] },
    steps: [
      { id: 'block', action: 'block-ip', with: { address: '{{ alert.entities.source.ip }}', reason: 'SSH brute force' }, drivers: ['edge'], approval: 'auto', dryRun: false, continueOnError: false },
      { id: 'tell', action: 'notify', with: { subject: 'blocked', message: 'done' }, approval: 'auto', dryRun: false, continueOnError: true },
    ],
    source: { file: 'playbooks/block-ssh-brute-force.yml', line: 1 },
  },
  {
    id: 'disable-account-after-spraying',
    title: 'Disable an account after password spraying succeeds',
    enabled: true,
    dryRun: false,
    trigger: { on: 'incident', minSeverity: 'high' },
    steps: [{ id: 'disable', action: 'disable-account', with: { account: 'mallory', reason: 'spraying' }, approval: 'required', dryRun: false, continueOnError: false }],
    source: { file: 'playbooks/disable-account-after-spraying.yml', line: 1 },
  },
  {
    id: 'switched-off',
    title: 'A disabled playbook',
    enabled: false,
    dryRun: true,
    trigger: { on: 'incident' },
    steps: [{ id: 'ticket', action: 'create-ticket', with: {}, approval: { requiredIf: { field: 'incident.severity', equals: 'critical' } }, dryRun: true, continueOnError: false }],
    source: { file: 'playbooks/switched-off.yml', line: 3 },
  },
];

/** What {@link testResponseOperations} works on. */
export interface TestResponseOptions {
  readonly cases: CaseStore;
  readonly queue: JobQueue;
  readonly clock: Clock;
  /** @defaultValue TEST_PLAYBOOKS */
  readonly playbooks?: readonly Playbook[];
}

/** The service and the operations over it, as the composition root builds them. */
export interface TestResponse {
  readonly operations: ResponseOperations;
  readonly service: ResponseService;
  readonly drivers: readonly DriverInstanceSummary[];
}

/**
 * The real automated response over the test's stores: playbooks/runner's service with the real
 * safety layer (a fixed host, {@link TEST_HOST}) and real drivers from the registry
 * ({@link TEST_DRIVER_CONFIGS}), wrapped as the API's ResponseOperations the way cli/ wraps them.
 * The service is not started: no worker takes the jobs, so the suites see what the API queued.
 */
export function testResponseOperations(options: TestResponseOptions): TestResponse {
  const { cases, queue, clock } = options;
  const playbooks = options.playbooks ?? TEST_PLAYBOOKS;
  const config = loadConfig({ env: {} }).response;
  const logger = silentLogger();
  const built = buildDrivers(TEST_DRIVER_CONFIGS, [feedDriver, webhookDriver], { logger, clock });
  if (built.problems.length > 0) throw new Error(`test drivers: ${built.problems.map((p) => p.message).join('; ')}`);
  const safety = createSafety({ config: config.safety, cases, clock, host: TEST_HOST });
  const service = createResponseService({ config, cases, queue, playbooks: () => playbooks, drivers: built.drivers, safety, clock, logger });
  const operations: ResponseOperations = {
    playbooks: () => playbooks,
    requestRun: (playbookId, subject, requestedBy) => service.requestRun(playbookId, subject, requestedBy),
    approveStep: (runId, by) => service.approveStep(runId, by),
    rejectStep: (runId, by, reason) => service.rejectStep(runId, by, reason),
    releaseBlock: (blockId, by) => service.releaseBlock(blockId, by),
    neverBlockList: () => safety.neverBlockList(),
    breaker: () => safety.breaker(),
    closeBreaker: (by) => safety.closeBreaker(by),
  };
  const drivers = TEST_DRIVER_CONFIGS.map((c) => ({ id: c.id, type: c.type, actions: built.drivers.get(c.id)?.actions ?? [], enabled: c.enabled }));
  return { operations, service, drivers };
}

/** The app over `backend` with a job queue on the in-memory SQLite and automated response. */
export interface ResponseHarness {
  readonly app: FastifyInstance;
  readonly cases: CaseStore;
  readonly queue: SqliteJobQueue;
  readonly clock: ManualClock;
  /** An `authorization` header for a new token of `userId` (created with `roles` when missing). */
  bearer(userId: string, roles: Role[]): Promise<string>;
  call(authorization: string | undefined, options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** Options of {@link responseHarness}. */
export interface ResponseHarnessOptions {
  /** false: no `response` dependency (its routes answer 503). @defaultValue true */
  readonly response?: boolean;
}

/** Builds the app for the response suites on `backend` ('elasticsearch' needs deploy/dev/services.sh). */
export async function responseHarness(backend: StoreBackend, options: ResponseHarnessOptions = {}): Promise<ResponseHarness> {
  const stores = await openTestStores(backend);
  const { db, cases } = stores;
  const queue = new SqliteJobQueue(db, { pollIntervalMs: 50 });
  const clock = new ManualClock(Date.parse('2026-03-01T10:00:00.000Z'));
  const response = options.response !== false ? testResponseOperations({ cases, queue, clock }) : undefined;
  const app = await buildApi({
    config: loadConfig({ env: {} }).api,
    logger: silentLogger(),
    version: '0.0.0-test',
    metrics: createMetricsRegistry({ role: 'api' }),
    health: { cases },
    cases,
    clock,
    ...(response ? { response: response.operations, drivers: response.drivers } : {}),
  });
  return {
    app,
    cases,
    queue,
    clock,
    ...apiCaller(app, cases, clock),
    async close() {
      await app.close();
      await response?.service.close();
      await queue.close();
      await stores.close();
    },
  };
}
