/**
 * The `playbook-trigger` job and manual requests: a run per matching playbook, with a
 * deterministic id, its steps prepared (inputs rendered, drivers resolved, the never-block list
 * checked — S6 at enqueue — and approval decided), then queued or parked for approval.
 */
import type { PlaybookRun, RunStep } from '../../core/cases/types.js';
import { hasCode, UserError } from '../../core/errors.js';
import type { JobContext } from '../../core/stores/job-queue.js';
import { PLAYBOOK_RUN_JOB, runJobId, type PlaybookTrigger, type RunJob } from '../../core/response/jobs.js';
import { evaluateCondition } from '../definition/condition.js';
import { renderInputs } from '../definition/template.js';
import { matchesTrigger, type TriggerSubject } from '../definition/trigger.js';
import type { Playbook, PlaybookStep } from '../definition/types.js';
import { FINAL, loadSubject, playbookOf, templateContext, type Subject } from './context.js';
import { auditId } from './ids.js';
import { runIdFor } from './ids.js';
import { actionInput, approvalReasonsFor, isDryRun, resolveDrivers } from './plan.js';
import { writeAudit } from './records.js';
import { recordApprovalRequest, recordEnding } from './step-records.js';
import type { Runtime } from './types.js';

/** How many runs of one playbook a person may start for one subject. */
const MAX_MANUAL_RUNS = 100;

/** Handles one `playbook-trigger` job: the ids of the runs it made or found. */
export async function handleTrigger(rt: Runtime, job: JobContext<PlaybookTrigger>): Promise<{ runs: string[] }> {
  const trigger = job.data;
  let subject: TriggerSubject;
  let ids: PlaybookRun['trigger'];
  let subjectId: string;
  if (trigger.trigger === 'alert.created') {
    const alert = await rt.cases.alerts.get(trigger.alertId);
    if (!alert) {
      rt.logger.warn({ alert: trigger.alertId }, 'playbook trigger for an alert that does not exist; dropped');
      return { runs: [] };
    }
    subject = { kind: 'alert', alert };
    subjectId = alert.id;
    const incidentId = alert.incidentId ?? trigger.incidentId;
    ids = { alertId: alert.id, ...(incidentId !== undefined ? { incidentId } : {}) };
  } else {
    const incident = await rt.cases.incidents.get(trigger.incidentId);
    if (!incident) {
      rt.logger.warn({ incident: trigger.incidentId }, 'playbook trigger for an incident that does not exist; dropped');
      return { runs: [] };
    }
    subject = { kind: 'incident', incident };
    subjectId = incident.id;
    ids = { incidentId: incident.id };
  }
  const runs: string[] = [];
  for (const playbook of rt.playbooks()) {
    if (!matchesTrigger(playbook, subject)) continue;
    const run = await startRun(rt, playbook, ids, runIdFor(playbook.id, subjectId));
    runs.push(run.id);
  }
  return { runs };
}

