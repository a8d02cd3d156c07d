import type { Alert, Incident, IncidentStatus, IncidentTask, Observable, Severity, TimelineEntry, Verdict } from '../../core/cases/types.js';
import { SEVERITIES } from '../../core/cases/types.js';
import type { Clock } from '../../core/clock.js';
import type { AlertingConfig } from '../../core/config/schema.js';
import { hasCode, UserError } from '../../core/errors.js';
import { deterministicId, randomId, timeOrderedId } from '../../core/ids.js';
import type { FilterNode } from '../../core/query/filter.js';
import type { CaseStore, Stored } from '../../core/stores/case-store.js';
import { modify } from '../../core/stores/modify.js';
import {
  applyStatus,
  checkLength,
  INCIDENT_LIMITS,
  invalid,
  mergeObservables,
  observablesOf,
  OPEN_STATUSES,
  union,
} from './incident-rules.js';
import { CREATED_TRIGGER, type Outbox } from './outbox.js';
import { highestSeverity, maxSeverity } from './severity.js';
import { MAX_COMMENT_LENGTH, SYSTEM_ACTOR, systemEntryId, timelineEntry } from './timeline.js';

/** What a hand operation returns: the incident as stored after it, and the entries it wrote. */
export interface IncidentChange {
  readonly incident: Stored<Incident>;
  readonly timeline: readonly TimelineEntry[];
}

/** What {@link Incidents.split} returns: the incident split, and the one made from its alerts. */
export interface SplitResult {
  readonly original: IncidentChange;
  readonly created: IncidentChange;
}

/** What {@link Incidents.create} takes (the API's request body). */
export interface NewIncident {
  readonly title: string;
  /** @defaultValue the highest severity of `alertIds`, else medium */
  readonly severity?: Severity;
  readonly assignee?: string;
  readonly tags?: readonly string[];
  readonly alertIds?: readonly string[];
}

/** What {@link Incidents.groupAlert} did. */
export interface Grouping {
  readonly incident: Stored<Incident>;
  readonly alert: Stored<Alert>;
  readonly created: boolean;
}

/** A timeline entry before the incident, actor and time are filled in. */
type Draft = Omit<TimelineEntry, 'id' | 'at' | 'incidentId' | 'actor'> & { readonly id?: string };

/** The result of a pure change: the next incident and what to write in its timeline. */
interface Mutation {
  readonly next: Incident;
  readonly entries: readonly Draft[];
}

/** The most alerts one link, unlink or split request may name. */
const MAX_ALERTS_PER_REQUEST = 100;

