/**
 * Reconciliation (reliability.md S11): the stored desired state is the truth, the devices and the
 * queue are brought back to it. Every interval, one worker (the `response-reconcile` job of that
 * interval) undoes expired blocks whose expiry job was lost, adds again the expiry job of active
 * blocks whose job is missing, puts back blocks missing on their device, cancels runs whose approval deadline passed, and ends runs whose job was lost.
 */
import type { BlockState, PlaybookRun, RunStep } from '../../core/cases/types.js';
import type { FilterNode } from '../../core/query/filter.js';
import type { Stored } from '../../core/stores/case-store.js';
import { modify } from '../../core/stores/modify.js';
import { blockHolds, reapplyBlock, scheduleExpiry, undoBlock } from './blocks.js';
import { expiryJobId } from './ids.js';
import { cancelRun } from './approval.js';
import { changeRun, nowIso } from './context.js';
import { finishRun } from './execute.js';
import { runJobId } from '../../core/response/jobs.js';
import { runJob, runJobsOf } from './triggers.js';
import type { ReconcileReport, Runtime } from './types.js';

/** Records read per page. */
const PAGE = 200;

/** A queued or running run untouched this long is checked for a lost job. */
export const STALE_RUN_MS = 15 * 60_000;

type Counts = { -readonly [K in keyof ReconcileReport]: ReconcileReport[K] };

function eq(field: string, value: string): FilterNode {
  return { op: 'eq', field, value, caseSensitive: true };
}

/** Every record of a collection matching `filter`, page by page. */
async function* each<T extends { readonly id: string }>(list: (cursor?: string) => Promise<{ items: T[]; nextCursor?: string }>): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    yield* page.items;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
}

/** One reconciliation pass. Failures of one block are counted and logged, never thrown. */
export async function reconcile(rt: Runtime, signal?: AbortSignal): Promise<ReconcileReport> {
  const counts: Counts = { expired: 0, reapplied: 0, verified: 0, rescheduled: 0, cancelledRuns: 0, failedRuns: 0, errors: 0 };
  let active = 0;
  const blocks = (cursor?: string) => rt.cases.blocks.list({ filter: eq('state', 'active'), sort: 'createdAt', limit: PAGE, ...(cursor !== undefined ? { cursor } : {}) });
  for await (const block of each(blocks)) {
    if (signal?.aborted) break;
    try {
      if (await reconcileBlock(rt, block, counts, signal)) active += 1;
    } catch (error) {
      counts.errors += 1;
      active += 1;
      rt.logger.warn({ block: block.id, driver: block.driver, err: error }, 'reconcile could not check or change a block; tried again next interval');
    }
  }
  rt.metrics.activeBlocks.set(active);
  const now = rt.clock.now();
  const pending = (cursor?: string) => rt.cases.runs.list({ filter: eq('status', 'pending_approval'), limit: PAGE, ...(cursor !== undefined ? { cursor } : {}) });
  for await (const run of each(pending)) {
    if (run.approvalExpiresAt !== undefined && Date.parse(run.approvalExpiresAt) <= now) {
      const cancelled = await cancelRun(rt, run, 'approval expired');
      if (cancelled.status === 'cancelled') counts.cancelledRuns += 1;
    }
  }
  const stale = new Date(now - STALE_RUN_MS).toISOString();
  const going = (cursor?: string) =>
    rt.cases.runs.list({
      filter: { op: 'and', children: [{ op: 'or', children: [eq('status', 'queued'), eq('status', 'running')] }, { op: 'range', field: 'updatedAt', lt: stale }] },
      limit: PAGE,
      ...(cursor !== undefined ? { cursor } : {}),
    });
  for await (const run of each(going)) {
    if (await reviveRun(rt, run)) counts.failedRuns += 1;
  }
  if (counts.expired + counts.reapplied + counts.rescheduled + counts.cancelledRuns + counts.failedRuns + counts.errors > 0) rt.logger.info({ ...counts }, 'reconciled response state');
  return counts;
}

/** Brings one active block back to its desired state; true when it is still active afterwards. */
async function reconcileBlock(rt: Runtime, block: Stored<BlockState>, counts: Counts, signal?: AbortSignal): Promise<boolean> {
  if (block.expiresAt !== undefined && Date.parse(block.expiresAt) <= rt.clock.now()) {
    await undoBlock(rt, block, 'reconcile', 'system', signal);
    counts.expired += 1;
    return false;
  }
  if (block.expiresAt !== undefined && (await rt.queue.get(expiryJobId(block.id, block.expiresAt))) === undefined) {
    // Lost in a queue outage: the block still has to end on time, so its job is added again (its
    // id holds the expiry). A finished one (failed retries, or a delay beyond the queue's limit
    // that fired early) is left: the expired-block check above undoes the block on time.
    await scheduleExpiry(rt, block);
    counts.rescheduled += 1;
  }
  const holds = await blockHolds(rt, block, signal);
  if (holds === undefined) return true;
  if (holds) {
    const now = nowIso(rt);
    await modify(rt.cases.blocks, block.id, (current) => ({ ...current, verifiedAt: now }));
    counts.verified += 1;
    return true;
  }
  rt.logger.warn({ block: block.id, driver: block.driver }, 'block missing on its device; putting it back');
  if (await reapplyBlock(rt, block, signal)) counts.reapplied += 1;
  else counts.errors += 1;
  return true;
}

/**
 * A run left queued or running with no job to carry it on: re-adds its job when none is known (a
 * crash between the write and the enqueue), or ends it failed when its jobs ended (a lease lost on
 * the last attempt). True when it was ended.
 */
async function reviveRun(rt: Runtime, run: PlaybookRun): Promise<boolean> {
  const from = run.currentStep ?? 0;
  const jobs = await runJobsOf(rt, run);
  if (jobs.some((job) => job !== undefined && (job.state === 'waiting' || job.state === 'delayed' || job.state === 'active'))) return false;
  if (jobs.every((job) => job === undefined)) {
    await rt.queue.add(runJob(rt, run.id, from, runJobId(run.id)));
    return false;
  }
  const error = jobs.find((job) => job?.state === 'failed')?.error ?? 'its job ended without finishing it';
  await changeRun(rt, run.id, (current) => ({
    ...current,
    steps: current.steps.map((step, index): RunStep =>
      index === from && (step.status === 'running' || step.status === 'queued') ? { ...step, status: 'failed', error: `job lost: ${error}`.slice(0, 1000), finishedAt: nowIso(rt) } : step,
    ),
  }));
  await finishRun(rt, run.id, 'failed', `job lost: ${error}`.slice(0, 1000));
  return true;
}
