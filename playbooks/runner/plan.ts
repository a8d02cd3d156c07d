/**
 * What a step will do, decided from its definition and its rendered input: the drivers it runs
 * on, the TTL it asks for, whether it waits for a person and why.
 */
import { UserError } from '../../core/errors.js';
import type { ActionId, Driver } from '../actions/types.js';
import { parseDuration } from '../definition/duration.js';
import { stepNeedsApproval } from '../definition/trigger.js';
import type { TemplateContext } from '../definition/template.js';
import type { Playbook, PlaybookStep } from '../definition/types.js';
import type { Runtime } from './types.js';

/** The approval reason of a step the playbook itself marks `approval: required` (or `requiredIf`). */
export const PLAYBOOK_REASON = 'playbook';

/** The approval reason of an automatic block while the circuit breaker is open. */
export const BREAKER_REASON = 'breaker-open';

/** The key of `with:` that asks for a block's duration (`4h`, or seconds); not passed to drivers. */
export const DURATION_KEY = 'duration';

/**
 * The driver instances a step runs on: the ones it names that are configured and serve its
 * action, else every configured instance serving the action, in config order.
 */
export function resolveDrivers(rt: Runtime, action: ActionId, named: readonly string[] | undefined): Driver[] {
  const serving = [...rt.drivers.values()].filter((driver) => driver.actions.includes(action));
  if (named === undefined) return serving;
  return named.map((id) => serving.find((driver) => driver.id === id)).filter((driver): driver is Driver => driver !== undefined);
}

/** The TTL a step asks for, in seconds, from `with: { duration }`; undefined when it asks none. */
export function requestedSeconds(input: Readonly<Record<string, unknown>>): number | undefined {
  const value = input[DURATION_KEY] ?? input.ttlSeconds;
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1) return value;
  const ms = typeof value === 'string' ? (/^\d+$/.test(value.trim()) ? Number(value.trim()) * 1000 : parseDuration(value)) : undefined;
  if (ms === undefined || ms < 1000) {
    throw new UserError('WATCHPOST_ERR_ACTION_INPUT', `${DURATION_KEY} must be a duration such as 30m, 4h or 7d, or a number of seconds`);
  }
  return Math.floor(ms / 1000);
}

/** The input a driver receives: the step's, without the requested duration. */
export function actionInput(input: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { [DURATION_KEY]: _duration, ...rest } = input;
  return rest;
}

/**
 * Why a step must wait for a person: the playbook's policy, then the safety policy's reasons
 * (S9), without duplicates and keeping reasons recorded earlier (`breaker-open`).
 */
export function approvalReasonsFor(
  rt: Runtime,
  step: PlaybookStep,
  input: Readonly<Record<string, unknown>>,
  context: TemplateContext,
  earlier: readonly string[] = [],
): string[] {
  const reasons = new Set(earlier);
  if (stepNeedsApproval(step, context)) reasons.add(PLAYBOOK_REASON);
  for (const reason of rt.safety.approvalReasons(step.action, actionInput(input), { transports: context.alert?.transports ?? [] })) reasons.add(reason);
  return [...reasons];
}

/** Whether a step only pretends: the config, the playbook, the step or the run says so. */
export function isDryRun(rt: Runtime, playbook: Playbook, step: PlaybookStep | undefined, runDryRun: boolean | undefined): boolean {
  return rt.config.dryRun || playbook.dryRun || step?.dryRun === true || runDryRun === true;
}