/** Starts a playbook by hand (see ResponseService.requestRun). */
export async function requestRun(rt: Runtime, playbookId: string, subject: { readonly alertId?: string; readonly incidentId?: string }, requestedBy: string): Promise<PlaybookRun> {
  const playbook = playbookOf(rt, playbookId);
  if (!playbook || !playbook.enabled) throw new UserError('WATCHPOST_ERR_PLAYBOOK_NOT_FOUND', `no enabled playbook ${playbookId}`);
  let ids: PlaybookRun['trigger'];
  let subjectId: string;
  if (subject.alertId !== undefined) {
    const alert = await rt.cases.alerts.get(subject.alertId);
    if (!alert) throw new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', `no alert ${subject.alertId}`);
    const incidentId = alert.incidentId ?? subject.incidentId;
    ids = { alertId: alert.id, ...(incidentId !== undefined ? { incidentId } : {}) };
    subjectId = alert.id;
  } else if (subject.incidentId !== undefined) {
    const incident = await rt.cases.incidents.get(subject.incidentId);
    if (!incident) throw new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', `no incident ${subject.incidentId}`);
    ids = { incidentId: incident.id };
    subjectId = incident.id;
  } else {
    throw new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', 'a run needs an alert or an incident');
  }
  // The pair's deterministic run while it is going (a double click is one run); after it ended, the next free one.
  for (let n = 1; n <= MAX_MANUAL_RUNS; n++) {
    const id = runIdFor(playbook.id, subjectId, n === 1 ? undefined : `r${n}`);
    const existing = await rt.cases.runs.get(id);
    if (existing && FINAL.has(existing.status)) continue;
    const run = existing ?? (await startRun(rt, playbook, ids, id, requestedBy));
    await writeAudit(rt, {
      id: auditId(run.id, 'request', requestedBy),
      actor: requestedBy,
      action: 'run.request',
      target: { type: 'run', id: run.id },
      details: { playbookId: playbook.id, ...ids },
    });
    return run;
  }
  throw new UserError('WATCHPOST_ERR_STORE_CONFLICT', `playbook ${playbook.id} already ran ${MAX_MANUAL_RUNS} times for ${subjectId}`);
}

/**
 * Makes the run (or finds it: a duplicate trigger is the same run) and hands it on: queued with
 * its job, parked for approval, or failed when a step the run cannot go past was refused.
 */
export async function startRun(rt: Runtime, playbook: Playbook, trigger: PlaybookRun['trigger'], id: string, requestedBy?: string): Promise<PlaybookRun> {
  const subject = await loadSubject(rt, trigger);
  const nowMs = rt.clock.now();
  const now = new Date(nowMs).toISOString();
  const draft: PlaybookRun = {
    id,
    playbookId: playbook.id,
    trigger,
    status: 'queued',
    steps: [],
    currentStep: 0,
    ...(isDryRun(rt, playbook, undefined, undefined) ? { dryRun: true } : {}),
    ...(requestedBy !== undefined ? { requestedBy } : {}),
    createdAt: now,
    updatedAt: now,
  };
  const context = templateContext(rt, draft, playbook, subject, 0);
  const steps: RunStep[] = [];
  for (const def of playbook.steps) steps.push(await prepareStep(rt, playbook, def, context, now));
  const run = decide(rt, playbook, { ...draft, steps }, subject, nowMs);
  let stored: PlaybookRun;
  try {
    stored = await rt.cases.runs.create(run);
    rt.logger.info({ run: stored.id, playbook: playbook.id, status: stored.status, ...trigger }, 'playbook run created');
  } catch (error) {
    if (!hasCode(error, 'WATCHPOST_ERR_STORE_CONFLICT')) throw error;
    const existing = await rt.cases.runs.get(id);
    if (!existing) throw error;
    stored = existing;
  }
  await handOn(rt, stored);
  return stored;
}

/** A step as queued: input rendered when it can be (a template reading `steps.*` waits for the run), target checked, approval decided. */
async function prepareStep(rt: Runtime, playbook: Playbook, def: PlaybookStep, context: ReturnType<typeof templateContext>, now: string): Promise<RunStep> {
  const drivers = resolveDrivers(rt, def.action, def.drivers).map((driver) => driver.id);
  const step: RunStep = { id: def.id, action: def.action, status: 'queued', dryRun: isDryRun(rt, playbook, def, undefined), attempts: 0, drivers };
  let input: Record<string, unknown>;
  try {
    input = renderInputs(def.with, context);
  } catch (error) {
    if (error instanceof UserError) return step;
    throw error;
  }
  if (drivers.length === 0) return { ...step, input };
  const check = await rt.safety.checkTarget(def.action, actionInput(input));
  if (check.refused) return { ...step, input, status: 'failed', error: `refused: ${check.reason}`, finishedAt: now };
  const reasons = approvalReasonsFor(rt, def, input, context);
  return { ...step, input, approval: reasons.length > 0 ? 'required' : 'auto', ...(reasons.length > 0 ? { approvalReasons: reasons } : {}) };
}

