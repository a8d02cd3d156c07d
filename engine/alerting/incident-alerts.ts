import type { Incident, Severity } from '../../core/cases/types.js';
import { SEVERITIES } from '../../core/cases/types.js';
import { randomId } from '../../core/ids.js';
import type { Stored } from '../../core/stores/case-store.js';
import { checkTags } from './incident-fields.js';
import { checkLength, INCIDENT_LIMITS, invalid, mergeObservables, observablesOf, union } from './incident-rules.js';
import { ignoreMissing, MAX_ALERTS_PER_REQUEST, type IncidentChange, type IncidentWriter, type WriteOptions } from './incident-writer.js';
import { CREATED_TRIGGER } from './outbox.js';
import { highestSeverity } from './severity.js';

/**
 * The hand operations that move alerts between incidents: open one by hand, link, unlink,
 * merge, split. The incident named first is written first, with the caller's expected revision
 * (see {@link WriteOptions}), so a stale request is refused before anything else changes.
 */

/** What {@link createIncident} takes (the API's request body). */
export interface NewIncident {
  readonly title: string;
  /** @defaultValue the highest severity of `alertIds`, else medium */
  readonly severity?: Severity;
  readonly assignee?: string;
  readonly tags?: readonly string[];
  readonly alertIds?: readonly string[];
}

/** What {@link split} returns: the incident split, and the one made from its alerts. */
export interface SplitResult {
  readonly original: IncidentChange;
  readonly created: IncidentChange;
}

