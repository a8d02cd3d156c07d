/**
 * The desired state of blocks (BlockState, one per target per driver instance): recorded when a
 * block is made, with its expiry job; undone at expiry, by hand or by reconciliation. The record
 * is the truth the device is reconciled to (reliability.md S11).
 */
import type { BlockState, PlaybookRun } from '../../core/cases/types.js';
import { hasCode, OperationalError, UserError } from '../../core/errors.js';
import type { Stored } from '../../core/stores/case-store.js';
import { MAX_JOB_DELAY_MS } from '../../core/stores/job-queue.js';
import { modify } from '../../core/stores/modify.js';
import { BLOCK_EXPIRY_JOB, type ExpiryJob } from '../../core/response/jobs.js';
import { ACTIONS } from '../actions/definitions.js';
import type { ActionId, Driver } from '../actions/types.js';
import { canonicalTarget } from '../safety/index.js';
import { executeOn, verifyOn } from './call.js';
import { describeAction, sentence } from './describe.js';
import { auditId, blockIdFor, expiryJobId } from './ids.js';
import { errorText, writeAudit, writeTimeline } from './records.js';
import type { Runtime } from './types.js';

/** Tries of an expiry job; reconciliation undoes what is still left after them. */
const EXPIRY_ATTEMPTS = 10;

/** The most alert ids a block keeps as evidence. */
const MAX_BLOCK_ALERTS = 100;

/** The target of a block action's input: the address or the account. */
export function targetOf(action: ActionId, input: Readonly<Record<string, unknown>>): string | undefined {
  const kind = ACTIONS[action].blockKind;
  const value = kind === 'ip' ? input.address : kind === 'account' ? input.account : undefined;
  return typeof value === 'string' ? canonicalTarget(kind as 'ip' | 'account', value) : undefined;
}

/** The action that makes a block of `kind`, and the one that undoes it. */
export function blockActions(kind: BlockState['kind']): { make: ActionId; undo: ActionId } {
  return kind === 'ip' ? { make: 'block-ip', undo: 'unblock-ip' } : { make: 'disable-account', undo: 'enable-account' };
}

/** The input that makes or undoes `block` on its driver. */
export function blockInput(block: BlockState, undo: boolean, ttlSeconds?: number): Record<string, unknown> {
  const key = block.kind === 'ip' ? 'address' : 'account';
  const reason = undo ? `released (${block.reason})`.slice(0, 1000) : block.reason;
  return { [key]: block.target, reason, ...(!undo && ttlSeconds !== undefined ? { ttlSeconds } : {}) };
}

/** What a successful (or refused) block on one driver records. */
export interface BlockMade {
  readonly run: PlaybookRun;
  readonly action: ActionId;
  readonly driver: string;
  readonly target: string;
  readonly reason: string;
  readonly offense: number;
  /** Absent: the block has no end (an approver made it permanent). */
  readonly ttlSeconds?: number;
  readonly alertIds: readonly string[];
  readonly verified?: boolean;
  /** Set when the device refused: the record is `failed`. */
  readonly error?: string;
}

/**
 * Records the block as active (or failed) and schedules its expiry. A record of the same target on
 * the same driver is replaced: a repeat block renews it (its offence decided by the safety layer);
 * a retry of the same run keeps its creation time. A refusal never overwrites a block in force.
 */
