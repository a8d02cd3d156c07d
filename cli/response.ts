/**
 * Composes automated response for a process: the playbooks (shipped and configured), the driver
 * instances of `response.drivers`, the safety layer and the runner over the process's case store
 * and job queue. The worker role starts the runner's job handlers; the API role uses the same
 * service to request runs, decide approvals and release blocks.
 */
import { SYSTEM_CLOCK, type Clock } from '../core/clock.js';
import type { ResponseConfig } from '../core/config/schema.js';
import { formatProblem, type Problem } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Registry } from '../core/metrics.js';
import type { CaseStore } from '../core/stores/case-store.js';
import type { JobQueue } from '../core/stores/job-queue.js';
import type { FeedAccess } from '../api/routes/feeds/index.js';
import type { DriverInstanceSummary, ResponseOperations } from '../api/routes/response/operations.js';
import { feedAccess } from '../playbooks/actions/block-ip/feed.js';
import { DRIVER_TYPES } from '../playbooks/actions/index.js';
import { buildDrivers, resolveSecret } from '../playbooks/actions/registry.js';
import type { Driver, DriverType } from '../playbooks/actions/types.js';
import type { Playbook } from '../playbooks/definition/index.js';
import { createResponseService, type ResponseService } from '../playbooks/runner/index.js';
import { createSafety, type Safety } from '../playbooks/safety/index.js';
import { loadConfiguredPlaybooks } from './commands/playbooks.js';

/** Automated response as composed in this process. */
export interface RunningResponse {
  readonly service: ResponseService;
  readonly playbooks: readonly Playbook[];
  readonly drivers: ReadonlyMap<string, Driver>;
  readonly safety: Safety;
  /** What the API's response routes call: the service for runs and blocks, safety for the never-block list and the breaker. */
  readonly operations: ResponseOperations;
  /** The configured driver instances as GET /api/v1/actions lists them. */
  readonly instances: readonly DriverInstanceSummary[];
  /** The blocklist feeds the API serves: the feed driver instances and their token digests. */
  readonly feeds: readonly FeedAccess[];
  /** Stops the runner (when started) and closes the drivers' connections. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link startResponse}. */
export interface ResponseOptions {
  readonly config: Readonly<ResponseConfig>;
  readonly cases: CaseStore;
  readonly queue: JobQueue;
  readonly logger: Logger;
  readonly metrics?: Registry;
  /** Whether this process runs the jobs (the worker role); the API role only drives the service. */
  readonly work: boolean;
  /** @defaultValue the system clock */
  readonly clock?: Clock;
  /** @defaultValue DRIVER_TYPES */
  readonly driverTypes?: readonly DriverType[];
  /** @defaultValue process.env, for secrets given as `{ env: NAME }` */
  readonly env?: NodeJS.ProcessEnv;
}

function logProblems(logger: Logger, problems: readonly Problem[], what: string): void {
  for (const problem of problems) logger.error({ path: problem.path, problem: formatProblem(problem) }, `${what} left out: ${formatProblem(problem)}`);
}

/**
 * Loads playbooks and drivers and builds the response service; starts its job handlers when
 * `work`. Broken playbooks and driver configs are logged (by path and location, never with a
 * secret) and left out; the rest run. Undefined when `response.enabled` is false.
 */
export function startResponse(options: ResponseOptions): RunningResponse | undefined {
  const { config, logger } = options;
  if (!config.enabled) {
    logger.info('automated response is disabled (response.enabled: false)');
    return undefined;
  }
  const clock = options.clock ?? SYSTEM_CLOCK;
  const types = options.driverTypes ?? DRIVER_TYPES;
  const built = buildDrivers(config.drivers, types, { logger: logger.child({ component: 'drivers' }), clock }, options.env ?? process.env);
  logProblems(logger, built.problems, 'response driver');
  const loaded = loadConfiguredPlaybooks(config);
  logProblems(logger, loaded.problems, 'playbook');
  for (const replaced of loaded.replaced) {
    logger.info({ playbook: replaced.id, file: replaced.by.file, replaces: replaced.source.file }, 'playbook replaces a shipped or earlier one');
  }
  const enabled = loaded.playbooks.filter((playbook) => playbook.enabled);
  logger.info(
    {
      playbooks: enabled.length,
      disabledPlaybooks: loaded.playbooks.length - enabled.length,
      playbookProblems: loaded.problems.length,
      drivers: [...built.drivers.values()].map((driver) => `${driver.id} (${driver.type})`),
      driverProblems: built.problems.length,
      dryRun: config.dryRun,
    },
    'automated response loaded',
  );
  const safety = createSafety({ config: config.safety, cases: options.cases, clock, logger });
  const service = createResponseService({
    config,
    cases: options.cases,
    queue: options.queue,
    playbooks: () => loaded.playbooks,
    drivers: built.drivers,
    safety,
    clock,
    logger,
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  if (options.work) service.start();
  const operations: ResponseOperations = {
    playbooks: () => loaded.playbooks,
    requestRun: (playbookId, subject, requestedBy) => service.requestRun(playbookId, subject, requestedBy),
    approveStep: (runId, by) => service.approveStep(runId, by),
    rejectStep: (runId, by, reason) => service.rejectStep(runId, by, reason),
    releaseBlock: (blockId, by) => service.releaseBlock(blockId, by),
    neverBlockList: () => safety.neverBlockList(),
    breaker: () => safety.breaker(),
    closeBreaker: (by) => safety.closeBreaker(by),
  };
  const instances = config.drivers.map((driver) => ({
    id: driver.id,
    type: driver.type,
    actions: built.drivers.get(driver.id)?.actions ?? [],
    enabled: driver.enabled && built.drivers.has(driver.id),
  }));
  // A feed's token is read the way buildDrivers read it; a feed whose secret is unreadable was
  // reported there and serves nothing.
  const feeds = config.drivers.flatMap((driver) => {
    const token = driver.credentials['token'];
    if (driver.type !== 'feed' || !driver.enabled || !built.drivers.has(driver.id) || token === undefined) return [];
    return [feedAccess(driver.id, resolveSecret(token, options.env ?? process.env))];
  });
  let closing: Promise<void> | undefined;
  return {
    service,
    playbooks: loaded.playbooks,
    drivers: built.drivers,
    safety,
    operations,
    instances,
    feeds,
    close: () =>
      (closing ??= (async () => {
        await service.close();
        for (const driver of built.drivers.values()) {
          try {
            await driver.close?.();
          } catch (error) {
            logger.warn({ driver: driver.id, err: error }, 'closing a response driver failed');
          }
        }
      })()),
  };
}
