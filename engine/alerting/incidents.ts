import type { Alert, Incident, IncidentStatus, Observable, Verdict } from '../../core/cases/types.js';
import type { Clock } from '../../core/clock.js';
import type { AlertingConfig } from '../../core/config/schema.js';
import { hasCode } from '../../core/errors.js';
import { deterministicId } from '../../core/ids.js';
import type { CaseStore, Stored } from '../../core/stores/case-store.js';
import { createIncident, linkAlerts, merge, split, unlinkAlerts, type NewIncident, type SplitResult } from './incident-alerts.js';
import { addObservable, addTask, assign, comment, removeObservable, removeTask, setStatus, tag, update, updateTask, type IncidentEdits } from './incident-fields.js';
import { INCIDENT_LIMITS, mergeObservables, observablesOf, OPEN_STATUSES } from './incident-rules.js';
import { eqExact, IncidentWriter, type IncidentChange, type WriteOptions } from './incident-writer.js';
import { CREATED_TRIGGER, type Outbox } from './outbox.js';
import { SYSTEM_ACTOR, systemEntryId } from './timeline.js';

export type { IncidentEdits } from './incident-fields.js';
export type { NewIncident, SplitResult } from './incident-alerts.js';
export type { IncidentChange, WriteOptions } from './incident-writer.js';

/** What {@link Incidents.groupAlert} did. */
export interface Grouping {
  readonly incident: Stored<Incident>;
  readonly alert: Stored<Alert>;
  readonly created: boolean;
}

/**
 * Incidents: automatic grouping of new alerts by entity, and the hand operations the API offers.
 *
 * Grouping: the entity is the first of `config.groupBy` (source.ip, user.name, host.name) the
 * alert has. The alert joins the open incident of that entity updated within `config.windowMs`
 * (the most recently updated, when there are several); otherwise it opens a new incident, whose
 * id derives from the alert's, so grouping the same alert again after a crash finds it instead
 * of opening another. An alert with none of the fields opens an incident of its own.
 *
 * Hand operations live in ./incident-fields.ts (the incident's own fields) and
 * ./incident-alerts.ts (moving alerts between incidents). Every change goes through optimistic
 * concurrency ({@link IncidentWriter.change}) and writes timeline entries with its actor;
 * entries the system writes have deterministic ids. Passing `expectedRev` (the API's If-Match)
 * makes the write a compare-and-set on the revision the caller read: a concurrent write in
 * between is a WATCHPOST_ERR_STORE_CONFLICT, never overwritten.
 */
export class Incidents {
  private readonly writer: IncidentWriter;

  constructor(
    store: CaseStore,
    clock: Clock,
    private readonly config: Readonly<AlertingConfig['incidents']>,
    outbox: Outbox,
  ) {
    this.writer = new IncidentWriter(store, clock, outbox);
  }

  /** The entity an alert is grouped by, if it has one of the configured fields. */
  entityOf(alert: Pick<Alert, 'entities'>): { field: string; value: string } | undefined {
    for (const field of this.config.groupBy) {
      const value = alert.entities[field];
      if (value !== undefined && value !== '') return { field, value };
    }
    return undefined;
  }

  /** Puts a new alert into an incident (joining or opening one); the alert comes back with its incidentId. */
  async groupAlert(alert: Stored<Alert>): Promise<Grouping> {
    const entity = this.entityOf(alert);
    if (entity) {
      const open = await this.findOpen(entity);
      if (open) {
        try {
          const { incident } = await this.writer.attach(open.id, [alert], SYSTEM_ACTOR, true);
          return { incident, alert: await this.writer.setAlertIncident(alert.id, incident.id), created: false };
        } catch (error) {
          // Full, or closed in the meantime: open a new incident instead.
          if (!hasCode(error, 'WATCHPOST_ERR_CASE_INVALID')) throw error;
        }
      }
    }
    const now = this.writer.clock.now();
    const nowIso = new Date(now).toISOString();
    const id = deterministicId('incident', alert.id);
    const title = entity ? `${alert.ruleTitle} (${entity.field} ${entity.value})` : alert.ruleTitle;
    const record: Incident = {
      id,
      title: title.slice(0, INCIDENT_LIMITS.titleLength),
      status: 'new',
      severity: alert.severity,
      tags: [],
      ...(entity ? { entity } : {}),
      alertIds: [alert.id],
      observables: mergeObservables([], observablesOf(alert)),
      tasks: [],
      pendingTriggers: [CREATED_TRIGGER],
      createdAt: nowIso,
      updatedAt: nowIso,
    };
    let incident: Stored<Incident>;
    let created = true;
    try {
      incident = await this.writer.store.incidents.create(record);
    } catch (error) {
      if (!hasCode(error, 'WATCHPOST_ERR_STORE_CONFLICT')) throw error;
      created = false;
      const existing = await this.writer.store.incidents.get(id);
      if (!existing) throw error;
      incident = existing.alertIds.includes(alert.id) ? existing : (await this.writer.attach(id, [alert], SYSTEM_ACTOR, true)).incident;
    }
    await this.writer.append(
      id,
      SYSTEM_ACTOR,
      [
        { id: systemEntryId(id, 'created'), kind: 'created', body: `Incident opened by alert "${alert.ruleTitle}"`, data: { alertId: alert.id } },
        this.writer.linkedDraft(id, alert, true),
      ],
      now,
    );
    const linked = await this.writer.setAlertIncident(alert.id, id);
    incident = await this.writer.outbox.dispatchIncident(incident);
    return { incident, alert: linked, created };
  }

