import type { Alert, AlertStatus, TimelineEntry, Verdict } from '../../../core/cases/types.js';
import type { Clock } from '../../../core/clock.js';
import { hasCode, UserError, WatchpostError } from '../../../core/errors.js';
import type { CaseStore, Stored } from '../../../core/stores/case-store.js';
import { modify } from '../../../core/stores/modify.js';
import type { Incidents } from '../../../engine/alerting/index.js';
import { timelineEntry } from '../../../engine/alerting/timeline.js';
import { recordAudit } from '../audit/record.js';
import { toAlertView, type BulkItemResult, type BulkResponse } from './schemas.js';

/** Who asks: the principal (for the audit log) and the user it acts for (for the timeline). */
export interface Actor {
  /** A user id or `token:<id>`: the audit log's actor. */
  readonly principalId: string;
  /** The user id, written on incident timelines. */
  readonly userId: string;
}

/** What the operations need. */
export interface AlertOperationsDeps {
  readonly cases: CaseStore;
  readonly incidents: Incidents;
  readonly clock: Clock;
  /** Told about every alert changed, for the live stream. */
  readonly changed: (alerts: readonly Stored<Alert>[]) => void;
}

/** The part of an alert the audit log records for a triage change (not the whole explanation). */
function triageState(alert: Alert): Record<string, unknown> {
  return { status: alert.status, verdict: alert.verdict, assignee: alert.assignee, incidentId: alert.incidentId };
}

function invalid(message: string): UserError {
  return new UserError('WATCHPOST_ERR_CASE_INVALID', message);
}

/**
 * The alert after a status change, or undefined when nothing changes. Closing needs a verdict
 * (the alert's own, when it is closed already); a verdict goes only with `closed`; reopening
 * clears it, as applyStatus does for incidents.
 */
export function nextAlertStatus(alert: Alert, status: AlertStatus, verdict: Verdict | undefined, nowIso: string): Alert | undefined {
  if (status === 'closed') {
    const given = verdict ?? alert.verdict;
    if (given === undefined) throw invalid('closing an alert requires a verdict (true_positive, false_positive or benign)');
    if (alert.status === 'closed' && alert.verdict === given) return undefined;
    return { ...alert, status, verdict: given, updatedAt: nowIso };
  }
  if (alert.status === status) return undefined;
  const { verdict: _cleared, ...open } = alert;
  return { ...open, status, updatedAt: nowIso };
}

function failure(id: string, error: unknown): BulkItemResult {
  if (hasCode(error, 'WATCHPOST_ERR_STORE_NOT_FOUND')) return { id, outcome: 'not_found', code: 'WATCHPOST_ERR_STORE_NOT_FOUND', message: `no alert ${id}` };
  if (error instanceof WatchpostError && error.intent === 'user') return { id, outcome: 'failed', code: error.code, message: error.message };
  throw error;
}

function summary(results: BulkItemResult[]): BulkResponse {
  return {
    results,
    changed: results.filter((result) => result.outcome === 'changed').length,
    failed: results.filter((result) => result.outcome === 'not_found' || result.outcome === 'failed').length,
  };
}

/**
 * The analysts' bulk triage of alerts. Each alert is changed on its own (optimistic concurrency,
 * retried), so one missing or refused alert does not stop the others, and each change is audited
 * on its own with the triage fields before and after. An alert in an incident also gets an entry
 * on that incident's timeline (`status` or `assignment`, with the alert id in `data`), so the
 * incident tells the whole story; linking writes its `alert_linked` entries through the engine.
 */
export class AlertOperations {
  constructor(private readonly deps: AlertOperationsDeps) {}

  /** Sets the status of each alert; `verdict` is required for `closed` and refused otherwise. */
  async setStatus(ids: readonly string[], status: AlertStatus, verdict: Verdict | undefined, actor: Actor): Promise<BulkResponse> {
    if (verdict !== undefined && status !== 'closed') throw invalid('a verdict is given only when alerts are closed');
    return this.each(ids, 'alert.status', actor, (alert, nowIso) => {
      const next = nextAlertStatus(alert, status, verdict, nowIso);
      if (!next) return undefined;
      return {
        next,
        entry: {
          kind: 'status',
          body: `Alert "${alert.ruleTitle}" ${alert.status} → ${status}${next.verdict && status === 'closed' ? ` (${next.verdict})` : ''}`,
          data: { alertId: alert.id, from: alert.status, to: status, ...(next.verdict ? { verdict: next.verdict } : {}) },
        },
      };
    });
  }