export async function recordBlock(rt: Runtime, made: BlockMade): Promise<Stored<BlockState>> {
  const kind = ACTIONS[made.action].blockKind as BlockState['kind'];
  const id = blockIdFor(made.driver, made.target);
  const nowMs = rt.clock.now();
  const now = new Date(nowMs).toISOString();
  const expiresAt = made.ttlSeconds === undefined ? undefined : new Date(nowMs + made.ttlSeconds * 1000).toISOString();
  const next = (current: BlockState | undefined): BlockState => {
    if (made.error !== undefined && current?.state === 'active') return { ...current, lastError: made.error, updatedAt: now };
    const sameRun = current?.runId === made.run.id && current.state === 'active';
    const alertIds = [...new Set([...(current?.state === 'active' ? (current.alertIds ?? []) : []), ...made.alertIds])].slice(-MAX_BLOCK_ALERTS);
    return {
      id,
      kind,
      target: made.target,
      driver: made.driver,
      state: made.error === undefined ? 'active' : 'failed',
      reason: made.reason,
      createdBy: `run:${made.run.id}`,
      offense: made.offense,
      runId: made.run.id,
      alertIds,
      createdAt: sameRun && current ? current.createdAt : now,
      updatedAt: now,
      // A retry of the same run keeps the expiry it first recorded, so every attempt schedules
      // the same expiry job (its id holds the time) and none is left without one.
      ...(sameRun && current?.expiresAt !== undefined ? { expiresAt: current.expiresAt } : expiresAt !== undefined ? { expiresAt } : {}),
      ...(made.verified === true ? { verifiedAt: now } : {}),
      ...(made.error !== undefined ? { lastError: made.error } : {}),
    };
  };
  let stored: Stored<BlockState>;
  try {
    stored = await rt.cases.blocks.create(next(undefined));
  } catch (error) {
    if (!hasCode(error, 'WATCHPOST_ERR_STORE_CONFLICT')) throw error;
    stored = await modify(rt.cases.blocks, id, (current) => {
      const { rev: _rev, ...record } = current;
      return next(record);
    });
  }
  if (stored.state === 'active' && stored.expiresAt !== undefined) await scheduleExpiry(rt, stored);
  return stored;
}

/** Adds the expiry job of a block (idempotent by its id, which holds the expiry time). */
export async function scheduleExpiry(rt: Runtime, block: BlockState): Promise<void> {
  if (block.expiresAt === undefined) return;
  // A delay beyond the queue's limit fires early and finds the block not due; reconciliation
  // undoes it on time.
  const delayMs = Math.min(MAX_JOB_DELAY_MS, Math.max(0, Date.parse(block.expiresAt) - rt.clock.now()));
  await rt.queue.add<ExpiryJob>({
    name: BLOCK_EXPIRY_JOB,
    id: expiryJobId(block.id, block.expiresAt),
    data: { blockId: block.id, expiresAt: block.expiresAt },
    delayMs,
    attempts: EXPIRY_ATTEMPTS,
    backoff: { type: 'exponential', delayMs: rt.retry.backoffMs },
  });
}

/** The driver instance of a block, or a UserError saying it is gone from the config. */
function driverOf(rt: Runtime, block: BlockState): Driver {
  const driver = rt.drivers.get(block.driver);
  if (!driver) {
    throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `driver ${block.driver} of block ${block.id} is not configured (or disabled): the block cannot be changed`);
  }
  return driver;
}

/**
 * Undoes a block on its driver, checks it no longer holds, and records it released by
 * `releasedBy` (`expiry`, `reconcile` or a user), with an audit entry (actor `actor`) and a
 * timeline entry on the incident of the run that made it. Operational errors propagate (the
 * caller retries); the record stays active until the undo is seen.
 */
