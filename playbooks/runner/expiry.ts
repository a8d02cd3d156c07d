/**
 * The end of a block: the `block-expiry` job at its TTL, and a person's release by hand. Both
 * undo on the device, check the block is gone, and only then record it released (blocks.ts).
 */
import type { BlockState } from '../../core/cases/types.js';
import { UserError } from '../../core/errors.js';
import type { JobContext } from '../../core/stores/job-queue.js';
import type { ExpiryJob } from '../../core/response/jobs.js';
import { undoBlock } from './blocks.js';
import { expiryJobId } from './ids.js';
import type { Runtime } from './types.js';

/** What an expiry job did. */
export interface ExpiryResult {
  readonly blockId: string;
  readonly outcome: 'released' | 'not-found' | 'not-active' | 'extended' | 'not-due';
}

/**
 * Handles one `block-expiry` job: undoes the block when it is still active with this job's
 * expiry, and that expiry has come. A block extended (blocked again) since has another expiry and
 * its own job; a released one needs nothing. Errors propagate, so the queue retries with backoff;
 * reconciliation undoes what the retries could not.
 */
export async function handleExpiry(rt: Runtime, job: JobContext<ExpiryJob>): Promise<ExpiryResult> {
  const { blockId, expiresAt } = job.data;
  const block = await rt.cases.blocks.get(blockId);
  if (!block) return { blockId, outcome: 'not-found' };
  if (block.state !== 'active') return { blockId, outcome: 'not-active' };
  if (block.expiresAt !== expiresAt) return { blockId, outcome: 'extended' };
  if (Date.parse(expiresAt) > rt.clock.now()) return { blockId, outcome: 'not-due' };
  await undoBlock(rt, block, 'expiry', 'system', job.signal);
  return { blockId, outcome: 'released' };
}

/**
 * Releases an active block by hand (`by` is the user): undone on the device and verified, then
 * recorded with `releasedBy`; its expiry job is cancelled. A block already released is returned
 * as it is.
 */
export async function releaseBlock(rt: Runtime, blockId: string, by: string): Promise<BlockState> {
  const block = await rt.cases.blocks.get(blockId);
  if (!block) throw new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', `no block ${blockId}`);
  if (block.state !== 'active') return strip(block);
  const released = await undoBlock(rt, block, by, by);
  if (block.expiresAt !== undefined) await rt.queue.cancel(expiryJobId(block.id, block.expiresAt));
  return strip(released);
}

function strip(block: BlockState & { rev?: string }): BlockState {
  const { rev: _rev, ...rest } = block;
  return rest;
}
