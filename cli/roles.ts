import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../api/app.js';
import { scryptHasher, type PasswordHasher } from '../core/auth/password.js';
import { ensureFirstAdmin } from '../core/auth/users.js';
import { SYSTEM_CLOCK } from '../core/clock.js';
import type { Config } from '../core/config/schema.js';
import type { EcsEvent } from '../core/ecs/event.js';
import { OperationalError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { createMetricsRegistry, type Registry } from '../core/metrics.js';
import { createEnrichers } from '../ingest/enrich/index.js';
import { enrichingNormalizer, normalizeRecord } from '../ingest/pipeline/normalize.js';
import { IngestPipeline } from '../ingest/pipeline/pipeline.js';
import { startSourceStatsWriter } from '../ingest/pipeline/source-stats.js';
import { startSupervisor, type SupervisedSource } from '../ingest/pipeline/supervisor.js';
import { SOURCES } from '../ingest/sources/index.js';
import { openBackends, type Backends } from './backends.js';
import { createAlertingService, type AlertingService } from '../engine/alerting/index.js';
import { startAlerting, type RunningAlerting } from './alerting.js';
import { rulesApiDependencies, startDetection, type RunningDetection } from './detection.js';
import { startMaintenance } from './maintenance.js';
import { registerOperationsMetrics } from './operations-metrics.js';
import { startReports, type RunningReports } from './reports.js';
import { startResponse, type RunningResponse } from './response.js';
import { packageRoot, VERSION } from './version.js';

/** The roles one process can play; `start` plays them all. */
export type RoleName = 'api' | 'ingest' | 'worker';

/** A running process: its HTTP address and how to stop it. */
export interface RunningProcess {
  /** The address the HTTP server listens on, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  readonly backends: Backends;
  readonly app: FastifyInstance;
  /** The ingest pipeline (a RecordSink: HTTP ingest hands it records), when this process runs the ingest role. */
  readonly pipeline?: IngestPipeline;
  /** Stops serving, stops workers, closes backends. Idempotent. */
  close(): Promise<void>;
}

/** Splits `host:port` (IPv6 in brackets). */
export function parseListen(listen: string): { host: string; port: number } {
  const match = /^\[?([^\]]*)\]?:(\d+)$/.exec(listen);
  if (!match) throw new OperationalError('WATCHPOST_ERR_API_LISTEN', `cannot parse listen address ${listen}`);
  return { host: match[1] as string, port: Number(match[2]) };
}

/** The source id HTTP ingest records carry. */
export const HTTP_SOURCE_ID = 'http';

/** The syslog listeners `--syslog-listen host:port` stands for: UDP and TCP on that address. */
export const SYSLOG_LISTEN_IDS = { udp: 'syslog-udp', tcp: 'syslog-tcp' } as const;

/** Where `watchpost start` listens for syslog when neither the config nor a flag names a listener. */
export const DEFAULT_SYSLOG_LISTEN = '127.0.0.1:5514';

/**
 * The `ingest.syslog` list with `--syslog-listen`'s UDP and TCP listeners on `listen` (replacing
 * configured listeners of the same ids), as a plain value for a config override.
 */
export function syslogListeners(configured: readonly { readonly id: string }[], listen: string): unknown[] {
  const ids: readonly string[] = Object.values(SYSLOG_LISTEN_IDS);
  return [
    ...configured.filter((listener) => !ids.includes(listener.id)).map((listener) => structuredClone(listener)),
    { id: SYSLOG_LISTEN_IDS.udp, protocol: 'udp', listen },
    { id: SYSLOG_LISTEN_IDS.tcp, protocol: 'tcp', listen },
  ];
}

