/**
 * One step of a run, from where it stands: decide (condition, input, drivers, safety at execution,
 * dry-run, approval, TTL, circuit breaker), then drive (drive.ts). A step found `running` with a
 * plan was interrupted (a worker died, a driver failed transiently): it resumes on the drivers
 * whose outcome is not a success, without asking the breaker or the TTL policy again.
 */
import type { PlaybookRun, RunStep } from '../../core/cases/types.js';
import { UserError } from '../../core/errors.js';
import type { JobContext } from '../../core/stores/job-queue.js';
import type { RunJob } from '../../core/response/jobs.js';
import { ACTIONS } from '../actions/definitions.js';
import { evaluateCondition } from '../definition/condition.js';
import { renderInputs } from '../definition/template.js';
import type { Playbook } from '../definition/types.js';
import { targetOf } from './blocks.js';
import { changeStep, FINAL, nowIso, templateContext, type Subject } from './context.js';
import { describeAction } from './describe.js';
import { driveStep, type StepPlan } from './drive.js';
import { actionInput, approvalReasonsFor, BREAKER_REASON, isDryRun, requestedSeconds, resolveDrivers } from './plan.js';
import { errorText } from './records.js';
import { awaitApproval, endStep } from './step-records.js';
import type { Runtime } from './types.js';

/** What the run does after a step: go on, stop (the step failed), or wait for a person. */
export type StepNext = 'continue' | 'stop' | 'wait';

/** Runs step `index` of `run` (as stored now). */
export async function runStep(rt: Runtime, run: PlaybookRun, index: number, playbook: Playbook, subject: Subject, job: JobContext<RunJob>): Promise<StepNext> {
  const step = run.steps[index] as RunStep;
  const def = playbook.steps.find((candidate) => candidate.id === step.id);
  const after = (failed: boolean): StepNext => (failed && def?.continueOnError !== true ? 'stop' : 'continue');
  if (FINAL.has(step.status)) return after(step.status === 'failed');
  if (!def) {
    await endStep(rt, run, index, { kind: 'failed', error: `step ${step.id} is no longer in playbook ${playbook.id}` });
    return 'stop';
  }
  const plan = step.status === 'running' ? (step.result?.plan as StepPlan | undefined) : undefined;
  const context = templateContext(rt, run, playbook, subject, index);
  if (!plan && def.when !== undefined && !evaluateCondition(def.when, context)) {
    await endStep(rt, run, index, { kind: 'skipped', reason: 'condition not met' });
    return 'continue';
  }
  let input = step.input;
  if (input === undefined) {
    try {
      input = renderInputs(def.with, context);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      await endStep(rt, run, index, { kind: 'failed', error: errorText(error) });
      return after(true);
    }
  }
  const drivers = resolveDrivers(rt, def.action, step.drivers ?? def.drivers);
  if (drivers.length === 0) {
    await endStep(rt, run, index, { kind: 'skipped', reason: `no driver configured for ${def.action}` }, input);
    return 'continue';
  }
  const base = actionInput(input);
  // S6: the never-block list again at execution; an entry added since the run was queued counts.
  const check = await rt.safety.checkTarget(def.action, base);
  if (check.refused) {
    await endStep(rt, run, index, { kind: 'refused', reason: check.reason }, input);
    return after(true);
  }
  let requested: number | undefined;
  try {
    requested = requestedSeconds(input);
  } catch (error) {
    await endStep(rt, run, index, { kind: 'failed', error: errorText(error) }, input);
    return after(true);
  }
  const kind = ACTIONS[def.action].blockKind;
  const target = kind ? targetOf(def.action, base) : undefined;
  if (isDryRun(rt, playbook, def, run.dryRun) || step.dryRun) {
    const ttl = kind && target ? await rt.safety.blockTtl(kind, target, (drivers[0] as { id: string }).id, requested) : undefined;
    const wouldDo = describeAction(def.action, { ...base, ...(ttl ? { ttlSeconds: ttl.ttlSeconds } : {}) }, drivers.map((d) => d.id)).present;
    const at = nowIso(rt);
    const outcomes = drivers.map((driver) => ({ driver: driver.id, status: 'skipped' as const, detail: { dryRun: true, wouldDo }, at }));
    await endStep(rt, run, index, { kind: 'dry_run', outcomes, wouldDo }, input);
    return 'continue';
  }
  let decided = plan;
  if (!decided) {
    if (step.approvedBy === undefined) {
      const reasons = approvalReasonsFor(rt, def, input, context, step.approvalReasons);
      if (reasons.length > 0) {
        await awaitApproval(rt, run, index, reasons, input);
        return 'wait';
      }
    }
    const ttl: Record<string, { ttlSeconds: number; offense: number }> = {};
    if (kind && target) {
      for (const driver of drivers) ttl[driver.id] = await rt.safety.blockTtl(kind, target, driver.id, requested);
    }
    // S8: automatic blocks pass the rate limit and the active cap; an approved one was decided by a person.
    if (def.action === 'block-ip' && step.approvedBy === undefined) {
      const admission = await rt.safety.admitAutomaticBlock();
      if (!admission.admitted) {
        rt.logger.warn({ run: run.id, step: step.id, reason: admission.reason }, 'circuit breaker open: the block waits for approval');
        await awaitApproval(rt, run, index, [...new Set([...(step.approvalReasons ?? []), BREAKER_REASON])], input);
        return 'wait';
      }
    }
    decided = { ttl, requestedSeconds: requested ?? null };
  }
  const plannedInput = input;
  const firstTtl = Object.values(decided.ttl)[0];
  // Persisted before any driver call: a redelivered job finds the plan and resumes it.
  const running = await changeStep(rt, run.id, index, (current) => ({
    ...current,
    status: 'running',
    attempts: current.attempts + 1,
    startedAt: current.startedAt ?? nowIso(rt),
    input: firstTtl && kind ? { ...plannedInput, ttlSeconds: firstTtl.ttlSeconds } : plannedInput,
    drivers: drivers.map((driver) => driver.id),
    result: { ...(current.result ?? {}), plan: decided },
  }), () => ({ status: 'running', currentStep: index }));
  const createdAt = subject.alert?.createdAt ?? subject.incident?.createdAt;
  const failed = await driveStep(rt, running, index, { action: def.action, base, drivers, plan: decided, ...(target !== undefined ? { target } : {}), timeoutMs: def.timeoutMs ?? rt.config.stepTimeoutMs, ...(createdAt !== undefined ? { subjectCreatedAt: createdAt } : {}) }, job);
  return after(failed);
}
