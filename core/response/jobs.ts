/**
 * The jobs and payloads that connect alerting, the API and the playbook runner through the
 * JobQueue. They live in core because three layers that may not import each other (engine/,
 * api/, playbooks/) all speak them.
 */
import type { Severity } from '../cases/types.js';

/**
 * The queue name of playbook triggers. The playbook runner subscribes to it with
 * `queue.work(PLAYBOOK_TRIGGER_JOB, handler)`; each job's `data` is a {@link PlaybookTrigger}.
 */
export const PLAYBOOK_TRIGGER_JOB = 'playbook-trigger';

/** A new alert, for playbooks whose trigger is an alert (rule, severity, entity conditions). */
export interface AlertTrigger {
  readonly trigger: 'alert.created';
  readonly alertId: string;
  /** The rule key (RuleMeta.key), as the alert's `ruleId`. */
  readonly ruleKey: string;
  readonly severity: Severity;
  readonly entities: Readonly<Record<string, string>>;
  /** The incident the alert joined, when it joined one before the trigger was queued. */
  readonly incidentId?: string;
}

/** A new incident, for playbooks that open a ticket or page someone per incident. */
export interface IncidentTrigger {
  readonly trigger: 'incident.created';
  readonly incidentId: string;
  readonly severity: Severity;
  readonly entity?: { readonly field: string; readonly value: string };
  readonly alertIds: readonly string[];
}

/** The payload of a `playbook-trigger` job. */
export type PlaybookTrigger = AlertTrigger | IncidentTrigger;

/**
 * The queue name of playbook runs: the runner executes a run's steps from `currentStep` on,
 * until it ends or reaches a step that waits for approval. Payload: {@link RunJob}.
 */
export const PLAYBOOK_RUN_JOB = 'playbook-run';

/** The payload of a `playbook-run` job. */
export interface RunJob {
  readonly runId: string;
}

/**
 * The deterministic job id of a run's next stretch of steps: `run-<id>` for the first, and
 * `run-<id>-s<n>` when it resumes at step n after an approval, so approving twice (or a retry)
 * adds one job, and each approval of a multi-approval run adds its own.
 */
export function runJobId(runId: string, fromStep = 0): string {
  return fromStep === 0 ? `run-${runId}` : `run-${runId}-s${fromStep}`;
}

/**
 * The queue name of a block's expiry: at `expiresAt` the runner undoes the block (unblock-ip,
 * enable-account) unless the stored desired state moved on. Payload: {@link ExpiryJob}.
 */
export const BLOCK_EXPIRY_JOB = 'block-expiry';

/** The payload of a `block-expiry` job. */
export interface ExpiryJob {
  /** The BlockState id. */
  readonly blockId: string;
  /** The expiry this job was scheduled for; a later one (an extension) makes the job a no-op. */
  readonly expiresAt: string;
}

/**
 * The queue name of reconciliation: every `response.reconcileIntervalMs` each worker adds
 * `reconcile-<slot>` (the slot is the interval number since the epoch), so exactly one worker
 * reconciles per interval however many run.
 */
export const RECONCILE_JOB = 'response-reconcile';
