/**
 * What a run's templates and conditions read, and small helpers over run records.
 */
import type { Alert, Incident, PlaybookRun, RunStatus, RunStep } from '../../core/cases/types.js';
import type { Stored } from '../../core/stores/case-store.js';
import { modify } from '../../core/stores/modify.js';
import type { TemplateContext } from '../definition/template.js';
import type { Playbook } from '../definition/types.js';
import type { Runtime } from './types.js';

/** The alert and incident a run is about, as stored now. */
export interface Subject {
  readonly alert?: Alert;
  readonly incident?: Incident;
}

/** Statuses a step or run does not leave. */
export const FINAL: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'rejected', 'skipped', 'cancelled']);

/** Reads the alert and the incident of a run (the alert's incident when the trigger named none). */
export async function loadSubject(rt: Runtime, trigger: PlaybookRun['trigger']): Promise<Subject> {
  const alert = trigger.alertId !== undefined ? await rt.cases.alerts.get(trigger.alertId) : undefined;
  const incidentId = trigger.incidentId ?? alert?.incidentId;
  const incident = incidentId !== undefined ? await rt.cases.incidents.get(incidentId) : undefined;
  return { ...(alert ? { alert: strip(alert) } : {}), ...(incident ? { incident: strip(incident) } : {}) };
}

function strip<T>(record: Stored<T>): T {
  const { rev: _rev, ...rest } = record;
  return rest as T;
}

/** The template context of a run: its subject, playbook, and the steps before `upTo`. */
export function templateContext(rt: Runtime, run: PlaybookRun, playbook: Playbook, subject: Subject, upTo = run.steps.length): TemplateContext {
  const steps: Record<string, { status: string; result?: unknown }> = {};
  for (const step of run.steps.slice(0, upTo)) {
    steps[step.id] = { status: step.status, ...(step.result !== undefined ? { result: publicResult(step.result) } : {}) };
  }
  return {
    ...subject,
    playbook: { id: playbook.id, title: playbook.title },
    run: { id: run.id },
    steps,
    ...(rt.consoleUrl !== undefined ? { consoleUrl: rt.consoleUrl } : {}),
  };
}

/** A step's result as later steps read it: without the runner's own bookkeeping. */
function publicResult(result: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  const { plan: _plan, ...rest } = result;
  return rest;
}

/** Changes a run with optimistic concurrency, stamping `updatedAt`. */
export async function changeRun(rt: Runtime, runId: string, change: (run: PlaybookRun) => PlaybookRun): Promise<Stored<PlaybookRun>> {
  const now = new Date(rt.clock.now()).toISOString();
  return modify(rt.cases.runs, runId, (current) => {
    const { rev: _rev, ...record } = current;
    return { ...change(record), updatedAt: now };
  });
}

/** Changes step `index` of a run (see {@link changeRun}). */
export function changeStep(rt: Runtime, runId: string, index: number, change: (step: RunStep, run: PlaybookRun) => RunStep, run?: (run: PlaybookRun) => Partial<PlaybookRun>): Promise<Stored<PlaybookRun>> {
  return changeRun(rt, runId, (current) => {
    const steps = current.steps.map((step, i) => (i === index ? change(step, current) : step));
    return { ...current, ...(run ? run(current) : {}), steps };
  });
}

/** The playbook of a run among those loaded now. */
export function playbookOf(rt: Runtime, playbookId: string): Playbook | undefined {
  return rt.playbooks().find((playbook) => playbook.id === playbookId);
}

/** The ISO time now. */
export function nowIso(rt: Runtime): string {
  return new Date(rt.clock.now()).toISOString();
}
