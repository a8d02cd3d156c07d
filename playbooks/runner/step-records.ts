/**
 * How a step ends or waits, written everywhere it must be: the run record, the audit log, the
 * incident timeline and the metrics. Entry ids are deterministic, so a retried job writes once.
 */
import type { ErrorCode } from '../../core/errors.js';
import type { PlaybookRun, RunStep, StepOutcome } from '../../core/cases/types.js';
import type { Stored } from '../../core/stores/case-store.js';
import { changeStep, nowIso } from './context.js';
import { describeAction, sentence } from './describe.js';
import { auditId, stepTimelineId } from './ids.js';
import { evidenceOf, playbookActor, writeAudit, writeTimeline } from './records.js';
import type { Runtime } from './types.js';

/** How a step ended, for the records. */
export type StepEnding =
  | { readonly kind: 'succeeded'; readonly outcomes: readonly StepOutcome[]; readonly result: Readonly<Record<string, unknown>> }
  | { readonly kind: 'failed'; readonly error: string; readonly outcomes?: readonly StepOutcome[] }
  | { readonly kind: 'refused'; readonly reason: string }
  | { readonly kind: 'skipped'; readonly reason: string }
  | { readonly kind: 'dry_run'; readonly outcomes: readonly StepOutcome[]; readonly wouldDo: string };

/** The status a step has after `ending`. */
function statusOf(ending: StepEnding): RunStep['status'] {
  switch (ending.kind) {
    case 'succeeded':
      return 'succeeded';
    case 'failed':
    case 'refused':
      return 'failed';
    case 'skipped':
    case 'dry_run':
      return 'skipped';
  }
}

/** The step's fields after `ending`. */
export function endedStep(step: RunStep, ending: StepEnding, now: string, input?: Readonly<Record<string, unknown>>): RunStep {
  const { reason: _reason, error: _error, ...rest } = step;
  const base: RunStep = { ...rest, status: statusOf(ending), finishedAt: now, ...(input !== undefined ? { input } : {}) };
  switch (ending.kind) {
    case 'succeeded':
      return { ...base, outcomes: ending.outcomes, result: ending.result };
    case 'failed':
      return { ...base, error: ending.error, ...(ending.outcomes ? { outcomes: ending.outcomes } : {}), ...(step.result?.plan !== undefined ? { result: {} } : {}) };
    case 'refused':
      return { ...base, error: `refused: ${ending.reason}` };
    case 'skipped':
      return { ...base, reason: ending.reason };
    case 'dry_run':
      return { ...base, reason: 'dry run', outcomes: ending.outcomes, result: { dryRun: true, wouldDo: ending.wouldDo } };
  }
}

/**
 * Ends step `index` of a run: stores it, then writes its audit and timeline entries and counts it.
 * Returns the run as stored.
 */
export async function endStep(rt: Runtime, run: PlaybookRun, index: number, ending: StepEnding, input?: Readonly<Record<string, unknown>>): Promise<Stored<PlaybookRun>> {
  const now = nowIso(rt);
  const stored = await changeStep(rt, run.id, index, (step) => endedStep(step, ending, now, input));
  await recordEnding(rt, stored, index, ending);
  return stored;
}

