/**
 * A decided step on its drivers: execute, verify, record the real outcome per driver, and for
 * block actions the desired state with its expiry. Each outcome is stored as soon as it is known,
 * so a job redelivered after a crash calls only the drivers without a recorded success or refusal
 * — and since drivers are idempotent, a call repeated because the crash came between the device's
 * answer and the write still leaves exactly one block.
 */
import { performance } from 'node:perf_hooks';
import { Value } from '@sinclair/typebox/value';
import type { PlaybookRun, RunStep, StepOutcome } from '../../core/cases/types.js';
import { OperationalError } from '../../core/errors.js';
import type { JobContext } from '../../core/stores/job-queue.js';
import type { RunJob } from '../../core/response/jobs.js';
import { ACTIONS } from '../actions/definitions.js';
import type { ActionId, Driver } from '../actions/types.js';
import { recordBlock, scheduleExpiry, type BlockMade } from './blocks.js';
import { blockIdFor } from './ids.js';
import { executeOn, isPermanent, verifyOn } from './call.js';
import { changeStep, nowIso } from './context.js';
import { errorText, evidenceOf } from './records.js';
import { endStep } from './step-records.js';
import type { Runtime } from './types.js';

/** What was decided before the first driver call, kept on the step so a resumed step reuses it. */
export interface StepPlan {
  /** Per driver instance: the TTL and offence the safety layer gave (block actions only). */
  readonly ttl: Readonly<Record<string, { readonly ttlSeconds: number; readonly offense: number }>>;
  readonly requestedSeconds: number | null;
}

/** A decided step. */
export interface DriveSpec {
  readonly action: ActionId;
  /** The input without the requested duration and without a TTL (added per driver). */
  readonly base: Readonly<Record<string, unknown>>;
  readonly drivers: readonly Driver[];
  readonly plan: StepPlan;
  readonly target?: string;
  readonly timeoutMs: number;
  /** When the alert (or incident) was created, for the trigger-to-start latency of automatic runs. */
  readonly subjectCreatedAt?: string;
}

/** Marks a refusal by the device or the input in an outcome, so a resumed step does not call again. */
const PERMANENT = 'permanent';

function settled(outcome: StepOutcome | undefined): boolean {
  return outcome !== undefined && (outcome.status === 'succeeded' || outcome.detail?.[PERMANENT] === true);
}

/**
 * Calls the step's drivers in order and ends the step. Returns true when the step failed. Throws
 * an OperationalError — leaving the step `running` with its outcomes — when a driver failed in a
 * way a retry may fix and the job has attempts left.
 */
