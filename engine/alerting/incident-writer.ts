import type { Alert, Incident, TimelineEntry } from '../../core/cases/types.js';
import type { Clock } from '../../core/clock.js';
import { hasCode, UserError } from '../../core/errors.js';
import type { FilterNode } from '../../core/query/filter.js';
import type { CaseStore, Stored } from '../../core/stores/case-store.js';
import { modify } from '../../core/stores/modify.js';
import { INCIDENT_LIMITS, invalid, mergeObservables, observablesOf, OPEN_STATUSES } from './incident-rules.js';
import type { Outbox } from './outbox.js';
import { highestSeverity, maxSeverity } from './severity.js';
import { systemEntryId, timelineEntry } from './timeline.js';

/** What a hand operation returns: the incident as stored after it, and the entries it wrote. */
export interface IncidentChange {
  readonly incident: Stored<Incident>;
  readonly timeline: readonly TimelineEntry[];
}

/** How a hand operation writes the incident it names. */
export interface WriteOptions {
  /**
   * The revision the caller read (the API's If-Match). The operation's write to this incident is
   * a compare-and-set on it: when the incident is at another revision, or another writer gets in
   * between the read and the write, nothing is written and the operation rejects with
   * WATCHPOST_ERR_STORE_CONFLICT instead of retrying. Without it the operation applies to the
   * latest revision, retrying its own conflicts.
   */
  readonly expectedRev?: string;
}

/** A timeline entry before the incident, actor and time are filled in. */
export type Draft = Omit<TimelineEntry, 'id' | 'at' | 'incidentId' | 'actor'> & { readonly id?: string };

/** The result of a pure change: the next incident and what to write in its timeline. */
export interface Mutation {
  readonly next: Incident;
  readonly entries: readonly Draft[];
}

/** The most alerts one link, unlink or split request may name. */
export const MAX_ALERTS_PER_REQUEST = 100;

/** Attempts of one read-modify-write without an expected revision before a conflict is given up on. */
const MAX_ATTEMPTS = 10;

export function eqExact(field: string, value: string): FilterNode {
  return { op: 'eq', field, value, caseSensitive: true };
}

export function notFound(kind: string, id: string): UserError {
  return new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', `${kind} ${id} does not exist`, { details: { [`${kind}Id`]: id } });
}

/** An alert deleted meanwhile (retention, an admin) is no reason to fail the incident change. */
export function ignoreMissing(error: unknown): void {
  if (!hasCode(error, 'WATCHPOST_ERR_STORE_NOT_FOUND')) throw error;
}

function staleRevision(id: string, expected: string, current: string): UserError {
  return new UserError('WATCHPOST_ERR_STORE_CONFLICT', `incident ${id} changed since revision ${expected}; read it again (now ${current})`, {
    details: { incidentId: id, rev: current },
  });
}

/**
 * The write primitives every incident operation is built from: a pure change applied under
 * optimistic concurrency with its timeline entries, and the alert-side bookkeeping (which
 * incident an alert is in, closing alerts with their incident). Timeline entries the system
 * writes have deterministic ids, so a retried grouping appends nothing twice.
 */
export class IncidentWriter {
  constructor(
    readonly store: CaseStore,
    readonly clock: Clock,
    readonly outbox: Outbox,
  ) {}

  /** The incident, or WATCHPOST_ERR_STORE_NOT_FOUND. */
  async get(id: string): Promise<Stored<Incident>> {
    const incident = await this.store.incidents.get(id);
    if (!incident) throw notFound('incident', id);
    return incident;
  }

