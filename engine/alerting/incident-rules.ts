import type { Alert, Incident, IncidentStatus, Observable, Verdict } from '../../core/cases/types.js';
import { UserError } from '../../core/errors.js';

/**
 * The pure rules of an incident's life: what a status change sets and clears, which alert
 * entities become observables, and the limits every hand operation is held to.
 */

/** Limits on what hand operations may add, so one request cannot grow a record without bound. */
export const INCIDENT_LIMITS = Object.freeze({
  titleLength: 512,
  tagLength: 64,
  tags: 100,
  observables: 500,
  observableValueLength: 4096,
  noteLength: 2000,
  tasks: 200,
  taskTitleLength: 500,
  assigneeLength: 256,
  /** Alerts one incident holds; grouping opens a new incident past it. */
  alerts: 1000,
});

/** Statuses in which an incident is worked; grouping adds alerts only to these. */
export const OPEN_STATUSES: readonly IncidentStatus[] = ['new', 'acknowledged', 'investigating', 'contained'];

/** Every status, in lifecycle order. */
export const INCIDENT_STATUSES: readonly IncidentStatus[] = ['new', 'acknowledged', 'investigating', 'contained', 'resolved', 'closed'];

/** Every verdict. */
export const VERDICTS: readonly Verdict[] = ['true_positive', 'false_positive', 'benign'];

/** A refused hand operation. */
export function invalid(message: string, details: Record<string, unknown> = {}): UserError {
  return new UserError('WATCHPOST_ERR_CASE_INVALID', message, { details });
}

/**
 * The incident after a status change at `nowIso`. Any status may follow any other (an analyst
 * may reopen), with these rules: leaving `new` stamps `acknowledgedAt` once (the time to
 * acknowledge stops at the first acknowledgement); `resolved` and `closed` stamp `resolvedAt`
 * once; `closed` requires a verdict and stamps `closedAt`; going back to an open status clears
 * `resolvedAt`, `closedAt` and the verdict, so the resolve clock runs again.
 */
export function applyStatus(incident: Incident, status: IncidentStatus, nowIso: string, verdict?: Verdict): Incident {
  if (!INCIDENT_STATUSES.includes(status)) throw invalid(`unknown incident status ${JSON.stringify(status)}`);
  if (verdict !== undefined && !VERDICTS.includes(verdict)) throw invalid(`unknown verdict ${JSON.stringify(verdict)}`);
  if (status === 'closed' && verdict === undefined && incident.verdict === undefined) {
    throw invalid('closing an incident requires a verdict (true_positive, false_positive or benign)', { incidentId: incident.id });
  }
  if (verdict !== undefined && status !== 'closed' && status !== 'resolved') {
    throw invalid('a verdict is given when an incident is resolved or closed', { incidentId: incident.id });
  }
  if (OPEN_STATUSES.includes(status)) {
    const { resolvedAt: _r, closedAt: _c, verdict: _v, ...open } = incident;
    return { ...open, status, ...(status !== 'new' ? { acknowledgedAt: incident.acknowledgedAt ?? nowIso } : {}) };
  }
  const acknowledgedAt = incident.acknowledgedAt ?? nowIso;
  const resolvedAt = incident.resolvedAt ?? nowIso;
  const next: Incident = { ...incident, status, acknowledgedAt, resolvedAt, ...(verdict !== undefined ? { verdict } : {}) };
  if (status === 'closed') return { ...next, closedAt: incident.closedAt ?? nowIso };
  const { closedAt: _c, ...resolved } = next;
  return resolved;
}

/** The observable type of an entity field, or undefined for fields that are not observables. */
export function observableType(field: string): Observable['type'] | undefined {
  if (field.endsWith('.ip')) return 'ip';
  if (field === 'user.name' || field === 'user.target.name') return 'user';
  if (field === 'host.name' || field === 'observer.name') return 'host';
  if (field.startsWith('file.hash.')) return 'hash';
  if (field.endsWith('.domain') || field === 'dns.question.name') return 'domain';
  return undefined;
}

/** `observables` plus those of `additions` not already there (same type and value), capped. */
export function mergeObservables(observables: readonly Observable[], additions: readonly Observable[]): Observable[] {
  const seen = new Set(observables.map((o) => `${o.type}\u0000${o.value}`));
  const out = [...observables];
  for (const addition of additions) {
    const key = `${addition.type}\u0000${addition.value}`;
    if (seen.has(key) || out.length >= INCIDENT_LIMITS.observables) continue;
    seen.add(key);
    out.push(addition);
  }
  return out;
}

/** The observables an alert's entities give. */
export function observablesOf(alert: Pick<Alert, 'entities'>): Observable[] {
  const out: Observable[] = [];
  for (const [field, value] of Object.entries(alert.entities)) {
    const type = observableType(field);
    if (type !== undefined && value.length <= INCIDENT_LIMITS.observableValueLength) out.push({ type, value });
  }
  return out;
}

/** Union of two lists, first-seen order. */
export function union<T>(a: readonly T[], b: readonly T[]): T[] {
  return [...new Set([...a, ...b])];
}

/** Checks a free-text value's length; throws CASE_INVALID naming the field. */
export function checkLength(value: string, max: number, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) throw invalid(`${field} must be 1-${max} characters`);
  return value;
}