function eqExact(field: string, value: string): FilterNode {
  return { op: 'eq', field, value, caseSensitive: true };
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
 * Every change goes through optimistic concurrency ({@link modify}, retried on conflict) and writes
 * timeline entries with its actor; entries the system writes have deterministic ids.
 */
export class Incidents {
  constructor(
    private readonly store: CaseStore,
    private readonly clock: Clock,
    private readonly config: Readonly<AlertingConfig['incidents']>,
    private readonly outbox: Outbox,
  ) {}

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
          const { incident } = await this.attach(open.id, [alert], SYSTEM_ACTOR, true);
          return { incident, alert: await this.setAlertIncident(alert.id, incident.id), created: false };
        } catch (error) {
          // Full, or closed in the meantime: open a new incident instead.
          if (!hasCode(error, 'WATCHPOST_ERR_CASE_INVALID')) throw error;
        }
      }
    }
    const now = this.clock.now();
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
      incident = await this.store.incidents.create(record);
    } catch (error) {
      if (!hasCode(error, 'WATCHPOST_ERR_STORE_CONFLICT')) throw error;
      created = false;
      const existing = await this.store.incidents.get(id);
      if (!existing) throw error;
      incident = existing.alertIds.includes(alert.id) ? existing : (await this.attach(id, [alert], SYSTEM_ACTOR, true)).incident;
    }
    await this.append(
      id,
      SYSTEM_ACTOR,
      [
        { id: systemEntryId(id, 'created'), kind: 'created', body: `Incident opened by alert "${alert.ruleTitle}"`, data: { alertId: alert.id } },
        this.linkedDraft(id, alert, true),
      ],
      now,
    );
    const linked = await this.setAlertIncident(alert.id, id);
    incident = await this.outbox.dispatchIncident(incident);
    return { incident, alert: linked, created };
  }

  /** The open incident of an entity updated within the grouping window, if any. */
  async findOpen(entity: { field: string; value: string }): Promise<Stored<Incident> | undefined> {
    const since = new Date(this.clock.now() - this.config.windowMs).toISOString();
    const page = await this.store.incidents.list({
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
  async create(input: NewIncident, actor: string): Promise<IncidentChange> {
    const title = checkLength(input.title, INCIDENT_LIMITS.titleLength, 'title');
    if (input.severity !== undefined && !SEVERITIES.includes(input.severity)) throw invalid(`unknown severity ${JSON.stringify(input.severity)}`);
    const tags = this.checkTags(input.tags ?? []);
    if (input.assignee !== undefined) checkLength(input.assignee, INCIDENT_LIMITS.assigneeLength, 'assignee');
    const alerts = await this.getAlerts(input.alertIds ?? []);
    const now = this.clock.now();
    const nowIso = new Date(now).toISOString();
    const id = randomId();
    await this.store.incidents.create({
      id,
      title,
      status: 'new',
      severity: input.severity ?? highestSeverity(alerts.map((a) => a.severity), 'medium'),
      ...(input.assignee !== undefined ? { assignee: input.assignee } : {}),
      tags,
      alertIds: [],
      observables: [],
      tasks: [],
      pendingTriggers: [CREATED_TRIGGER],
      createdAt: nowIso,
      updatedAt: nowIso,
    });
    const timeline = [...(await this.append(id, actor, [{ kind: 'created', body: 'Incident opened by hand', data: { title } }], now))];
    let incident: Stored<Incident> | undefined;
    if (alerts.length > 0) {
      const linked = await this.linkAlerts(id, alerts.map((a) => a.id), actor);
      timeline.push(...linked.timeline);
      incident = linked.incident;
    }
    incident = await this.outbox.dispatchIncident(incident ?? ((await this.store.incidents.get(id)) as Stored<Incident>));
    return { incident, timeline };
  }

  /**
   * Changes the status (see applyStatus for what each sets). Closing requires a verdict, and
   * closes the incident's alerts with the same verdict.
   */
  async setStatus(id: string, status: IncidentStatus, actor: string, options: { readonly verdict?: Verdict } = {}): Promise<IncidentChange> {
    const change = await this.change(id, actor, (current, nowIso) => {
      if (current.status === status && (options.verdict === undefined || options.verdict === current.verdict)) return { next: current, entries: [] };
      const next = applyStatus(current, status, nowIso, options.verdict);
      return {
        next,
        entries: [
          {
            kind: 'status',
            body: `Status ${current.status} → ${status}${next.verdict && status !== current.status ? ` (${next.verdict})` : ''}`,
            data: { from: current.status, to: status, ...(next.verdict ? { verdict: next.verdict } : {}) },
          },
        ],
      };
    });
    if (status === 'closed' && change.timeline.length > 0) await this.closeAlerts(change.incident);
    return change;
  }

  /** Assigns the incident to someone, or unassigns it (`undefined`). */
  async assign(id: string, assignee: string | undefined, actor: string): Promise<IncidentChange> {
    if (assignee !== undefined) checkLength(assignee, INCIDENT_LIMITS.assigneeLength, 'assignee');
    return this.change(id, actor, (current) => {
      if (current.assignee === assignee) return { next: current, entries: [] };
      const { assignee: from, ...rest } = current;
      return {
        next: assignee === undefined ? rest : { ...rest, assignee },
        entries: [{ kind: 'assignment', body: assignee ? `Assigned to ${assignee}` : 'Unassigned', data: { from: from ?? null, to: assignee ?? null } }],
      };
    });
  }

  /** Adds a comment (Markdown) to the timeline. */
  async comment(id: string, body: string, actor: string): Promise<IncidentChange> {
    checkLength(body, MAX_COMMENT_LENGTH, 'comment');
    return this.change(id, actor, (current) => ({ next: current, entries: [{ kind: 'comment', body }] }));
  }

  /** Adds and removes tags. */
  async tag(id: string, changes: { readonly add?: readonly string[]; readonly remove?: readonly string[] }, actor: string): Promise<IncidentChange> {
    const add = this.checkTags(changes.add ?? []);
    const remove = changes.remove ?? [];
    return this.change(id, actor, (current) => {
      const tags = union(current.tags, add).filter((tag) => !remove.includes(tag));
      if (tags.length > INCIDENT_LIMITS.tags) throw invalid(`an incident holds at most ${INCIDENT_LIMITS.tags} tags`);
      const added = tags.filter((tag) => !current.tags.includes(tag));
      const removed = current.tags.filter((tag) => !tags.includes(tag));
      if (added.length === 0 && removed.length === 0) return { next: current, entries: [] };
      return { next: { ...current, tags }, entries: [{ kind: 'tag', body: 'Tags changed', data: { added, removed } }] };
    });
  }

  /** Adds an observable (a repeat of the same type and value is ignored). */
  async addObservable(id: string, observable: Observable, actor: string): Promise<IncidentChange> {
    checkLength(observable.value, INCIDENT_LIMITS.observableValueLength, 'observable value');
    if (observable.note !== undefined) checkLength(observable.note, INCIDENT_LIMITS.noteLength, 'observable note');
    if (!['ip', 'user', 'host', 'hash', 'domain', 'url', 'other'].includes(observable.type)) throw invalid(`unknown observable type ${JSON.stringify(observable.type)}`);
    return this.change(id, actor, (current) => {
      if (current.observables.some((o) => o.type === observable.type && o.value === observable.value)) return { next: current, entries: [] };
      if (current.observables.length >= INCIDENT_LIMITS.observables) throw invalid(`an incident holds at most ${INCIDENT_LIMITS.observables} observables`);
      return {
        next: { ...current, observables: [...current.observables, observable] },
        entries: [{ kind: 'observable', body: `Observable ${observable.type} ${observable.value} added`, data: { added: observable } }],
      };
    });
  }

  /** Removes an observable by type and value. */
  async removeObservable(id: string, observable: Pick<Observable, 'type' | 'value'>, actor: string): Promise<IncidentChange> {
    return this.change(id, actor, (current) => {
      const observables = current.observables.filter((o) => !(o.type === observable.type && o.value === observable.value));
      if (observables.length === current.observables.length) return { next: current, entries: [] };
      return {
        next: { ...current, observables },
        entries: [{ kind: 'observable', body: `Observable ${observable.type} ${observable.value} removed`, data: { removed: observable } }],
      };
    });
  }

  /** Adds a task to the checklist; its id is in the returned incident and the entry's data. */
  async addTask(id: string, task: { readonly title: string; readonly assignee?: string }, actor: string): Promise<IncidentChange> {
    checkLength(task.title, INCIDENT_LIMITS.taskTitleLength, 'task title');
    if (task.assignee !== undefined) checkLength(task.assignee, INCIDENT_LIMITS.assigneeLength, 'task assignee');
    const taskId = timeOrderedId(this.clock.now());
    const added: IncidentTask = { id: taskId, title: task.title, done: false, ...(task.assignee !== undefined ? { assignee: task.assignee } : {}) };
    return this.change(id, actor, (current) => {
      if (current.tasks.length >= INCIDENT_LIMITS.tasks) throw invalid(`an incident holds at most ${INCIDENT_LIMITS.tasks} tasks`);
      return { next: { ...current, tasks: [...current.tasks, added] }, entries: [{ kind: 'task', body: `Task added: ${task.title}`, data: { taskId, action: 'added' } }] };
    });
  }

  /** Changes a task's title, assignee or done flag. */
  async updateTask(
    id: string,
    taskId: string,
    changes: { readonly title?: string; readonly done?: boolean; readonly assignee?: string | null },
    actor: string,
  ): Promise<IncidentChange> {
    if (changes.title !== undefined) checkLength(changes.title, INCIDENT_LIMITS.taskTitleLength, 'task title');
    if (typeof changes.assignee === 'string') checkLength(changes.assignee, INCIDENT_LIMITS.assigneeLength, 'task assignee');
    return this.change(id, actor, (current) => {
      const task = current.tasks.find((t) => t.id === taskId);
      if (!task) throw invalid(`incident ${id} has no task ${taskId}`, { incidentId: id, taskId });
      const { assignee: _a, ...base } = task;
      const assignee = changes.assignee === undefined ? task.assignee : (changes.assignee ?? undefined);
      const next: IncidentTask = {
        ...base,
        ...(changes.title !== undefined ? { title: changes.title } : {}),
        ...(changes.done !== undefined ? { done: changes.done } : {}),
        ...(assignee !== undefined ? { assignee } : {}),
      };
      const action = changes.done === true && !task.done ? 'done' : changes.done === false && task.done ? 'reopened' : 'changed';
      return {
        next: { ...current, tasks: current.tasks.map((t) => (t.id === taskId ? next : t)) },
        entries: [{ kind: 'task', body: `Task ${action}: ${next.title}`, data: { taskId, action } }],
      };
    });
  }

  /** Removes a task. */
  async removeTask(id: string, taskId: string, actor: string): Promise<IncidentChange> {
    return this.change(id, actor, (current) => {
      const task = current.tasks.find((t) => t.id === taskId);
      if (!task) throw invalid(`incident ${id} has no task ${taskId}`, { incidentId: id, taskId });
      return { next: { ...current, tasks: current.tasks.filter((t) => t.id !== taskId) }, entries: [{ kind: 'task', body: `Task removed: ${task.title}`, data: { taskId, action: 'removed' } }] };
    });
  }

  /** Links alerts by hand; an alert linked elsewhere is moved (an alert is in one incident at most). */
  async linkAlerts(id: string, alertIds: readonly string[], actor: string): Promise<IncidentChange> {
    const alerts = await this.getAlerts(alertIds);
    if (alerts.length === 0) throw invalid('name at least one alert to link');
    const change = await this.attach(id, alerts, actor, false);
    for (const alert of alerts) {
      const previous = alert.incidentId;
      await this.setAlertIncident(alert.id, id);
      if (previous !== undefined && previous !== id) await this.detach(previous, [alert.id], actor, { to: id });
    }
    return change;
  }

  /** Unlinks alerts; the severity becomes that of the alerts left (unchanged when none is left). */
  async unlinkAlerts(id: string, alertIds: readonly string[], actor: string): Promise<IncidentChange> {
    if (alertIds.length === 0 || alertIds.length > MAX_ALERTS_PER_REQUEST) throw invalid(`name 1-${MAX_ALERTS_PER_REQUEST} alerts to unlink`);
    const current = await this.get(id);
    const unknown = alertIds.filter((alertId) => !current.alertIds.includes(alertId));
    if (unknown.length > 0) throw invalid(`alerts not in incident ${id}: ${unknown.join(', ')}`, { incidentId: id, alertIds: unknown });
    const change = await this.detach(id, alertIds, actor, {});
    for (const alertId of alertIds) await this.clearAlertIncident(alertId, id);
    return { incident: await this.recomputeSeverity(id), timeline: change.timeline };
  }

  /**
   * Merges incidents into `targetId`: their alerts, observables, tags and tasks move to it, its
   * severity becomes the highest, and each source is closed with `mergedInto` (no verdict needed:
   * the target carries the case on).
   */
  async merge(targetId: string, sourceIds: readonly string[], actor: string): Promise<IncidentChange> {
    const ids = [...new Set(sourceIds)];
    if (ids.length === 0 || ids.length > MAX_ALERTS_PER_REQUEST) throw invalid(`name 1-${MAX_ALERTS_PER_REQUEST} incidents to merge`);
    if (ids.includes(targetId)) throw invalid('an incident cannot be merged into itself', { incidentId: targetId });
    const sources: Stored<Incident>[] = [];
    for (const sourceId of ids) {
      const source = await this.get(sourceId);
      if (source.mergedInto !== undefined) throw invalid(`incident ${sourceId} was already merged into ${source.mergedInto}`, { incidentId: sourceId });
      sources.push(source);
    }
    const change = await this.change(targetId, actor, (current) => {
      if (current.mergedInto !== undefined) throw invalid(`incident ${targetId} was merged into ${current.mergedInto}`, { incidentId: targetId });
      const alertIds = union(current.alertIds, sources.flatMap((s) => s.alertIds));
      if (alertIds.length > INCIDENT_LIMITS.alerts) throw invalid(`an incident holds at most ${INCIDENT_LIMITS.alerts} alerts`);
      const taskIds = new Set(current.tasks.map((t) => t.id));
      return {
        next: {
          ...current,
          alertIds,
          severity: highestSeverity([current.severity, ...sources.map((s) => s.severity)], current.severity),
          tags: union(current.tags, sources.flatMap((s) => s.tags)).slice(0, INCIDENT_LIMITS.tags),
          observables: mergeObservables(current.observables, sources.flatMap((s) => s.observables)),
          tasks: [...current.tasks, ...sources.flatMap((s) => s.tasks).filter((t) => !taskIds.has(t.id))].slice(0, INCIDENT_LIMITS.tasks),
        },
        entries: [{ kind: 'merge', body: `Merged ${ids.length} incident(s) into this one`, data: { from: ids } }],
      };
    });
    for (const source of sources) {
      for (const alertId of source.alertIds) await this.setAlertIncident(alertId, targetId).catch(ignoreMissing);
      await this.change(source.id, actor, (current, nowIso) => ({
        next: {
          ...current,
          status: 'closed',
          mergedInto: targetId,
          alertIds: [],
          acknowledgedAt: current.acknowledgedAt ?? nowIso,
          resolvedAt: current.resolvedAt ?? nowIso,
          closedAt: current.closedAt ?? nowIso,
        },
        entries: [{ kind: 'merge', body: `Merged into incident ${targetId}`, data: { into: targetId, alertIds: current.alertIds } }],
      }));
    }
    return change;
  }

  /** Splits alerts off into a new incident; both get a `split` entry. */
  async split(id: string, alertIds: readonly string[], options: { readonly title?: string }, actor: string): Promise<SplitResult> {
    const ids = [...new Set(alertIds)];
    if (ids.length === 0 || ids.length > MAX_ALERTS_PER_REQUEST) throw invalid(`name 1-${MAX_ALERTS_PER_REQUEST} alerts to split off`);
    const original = await this.get(id);
    const unknown = ids.filter((alertId) => !original.alertIds.includes(alertId));
    if (unknown.length > 0) throw invalid(`alerts not in incident ${id}: ${unknown.join(', ')}`, { incidentId: id, alertIds: unknown });
    const title = checkLength(options.title ?? `${original.title} (split)`.slice(0, INCIDENT_LIMITS.titleLength), INCIDENT_LIMITS.titleLength, 'title');
    const alerts = await this.getAlerts(ids);
    const now = this.clock.now();
    const nowIso = new Date(now).toISOString();
    const newId = randomId();
    const created = await this.store.incidents.create({
      id: newId,
      title,
      status: 'new',
      severity: highestSeverity(alerts.map((a) => a.severity), original.severity),
      tags: [...original.tags],
      alertIds: ids,
      observables: mergeObservables([], alerts.flatMap((a) => observablesOf(a))),
      tasks: [],
      pendingTriggers: [CREATED_TRIGGER],
      createdAt: nowIso,
      updatedAt: nowIso,
    });
    const createdTimeline = await this.append(
      newId,
      actor,
      [
        { kind: 'created', body: `Split off incident ${id}`, data: { from: id } },
        { kind: 'split', body: `Split from incident ${id} with ${ids.length} alert(s)`, data: { from: id, alertIds: ids } },
      ],
      now,
    );
    const originalChange = await this.change(id, actor, (current) => ({
      next: { ...current, alertIds: current.alertIds.filter((alertId) => !ids.includes(alertId)) },
      entries: [{ kind: 'split', body: `${ids.length} alert(s) split off into incident ${newId}`, data: { into: newId, alertIds: ids } }],
    }));
    for (const alertId of ids) await this.setAlertIncident(alertId, newId).catch(ignoreMissing);
    const dispatched = await this.outbox.dispatchIncident(created);
    return {
      original: { incident: await this.recomputeSeverity(id), timeline: originalChange.timeline },
      created: { incident: dispatched, timeline: createdTimeline },
    };
  }

  /** The incident, or WATCHPOST_ERR_STORE_NOT_FOUND. */
  async get(id: string): Promise<Stored<Incident>> {
    const incident = await this.store.incidents.get(id);
    if (!incident) throw notFound('incident', id);
    return incident;
  }

  private checkTags(tags: readonly string[]): string[] {
    if (tags.length > INCIDENT_LIMITS.tags) throw invalid(`at most ${INCIDENT_LIMITS.tags} tags`);
    for (const tag of tags) checkLength(tag, INCIDENT_LIMITS.tagLength, 'tag');
    return [...new Set(tags)];
  }

  private async getAlerts(alertIds: readonly string[]): Promise<Stored<Alert>[]> {
    if (alertIds.length > MAX_ALERTS_PER_REQUEST) throw invalid(`name at most ${MAX_ALERTS_PER_REQUEST} alerts at once`);
    const alerts: Stored<Alert>[] = [];
    for (const alertId of new Set(alertIds)) {
      const alert = await this.store.alerts.get(alertId);
      if (!alert) throw invalid(`no alert ${alertId}`, { alertId });
      alerts.push(alert);
    }
    return alerts;
  }

  private linkedDraft(incidentId: string, alert: Alert, system: boolean): Draft {
    return {
      ...(system ? { id: systemEntryId(incidentId, 'alert_linked', alert.id) } : {}),
      kind: 'alert_linked',
      body: `Alert "${alert.ruleTitle}" linked`,
      data: { alertId: alert.id, ruleId: alert.ruleId, severity: alert.severity },
    };
  }

  /** Adds alerts to an incident's list (severity up, observables in); CASE_INVALID when closed or full. */
  private attach(id: string, alerts: readonly Alert[], actor: string, system: boolean): Promise<IncidentChange> {
    return this.change(id, actor, (current) => {
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
    });
  }

  private detach(id: string, alertIds: readonly string[], actor: string, data: Record<string, unknown>): Promise<IncidentChange> {
    return this.change(id, actor, (current) => {
      const removed = alertIds.filter((alertId) => current.alertIds.includes(alertId));
      if (removed.length === 0) return { next: current, entries: [] };
      return {
        next: { ...current, alertIds: current.alertIds.filter((alertId) => !removed.includes(alertId)) },
        entries: removed.map((alertId) => ({ kind: 'alert_unlinked' as const, body: 'Alert unlinked', data: { alertId, ...data } })),
      };
    });
  }

  /** Sets the severity to the highest of the incident's alerts (left alone when it has none). */
  private async recomputeSeverity(id: string): Promise<Stored<Incident>> {
    const alerts = await this.store.alerts.list({ filter: eqExact('incidentId', id), limit: INCIDENT_LIMITS.alerts });
    const current = await this.get(id);
    if (alerts.items.length === 0) return current;
    const severity = highestSeverity(alerts.items.map((a) => a.severity), current.severity);
    if (severity === current.severity) return current;
    return modify(this.store.incidents, id, (latest) => ({ ...latest, severity, updatedAt: new Date(this.clock.now()).toISOString() }));
  }

  private setAlertIncident(alertId: string, incidentId: string): Promise<Stored<Alert>> {
    const nowIso = new Date(this.clock.now()).toISOString();
    return modify(this.store.alerts, alertId, (alert) => (alert.incidentId === incidentId ? alert : { ...alert, incidentId, updatedAt: nowIso }));
  }

  private async clearAlertIncident(alertId: string, incidentId: string): Promise<void> {
    const nowIso = new Date(this.clock.now()).toISOString();
    await modify(this.store.alerts, alertId, (alert) => {
      if (alert.incidentId !== incidentId) return alert;
      const { incidentId: _gone, ...rest } = alert;
      return { ...rest, updatedAt: nowIso };
    }).catch(ignoreMissing);
  }

  /** Closing an incident closes its alerts with the incident's verdict. */
  private async closeAlerts(incident: Incident): Promise<void> {
    const nowIso = new Date(this.clock.now()).toISOString();
    for (const alertId of incident.alertIds) {
      await modify(this.store.alerts, alertId, (alert) =>
        alert.status === 'closed' ? alert : { ...alert, status: 'closed' as const, ...(incident.verdict ? { verdict: incident.verdict } : {}), updatedAt: nowIso },
      ).catch(ignoreMissing);
    }
  }

  /**
   * Applies a pure change under optimistic concurrency and appends its timeline entries. A
   * change with no entries writes nothing.
   */
  private async change(id: string, actor: string, mutate: (current: Stored<Incident>, nowIso: string) => Mutation): Promise<IncidentChange> {
    const now = this.clock.now();
    const nowIso = new Date(now).toISOString();
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(id);
      const { next, entries } = mutate(current, nowIso);
      if (entries.length === 0) return { incident: current, timeline: [] };
      try {
        const { rev: _rev, ...record } = next as Stored<Incident>;
        const incident = await this.store.incidents.replace({ ...record, updatedAt: nowIso, rev: current.rev });
        return { incident, timeline: await this.append(id, actor, entries, now) };
      } catch (error) {
        if (!hasCode(error, 'WATCHPOST_ERR_STORE_CONFLICT') || attempt >= 10) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 5 * 2 ** attempt)));
      }
    }
  }

  private async append(incidentId: string, actor: string, drafts: readonly Draft[], nowMs: number): Promise<TimelineEntry[]> {
    const written: TimelineEntry[] = [];
    for (const draft of drafts) written.push(await this.store.timeline.append(timelineEntry({ ...draft, incidentId, actor }, nowMs)));
    return written;
  }
}

function notFound(kind: string, id: string): UserError {
  return new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', `${kind} ${id} does not exist`, { details: { [`${kind}Id`]: id } });
}

/** An alert deleted meanwhile (retention, an admin) is no reason to fail the incident change. */
function ignoreMissing(error: unknown): void {
  if (!hasCode(error, 'WATCHPOST_ERR_STORE_NOT_FOUND')) throw error;
}
