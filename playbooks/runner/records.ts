/**
 * The runner's writes to the incident timeline and the audit log. Ids are deterministic
 * (ids.ts) and both logs are idempotent by id, so a retried job writes each entry once.
 */
import type { AuditEntry, PlaybookRun, TimelineEntry } from '../../core/cases/types.js';
import type { Runtime } from './types.js';

/** The most alert ids an entry carries as evidence. */
const MAX_EVIDENCE = 50;

/** The incident a run's steps are written on: the trigger's, else the alert's (it may have joined one since). */
export async function incidentOf(rt: Runtime, run: PlaybookRun): Promise<string | undefined> {
  if (run.trigger.incidentId !== undefined) return run.trigger.incidentId;
  if (run.trigger.alertId === undefined) return undefined;
  const alert = await rt.cases.alerts.get(run.trigger.alertId);
  return alert?.incidentId;
}

/** The alerts that are the evidence of a run: its alert, or its incident's alerts. */
export async function evidenceOf(rt: Runtime, run: PlaybookRun): Promise<string[]> {
  if (run.trigger.alertId !== undefined) return [run.trigger.alertId];
  if (run.trigger.incidentId === undefined) return [];
  const incident = await rt.cases.incidents.get(run.trigger.incidentId);
  return (incident?.alertIds ?? []).slice(0, MAX_EVIDENCE);
}

/** The actor of everything a run does by itself. */
export function playbookActor(run: PlaybookRun): string {
  return `playbook:${run.playbookId}`;
}

/** Writes an `action` entry on the run's incident, when it has one. */
export async function writeTimeline(
  rt: Runtime,
  run: PlaybookRun,
  entry: { readonly id: string; readonly body: string; readonly actor?: string; readonly data?: Readonly<Record<string, unknown>> },
): Promise<TimelineEntry | undefined> {
  const incidentId = await incidentOf(rt, run);
  if (incidentId === undefined) return undefined;
  return rt.cases.timeline.append({
    id: entry.id,
    incidentId,
    at: new Date(rt.clock.now()).toISOString(),
    actor: entry.actor ?? playbookActor(run),
    kind: 'action',
    body: entry.body,
    data: { runId: run.id, playbookId: run.playbookId, ...(entry.data ?? {}) },
  });
}

/** Appends an audit entry (details must hold no secrets: drivers' answers are secret-free by contract). */
export async function writeAudit(
  rt: Runtime,
  entry: Omit<AuditEntry, 'at' | 'outcome'> & { readonly outcome?: AuditEntry['outcome'] },
): Promise<AuditEntry> {
  return rt.cases.audit.append({ ...entry, at: new Date(rt.clock.now()).toISOString(), outcome: entry.outcome ?? 'success' });
}

/** An error's message for a record: bounded, never a stack. */
export function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 1000 ? `${message.slice(0, 999)}…` : message;
}
