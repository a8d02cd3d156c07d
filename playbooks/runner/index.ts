/**
 * The playbook runner (DESIGN.md, Action; reliability.md S6–S11): playbooks run as jobs on the
 * JobQueue — BullMQ with Redis, the embedded SQLite queue otherwise — so that retries with
 * backoff, stalled-job recovery and deterministic job ids come from the queue, and every state
 * change is stored before and after each driver call, which makes a redelivered job resume where
 * the last one stopped. Four jobs:
 *
 * - `playbook-trigger` (triggers.ts): a new alert or incident → one run per matching playbook;
 * - `playbook-run` (execute.ts, steps.ts, drive.ts): a run's steps until it ends or waits;
 * - `block-expiry` (expiry.ts): a block's TTL is up → undo it;
 * - `response-reconcile` (reconcile.ts): the stored desired state re-applied, once per interval.
 */
import { SYSTEM_CLOCK } from '../../core/clock.js';
import type { JobWorker } from '../../core/stores/job-queue.js';
import { BLOCK_EXPIRY_JOB, PLAYBOOK_RUN_JOB, PLAYBOOK_TRIGGER_JOB, RECONCILE_JOB, type ExpiryJob, type PlaybookTrigger, type RunJob } from '../../core/response/jobs.js';
import { approveStep, rejectStep } from './approval.js';
import { handleRunJob } from './execute.js';
import { handleExpiry, releaseBlock } from './expiry.js';
import { reconcileJobId } from './ids.js';
import { createRunnerMetrics } from './metrics.js';
import { reconcile } from './reconcile.js';
import { handleTrigger, requestRun } from './triggers.js';
import type { ResponseService, ResponseServiceOptions, Runtime } from './types.js';

export { describeAction, describeRun, formatTtl } from './describe.js';
export { blockIdFor, expiryJobId, reconcileJobId, runIdFor } from './ids.js';
export type { ReconcileReport, ResponseService, ResponseServiceOptions, RunnerRetry } from './types.js';

/** The retry policy of run jobs when none is given. */
export const DEFAULT_RUNNER_RETRY = { attempts: 5, backoffMs: 5000 } as const;

/** Builds the response service; `start()` makes this process one of the workers that run it. */
export function createResponseService(options: ResponseServiceOptions): ResponseService {
  const logger = options.logger.child({ component: 'response-runner' });
  const rt: Runtime = {
    config: options.config,
    cases: options.cases,
    queue: options.queue,
    playbooks: options.playbooks,
    drivers: options.drivers,
    safety: options.safety,
    clock: options.clock ?? SYSTEM_CLOCK,
    logger,
    metrics: createRunnerMetrics(options.metrics),
    ...(options.consoleUrl !== undefined ? { consoleUrl: options.consoleUrl } : {}),
    retry: { ...DEFAULT_RUNNER_RETRY, ...(options.retry ?? {}) },
  };
  const concurrency = options.concurrency ?? 4;
  const workers: JobWorker[] = [];
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  let closing: Promise<void> | undefined;

  /** Adds this interval's reconcile job; every worker tries, the id lets one through. */
  const tick = () => {
    const slot = Math.floor(rt.clock.now() / rt.config.reconcileIntervalMs);
    rt.queue.add({ name: RECONCILE_JOB, id: reconcileJobId(slot), data: { slot }, attempts: 1 }).catch((error: unknown) => {
      logger.warn({ err: error }, 'could not queue reconciliation; tried again next interval');
    });
  };

  return {
    start() {
      if (started || closing) return;
      started = true;
      workers.push(
        rt.queue.work<PlaybookTrigger>(PLAYBOOK_TRIGGER_JOB, (job) => handleTrigger(rt, job), { concurrency }),
        rt.queue.work<RunJob>(PLAYBOOK_RUN_JOB, (job) => handleRunJob(rt, job), { concurrency }),
        rt.queue.work<ExpiryJob>(BLOCK_EXPIRY_JOB, (job) => handleExpiry(rt, job), { concurrency }),
        rt.queue.work<{ slot: number }>(RECONCILE_JOB, (job) => reconcile(rt, job.signal)),
      );
      tick();
      timer = setInterval(tick, rt.config.reconcileIntervalMs);
      timer.unref();
      logger.info({ playbooks: rt.playbooks().length, drivers: rt.drivers.size, dryRun: rt.config.dryRun }, 'playbook runner started');
    },
    requestRun: (playbookId, subject, requestedBy) => requestRun(rt, playbookId, subject, requestedBy),
    approveStep: (runId, by) => approveStep(rt, runId, by),
    rejectStep: (runId, by, reason) => rejectStep(rt, runId, by, reason),
    releaseBlock: (blockId, by) => releaseBlock(rt, blockId, by),
    reconcile: () => reconcile(rt),
    close() {
      closing ??= (async () => {
        if (timer) clearInterval(timer);
        await Promise.all(workers.map((worker) => worker.close()));
      })();
      return closing;
    },
  };
}