/** Opens an incident by hand, optionally with alerts (moved from their incidents). */
export async function createIncident(writer: IncidentWriter, input: NewIncident, actor: string): Promise<IncidentChange> {
  const title = checkLength(input.title, INCIDENT_LIMITS.titleLength, 'title');
  if (input.severity !== undefined && !SEVERITIES.includes(input.severity)) throw invalid(`unknown severity ${JSON.stringify(input.severity)}`);
  const tags = checkTags(input.tags ?? []);
  if (input.assignee !== undefined) checkLength(input.assignee, INCIDENT_LIMITS.assigneeLength, 'assignee');
  const alerts = await writer.getAlerts(input.alertIds ?? []);
  const now = writer.clock.now();
  const nowIso = new Date(now).toISOString();
  const id = randomId();
  await writer.store.incidents.create({
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
  const timeline = [...(await writer.append(id, actor, [{ kind: 'created', body: 'Incident opened by hand', data: { title } }], now))];
  let incident: Stored<Incident> | undefined;
  if (alerts.length > 0) {
    const linked = await linkAlerts(writer, id, alerts.map((a) => a.id), actor);
    timeline.push(...linked.timeline);
    incident = linked.incident;
  }
  incident = await writer.outbox.dispatchIncident(incident ?? (await writer.get(id)));
  return { incident, timeline };
}

/** Links alerts by hand; an alert linked elsewhere is moved (an alert is in one incident at most). */
export async function linkAlerts(writer: IncidentWriter, id: string, alertIds: readonly string[], actor: string, options: WriteOptions = {}): Promise<IncidentChange> {
  const alerts = await writer.getAlerts(alertIds);
  if (alerts.length === 0) throw invalid('name at least one alert to link');
  const change = await writer.attach(id, alerts, actor, false, options);
  for (const alert of alerts) {
    const previous = alert.incidentId;
    await writer.setAlertIncident(alert.id, id);
    if (previous !== undefined && previous !== id) await writer.detach(previous, [alert.id], actor, { to: id });
  }
  return change;
}

/** Unlinks alerts; the severity becomes that of the alerts left (unchanged when none is left). */
export async function unlinkAlerts(writer: IncidentWriter, id: string, alertIds: readonly string[], actor: string, options: WriteOptions = {}): Promise<IncidentChange> {
  if (alertIds.length === 0 || alertIds.length > MAX_ALERTS_PER_REQUEST) throw invalid(`name 1-${MAX_ALERTS_PER_REQUEST} alerts to unlink`);
  const current = await writer.get(id);
  const unknown = alertIds.filter((alertId) => !current.alertIds.includes(alertId));
  if (unknown.length > 0) throw invalid(`alerts not in incident ${id}: ${unknown.join(', ')}`, { incidentId: id, alertIds: unknown });
  const change = await writer.detach(id, alertIds, actor, {}, options);
  for (const alertId of alertIds) await writer.clearAlertIncident(alertId, id);
  return { incident: await writer.recomputeSeverity(id), timeline: change.timeline };
}

/**
 * Merges incidents into `targetId`: their alerts, observables, tags and tasks move to it, its
 * severity becomes the highest, and each source is closed with `mergedInto` (no verdict needed:
 * the target carries the case on). The expected revision is the target's.
 */
export async function merge(writer: IncidentWriter, targetId: string, sourceIds: readonly string[], actor: string, options: WriteOptions = {}): Promise<IncidentChange> {
  const ids = [...new Set(sourceIds)];
  if (ids.length === 0 || ids.length > MAX_ALERTS_PER_REQUEST) throw invalid(`name 1-${MAX_ALERTS_PER_REQUEST} incidents to merge`);
  if (ids.includes(targetId)) throw invalid('an incident cannot be merged into itself', { incidentId: targetId });
  const sources: Stored<Incident>[] = [];
  for (const sourceId of ids) {
    const source = await writer.get(sourceId);
    if (source.mergedInto !== undefined) throw invalid(`incident ${sourceId} was already merged into ${source.mergedInto}`, { incidentId: sourceId });
    sources.push(source);
  }
  const change = await writer.change(
    targetId,
    actor,
    (current) => {
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
    },
    options,
  );
  for (const source of sources) {
    for (const alertId of source.alertIds) await writer.setAlertIncident(alertId, targetId).catch(ignoreMissing);
    await writer.change(source.id, actor, (current, nowIso) => ({
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

/**
 * Splits alerts off into a new incident; both get a `split` entry. The original is written
 * first (with the expected revision), so a stale request leaves no new incident behind; the
 * alerts then point at the new incident.
 */
export async function split(
  writer: IncidentWriter,
  id: string,
  alertIds: readonly string[],
  options: WriteOptions & { readonly title?: string },
  actor: string,
): Promise<SplitResult> {
  const ids = [...new Set(alertIds)];
  if (ids.length === 0 || ids.length > MAX_ALERTS_PER_REQUEST) throw invalid(`name 1-${MAX_ALERTS_PER_REQUEST} alerts to split off`);
  const original = await writer.get(id);
  const unknown = ids.filter((alertId) => !original.alertIds.includes(alertId));
  if (unknown.length > 0) throw invalid(`alerts not in incident ${id}: ${unknown.join(', ')}`, { incidentId: id, alertIds: unknown });
  const title = checkLength(options.title ?? `${original.title} (split)`.slice(0, INCIDENT_LIMITS.titleLength), INCIDENT_LIMITS.titleLength, 'title');
  const alerts = await writer.getAlerts(ids);
  const newId = randomId();
  const originalChange = await writer.change(
    id,
    actor,
    (current) => {
      const missing = ids.filter((alertId) => !current.alertIds.includes(alertId));
      if (missing.length > 0) throw invalid(`alerts not in incident ${id}: ${missing.join(', ')}`, { incidentId: id, alertIds: missing });
      return {
        next: { ...current, alertIds: current.alertIds.filter((alertId) => !ids.includes(alertId)) },
        entries: [{ kind: 'split', body: `${ids.length} alert(s) split off into incident ${newId}`, data: { into: newId, alertIds: ids } }],
      };
    },
    options,
  );
  const now = writer.clock.now();
  const nowIso = new Date(now).toISOString();
  const created = await writer.store.incidents.create({
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
  const createdTimeline = await writer.append(
    newId,
    actor,
    [
      { kind: 'created', body: `Split off incident ${id}`, data: { from: id } },
      { kind: 'split', body: `Split from incident ${id} with ${ids.length} alert(s)`, data: { from: id, alertIds: ids } },
    ],
    now,
  );
  for (const alertId of ids) await writer.setAlertIncident(alertId, newId).catch(ignoreMissing);
  const dispatched = await writer.outbox.dispatchIncident(created);
  return {
    original: { incident: await writer.recomputeSeverity(id), timeline: originalChange.timeline },
    created: { incident: dispatched, timeline: createdTimeline },
  };
}
