/**
 * The deterministic ids of the runner: runs, blocks, jobs, timeline and audit entries. Each is a
 * function of what it records, so a retried or duplicated job lands on the same record and writes
 * its entries once (DESIGN.md, Action: effectively once).
 */
import { createHash } from 'node:crypto';
import { deterministicId } from '../../core/ids.js';
import { JOB_ID_PATTERN } from '../../core/stores/job-queue.js';

/** The longest run id: run job ids add `run-` and `-s<n>` and must stay ≤ 200 characters. */
const MAX_RUN_ID = 180;

/**
 * The id of the run of `playbookId` for an alert or incident: `<playbookId>.<subjectId>`, so a
 * duplicate trigger is one run. Characters a job id may not hold become `_`, and an id that would
 * be too long keeps a readable head and ends in a hash of the whole, so distinct subjects never
 * share a run.
 */
export function runIdFor(playbookId: string, subjectId: string, suffix?: string): string {
  const raw = `${playbookId}.${subjectId}${suffix === undefined ? '' : `.${suffix}`}`;
  const safe = raw.replace(/[^A-Za-z0-9._-]/g, '_');
  if (safe === raw && safe.length <= MAX_RUN_ID) return safe;
  const hash = deterministicId(raw).slice(0, 24);
  return `${safe.slice(0, MAX_RUN_ID - hash.length - 1)}.${hash}`;
}

/** Whether `id` is usable as a job id as is. */
export function isJobId(id: string): boolean {
  return JOB_ID_PATTERN.test(id);
}

/** The BlockState id of a target on a driver instance: `<driver>:<target>`. */
export function blockIdFor(driver: string, target: string): string {
  return `${driver}:${target}`;
}

/** The id of the expiry job of a block at `expiresAt`: a later expiry (an extension) is another job. */
export function expiryJobId(blockId: string, expiresAt: string): string {
  const hash = createHash('sha256').update(blockId).digest('hex').slice(0, 16);
  return `expiry-${hash}-${Date.parse(expiresAt)}`;
}

/** The reconcile job of the interval `slot` (intervals since the epoch): one per interval across workers. */
export function reconcileJobId(slot: number): string {
  return `reconcile-${slot}`;
}

/** A timeline entry of a step reaching `status`: `<runId>.<stepId>.<status>`. */
export function stepTimelineId(runId: string, stepId: string, status: string): string {
  return `${runId}.${stepId}.${status}`;
}

/** An audit entry id from what it records: a retried job writes it once. */
export function auditId(...parts: readonly (string | number)[]): string {
  return `resp-${deterministicId(...parts)}`;
}
