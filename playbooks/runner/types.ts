/**
 * The playbook runner's public shape (ResponseService) and what its parts share (Runtime).
 */
import type { BlockState, PlaybookRun } from '../../core/cases/types.js';
import type { Clock } from '../../core/clock.js';
import type { ResponseConfig } from '../../core/config/schema.js';
import type { Logger } from '../../core/log.js';
import type { Registry } from '../../core/metrics.js';
import type { CaseStore } from '../../core/stores/case-store.js';
import type { JobQueue } from '../../core/stores/job-queue.js';
import type { Driver } from '../actions/types.js';
import type { Playbook } from '../definition/types.js';
import type { Safety } from '../safety/index.js';
import type { RunnerMetrics } from './metrics.js';

/** How the runner's jobs retry. */
export interface RunnerRetry {
  /** Tries of a run job (a stretch of steps), including the first. @defaultValue 5 */
  readonly attempts: number;
  /** Wait before the first retry, doubling per retry. @defaultValue 5000 */
  readonly backoffMs: number;
}

/** Options of {@link createResponseService}. */
export interface ResponseServiceOptions {
  readonly config: ResponseConfig;
  readonly cases: CaseStore;
  readonly queue: JobQueue;
  /** The playbooks loaded now; called per job, so a reload applies to the next job. */
  readonly playbooks: () => readonly Playbook[];
  /** The enabled driver instances by id (playbooks/actions/registry.ts builds them). */
  readonly drivers: ReadonlyMap<string, Driver>;
  readonly safety: Safety;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where the runner's metrics are registered; absent: not exported. */
  readonly metrics?: Registry;
  /** The console's base URL, for `consoleUrl` in templates. */
  readonly consoleUrl?: string;
  /** @defaultValue 5 attempts, 5 s backoff doubling */
  readonly retry?: Partial<RunnerRetry>;
  /** Jobs handled at once per job name by this process. @defaultValue 4 */
  readonly concurrency?: number;
}

/** What one reconciliation did. */
export interface ReconcileReport {
  /** Active blocks past their expiry that were undone. */
  readonly expired: number;
  /** Active blocks whose effect was missing on the device and was put back. */
  readonly reapplied: number;
  /** Active blocks seen in force. */
  readonly verified: number;
  /** Active blocks whose expiry job was missing from the queue (lost in a queue outage), added again. */
  readonly rescheduled: number;
  /** Runs waiting for approval past their deadline, cancelled. */
  readonly cancelledRuns: number;
  /** Runs stuck queued or running whose job had failed or was lost, ended as failed. */
  readonly failedRuns: number;
  /** Blocks that could not be checked or changed (left for the next interval). */
  readonly errors: number;
}

/** Automated response as the worker runs it and the API drives it. */
export interface ResponseService {
  /** Subscribes to the four jobs and starts the reconcile timer (the worker role). Idempotent. */
  start(): void;
  /**
   * Starts a playbook by hand for an alert or incident. The run is the deterministic one for the
   * pair while it is still going; once it has ended, a new one is made. Throws a UserError
   * (WATCHPOST_ERR_PLAYBOOK_NOT_FOUND, WATCHPOST_ERR_STORE_NOT_FOUND) for an unknown playbook or subject.
   */
  requestRun(playbookId: string, subject: { readonly alertId?: string; readonly incidentId?: string }, requestedBy: string): Promise<PlaybookRun>;
  /**
   * Approves the step a run waits at and queues the run from there. Throws a UserError:
   * WATCHPOST_ERR_RUN_SELF_APPROVAL (the requester), WATCHPOST_ERR_STORE_NOT_FOUND,
   * WATCHPOST_ERR_STORE_CONFLICT (not waiting for approval; past the deadline, which cancels it).
   */
  approveStep(runId: string, by: string): Promise<PlaybookRun>;
  /** Rejects the step a run waits at, which ends the run `rejected`. Throws as {@link approveStep}. */
  rejectStep(runId: string, by: string, reason: string): Promise<PlaybookRun>;
  /** Undoes an active block now (on the device, verified) and records who released it. */
  releaseBlock(blockId: string, by: string): Promise<BlockState>;
  /** Re-derives the blocks from their desired state and cancels stale approvals (see reconcile.ts). */
  reconcile(): Promise<ReconcileReport>;
  /** Stops the timer and the job workers, waiting for running handlers. Idempotent. */
  close(): Promise<void>;
}

/** What the runner's parts share. */
export interface Runtime {
  readonly config: ResponseConfig;
  readonly cases: CaseStore;
  readonly queue: JobQueue;
  readonly playbooks: () => readonly Playbook[];
  readonly drivers: ReadonlyMap<string, Driver>;
  readonly safety: Safety;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: RunnerMetrics;
  readonly consoleUrl?: string;
  readonly retry: RunnerRetry;
}
