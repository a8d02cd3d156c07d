import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Incident, Role } from '../../../core/cases/types.js';
import type { Clock } from '../../../core/clock.js';
import { UserError } from '../../../core/errors.js';
import type { CaseStore, Stored } from '../../../core/stores/case-store.js';
import type { AlertingService, IncidentChange, WriteOptions } from '../../../engine/alerting/index.js';
import type { Principal } from '../../plugins/auth-guard.js';
import { recordAudit } from '../audit/record.js';
import { principalUserId } from '../users/principal.js';
import { auditView, toIncidentView, type ChangeView, type IncidentView } from './schemas.js';

/** Who may read incidents and the response figures. */
export const READERS = ['viewer'] as const satisfies readonly Role[];
/** Who may change incidents: analysts triage, and every role above them may too. */
export const WRITERS = ['analyst'] as const satisfies readonly Role[];
export const TAGS = ['incidents'];

/** What every incident route works with; absent parts make the routes answer 503. */
export interface IncidentRouteDeps {
  readonly alerting: AlertingService | undefined;
  readonly cases: CaseStore | undefined;
  readonly clock: Clock;
}

/** One request's working set: the engine, the store, and who is asking. */
export interface RequestContext {
  readonly alerting: AlertingService;
  readonly cases: CaseStore;
  readonly clock: Clock;
  /** The principal id (`token:<id>` for a token), written to the audit log as the actor. */
  readonly auditActor: string;
  /** The user the principal acts for, written to the incident's timeline as the actor. */
  readonly actor: string;
}

/**
 * The request's context, or undefined after answering 503 (no alerting engine or case store in
 * this process) or 401 (the token authenticating the request has just been deleted).
 */
export async function contextOf(deps: IncidentRouteDeps, request: FastifyRequest, reply: FastifyReply): Promise<RequestContext | undefined> {
  const { alerting, cases, clock } = deps;
  if (!alerting || !cases) {
    await reply.code(503).send({ error: 'unavailable', message: 'this process runs no alerting engine' });
    return undefined;
  }
  // requireRole answered 401 before the handler for a request without a principal.
  const principal = request.principal as Principal;
  const actor = await principalUserId(principal, cases);
  if (actor === undefined) {
    await reply.code(401).send({ error: 'unauthorized', message: 'authentication required' });
    return undefined;
  }
  return { alerting, cases, clock, auditActor: principal.id, actor };
}

/** The incident as the API shows it, with its SLA clocks now. */
export function viewOf(context: Pick<RequestContext, 'alerting'>, incident: Stored<Incident>): IncidentView {
  return toIncidentView(incident, context.alerting.slaOf(incident));
}

/** `"rev"` as an ETag: the value to send back in If-Match. */
export function etagOf(incident: Stored<Incident>): string {
  return `"${incident.rev}"`;
}

/**
 * The revision `If-Match` names (a `rev`, or the ETag of a GET, weak or strong), or undefined
 * without the header or with `*` (any revision).
 */
export function expectedRevOf(request: FastifyRequest): string | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const wanted = (Array.isArray(header) ? header.join(',') : header)
    .trim()
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1');
  return wanted === '*' ? undefined : wanted;
}

/** The engine's write options of a request: its If-Match revision, if any. */
export function writeOptionsOf(request: FastifyRequest): WriteOptions {
  const expectedRev = expectedRevOf(request);
  return expectedRev === undefined ? {} : { expectedRev };
}

/**
 * Optimistic concurrency for the API: when the request carries `If-Match` (a `rev` or the ETag
 * of a GET), the incident must still be at that revision. This early check refuses a request
 * that is stale already before anything else is looked at; the engine's write then repeats it
 * as a compare-and-set (the revision is passed down as `expectedRev`), so a write that lands
 * between this read and the engine's is not overwritten either. Either way the answer is 412
 * with WATCHPOST_ERR_STORE_CONFLICT (see ./index.ts) and nothing changes. `*` matches any
 * revision. Without the header the write applies to the latest revision (the engine retries its
 * own conflicts).
 */
export function checkRevision(request: FastifyRequest, current: Stored<Incident>): void {
  const wanted = expectedRevOf(request);
  if (wanted === undefined || wanted === current.rev) return;
  throw new UserError('WATCHPOST_ERR_STORE_CONFLICT', `incident ${current.id} changed since revision ${wanted}; read it again (now ${current.rev})`, {
    details: { incidentId: current.id, rev: current.rev },
  });
}

/** The answer of a write: the incident after it (with its ETag) and the entries written. */
export function changeView(context: RequestContext, reply: FastifyReply, change: IncidentChange): ChangeView {
  void reply.header('etag', etagOf(change.incident));
  return { incident: viewOf(context, change.incident), timeline: change.timeline.map((entry) => ({ ...entry })) };
}

/** Writes the audit entry of a change to one incident; a change that wrote no timeline entry changed nothing and is not audited. */
export async function auditChange(context: RequestContext, action: string, before: Incident | undefined, change: IncidentChange): Promise<void> {
  if (change.timeline.length > 0) await auditIncident(context, action, before, change.incident);
}

/** Writes one audit entry for an incident, with the record before (absent for a creation) and after. */
export async function auditIncident(context: RequestContext, action: string, before: Incident | undefined, after: Incident): Promise<void> {
  await recordAudit(context.cases, {
    actor: context.auditActor,
    action,
    target: { type: 'incident', id: after.id },
    ...(before !== undefined ? { before: auditView(before) } : {}),
    after: auditView(after),
    at: context.clock.now(),
  });
}

/**
 * The common shape of a write to one incident: read it (404 when missing), check `If-Match`, run
 * the engine's operation with the actor and the If-Match revision as its expected revision,
 * audit the change with before and after, answer with the incident and the entries written.
 */
export async function writeIncident(
  context: RequestContext,
  request: FastifyRequest,
  reply: FastifyReply,
  id: string,
  action: string,
  operation: (current: Stored<Incident>, options: WriteOptions) => Promise<IncidentChange>,
): Promise<ChangeView> {
  const current = await context.alerting.incidents.get(id);
  checkRevision(request, current);
  const change = await operation(current, writeOptionsOf(request));
  await auditChange(context, action, current, change);
  return changeView(context, reply, change);
}

/** A 404 in the catalogue's terms. */
export function notFound(message: string, details: Record<string, unknown> = {}): UserError {
  return new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', message, { details });
}

/**
 * The user id of an assignee. Assignees are users: naming one that does not exist (or is
 * disabled) is refused, so a typo does not park an incident with nobody.
 */
export async function assigneeId(cases: CaseStore, assignee: string): Promise<string> {
  const user = await cases.users.get(assignee.toLowerCase());
  if (!user || user.disabled) throw new UserError('WATCHPOST_ERR_CASE_INVALID', `no enabled user ${assignee} to assign`, { details: { assignee } });
  return user.id;
}

/** The routes of one concern, registered by {@link incidentsRoutes} in ./index.ts. */
export type RouteGroup = (app: FastifyInstance, deps: IncidentRouteDeps) => void;
