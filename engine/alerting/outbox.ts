import type { Alert, Incident } from '../../core/cases/types.js';
import type { Clock } from '../../core/clock.js';
import type { CaseStore, Collection, Stored } from '../../core/stores/case-store.js';
import type { JobQueue } from '../../core/stores/job-queue.js';
import { modify } from '../../core/stores/modify.js';
import { PLAYBOOK_TRIGGER_JOB, type AlertTrigger, type IncidentTrigger, type PlaybookTrigger } from '../../core/response/jobs.js';

export { PLAYBOOK_TRIGGER_JOB, type AlertTrigger, type IncidentTrigger, type PlaybookTrigger } from '../../core/response/jobs.js';

/** The pending trigger of a new record, as kept in its `pendingTriggers`. */
export const CREATED_TRIGGER = 'created';

/**
 * The job id of a trigger: the record kind, its id and the trigger, so that queuing it again (a
 * retry, a sweep racing the first attempt, a replayed batch) adds nothing.
 */
export function triggerJobId(kind: 'alert' | 'incident', id: string, trigger: string = CREATED_TRIGGER): string {
  return `${kind}-${id}-${trigger}`;
}

/** The trigger payload of an alert. */
export function alertTrigger(alert: Alert): AlertTrigger {
  return {
    trigger: 'alert.created',
    alertId: alert.id,
    ruleKey: alert.ruleId,
    severity: alert.severity,
    entities: alert.entities,
    ...(alert.incidentId !== undefined ? { incidentId: alert.incidentId } : {}),
  };
}

/** The trigger payload of an incident. */
export function incidentTrigger(incident: Incident): IncidentTrigger {
  return {
    trigger: 'incident.created',
    incidentId: incident.id,
    severity: incident.severity,
    ...(incident.entity ? { entity: incident.entity } : {}),
    alertIds: incident.alertIds,
  };
}

/** The longest a pending trigger may wait before the sweep queues it: leaves the writer time to do it. */
export const SWEEP_GRACE_MS = 60_000;

/**
 * The transactional outbox between the case store and the job queue. A record that must trigger
 * playbooks is written with `pendingTriggers: ['created']`; {@link dispatch} then adds the job
 * (deterministic id, so adding twice is harmless) and clears the mark. A crash between the two
 * leaves the mark, and {@link sweep}, run periodically, queues what is left. No trigger is lost
 * and none runs twice.
 */
export class Outbox {
  constructor(
    private readonly store: CaseStore,
    private readonly queue: JobQueue,
    private readonly clock: Clock,
  ) {}

  /** Queues the pending triggers of an alert and clears them. */
  async dispatchAlert(alert: Stored<Alert>): Promise<Stored<Alert>> {
    return this.dispatch(this.store.alerts, 'alert', alert, alertTrigger);
  }

  /** Queues the pending triggers of an incident and clears them. */
  async dispatchIncident(incident: Stored<Incident>): Promise<Stored<Incident>> {
    return this.dispatch(this.store.incidents, 'incident', incident, incidentTrigger);
  }

  private async dispatch<T extends Alert | Incident>(
    collection: Collection<T>,
    kind: 'alert' | 'incident',
    record: Stored<T>,
    payload: (record: T) => PlaybookTrigger,
  ): Promise<Stored<T>> {
    const pending = record.pendingTriggers ?? [];
    if (pending.length === 0) return record;
    for (const trigger of pending) {
      await this.queue.add<PlaybookTrigger>({ name: PLAYBOOK_TRIGGER_JOB, id: triggerJobId(kind, record.id, trigger), data: payload(record) });
    }
    return modify(collection, record.id, (current) => {
      const { pendingTriggers: _done, rev: _rev, ...rest } = current;
      const left = (current.pendingTriggers ?? []).filter((trigger) => !pending.includes(trigger));
      return (left.length > 0 ? { ...rest, pendingTriggers: left } : rest) as unknown as T;
    });
  }

  /**
   * Queues every trigger left pending longer than {@link SWEEP_GRACE_MS} (a writer crashed between
   * storing and queuing). Returns how many records it dispatched.
   */
  async sweep(): Promise<number> {
    const before = new Date(this.clock.now() - SWEEP_GRACE_MS).toISOString();
    const filter = { op: 'and', children: [{ op: 'exists', field: 'pendingTriggers' }, { op: 'range', field: 'createdAt', lte: before }] } as const;
    let dispatched = 0;
    for (const alert of (await this.store.alerts.list({ filter, limit: 500 })).items) {
      await this.dispatchAlert(alert);
      dispatched += 1;
    }
    for (const incident of (await this.store.incidents.list({ filter, limit: 500 })).items) {
      await this.dispatchIncident(incident);
      dispatched += 1;
    }
    return dispatched;
  }
}