export async function undoBlock(rt: Runtime, block: Stored<BlockState>, releasedBy: string, actor: string, signal?: AbortSignal): Promise<Stored<BlockState>> {
  const driver = driverOf(rt, block);
  const { undo } = blockActions(block.kind);
  const input = blockInput(block, true);
  const call = { timeoutMs: rt.config.stepTimeoutMs, idempotencyKey: `${block.id}.undo.${block.expiresAt ?? 'permanent'}`, ...(signal ? { signal } : {}) };
  const result = await executeOn(rt, driver, undo, input, call);
  const check = await verifyOn(rt, driver, undo, input, call);
  if (check && !check.holds) {
    throw new OperationalError('WATCHPOST_ERR_DRIVER_VERIFY', `${undo} of ${block.target} on ${driver.id} ran, but the block still holds`);
  }
  const now = new Date(rt.clock.now()).toISOString();
  const details = { driver: driver.id, target: block.target, releasedBy, runId: block.runId, alertIds: block.alertIds ?? [], changed: result.changed, response: result.detail ?? {}, verified: check?.holds };
  await writeAudit(rt, {
    id: auditId('undo', block.id, block.updatedAt),
    actor,
    action: 'response.undo',
    target: { type: 'block', id: block.id },
    details,
  });
  const run = block.runId === undefined ? undefined : await rt.cases.runs.get(block.runId);
  if (run) {
    const words = describeAction(undo, input, [driver.id]).past;
    await writeTimeline(rt, run, {
      id: `${run.id}.${driver.id}.released.${block.expiresAt ?? block.updatedAt}`,
      actor,
      body: `${sentence(words)} (${releasedBy === 'expiry' ? 'block expired' : releasedBy === 'reconcile' ? 'expired, undone by reconciliation' : `released by ${releasedBy}`})`,
      data: { blockId: block.id, releasedBy, verified: check?.holds },
    });
  }
  // Last, so that a crash before it repeats the undo (idempotent) and the entries (same ids).
  let renewed = false;
  const released = await modify(rt.cases.blocks, block.id, (current): BlockState => {
    const { lastError: _error, rev: _rev, ...rest } = current;
    renewed = current.state !== 'active' || current.expiresAt !== block.expiresAt;
    // Blocked again while this undo ran: the new block stands, and reconciliation puts it back on the device.
    if (renewed) return rest;
    return { ...rest, state: 'released', releasedAt: now, releasedBy, updatedAt: now };
  });
  if (renewed) rt.logger.warn({ block: block.id, driver: driver.id }, 'block renewed while it was being undone; reconciliation restores it');
  else rt.logger.info({ block: block.id, driver: driver.id, releasedBy }, 'block undone');
  return released;
}

/**
 * Puts a block back on its driver for the time it has left (reconciliation found it missing), and
 * checks it holds. Records `verifiedAt` or `lastError`; audited as `response.reapply`.
 */
export async function reapplyBlock(rt: Runtime, block: Stored<BlockState>, signal?: AbortSignal): Promise<boolean> {
  const driver = driverOf(rt, block);
  const { make } = blockActions(block.kind);
  const left = block.expiresAt === undefined ? undefined : Math.max(1, Math.ceil((Date.parse(block.expiresAt) - rt.clock.now()) / 1000));
  // A permanent block-ip still needs a TTL on the device: the longest the input takes.
  const ttlSeconds = left ?? (block.kind === 'ip' ? 366 * 24 * 3600 : undefined);
  const input = blockInput(block, false, ttlSeconds);
  const call = { timeoutMs: rt.config.stepTimeoutMs, idempotencyKey: `${block.id}.reapply`, ...(signal ? { signal } : {}) };
  const now = new Date(rt.clock.now()).toISOString();
  let holds = false;
  let error: string | undefined;
  let detail: Readonly<Record<string, unknown>> | undefined;
  try {
    detail = (await executeOn(rt, driver, make, input, call)).detail;
    holds = (await verifyOn(rt, driver, make, input, call))?.holds ?? true;
    if (!holds) error = `${make} of ${block.target} ran, but it does not hold`;
  } catch (caught) {
    error = errorText(caught);
  }
  await modify(rt.cases.blocks, block.id, (current) => {
    const { lastError: _error, ...rest } = current;
    return { ...rest, updatedAt: now, ...(holds ? { verifiedAt: now } : {}), ...(error !== undefined ? { lastError: error } : {}) };
  });
  await writeAudit(rt, {
    id: auditId('reapply', block.id, now),
    actor: 'system',
    action: 'response.reapply',
    target: { type: 'block', id: block.id },
    outcome: holds ? 'success' : 'failure',
    details: { driver: driver.id, target: block.target, ttlSeconds, runId: block.runId, alertIds: block.alertIds ?? [], response: detail ?? {}, ...(error !== undefined ? { error } : {}) },
  });
  return holds;
}

/** Whether the block's effect holds on its driver now; undefined when the driver cannot tell. */
export async function blockHolds(rt: Runtime, block: BlockState, signal?: AbortSignal): Promise<boolean | undefined> {
  const driver = driverOf(rt, block);
  const { make } = blockActions(block.kind);
  const input = blockInput(block, false, 1);
  const check = await verifyOn(rt, driver, make, input, { timeoutMs: rt.config.stepTimeoutMs, idempotencyKey: `${block.id}.verify`, ...(signal ? { signal } : {}) });
  return check?.holds;
}