/** The audit and timeline entries of an ended step (also used for steps refused when the run was made). */
export async function recordEnding(rt: Runtime, run: PlaybookRun, index: number, ending: StepEnding): Promise<void> {
  const step = run.steps[index] as RunStep;
  const status = statusOf(ending);
  const words = describeAction(step.action, step.input, step.drivers ?? []);
  const evidence = await evidenceOf(rt, run);
  const base = { stepId: step.id, action: step.action, drivers: step.drivers ?? [], alertIds: evidence };
  const target = { type: 'run', id: run.id };
  let body: string;
  switch (ending.kind) {
    case 'succeeded': {
      const verified = ending.outcomes.length > 0 && ending.outcomes.every((o) => o.verified === true);
      const unchanged = ending.outcomes.length > 0 && ending.outcomes.every((o) => o.detail?.changed === false);
      body = `${sentence(words.past)}${verified ? ' (verified)' : ''}${unchanged ? ' (already in place)' : ''}`;
      await writeAudit(rt, {
        id: auditId(run.id, step.id, 'execute'),
        actor: playbookActor(run),
        action: 'response.execute',
        target,
        details: { ...base, input: step.input ?? {}, outcomes: ending.outcomes, ...(step.approvedBy !== undefined ? { approvedBy: step.approvedBy } : {}) },
      });
      break;
    }
    case 'failed':
      body = `Could not ${words.present}: ${ending.error}`;
      await writeAudit(rt, {
        id: auditId(run.id, step.id, 'failed'),
        actor: playbookActor(run),
        action: 'response.failed',
        target,
        outcome: 'failure',
        details: { ...base, input: step.input ?? {}, error: ending.error, outcomes: ending.outcomes ?? [] },
      });
      break;
    case 'refused':
      body = `Refused to ${words.present}: ${ending.reason}`;
      await writeAudit(rt, {
        id: auditId(run.id, step.id, 'refused'),
        actor: playbookActor(run),
        action: 'response.refused',
        target,
        outcome: 'failure',
        // The catalogue code, so an operator can look the refusal up in docs/errors.md.
        details: { ...base, input: step.input ?? {}, reason: ending.reason, code: 'WATCHPOST_ERR_ACTION_REFUSED' satisfies ErrorCode },
      });
      break;
    case 'skipped':
      body = `Skipped ${step.id}: ${ending.reason}${step.input ? ` (would ${words.present})` : ''}`;
      break;
    case 'dry_run':
      body = `Dry run: would ${ending.wouldDo}`;
      await writeAudit(rt, {
        id: auditId(run.id, step.id, 'dry_run'),
        actor: playbookActor(run),
        action: 'response.dry_run',
        target,
        details: { ...base, input: step.input ?? {}, wouldDo: ending.wouldDo },
      });
      break;
  }
  await writeTimeline(rt, run, {
    id: stepTimelineId(run.id, step.id, ending.kind === 'dry_run' ? 'dry_run' : status),
    body,
    data: { ...base, status, ...(ending.kind === 'dry_run' ? { dryRun: true } : {}) },
  });
  rt.metrics.steps.inc({ action: step.action, outcome: ending.kind === 'succeeded' || ending.kind === 'failed' || ending.kind === 'skipped' ? ending.kind : ending.kind === 'refused' ? 'refused' : 'dry_run' });
  rt.logger.info({ run: run.id, step: step.id, action: step.action, status, ...(ending.kind === 'failed' ? { error: ending.error } : {}) }, `playbook step ${ending.kind}`);
}

/**
 * Parks a run at step `index` until a person decides: the step `pending_approval` with its
 * reasons, the run `pending_approval` with a deadline. Audited (`response.approval_required`) and
 * on the timeline once per step and set of reasons.
 */
export async function awaitApproval(rt: Runtime, run: PlaybookRun, index: number, reasons: readonly string[], input: Readonly<Record<string, unknown>>): Promise<Stored<PlaybookRun>> {
  const deadline = new Date(rt.clock.now() + rt.config.approvalTimeoutMs).toISOString();
  const stored = await changeStep(
    rt,
    run.id,
    index,
    (step) => ({ ...step, status: 'pending_approval', approval: 'required', approvalReasons: [...reasons], input }),
    () => ({ status: 'pending_approval', currentStep: index, approvalExpiresAt: deadline }),
  );
  await recordApprovalRequest(rt, stored, index);
  return stored;
}

/** The audit and timeline entries of a step that waits for approval. */
export async function recordApprovalRequest(rt: Runtime, run: PlaybookRun, index: number): Promise<void> {
  const step = run.steps[index] as RunStep;
  const reasons = step.approvalReasons ?? [];
  const words = describeAction(step.action, step.input, step.drivers ?? []);
  await writeAudit(rt, {
    id: auditId(run.id, step.id, 'approval_required', reasons.join(',')),
    actor: playbookActor(run),
    action: 'response.approval_required',
    target: { type: 'run', id: run.id },
    details: { stepId: step.id, action: step.action, input: step.input ?? {}, reasons, alertIds: await evidenceOf(rt, run), expiresAt: run.approvalExpiresAt },
  });
  await writeTimeline(rt, run, {
    id: stepTimelineId(run.id, step.id, `pending_approval.${reasons.join('+')}`),
    body: `Waiting for approval to ${words.present} (${reasons.join(', ') || 'required'})`,
    data: { stepId: step.id, action: step.action, status: 'pending_approval', reasons, expiresAt: run.approvalExpiresAt },
  });
  rt.logger.info({ run: run.id, step: step.id, reasons }, 'playbook step waits for approval');
}
