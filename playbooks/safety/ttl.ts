/**
 * How long a block lasts (reliability.md S7): the policy's TTL (4 h by default, CrowdSec's default
 * decision), multiplied per repeat offence (×2 by default, fail2ban's `bantime.increment` and
 * Wazuh's `repeated_offenders`) up to a cap (7 days by default).
 */
import type { BlockState } from '../../core/cases/types.js';
import type { CaseStore } from '../../core/stores/case-store.js';
import { MAX_LIST_LIMIT } from '../../core/stores/case-store.js';
import { parseAddress } from '../actions/address.js';
import type { SafetyConfig } from './never-block.js';

/** The longest TTL the block-ip and disable-account inputs accept (366 days). */
export const MAX_TTL_SECONDS = 366 * 24 * 3600;

/** Block records read per target at most: one per driver instance, and there are ≤ 256 of those. */
const MAX_RECORDS = MAX_LIST_LIMIT;

/** The policy's TTL of the `offense`-th block of a target, in ms. */
export function policyTtlMs(config: SafetyConfig, offense: number): number {
  return Math.min(config.blockTtlMs * config.repeatMultiplier ** Math.max(0, offense - 1), config.maxBlockTtlMs);
}

/**
 * The offence number a new block of a target gets, from the target's block records on every
 * driver. Repeat offenders are counted per target, not per enforcement point: an address blocked
 * yesterday by nftables is a repeat offender when the feed blocks it today.
 *
 * A BlockState is one record per driver and target, replaced when the target is blocked again, and
 * it carries the offence number it was made with; so the history is the records' `offense`, not
 * how many records there are:
 *
 * - a block that ended (released, or active but past its `expiresAt`) and was made within
 *   `repeatWindowMs` is an earlier offence: the new one is its number + 1;
 * - a failed record was an attempt that the device refused: the offences before it count
 *   (its number − 1), the attempt does not;
 * - a block still in force is the current offence: blocking again (another driver of the same
 *   step, a retried job, a new alert while the block holds) renews it under the same number
 *   rather than escalating it, which keeps a retried step's TTL the same as its first attempt's.
 */
export function nextOffense(records: readonly BlockState[], now: number, repeatWindowMs: number): number {
  let earlier = 0;
  let current = 0;
  const windowStart = now - repeatWindowMs;
  for (const record of records) {
    const offense = Number.isInteger(record.offense) && record.offense > 0 ? record.offense : 1;
    const ended = record.state === 'released' || (record.state === 'active' && record.expiresAt !== undefined && Date.parse(record.expiresAt) <= now);
    if (record.state === 'active' && !ended) {
      current = Math.max(current, offense);
      continue;
    }
    if (repeatWindowMs <= 0 || Date.parse(record.createdAt) < windowStart) continue;
    earlier = Math.max(earlier, record.state === 'failed' ? offense - 1 : offense);
  }
  return Math.max(1, earlier + 1, current);
}

/**
 * The TTL of a new block. A playbook's `requestedSeconds` asks for a shorter first block; a repeat
 * offender's requested TTL is multiplied like the policy's, and the result never exceeds what the
 * policy gives for that offence: a playbook can shorten a block, never lengthen it. Seconds,
 * an integer ≥ 1 and ≤ {@link MAX_TTL_SECONDS}.
 */
export function ttlSeconds(config: SafetyConfig, offense: number, requestedSeconds?: number): number {
  const policy = policyTtlMs(config, offense);
  let ttl = policy;
  if (requestedSeconds !== undefined && Number.isFinite(requestedSeconds) && requestedSeconds >= 1) {
    ttl = Math.min(Math.floor(requestedSeconds) * 1000 * config.repeatMultiplier ** Math.max(0, offense - 1), policy);
  }
  return Math.min(MAX_TTL_SECONDS, Math.max(1, Math.floor(ttl / 1000)));
}

/** Reads a target's block records on every driver (see {@link nextOffense}). */
export async function blockRecords(cases: CaseStore, kind: 'ip' | 'account', target: string): Promise<BlockState[]> {
  const page = await cases.blocks.list({
    filter: {
      op: 'and',
      children: [
        { op: 'eq', field: 'kind', value: kind },
        { op: 'eq', field: 'target', value: canonicalTarget(kind, target) },
      ],
    },
    limit: MAX_RECORDS,
  });
  return page.items;
}

/**
 * The target as block records hold it: an address canonical (`parseAddress(...).text`), an account
 * as given (the store compares text case-insensitively).
 */
export function canonicalTarget(kind: 'ip' | 'account', target: string): string {
  if (kind === 'account') return target.trim();
  try {
    return parseAddress(target).text;
  } catch {
    return target.trim();
  }
}