/** Opens the ingest pipeline over the event store; the spool lives in the data directory. */
async function startIngest(
  config: Readonly<Config>,
  backends: Backends,
  metrics: Registry,
  logger: Logger,
  detection: RunningDetection | undefined,
  alerting?: RunningAlerting,
): Promise<IngestPipeline> {
  const sourceIds = [...config.ingest.syslog.map((s) => s.id), ...config.ingest.files.map((f) => f.id), HTTP_SOURCE_ID];
  return IngestPipeline.open({
    dataDir: config.dataDir,
    spool: config.ingest.spool,
    batch: config.ingest.batch,
    store: backends.events,
    normalize: enrichingNormalizer(normalizeRecord, createEnrichers(config.ingest.enrich)),
    metrics,
    sourceIds,
    logger: logger.child({ component: 'pipeline' }),
    ...(detection || alerting
      ? {
          afterStore: (events: readonly EcsEvent[]) => {
            alerting?.observe(events);
            return detection ? detection.afterStore(events) : Promise.resolve();
          },
        }
      : {}),
  });
}

/**
 * First start: when nobody can sign in with a password yet, creates `admin` and prints its
 * generated password once to stderr, the operator's terminal. Written there and not to the
 * logger, because logs are shipped and kept; the log records only that it happened.
 */
async function announceFirstAdmin(backends: Backends, passwords: PasswordHasher, logger: Logger): Promise<void> {
  const created = await ensureFirstAdmin(backends.cases, passwords, SYSTEM_CLOCK);
  if (!created) return;
  process.stderr.write(
    `\nwatchpost: created the first administrator "${created.username}" with the password\n\n    ${created.password}\n\n` +
      'It is shown only this once: sign in and change it (watchpost user passwd admin --password-stdin).\n\n',
  );
  logger.info({ username: created.username }, 'created the first administrator; its password was printed once to stderr');
}

/**
 * Composes and starts the given roles in this process. Every role serves GET /api/health and
 * GET /metrics on `api.listen` so an orchestrator can probe it; the api role will add the
 * resource routes, the ingest role the sources and pipeline, the worker role the job handlers.
 */
