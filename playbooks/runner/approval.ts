/**
 * A person's decision on a step waiting for approval (S9, ASVS 7.5.3 for the approval path): never
 * the requester's own, never after the deadline (the run is cancelled instead), and decided once —
 * the write checks the run still waits, so two approvers racing cannot both decide.
 */
import type { PlaybookRun, RunStep } from '../../core/cases/types.js';
import { UserError } from '../../core/errors.js';
import type { RunJob } from '../../core/response/jobs.js';
import { changeRun, nowIso } from './context.js';
import { describeAction } from './describe.js';
import { auditId, stepTimelineId } from './ids.js';
import { writeAudit, writeTimeline } from './records.js';
import { approvalJobId, hasLiveJob, runJob } from './triggers.js';
import type { Runtime } from './types.js';

function conflict(run: PlaybookRun, verb: string): UserError {
  return new UserError('WATCHPOST_ERR_STORE_CONFLICT', `run ${run.id} is ${run.status}: only a run waiting for approval can be ${verb}`);
}

/** Reads a run a person wants to decide, refusing the requester and ended or expired runs. */
async function decidable(rt: Runtime, runId: string, by: string): Promise<PlaybookRun> {
  const run = await rt.cases.runs.get(runId);
  if (!run) throw new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', `no run ${runId}`);
  if (run.requestedBy !== undefined && run.requestedBy === by) {
    throw new UserError('WATCHPOST_ERR_RUN_SELF_APPROVAL', `run ${run.id} was requested by ${by}: another approver must decide it`);
  }
  if (run.status === 'pending_approval' && run.approvalExpiresAt !== undefined && Date.parse(run.approvalExpiresAt) <= rt.clock.now()) {
    await cancelRun(rt, run, 'approval expired');
    throw new UserError('WATCHPOST_ERR_STORE_CONFLICT', `the approval of run ${run.id} expired at ${run.approvalExpiresAt}: the run was cancelled`);
  }
  return run;
}

/** Approves the step a run waits at and queues the run from there. */
export async function approveStep(rt: Runtime, runId: string, by: string): Promise<PlaybookRun> {
  const run = await decidable(rt, runId, by);
  const index = run.currentStep ?? 0;
  if (run.status !== 'pending_approval') {
    // Approved already (a retry after the write and before the job): only the job is added again.
    if ((run.status === 'queued' || run.status === 'running') && run.steps[index]?.approvedBy !== undefined) {
      if (run.status === 'queued' && !(await hasLiveJob(rt, run))) await rt.queue.add<RunJob>(runJob(rt, run.id, index, await approvalJobId(rt, run.id, index)));
      return run;
    }
    throw conflict(run, 'approved');
  }
  const now = nowIso(rt);
  // Decided before the write: after it, the id of a first job added now would look taken.
  const jobId = await approvalJobId(rt, run.id, index);
  const approved = await changeRun(rt, runId, (current) => {
    if (current.status !== 'pending_approval' || (current.currentStep ?? 0) !== index) throw conflict(current, 'approved');
    const steps = current.steps.map((step, i): RunStep => (i === index ? { ...step, status: 'queued', approvedBy: by } : step));
    return { ...current, steps, status: 'queued', decidedBy: by, decidedAt: now };
  });
  const step = approved.steps[index] as RunStep;
  await writeAudit(rt, {
    id: auditId(run.id, step.id, 'approve', by),
    actor: by,
    action: 'run.approve',
    target: { type: 'run', id: run.id },
    details: { stepId: step.id, action: step.action, input: step.input ?? {}, reasons: step.approvalReasons ?? [] },
  });
  await writeTimeline(rt, approved, {
    id: stepTimelineId(run.id, step.id, 'approved'),
    actor: by,
    body: `${by} approved: ${describeAction(step.action, step.input, step.drivers ?? []).present}`,
    data: { stepId: step.id, action: step.action, status: 'approved' },
  });
  await rt.queue.add<RunJob>(runJob(rt, run.id, index, jobId));
  rt.logger.info({ run: run.id, step: step.id, by }, 'playbook step approved');
  return approved;
}

/** Rejects the step a run waits at: the run ends `rejected`. */
export async function rejectStep(rt: Runtime, runId: string, by: string, reason: string): Promise<PlaybookRun> {
  const run = await decidable(rt, runId, by);
  if (run.status !== 'pending_approval') throw conflict(run, 'rejected');
  const index = run.currentStep ?? 0;
  const now = nowIso(rt);
  const text = reason.slice(0, 2000);
  const rejected = await changeRun(rt, runId, (current) => {
    if (current.status !== 'pending_approval' || (current.currentStep ?? 0) !== index) throw conflict(current, 'rejected');
    const steps = current.steps.map((step, i): RunStep => (i === index ? { ...step, status: 'rejected', rejectedBy: by, reason: text, finishedAt: now } : step));
    return { ...current, steps, status: 'rejected', decidedBy: by, decidedAt: now, decisionReason: text };
  });
  const step = rejected.steps[index] as RunStep;
  await writeAudit(rt, {
    id: auditId(run.id, step.id, 'reject', by),
    actor: by,
    action: 'run.reject',
    target: { type: 'run', id: run.id },
    details: { stepId: step.id, action: step.action, input: step.input ?? {}, reason: text },
  });
  await writeTimeline(rt, rejected, {
    id: stepTimelineId(run.id, step.id, 'rejected'),
    actor: by,
    body: `${by} rejected: ${describeAction(step.action, step.input, step.drivers ?? []).present} (${text})`,
    data: { stepId: step.id, action: step.action, status: 'rejected' },
  });
  rt.logger.info({ run: run.id, step: step.id, by }, 'playbook step rejected');
  return rejected;
}

/** Cancels a run that waits for approval (its deadline passed); a run in any other state is left as is. */
export async function cancelRun(rt: Runtime, run: PlaybookRun, reason: string): Promise<PlaybookRun> {
  const index = run.currentStep ?? 0;
  const now = nowIso(rt);
  const cancelled = await changeRun(rt, run.id, (current) => {
    if (current.status !== 'pending_approval') return current;
    const steps = current.steps.map((step, i): RunStep => (i === index ? { ...step, status: 'cancelled', reason, finishedAt: now } : step));
    return { ...current, steps, status: 'cancelled', decisionReason: reason };
  });
  if (cancelled.status !== 'cancelled') return cancelled;
  const step = cancelled.steps[index] as RunStep;
  await writeAudit(rt, {
    id: auditId(run.id, step.id, 'cancel'),
    actor: 'system',
    action: 'run.cancel',
    target: { type: 'run', id: run.id },
    details: { stepId: step.id, action: step.action, reason, approvalExpiresAt: run.approvalExpiresAt },
  });
  await writeTimeline(rt, cancelled, {
    id: stepTimelineId(run.id, step.id, 'cancelled'),
    actor: 'system',
    body: `Cancelled: nobody approved ${describeAction(step.action, step.input, step.drivers ?? []).present} in time`,
    data: { stepId: step.id, action: step.action, status: 'cancelled', reason },
  });
  rt.logger.info({ run: run.id, step: step.id, reason }, 'playbook run cancelled');
  return cancelled;
}
