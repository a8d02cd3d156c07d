/**
 * What the response routes need from automated response, as an interface the composition root
 * (cli/) satisfies with the playbook runner's ResponseService, the safety layer and the loaded
 * playbooks. The API may not import playbooks/runner, playbooks/safety or playbooks/definition
 * (dependency-cruiser), so the shapes it reads are declared here, structurally: a loaded
 * `Playbook` already is a {@link PlaybookSummary}, a `NeverBlockItem` a {@link NeverBlockListItem}.
 */
import type { BlockState, PlaybookRun, ResponseControl } from '../../../core/cases/types.js';

/** A step of a loaded playbook, as the API shows it. A `PlaybookStep` fits it. */
export interface PlaybookStepSummary {
  readonly id: string;
  readonly action: string;
  /** The templated input (`with:`), unrendered. */
  readonly with?: Readonly<Record<string, unknown>>;
  /** `auto`, `required`, or `{ requiredIf: <condition> }`. */
  readonly approval: unknown;
  readonly drivers?: readonly string[];
  readonly when?: unknown;
  readonly timeoutMs?: number;
  readonly dryRun: boolean;
  readonly continueOnError?: boolean;
}

/** A loaded playbook, as the API shows it. A `Playbook` of playbooks/definition fits it. */
export interface PlaybookSummary {
  readonly id: string;
  readonly title: string;
  readonly description?: string;
  readonly author?: string;
  readonly enabled: boolean;
  readonly dryRun: boolean;
  /** `{ on, rules?, tags?, minSeverity?, when? }`, shown as plain JSON. */
  readonly trigger: { readonly on: string };
  readonly steps: readonly PlaybookStepSummary[];
  readonly source: { readonly file: string; readonly line: number };
  /** Why the playbook is disabled, when the loader refused part of it. */
  readonly problems?: readonly { readonly message: string; readonly path?: string }[];
}

/** One entry of the effective never-block list. A `NeverBlockItem` of playbooks/safety fits it. */
export interface NeverBlockListItem {
  readonly value: string;
  /** `builtin`, `host`, `gateway`, `dns`, `config` or `store` (only `store` entries can be deleted). */
  readonly source: string;
  readonly note?: string;
  /** The store entry's id, for `source: store`. */
  readonly id?: string;
}

/**
 * Automated response as the API drives it. The API checks roles, resolves the acting user (the
 * `by` and `requestedBy` arguments: a user id, a token's owner) and answers 404 for an unknown
 * run or block and 403 when a user decides their own run before it calls these. The
 * implementation audits what it does with that user as the actor (`run.request`, `run.approve`,
 * `run.reject`, `response.undo`, `response.breaker.close`) and puts runs on the incident timeline;
 * the API adds only `block.release`, which keeps the person's reason.
 *
 * Errors: UserError WATCHPOST_ERR_PLAYBOOK_NOT_FOUND (404), WATCHPOST_ERR_STORE_NOT_FOUND (404: the
 * run, block, alert or incident), WATCHPOST_ERR_STORE_CONFLICT (409: not in a state that allows
 * it), WATCHPOST_ERR_RUN_SELF_APPROVAL (403); OperationalError when the store or queue is down (503).
 */
export interface ResponseOperations {
  /** Every loaded playbook, enabled or not, in load order. */
  playbooks(): readonly PlaybookSummary[];
  /**
   * Starts `playbookId` for an alert or an incident (exactly one is given) on behalf of a user,
   * as a trigger would, with `requestedBy` set so that user can never approve its steps. The run
   * id is deterministic (`<playbookId>.<alertId|incidentId>`): asking again returns the existing run.
   */
  requestRun(playbookId: string, subject: { readonly alertId?: string; readonly incidentId?: string }, requestedBy: string): Promise<PlaybookRun>;
  /**
   * Approves the step the run waits at (`currentStep`, run in `pending_approval`) and queues the
   * rest of the run (job `runJobId(runId, currentStep)`); a run in any other state, or past its
   * approval deadline, is a conflict.
   */
  approveStep(runId: string, by: string): Promise<PlaybookRun>;
  /** Rejects the step the run waits at: the run ends `rejected` with the reason. */
  rejectStep(runId: string, by: string, reason: string): Promise<PlaybookRun>;
  /** Undoes an active block now (unblock-ip / enable-account on its driver) and records it `released` by `by`. */
  releaseBlock(blockId: string, by: string, reason: string): Promise<BlockState>;
  /** The effective never-block list: built-in, this host's, configured and stored entries. */
  neverBlockList(): Promise<readonly NeverBlockListItem[]>;
  /** The circuit breaker; undefined when it never opened. */
  breaker(): Promise<ResponseControl | undefined>;
  /** Closes the breaker (automatic blocks are admitted again), auditing a real close as `response.breaker.close`. */
  closeBreaker(by: string): Promise<ResponseControl>;
}

/** A configured driver instance, as GET /api/v1/actions lists it (never its settings or credentials). */
export interface DriverInstanceSummary {
  readonly id: string;
  readonly type: string;
  readonly actions: readonly string[];
  readonly enabled: boolean;
}