  /** The open incident of an entity updated within the grouping window, if any. */
  async findOpen(entity: { field: string; value: string }): Promise<Stored<Incident> | undefined> {
    const since = new Date(this.writer.clock.now() - this.config.windowMs).toISOString();
    const page = await this.writer.store.incidents.list({
      filter: {
        op: 'and',
        children: [
          eqExact('entity.field', entity.field),
          eqExact('entity.value', entity.value),
          { op: 'or', children: OPEN_STATUSES.map((status) => eqExact('status', status)) },
          { op: 'range', field: 'updatedAt', gte: since },
        ],
      },
      sort: 'updatedAt',
      order: 'desc',
      limit: 1,
    });
    return page.items[0];
  }

  /** Opens an incident by hand, optionally with alerts (moved from their incidents). */
  create(input: NewIncident, actor: string): Promise<IncidentChange> {
    return createIncident(this.writer, input, actor);
  }

  /** Changes the status; closing requires a verdict and closes the incident's alerts with it. */
  setStatus(id: string, status: IncidentStatus, actor: string, options: WriteOptions & { readonly verdict?: Verdict } = {}): Promise<IncidentChange> {
    return setStatus(this.writer, id, status, actor, options);
  }

  /** Changes title, severity, assignee (null: unassign) and the full set of tags in one write. */
  update(id: string, edits: IncidentEdits, actor: string, options: WriteOptions = {}): Promise<IncidentChange> {
    return update(this.writer, id, edits, actor, options);
  }

  /** Assigns the incident to someone, or unassigns it (`undefined`). */
  assign(id: string, assignee: string | undefined, actor: string, options: WriteOptions = {}): Promise<IncidentChange> {
    return assign(this.writer, id, assignee, actor, options);
  }

  /** Adds a comment (Markdown) to the timeline. */
  comment(id: string, body: string, actor: string, options: WriteOptions = {}): Promise<IncidentChange> {
    return comment(this.writer, id, body, actor, options);
  }

  /** Adds and removes tags. */
  tag(id: string, changes: { readonly add?: readonly string[]; readonly remove?: readonly string[] }, actor: string, options: WriteOptions = {}): Promise<IncidentChange> {
    return tag(this.writer, id, changes, actor, options);
  }

  /** Adds an observable (a repeat of the same type and value is ignored). */
  addObservable(id: string, observable: Observable, actor: string, options: WriteOptions = {}): Promise<IncidentChange> {
    return addObservable(this.writer, id, observable, actor, options);
  }

  /** Removes an observable by type and value. */
  removeObservable(id: string, observable: Pick<Observable, 'type' | 'value'>, actor: string, options: WriteOptions = {}): Promise<IncidentChange> {
    return removeObservable(this.writer, id, observable, actor, options);
  }

  /** Adds a task to the checklist; its id is in the returned incident and the entry's data. */
  addTask(id: string, task: { readonly title: string; readonly assignee?: string }, actor: string, options: WriteOptions = {}): Promise<IncidentChange> {
    return addTask(this.writer, id, task, actor, options);
  }

  /** Changes a task's title, assignee or done flag. */
  updateTask(
    id: string,
    taskId: string,
    changes: { readonly title?: string; readonly done?: boolean; readonly assignee?: string | null },
    actor: string,
    options: WriteOptions = {},
  ): Promise<IncidentChange> {
    return updateTask(this.writer, id, taskId, changes, actor, options);
  }

  /** Removes a task. */
  removeTask(id: string, taskId: string, actor: string, options: WriteOptions = {}): Promise<IncidentChange> {
    return removeTask(this.writer, id, taskId, actor, options);
  }

  /** Links alerts by hand; an alert linked elsewhere is moved (an alert is in one incident at most). */
  linkAlerts(id: string, alertIds: readonly string[], actor: string, options: WriteOptions = {}): Promise<IncidentChange> {
    return linkAlerts(this.writer, id, alertIds, actor, options);
  }

  /** Unlinks alerts; the severity becomes that of the alerts left (unchanged when none is left). */
  unlinkAlerts(id: string, alertIds: readonly string[], actor: string, options: WriteOptions = {}): Promise<IncidentChange> {
    return unlinkAlerts(this.writer, id, alertIds, actor, options);
  }

  /** Merges incidents into `targetId`, closing each source as merged into it. */
  merge(targetId: string, sourceIds: readonly string[], actor: string, options: WriteOptions = {}): Promise<IncidentChange> {
    return merge(this.writer, targetId, sourceIds, actor, options);
  }

  /** Splits alerts off into a new incident; both get a `split` entry. */
  split(id: string, alertIds: readonly string[], options: WriteOptions & { readonly title?: string }, actor: string): Promise<SplitResult> {
    return split(this.writer, id, alertIds, options, actor);
  }

  /** The incident, or WATCHPOST_ERR_STORE_NOT_FOUND. */
  get(id: string): Promise<Stored<Incident>> {
    return this.writer.get(id);
  }
}