  /** Assigns each alert to a user (who must exist and be enabled), or unassigns it (`null`). */
  async assign(ids: readonly string[], assignee: string | null, actor: Actor): Promise<BulkResponse> {
    let to: string | null = null;
    if (assignee !== null) {
      const user = await this.deps.cases.users.get(assignee.toLowerCase());
      if (!user || user.disabled) throw invalid(`no enabled user ${assignee}`);
      to = user.id;
    }
    return this.each(ids, 'alert.assign', actor, (alert, nowIso) => {
      if ((alert.assignee ?? null) === to) return undefined;
      const { assignee: from, ...rest } = alert;
      return {
        next: { ...rest, ...(to !== null ? { assignee: to } : {}), updatedAt: nowIso },
        entry: {
          kind: 'assignment',
          body: to !== null ? `Alert "${alert.ruleTitle}" assigned to ${to}` : `Alert "${alert.ruleTitle}" unassigned`,
          data: { alertId: alert.id, from: from ?? null, to },
        },
      };
    });
  }

  /**
   * Links the alerts to an incident through the engine (which moves an alert linked elsewhere
   * and writes both timelines). The incident must exist (404 otherwise); refusals of the engine
   * (a full incident) fail every alert of the request with its message.
   */
  async link(ids: readonly string[], incidentId: string, actor: Actor): Promise<BulkResponse> {
    const { cases, incidents } = this.deps;
    await incidents.get(incidentId);
    const results = new Map<string, BulkItemResult>();
    const before = new Map<string, Stored<Alert>>();
    for (const id of ids) {
      const alert = await cases.alerts.get(id);
      if (!alert) results.set(id, { id, outcome: 'not_found', code: 'WATCHPOST_ERR_STORE_NOT_FOUND', message: `no alert ${id}` });
      else if (alert.incidentId === incidentId) results.set(id, { id, outcome: 'unchanged', alert: toAlertView(alert) });
      else before.set(id, alert);
    }
    if (before.size > 0) {
      try {
        await incidents.linkAlerts(incidentId, [...before.keys()], actor.userId);
        const changed: Stored<Alert>[] = [];
        for (const [id, previous] of before) {
          const after = await cases.alerts.get(id);
          if (!after) {
            results.set(id, { id, outcome: 'not_found', code: 'WATCHPOST_ERR_STORE_NOT_FOUND', message: `no alert ${id}` });
            continue;
          }
          changed.push(after);
          await recordAudit(cases, {
            actor: actor.principalId,
            action: 'alert.link',
            target: { type: 'alert', id },
            before: triageState(previous),
            after: triageState(after),
            at: this.deps.clock.now(),
          });
          results.set(id, { id, outcome: 'changed', alert: toAlertView(after) });
        }
        this.deps.changed(changed);
      } catch (error) {
        for (const id of before.keys()) results.set(id, failure(id, error));
      }
    }
    return summary(ids.map((id) => results.get(id) as BulkItemResult));
  }

  /** Applies `change` to each alert, audits it and mirrors it on the alert's incident timeline. */
  private async each(
    ids: readonly string[],
    action: string,
    actor: Actor,
    change: (alert: Alert, nowIso: string) => { next: Alert; entry: Pick<TimelineEntry, 'kind' | 'body' | 'data'> } | undefined,
  ): Promise<BulkResponse> {
    const { cases, clock } = this.deps;
    const results: BulkItemResult[] = [];
    const changed: Stored<Alert>[] = [];
    for (const id of ids) {
      try {
        const current = await cases.alerts.get(id);
        if (!current) {
          results.push({ id, outcome: 'not_found', code: 'WATCHPOST_ERR_STORE_NOT_FOUND', message: `no alert ${id}` });
          continue;
        }
        const now = clock.now();
        const nowIso = new Date(now).toISOString();
        if (!change(current, nowIso)) {
          results.push({ id, outcome: 'unchanged', alert: toAlertView(current) });
          continue;
        }
        // Re-applied to the latest record on a conflict; a concurrent writer may have made it a no-op.
        const applied: { previous: Alert; entry?: Pick<TimelineEntry, 'kind' | 'body' | 'data'> } = { previous: current };
        const after = await modify(cases.alerts, id, (latest) => {
          const next = change(latest, nowIso);
          applied.previous = latest;
          if (next) applied.entry = next.entry;
          else delete applied.entry;
          return next?.next ?? latest;
        });
        const { previous, entry } = applied;
        if (!entry) {
          results.push({ id, outcome: 'unchanged', alert: toAlertView(after) });
          continue;
        }
        await recordAudit(cases, { actor: actor.principalId, action, target: { type: 'alert', id }, before: triageState(previous), after: triageState(after), at: now });
        if (after.incidentId !== undefined) {
          await cases.timeline.append(timelineEntry({ ...entry, incidentId: after.incidentId, actor: actor.userId }, now));
        }
        changed.push(after);
        results.push({ id, outcome: 'changed', alert: toAlertView(after) });
      } catch (error) {
        results.push(failure(id, error));
      }
    }
    this.deps.changed(changed);
    return summary(results);
  }
}
