/**
 * Composes automated response for a process: the playbooks (shipped and configured), the driver
 * instances of `response.drivers`, the safety layer and the runner over the process's case store
 * and job queue. The worker role starts the runner's job handlers; the API role uses the same
 * service to request runs, decide approvals and release blocks.
 */
import { closeSync, constants, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SYSTEM_CLOCK, type Clock } from '../core/clock.js';
import type { ResponseConfig, ResponseDriverConfig } from '../core/config/schema.js';
import { formatProblem, OperationalError, type Problem } from '../core/errors.js';
import { randomSecret } from '../core/ids.js';
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
  /** @defaultValue process.env, for secrets given as `{ env: NAME }` and {@link FEED_TOKEN_ENV} */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * The data directory, where the built-in blocklist feed keeps its token when no
   * `response.drivers` are configured ({@link defaultFeedToken}). Without it, and without
   * {@link FEED_TOKEN_ENV}, there is no built-in feed and block steps are skipped.
   */
  readonly dataDir?: string;
}

/** The id of the feed driver composed when `response.drivers` is empty: GET /api/v1/feeds/blocklist. */
export const DEFAULT_FEED_ID = 'blocklist';

/** The environment variable that gives the built-in feed its token (otherwise one is generated). */
export const FEED_TOKEN_ENV = 'WATCHPOST_FEED_TOKEN';

/** The file in the data directory that keeps the generated token of the built-in feed. */
export const FEED_TOKEN_FILE = 'blocklist-feed.token';

/** The feed token's own constraints (FeedCredentials): 24 to 512 printable ASCII characters. */
const FEED_TOKEN_PATTERN = /^[\x21-\x7e]{24,512}$/;

/** Where the built-in feed's token came from, for the log line (never the token itself). */
export interface DefaultFeedToken {
  readonly token: string;
  /** `env`: {@link FEED_TOKEN_ENV}; `file`: an existing token file; `created`: a token generated now. */
  readonly source: 'env' | 'file' | 'created';
  /** The token file, when the token lives in one. */
  readonly file?: string;
}

/** The token file's text as a token; an OperationalError naming the file (never its text) when it is not one. */
function tokenOf(text: string, file: string): string {
  const token = text.replace(/\r?\n$/, '');
  if (!FEED_TOKEN_PATTERN.test(token)) {
    throw new OperationalError('WATCHPOST_ERR_DRIVER_CONFIG', `${file} does not hold a feed token (24 to 512 printable characters); remove it to have a new one generated`);
  }
  return token;
}

/**
 * The token of the built-in blocklist feed: {@link FEED_TOKEN_ENV} when set, else the one kept in
 * `<dataDir>/blocklist-feed.token`, generated (32 random bytes, base64url) on the first start.
 * The file is created whole or not at all: written and synced under a temporary name, then
 * hard-linked to its name, which fails when another process (an api and a worker on one data
 * directory, started together) got there first, whose token is then read. Mode 0600, as it
 * opens the feed to whoever reads it.
 */
export function defaultFeedToken(dataDir: string, env: NodeJS.ProcessEnv = process.env): DefaultFeedToken {
  const fromEnv = env[FEED_TOKEN_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!FEED_TOKEN_PATTERN.test(fromEnv)) {
      throw new OperationalError('WATCHPOST_ERR_DRIVER_CONFIG', `${FEED_TOKEN_ENV} must be 24 to 512 printable characters without spaces`);
    }
    return { token: fromEnv, source: 'env' };
  }
  const file = join(dataDir, FEED_TOKEN_FILE);
  try {
    return { token: tokenOf(readFileSync(file, 'utf8'), file), source: 'file', file };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dataDir, { recursive: true });
  const token = randomSecret();
  const temporary = `${file}.${process.pid}.${randomSecret().slice(0, 8)}.tmp`;
  const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    writeSync(fd, `${token}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { token: tokenOf(readFileSync(file, 'utf8'), file), source: 'file', file };
  } finally {
    unlinkSync(temporary);
  }
  return { token, source: 'created', file };
}

/**
 * The built-in `feed` instance `blocklist` when `response.drivers` is empty, so a new install
 * blocks out of the box without touching the network: blocks are recorded and served at
 * GET /api/v1/feeds/blocklist for firewalls to pull. Undefined (with an error logged) when its
 * token cannot be had; the steps are then skipped as with no driver at all.
 */
function defaultFeedDriver(options: ResponseOptions, logger: Logger): ResponseDriverConfig | undefined {
  const env = options.env ?? process.env;
  if (options.config.drivers.length > 0) return undefined;
  if (options.dataDir === undefined && !env[FEED_TOKEN_ENV]) return undefined;
  let found: DefaultFeedToken;
  try {
    found = defaultFeedToken(options.dataDir ?? '', env);
  } catch (error) {
    logger.error({ err: { message: (error as Error).message, code: (error as NodeJS.ErrnoException).code } }, 'the built-in blocklist feed is left out: its token could not be read or created');
    return undefined;
  }
  if (found.file !== undefined) {
    const mode = lstatSync(found.file).mode & 0o777;
    if ((mode & 0o077) !== 0) logger.warn({ file: found.file, mode: mode.toString(8) }, 'the blocklist feed token file is readable by others; chmod 600 it');
  }
  logger.info(
    { feed: DEFAULT_FEED_ID, path: `/api/v1/feeds/${DEFAULT_FEED_ID}`, tokenFrom: found.source === 'env' ? `environment ${FEED_TOKEN_ENV}` : found.file, created: found.source === 'created' },
    'no response drivers configured: blocks go to the built-in blocklist feed (nothing on the network changes); firewalls pull it with the token',
  );
  return {
    id: DEFAULT_FEED_ID,
    type: 'feed',
    enabled: true,
    settings: { description: 'Built in: composed because response.drivers is empty' },
    credentials: { token: found.token },
  };
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
  const builtIn = defaultFeedDriver(options, logger);
  const drivers: readonly ResponseDriverConfig[] = builtIn ? [builtIn] : config.drivers;
  const built = buildDrivers(drivers, types, { logger: logger.child({ component: 'drivers' }), clock }, options.env ?? process.env);
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
  const instances = drivers.map((driver) => ({
    id: driver.id,
    type: driver.type,
    actions: built.drivers.get(driver.id)?.actions ?? [],
    enabled: driver.enabled && built.drivers.has(driver.id),
  }));
  // A feed's token is read the way buildDrivers read it; a feed whose secret is unreadable was
  // reported there and serves nothing.
  const feeds = drivers.flatMap((driver) => {
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
