import type { FastifyInstance } from 'fastify';
import { SYSTEM_CLOCK, type Clock } from '../../../core/clock.js';
import { hasCode } from '../../../core/errors.js';
import type { CaseStore } from '../../../core/stores/case-store.js';
import type { AlertingService } from '../../../engine/alerting/index.js';
import { commentRoutes } from './comments.js';
import { expectedRevOf, type IncidentRouteDeps, type RouteGroup } from './context.js';
import { editRoutes } from './edit.js';
import { groupingRoutes } from './grouping.js';
import { listRoutes } from './list.js';
import { observableRoutes } from './observables.js';
import { readRoutes } from './read.js';
import { responseMetricsRoutes } from './response-metrics.js';
import { statusRoutes } from './status.js';
import { taskRoutes } from './tasks.js';

/** Options of {@link incidentsRoutes}. */
export interface IncidentsRouteOptions {
  /** The alerting engine whose incident operations the routes call; absent: every route answers 503. */
  readonly alerting?: AlertingService | undefined;
  /** The case store the engine works on (linked alerts, timelines, audit); absent: 503. */
  readonly cases?: CaseStore | undefined;
  /** Stamps audit entries and title/severity edits, and ends the default metrics range. @defaultValue the system clock */
  readonly clock?: Clock | undefined;
}

/** Every group of incident routes, one file per concern. */
const GROUPS: readonly RouteGroup[] = [listRoutes, readRoutes, editRoutes, statusRoutes, commentRoutes, taskRoutes, observableRoutes, groupingRoutes, responseMetricsRoutes];

/**
 * Incidents under /api/v1/incidents and the response figures at /api/v1/metrics/response.
 * Viewers read (list with filters and paging, one incident with its SLA clocks and linked alerts,
 * its timeline, the figures); analysts and above change (open, edit, status with verdict,
 * comments, tasks, observables, link and unlink alerts, merge, split). Every change goes through
 * the alerting engine's incident operations with the principal's user as the timeline actor,
 * is written to the audit log with the record before and after, and honours `If-Match` end to
 * end: the revision is the engine's expected revision in its store write, so a stale one, or a
 * write by someone else between the request's read and its write, answers 412 (Precondition
 * Failed, RFC 9110 §13.1.1) with WATCHPOST_ERR_STORE_CONFLICT in the API's usual error shape, and
 * changes nothing. Without If-Match a conflict the engine could not resolve by retrying stays 409.
 */
export async function incidentsRoutes(app: FastifyInstance, options: IncidentsRouteOptions): Promise<void> {
  const deps: IncidentRouteDeps = { alerting: options.alerting, cases: options.cases, clock: options.clock ?? SYSTEM_CLOCK };
  // Only in this plugin's scope; anything else goes on to the app's error handler.
  app.setErrorHandler((error, request, reply) => {
    if (hasCode(error, 'WATCHPOST_ERR_STORE_CONFLICT') && expectedRevOf(request) !== undefined) {
      return reply.code(412).send({ error: 'precondition_failed', code: error.code, message: error.message, problems: error.problems });
    }
    throw error;
  });
  for (const group of GROUPS) group(app, deps);
}
