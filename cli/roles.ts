import type { FastifyInstance } from 'fastify';
import { buildApi } from '../api/app.js';
import type { Config } from '../core/config/schema.js';
import { OperationalError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { createMetricsRegistry } from '../core/metrics.js';
import { openBackends, type Backends } from './backends.js';
import { startMaintenance } from './maintenance.js';
import { VERSION } from './version.js';

/** The roles one process can play; `start` plays them all. */
export type RoleName = 'api' | 'ingest' | 'worker';

/** A running process: its HTTP address and how to stop it. */
export interface RunningProcess {
  /** The address the HTTP server listens on, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  readonly backends: Backends;
  readonly app: FastifyInstance;
  /** Stops serving, stops workers, closes backends. Idempotent. */
  close(): Promise<void>;
}

/** Splits `host:port` (IPv6 in brackets). */
export function parseListen(listen: string): { host: string; port: number } {
  const match = /^\[?([^\]]*)\]?:(\d+)$/.exec(listen);
  if (!match) throw new OperationalError('WATCHPOST_ERR_API_LISTEN', `cannot parse listen address ${listen}`);
  return { host: match[1] as string, port: Number(match[2]) };
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
    const health = {
      events: backends.events,
      cases: backends.cases,
      queue: backends.queue,
      ...(backends.correlation ? { correlation: backends.correlation } : {}),
    };
    if (roles.includes('worker')) {
      const maintenance = startMaintenance({ ...backends, retention: config.retention, logger: logger.child({ component: 'maintenance' }) });
      closers.push(() => maintenance.close());
    }
    const app = await buildApi({ config: config.api, logger, version: VERSION, metrics, health });
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
    return { url, backends, app, close: () => (closing ??= close()) };
  } catch (error) {
    await close();
    throw error;
  }
}
