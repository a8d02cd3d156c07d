import type { Incident, IncidentStatus, IncidentTask, Observable, Severity, Verdict } from '../../core/cases/types.js';
import { SEVERITIES } from '../../core/cases/types.js';
import { timeOrderedId } from '../../core/ids.js';
import { applyStatus, checkLength, INCIDENT_LIMITS, invalid, union } from './incident-rules.js';
import type { Draft, IncidentChange, IncidentWriter, Mutation, WriteOptions } from './incident-writer.js';
import { MAX_COMMENT_LENGTH } from './timeline.js';

/**
 * The hand operations on one incident's own fields: status, assignee, title, severity, tags,
 * comments, observables and tasks. Each is a pure change applied by {@link IncidentWriter.change}
 * with one timeline entry per thing changed; a change that changes nothing writes nothing.
 */

/** What {@link update} changes; absent fields stay as they are. */
export interface IncidentEdits {
  readonly title?: string;
  readonly severity?: Severity;
  /** A user id, or null to unassign. */
  readonly assignee?: string | null;
  /** The full set of tags wanted. */
  readonly tags?: readonly string[];
}

export function checkTags(tags: readonly string[]): string[] {
  if (tags.length > INCIDENT_LIMITS.tags) throw invalid(`at most ${INCIDENT_LIMITS.tags} tags`);
  for (const tag of tags) checkLength(tag, INCIDENT_LIMITS.tagLength, 'tag');
  return [...new Set(tags)];
}

function checkSeverity(severity: Severity): void {
  if (!SEVERITIES.includes(severity)) throw invalid(`unknown severity ${JSON.stringify(severity)}`);
}

/** Several pure changes in a row as one: each sees the incident the previous made. */
function combine(current: Incident, steps: readonly ((incident: Incident) => Mutation)[]): Mutation {
  let next = current;
  const entries: Draft[] = [];
  for (const step of steps) {
    const mutation = step(next);
    next = mutation.next;
    entries.push(...mutation.entries);
  }
  return { next, entries };
}

function titleChange(title: string): (current: Incident) => Mutation {
  return (current) =>
    current.title === title
      ? { next: current, entries: [] }
      : { next: { ...current, title }, entries: [{ kind: 'action', body: `Title changed to "${title}"`, data: { field: 'title', from: current.title, to: title } }] };
}

function severityChange(severity: Severity): (current: Incident) => Mutation {
  return (current) =>
    current.severity === severity
      ? { next: current, entries: [] }
      : {
          next: { ...current, severity },
          entries: [{ kind: 'action', body: `Severity ${current.severity} → ${severity}`, data: { field: 'severity', from: current.severity, to: severity } }],
        };
}

function assigneeChange(assignee: string | undefined): (current: Incident) => Mutation {
  return (current) => {
    if (current.assignee === assignee) return { next: current, entries: [] };
    const { assignee: from, ...rest } = current;
    return {
      next: assignee === undefined ? rest : { ...rest, assignee },
      entries: [{ kind: 'assignment', body: assignee ? `Assigned to ${assignee}` : 'Unassigned', data: { from: from ?? null, to: assignee ?? null } }],
    };
  };
}

function tagChange(add: readonly string[], remove: readonly string[]): (current: Incident) => Mutation {
  return (current) => {
    const tags = union(current.tags, add).filter((tag) => !remove.includes(tag));
    if (tags.length > INCIDENT_LIMITS.tags) throw invalid(`an incident holds at most ${INCIDENT_LIMITS.tags} tags`);
    const added = tags.filter((tag) => !current.tags.includes(tag));
    const removed = current.tags.filter((tag) => !tags.includes(tag));
    if (added.length === 0 && removed.length === 0) return { next: current, entries: [] };
    return { next: { ...current, tags }, entries: [{ kind: 'tag', body: 'Tags changed', data: { added, removed } }] };
  };
}

/**
 * Changes the status (see applyStatus for what each sets). Closing requires a verdict, and
 * closes the incident's alerts with the same verdict.
 */
export async function setStatus(
  writer: IncidentWriter,
  id: string,
  status: IncidentStatus,
  actor: string,
  options: WriteOptions & { readonly verdict?: Verdict } = {},
): Promise<IncidentChange> {
  const change = await writer.change(
    id,
    actor,
    (current, nowIso) => {
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
    },
    options,
  );
  if (status === 'closed' && change.timeline.length > 0) await writer.closeAlerts(change.incident);
  return change;
}

/** Assigns the incident to someone, or unassigns it (`undefined`). */
export function assign(writer: IncidentWriter, id: string, assignee: string | undefined, actor: string, options: WriteOptions = {}): Promise<IncidentChange> {
  if (assignee !== undefined) checkLength(assignee, INCIDENT_LIMITS.assigneeLength, 'assignee');
  return writer.change(id, actor, (current) => assigneeChange(assignee)(current), options);
}

/** Adds a comment (Markdown) to the timeline. */
export function comment(writer: IncidentWriter, id: string, body: string, actor: string, options: WriteOptions = {}): Promise<IncidentChange> {
  checkLength(body, MAX_COMMENT_LENGTH, 'comment');
  return writer.change(id, actor, (current) => ({ next: current, entries: [{ kind: 'comment', body }] }), options);
}

/** Adds and removes tags. */
export function tag(
  writer: IncidentWriter,
  id: string,
  changes: { readonly add?: readonly string[]; readonly remove?: readonly string[] },
  actor: string,
  options: WriteOptions = {},
): Promise<IncidentChange> {
  const add = checkTags(changes.add ?? []);
  const remove = changes.remove ?? [];
  return writer.change(id, actor, (current) => tagChange(add, remove)(current), options);
}