export async function startRoles(roles: readonly RoleName[], config: Readonly<Config>, logger: Logger): Promise<RunningProcess> {
  const started = Date.now();
  const backends = await openBackends(config, logger, { correlation: roles.includes('ingest') });
  const closers: (() => Promise<void>)[] = [() => backends.close()];
  const close = async (): Promise<void> => {
    while (closers.length > 0) await (closers.pop() as () => Promise<void>)();
  };
  try {
    const metrics = createMetricsRegistry({ role: roles.join('+') });
    registerOperationsMetrics(metrics, { queue: backends.queue, cases: backends.cases, logger });
    const health = {
      events: backends.events,
      cases: backends.cases,
      queue: backends.queue,
      ...(backends.correlation ? { correlation: backends.correlation } : {}),
    };
    let pipeline: IngestPipeline | undefined;
    // Alerting: in the ingest role matches become alerts and silent sources are checked (only that
    // process sees the events); the worker role runs the SLA checks and the outbox sweep.
    let alerting: RunningAlerting | undefined;
    if (config.alerting.enabled && (roles.includes('ingest') || roles.includes('worker'))) {
      alerting = startAlerting({
        config: config.alerting,
        cases: backends.cases,
        queue: backends.queue,
        metrics,
        logger: logger.child({ component: 'alerting' }),
        checks: { sla: roles.includes('worker'), availability: roles.includes('ingest') },
      });
      const running = alerting;
      closers.push(() => running.close());
    }
    if (roles.includes('ingest')) {
      let detection: RunningDetection | undefined;
      if (config.detection.enabled && backends.correlation) {
        detection = await startDetection({
          config: config.detection,
          correlationStore: backends.correlation,
          metrics,
          logger: logger.child({ component: 'detection' }),
          ...(alerting ? { sink: alerting.sink } : {}),
          // Rule switches and uploads made through the API, polled.
          cases: backends.cases,
        });
        const running = detection;
        closers.push(() => running.close());
      }
      pipeline = await startIngest(config, backends, metrics, logger, detection, alerting);
      const opened = pipeline;
      // Hourly per-source counters for the weekly report (drops, silent sources). Its last write
      // follows the pipeline's close (closers run in reverse), so the final batch's counts are in it.
      const sourceStats = startSourceStatsWriter({
        metrics: opened.counters,
        stats: backends.cases.sourceStats,
        instance: `${hostname()}-${process.pid}`,
        clock: SYSTEM_CLOCK,
        logger: logger.child({ component: 'source-stats' }),
      });
      closers.push(async () => {
        await opened.close();
        await sourceStats.close();
      });
      const sources: SupervisedSource[] = [
        ...config.ingest.syslog.map((slice) => ({ definition: SOURCES.syslog, config: slice })),
        ...config.ingest.files.map((slice) => ({ definition: SOURCES.file, config: slice })),
      ];
      const supervisor = startSupervisor({ sources, sink: opened, dataDir: config.dataDir, logger: logger.child({ component: 'supervisor' }) });
      // Closed before the pipeline (closers run in reverse): sources stop emitting, then the spool closes.
      closers.push(() => supervisor.close());
    }
    if (roles.includes('worker')) {
      const maintenance = startMaintenance({ ...backends, retention: config.retention, logger: logger.child({ component: 'maintenance' }) });
      closers.push(() => maintenance.close());
    }
    // Automated response: the worker role runs the playbook jobs; the api role drives the same
    // service (manual runs, approvals, releasing blocks) without running jobs.
    const response: RunningResponse | undefined =
      roles.includes('worker') || roles.includes('api')
        ? startResponse({ config: config.response, cases: backends.cases, queue: backends.queue, logger: logger.child({ component: 'response' }), metrics, work: roles.includes('worker'), dataDir: config.dataDir })
        : undefined;
    if (response) closers.push(() => response.close());
    // The weekly report: the worker role generates, mails and schedules it; the api role lists,
    // serves and queues it.
    const reports: RunningReports | undefined =
      roles.includes('worker') || roles.includes('api')
        ? startReports({ config, events: backends.events, cases: backends.cases, queue: backends.queue, logger: logger.child({ component: 'reports' }), work: roles.includes('worker') })
        : undefined;
    if (reports) closers.push(() => reports.close());
    const passwords = scryptHasher();
    if (roles.includes('api')) await announceFirstAdmin(backends, passwords, logger);
    // The API's triage, suppressions and live stream: the engine this process already runs (so
    // its new alerts reach the stream at once), else one of its own over the same stores, which
    // runs no periodic checks (the stream then polls the store for other processes' alerts).
    const apiAlerting: AlertingService | undefined = roles.includes('api')
      ? (alerting?.service ?? createAlertingService({ store: backends.cases, queue: backends.queue, clock: SYSTEM_CLOCK, config: config.alerting }))
      : undefined;
    const app = await buildApi({
      config: config.api,
      logger,
      version: VERSION,
      metrics,
      health,
      cases: backends.cases,
      events: backends.events,
      ...(response ? { response: response.operations, drivers: response.instances, feeds: response.feeds } : {}),
      ...(reports ? { reports: reports.operations } : {}),
      rules: rulesApiDependencies(config.detection, config.ingest.enrich),
      ...(apiAlerting ? { alerting: apiAlerting } : {}),
      // API tokens (Bearer) and console sessions (cookie), as buildApi composes them.
      auth: config.auth,
      passwords,
      consoleDir: join(packageRoot(), 'dist', 'console'),
      ...(pipeline ? { ingest: { sink: pipeline, config: config.ingest.http } } : {}),
    });
    closers.push(() => app.close());
    const { host, port } = parseListen(config.api.listen);
    try {
      await app.listen({ host, port });
    } catch (error) {
      throw new OperationalError('WATCHPOST_ERR_API_LISTEN', `cannot listen on ${config.api.listen}: ${(error as Error).message}`, { cause: error });
    }
    const address = app.server.address();
    const url = typeof address === 'object' && address ? `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}` : `http://${config.api.listen}`;
    logger.info(
      {
        roles,
        url,
        version: VERSION,
        backends: Object.fromEntries(Object.entries(health).map(([concern, backend]) => [concern, backend.kind])),
        startupMs: Date.now() - started,
      },
      'watchpost started',
    );
    let closing: Promise<void> | undefined;
    return { url, backends, app, ...(pipeline ? { pipeline } : {}), close: () => (closing ??= close()) };
  } catch (error) {
    await close();
    throw error;
  }
}