/** The run's starting state: failed at a refused step it cannot pass, parked when its first step waits for a person, else queued. */
function decide(rt: Runtime, playbook: Playbook, run: PlaybookRun, subject: Subject, nowMs: number): PlaybookRun {
  for (const [index, step] of run.steps.entries()) {
    const def = playbook.steps[index] as PlaybookStep;
    if (step.status === 'failed') {
      if (def.continueOnError) continue;
      return { ...run, status: 'failed', currentStep: index };
    }
    const waits = step.approval === 'required' && !step.dryRun && step.input !== undefined && (step.drivers?.length ?? 0) > 0 && holds(def, run, playbook, subject, rt);
    if (!waits) return run;
    const steps = run.steps.map((s, i) => (i === index ? { ...s, status: 'pending_approval' as const } : s));
    return { ...run, steps, status: 'pending_approval', currentStep: index, approvalExpiresAt: new Date(nowMs + rt.config.approvalTimeoutMs).toISOString() };
  }
  return run;
}

/** Whether the step's condition holds when the run starts (a condition that cannot be judged yet is left to the run). */
function holds(def: PlaybookStep, run: PlaybookRun, playbook: Playbook, subject: Subject, rt: Runtime): boolean {
  if (def.when === undefined) return true;
  try {
    return evaluateCondition(def.when, templateContext(rt, run, playbook, subject, 0));
  } catch {
    return false;
  }
}

/** What follows a run's creation, idempotent so a retried trigger finishes it: entries for refused steps, approval requests, the job. */
async function handOn(rt: Runtime, run: PlaybookRun): Promise<void> {
  for (const [index, step] of run.steps.entries()) {
    if (step.status === 'failed' && step.error?.startsWith('refused: ') && step.startedAt === undefined) {
      await recordEnding(rt, run, index, { kind: 'refused', reason: step.error.slice('refused: '.length) });
    }
  }
  if (run.status === 'pending_approval' && run.currentStep !== undefined) await recordApprovalRequest(rt, run, run.currentStep);
  if (run.status === 'queued') await rt.queue.add<RunJob>(runJob(rt, run.id));
}

/**
 * The id of the job that resumes a run after step `index` was approved: `runJobId(runId, index)`,
 * except that a step 0 approved after the run's first job already ran (the breaker or a condition
 * made it wait at execution) cannot reuse that job's id, and gets `run-<id>-a`.
 */
export async function approvalJobId(rt: Runtime, runId: string, index: number): Promise<string> {
  if (index > 0) return runJobId(runId, index);
  return (await rt.queue.get(runJobId(runId))) === undefined ? runJobId(runId) : `${runJobId(runId)}-a`;
}

/** Every job id that may carry `run`: its first job, the one after approving step 0, and those after approving later steps. */
export function runJobIds(run: PlaybookRun): string[] {
  const first = runJobId(run.id);
  return [first, `${first}-a`, ...run.steps.flatMap((step, index) => (step.approvedBy !== undefined && index > 0 ? [runJobId(run.id, index)] : []))];
}

/** The jobs of `run` as the queue knows them (undefined: never added, or purged). */
export async function runJobsOf(rt: Runtime, run: PlaybookRun) {
  return Promise.all(runJobIds(run).map((id) => rt.queue.get(id)));
}

/** Whether a job of `run` is waiting, delayed or running: then nothing needs adding. */
export async function hasLiveJob(rt: Runtime, run: PlaybookRun): Promise<boolean> {
  return (await runJobsOf(rt, run)).some((job) => job !== undefined && (job.state === 'waiting' || job.state === 'delayed' || job.state === 'active'));
}

/** The job that runs a run (from `currentStep` on), with the runner's retry policy. */
export function runJob(rt: Runtime, runId: string, fromStep = 0, id = runJobId(runId, fromStep)) {
  return {
    name: PLAYBOOK_RUN_JOB,
    id,
    data: { runId },
    attempts: rt.retry.attempts,
    backoff: { type: 'exponential' as const, delayMs: rt.retry.backoffMs },
  };
}