/**
 * Changes title, severity, assignee and tags in one write: either all of them apply or none.
 * Title and severity each write an `action` entry with `data: { field, from, to }`; the assignee
 * an `assignment` entry, the tags a `tag` entry, as {@link assign} and {@link tag} do.
 */
export function update(writer: IncidentWriter, id: string, edits: IncidentEdits, actor: string, options: WriteOptions = {}): Promise<IncidentChange> {
  if (edits.title !== undefined) checkLength(edits.title, INCIDENT_LIMITS.titleLength, 'title');
  if (edits.severity !== undefined) checkSeverity(edits.severity);
  if (typeof edits.assignee === 'string') checkLength(edits.assignee, INCIDENT_LIMITS.assigneeLength, 'assignee');
  const wanted = edits.tags === undefined ? undefined : checkTags(edits.tags);
  const steps: ((incident: Incident) => Mutation)[] = [];
  if (edits.title !== undefined) steps.push(titleChange(edits.title));
  if (edits.severity !== undefined) steps.push(severityChange(edits.severity));
  if (edits.assignee !== undefined) steps.push(assigneeChange(edits.assignee ?? undefined));
  if (wanted !== undefined) {
    steps.push((current) =>
      tagChange(
        wanted.filter((t) => !current.tags.includes(t)),
        current.tags.filter((t) => !wanted.includes(t)),
      )(current),
    );
  }
  return writer.change(id, actor, (current) => combine(current, steps), options);
}

/** Adds an observable (a repeat of the same type and value is ignored). */
export function addObservable(writer: IncidentWriter, id: string, observable: Observable, actor: string, options: WriteOptions = {}): Promise<IncidentChange> {
  checkLength(observable.value, INCIDENT_LIMITS.observableValueLength, 'observable value');
  if (observable.note !== undefined) checkLength(observable.note, INCIDENT_LIMITS.noteLength, 'observable note');
  if (!['ip', 'user', 'host', 'hash', 'domain', 'url', 'other'].includes(observable.type)) throw invalid(`unknown observable type ${JSON.stringify(observable.type)}`);
  return writer.change(
    id,
    actor,
    (current) => {
      if (current.observables.some((o) => o.type === observable.type && o.value === observable.value)) return { next: current, entries: [] };
      if (current.observables.length >= INCIDENT_LIMITS.observables) throw invalid(`an incident holds at most ${INCIDENT_LIMITS.observables} observables`);
      return {
        next: { ...current, observables: [...current.observables, observable] },
        entries: [{ kind: 'observable', body: `Observable ${observable.type} ${observable.value} added`, data: { added: observable } }],
      };
    },
    options,
  );
}

/** Removes an observable by type and value. */
export function removeObservable(
  writer: IncidentWriter,
  id: string,
  observable: Pick<Observable, 'type' | 'value'>,
  actor: string,
  options: WriteOptions = {},
): Promise<IncidentChange> {
  return writer.change(
    id,
    actor,
    (current) => {
      const observables = current.observables.filter((o) => !(o.type === observable.type && o.value === observable.value));
      if (observables.length === current.observables.length) return { next: current, entries: [] };
      return {
        next: { ...current, observables },
        entries: [{ kind: 'observable', body: `Observable ${observable.type} ${observable.value} removed`, data: { removed: observable } }],
      };
    },
    options,
  );
}

/** Adds a task to the checklist; its id is in the returned incident and the entry's data. */
export function addTask(
  writer: IncidentWriter,
  id: string,
  task: { readonly title: string; readonly assignee?: string },
  actor: string,
  options: WriteOptions = {},
): Promise<IncidentChange> {
  checkLength(task.title, INCIDENT_LIMITS.taskTitleLength, 'task title');
  if (task.assignee !== undefined) checkLength(task.assignee, INCIDENT_LIMITS.assigneeLength, 'task assignee');
  const taskId = timeOrderedId(writer.clock.now());
  const added: IncidentTask = { id: taskId, title: task.title, done: false, ...(task.assignee !== undefined ? { assignee: task.assignee } : {}) };
  return writer.change(
    id,
    actor,
    (current) => {
      if (current.tasks.length >= INCIDENT_LIMITS.tasks) throw invalid(`an incident holds at most ${INCIDENT_LIMITS.tasks} tasks`);
      return { next: { ...current, tasks: [...current.tasks, added] }, entries: [{ kind: 'task', body: `Task added: ${task.title}`, data: { taskId, action: 'added' } }] };
    },
    options,
  );
}

/** Changes a task's title, assignee or done flag. */
export function updateTask(
  writer: IncidentWriter,
  id: string,
  taskId: string,
  changes: { readonly title?: string; readonly done?: boolean; readonly assignee?: string | null },
  actor: string,
  options: WriteOptions = {},
): Promise<IncidentChange> {
  if (changes.title !== undefined) checkLength(changes.title, INCIDENT_LIMITS.taskTitleLength, 'task title');
  if (typeof changes.assignee === 'string') checkLength(changes.assignee, INCIDENT_LIMITS.assigneeLength, 'task assignee');
  return writer.change(
    id,
    actor,
    (current) => {
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
    },
    options,
  );
}

/** Removes a task. */
export function removeTask(writer: IncidentWriter, id: string, taskId: string, actor: string, options: WriteOptions = {}): Promise<IncidentChange> {
  return writer.change(
    id,
    actor,
    (current) => {
      const task = current.tasks.find((t) => t.id === taskId);
      if (!task) throw invalid(`incident ${id} has no task ${taskId}`, { incidentId: id, taskId });
      return { next: { ...current, tasks: current.tasks.filter((t) => t.id !== taskId) }, entries: [{ kind: 'task', body: `Task removed: ${task.title}`, data: { taskId, action: 'removed' } }] };
    },
    options,
  );
}