  /**
   * Applies a pure change under optimistic concurrency and appends its timeline entries. A
   * change with no entries writes nothing. With `expectedRev` (see {@link WriteOptions}) the
   * incident must be at that revision, even for a change that turns out to write nothing, and a
   * conflict is not retried.
   */
  async change(id: string, actor: string, mutate: (current: Stored<Incident>, nowIso: string) => Mutation, options: WriteOptions = {}): Promise<IncidentChange> {
    const now = this.clock.now();
    const nowIso = new Date(now).toISOString();
    const expected = options.expectedRev;
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(id);
      if (expected !== undefined && current.rev !== expected) throw staleRevision(id, expected, current.rev);
      const { next, entries } = mutate(current, nowIso);
      if (entries.length === 0) return { incident: current, timeline: [] };
      try {
        const { rev: _rev, ...record } = next as Stored<Incident>;
        const incident = await this.store.incidents.replace({ ...record, updatedAt: nowIso, rev: current.rev });
        return { incident, timeline: await this.append(id, actor, entries, now) };
      } catch (error) {
        if (!hasCode(error, 'WATCHPOST_ERR_STORE_CONFLICT')) throw error;
        if (expected !== undefined) {
          const latest = await this.store.incidents.get(id);
          throw staleRevision(id, expected, latest?.rev ?? 'deleted');
        }
        if (attempt >= MAX_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 5 * 2 ** attempt)));
      }
    }
  }

  async append(incidentId: string, actor: string, drafts: readonly Draft[], nowMs: number): Promise<TimelineEntry[]> {
    const written: TimelineEntry[] = [];
    for (const draft of drafts) written.push(await this.store.timeline.append(timelineEntry({ ...draft, incidentId, actor }, nowMs)));
    return written;
  }

  /** The alerts named, each at most once; an unknown one is WATCHPOST_ERR_CASE_INVALID. */
  async getAlerts(alertIds: readonly string[]): Promise<Stored<Alert>[]> {
    if (alertIds.length > MAX_ALERTS_PER_REQUEST) throw invalid(`name at most ${MAX_ALERTS_PER_REQUEST} alerts at once`);
    const alerts: Stored<Alert>[] = [];
    for (const alertId of new Set(alertIds)) {
      const alert = await this.store.alerts.get(alertId);
      if (!alert) throw invalid(`no alert ${alertId}`, { alertId });
      alerts.push(alert);
    }
    return alerts;
  }

  linkedDraft(incidentId: string, alert: Alert, system: boolean): Draft {
    return {
      ...(system ? { id: systemEntryId(incidentId, 'alert_linked', alert.id) } : {}),
      kind: 'alert_linked',
      body: `Alert "${alert.ruleTitle}" linked`,
      data: { alertId: alert.id, ruleId: alert.ruleId, severity: alert.severity },
    };
  }

  /** Adds alerts to an incident's list (severity up, observables in); CASE_INVALID when closed or full. */
  attach(id: string, alerts: readonly Alert[], actor: string, system: boolean, options: WriteOptions = {}): Promise<IncidentChange> {
    return this.change(
      id,
      actor,
      (current) => {
        const added = alerts.filter((alert) => !current.alertIds.includes(alert.id));
        if (added.length === 0) return { next: current, entries: [] };
        if (system && !OPEN_STATUSES.includes(current.status)) throw invalid(`incident ${id} is ${current.status}`, { incidentId: id });
        if (current.alertIds.length + added.length > INCIDENT_LIMITS.alerts) throw invalid(`an incident holds at most ${INCIDENT_LIMITS.alerts} alerts`, { incidentId: id });
        return {
          next: {
            ...current,
            alertIds: [...current.alertIds, ...added.map((alert) => alert.id)],
            severity: added.reduce((severity, alert) => maxSeverity(severity, alert.severity), current.severity),
            observables: mergeObservables(current.observables, added.flatMap((alert) => observablesOf(alert))),
          },
          entries: added.map((alert) => this.linkedDraft(id, alert, system)),
        };
      },
      options,
    );
  }

  detach(id: string, alertIds: readonly string[], actor: string, data: Record<string, unknown>, options: WriteOptions = {}): Promise<IncidentChange> {
    return this.change(
      id,
      actor,
      (current) => {
        const removed = alertIds.filter((alertId) => current.alertIds.includes(alertId));
        if (removed.length === 0) return { next: current, entries: [] };
        return {
          next: { ...current, alertIds: current.alertIds.filter((alertId) => !removed.includes(alertId)) },
          entries: removed.map((alertId) => ({ kind: 'alert_unlinked' as const, body: 'Alert unlinked', data: { alertId, ...data } })),
        };
      },
      options,
    );
  }

  /** Sets the severity to the highest of the incident's alerts (left alone when it has none). */
  async recomputeSeverity(id: string): Promise<Stored<Incident>> {
    const alerts = await this.store.alerts.list({ filter: eqExact('incidentId', id), limit: INCIDENT_LIMITS.alerts });
    const current = await this.get(id);
    if (alerts.items.length === 0) return current;
    const severity = highestSeverity(alerts.items.map((a) => a.severity), current.severity);
    if (severity === current.severity) return current;
    return modify(this.store.incidents, id, (latest) => ({ ...latest, severity, updatedAt: new Date(this.clock.now()).toISOString() }));
  }

  setAlertIncident(alertId: string, incidentId: string): Promise<Stored<Alert>> {
    const nowIso = new Date(this.clock.now()).toISOString();
    return modify(this.store.alerts, alertId, (alert) => (alert.incidentId === incidentId ? alert : { ...alert, incidentId, updatedAt: nowIso }));
  }

  async clearAlertIncident(alertId: string, incidentId: string): Promise<void> {
    const nowIso = new Date(this.clock.now()).toISOString();
    await modify(this.store.alerts, alertId, (alert) => {
      if (alert.incidentId !== incidentId) return alert;
      const { incidentId: _gone, ...rest } = alert;
      return { ...rest, updatedAt: nowIso };
    }).catch(ignoreMissing);
  }

  /** Closing an incident closes its alerts with the incident's verdict. */
  async closeAlerts(incident: Incident): Promise<void> {
    const nowIso = new Date(this.clock.now()).toISOString();
    for (const alertId of incident.alertIds) {
      await modify(this.store.alerts, alertId, (alert) =>
        alert.status === 'closed' ? alert : { ...alert, status: 'closed' as const, ...(incident.verdict ? { verdict: incident.verdict } : {}), updatedAt: nowIso },
      ).catch(ignoreMissing);
    }
  }
}