export async function driveStep(rt: Runtime, run: PlaybookRun, index: number, spec: DriveSpec, job: JobContext<RunJob>): Promise<boolean> {
  const step = run.steps[index] as RunStep;
  const definition = ACTIONS[spec.action];
  const evidence = await evidenceOf(rt, run);
  const started = performance.now();
  let current = run;
  let retryable: string | undefined;
  for (const driver of spec.drivers) {
    const recorded = (current.steps[index] as RunStep).outcomes?.find((outcome) => outcome.driver === driver.id);
    const ttl = spec.plan.ttl[driver.id];
    const input = definition.blockKind && ttl ? { ...spec.base, ttlSeconds: ttl.ttlSeconds } : spec.base;
    if (settled(recorded)) {
      // Settled before a crash or a lost queue write: the device is done, but the desired state
      // and its expiry job may not be (the queue was down when the block was recorded). Finish
      // them without calling the driver again; the expiry job's id makes adding it twice harmless.
      if (definition.blockKind && spec.target !== undefined && recorded?.status === 'succeeded') {
        const block = await rt.cases.blocks.get(blockIdFor(driver.id, spec.target));
        if (block?.runId === run.id && block.state === 'active') await scheduleExpiry(rt, block);
        else if (!block) {
          await recordBlock(rt, blockMade(current, spec, driver.id, input, evidence, recorded));
        }
      }
      continue;
    }
    let outcome: StepOutcome;
    if (!Value.Check(definition.input, input)) {
      const first = Value.Errors(definition.input, input).First();
      const where = first?.path ? `${first.path.slice(1).replace(/\//g, '.')}: ` : '';
      outcome = { driver: driver.id, status: 'failed', error: `input does not fit ${spec.action}: ${where}${first?.message ?? 'invalid'}`, detail: { [PERMANENT]: true }, at: nowIso(rt) };
    } else {
      observeStart(rt, current, spec);
      const call = { timeoutMs: spec.timeoutMs, signal: job.signal, idempotencyKey: `${run.id}.${step.id}.${driver.id}` };
      try {
        const result = await executeOn(rt, driver, spec.action, input, call);
        const check = await verifyOn(rt, driver, spec.action, input, call);
        const detail = { ...(result.detail ?? {}), changed: result.changed, ...(check?.detail ? { verify: check.detail } : {}) };
        if (check && !check.holds) {
          retryable = `${spec.action} on ${driver.id} ran, but its effect does not hold`;
          outcome = { driver: driver.id, status: 'failed', verified: false, detail, error: retryable, at: nowIso(rt) };
        } else {
          outcome = { driver: driver.id, status: 'succeeded', ...(check ? { verified: true } : {}), detail, at: nowIso(rt) };
        }
      } catch (error) {
        const permanent = isPermanent(error);
        if (!permanent) retryable = `${driver.id}: ${errorText(error)}`;
        outcome = { driver: driver.id, status: 'failed', error: errorText(error), ...(permanent ? { detail: { [PERMANENT]: true } } : {}), at: nowIso(rt) };
        rt.logger.warn({ run: run.id, step: step.id, driver: driver.id, err: error, permanent }, 'driver call failed');
      }
    }
    const stored = outcome;
    current = await changeStep(rt, run.id, index, (s) => ({ ...s, outcomes: [...(s.outcomes ?? []).filter((o) => o.driver !== driver.id), stored] }));
    if (definition.blockKind && spec.target !== undefined && (stored.status === 'succeeded' || stored.detail?.[PERMANENT] === true)) {
      await recordBlock(rt, blockMade(current, spec, driver.id, input, evidence, stored));
    }
  }
  rt.metrics.stepSeconds.observe({ action: spec.action }, (performance.now() - started) / 1000);
  const outcomes = (current.steps[index] as RunStep).outcomes ?? [];
  if (retryable !== undefined && job.attempt < rt.retry.attempts) {
    throw new OperationalError('WATCHPOST_ERR_DRIVER_UNAVAILABLE', `step ${step.id} of run ${run.id}: ${retryable} (attempt ${job.attempt} of ${rt.retry.attempts}; retrying)`);
  }
  const failures = outcomes.filter((outcome) => outcome.status === 'failed');
  if (failures.length === 0) {
    const firstTtl = Object.values(spec.plan.ttl)[0];
    const result = {
      changed: outcomes.some((outcome) => outcome.detail?.changed === true),
      ...(firstTtl ? { ttlSeconds: firstTtl.ttlSeconds, offense: firstTtl.offense } : {}),
      details: Object.fromEntries(outcomes.map((outcome) => [outcome.driver, outcome.detail ?? {}])),
    };
    await endStep(rt, current, index, { kind: 'succeeded', outcomes, result });
    return false;
  }
  await endStep(rt, current, index, { kind: 'failed', error: failures.map((f) => `${f.driver}: ${f.error ?? 'failed'}`).join('; '), outcomes });
  return true;
}

/** Observes the latency from the alert to the first driver call of an automatic run, once per run. */
function observeStart(rt: Runtime, run: PlaybookRun, spec: DriveSpec): void {
  if (spec.subjectCreatedAt === undefined || run.requestedBy !== undefined) return;
  if (run.steps.some((s) => (s.outcomes?.length ?? 0) > 0 || s.approvedBy !== undefined)) return;
  const seconds = (rt.clock.now() - Date.parse(spec.subjectCreatedAt)) / 1000;
  if (Number.isFinite(seconds) && seconds >= 0) rt.metrics.triggerToStart.observe(seconds);
}

/** The desired state a driver's settled outcome asks for: active on success, failed on a refusal. */
function blockMade(run: PlaybookRun, spec: DriveSpec, driver: string, input: Readonly<Record<string, unknown>>, evidence: readonly string[], outcome: StepOutcome): BlockMade {
  const ttl = spec.plan.ttl[driver];
  return {
    run,
    action: spec.action,
    driver,
    target: spec.target as string,
    reason: typeof input.reason === 'string' ? input.reason : spec.action,
    offense: ttl?.offense ?? 1,
    ...(ttl ? { ttlSeconds: ttl.ttlSeconds } : {}),
    alertIds: evidence,
    ...(outcome.verified !== undefined ? { verified: outcome.verified } : {}),
    ...(outcome.status === 'failed' ? { error: outcome.error ?? 'failed' } : {}),
  };
}
