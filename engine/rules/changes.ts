/**
 * Reading the rule changes made through the API (switches and uploads) from the case store, and
 * telling cheaply whether they changed: every ingest process polls this and rebuilds its detector
 * only when the stamp moves.
 */
import type { CustomRule, RuleState } from '../../core/cases/types.js';
import { MAX_LIST_LIMIT, type CaseStore, type Collection } from '../../core/stores/case-store.js';

/** At most this many uploaded rule files exist at once (the API refuses more). */
export const MAX_CUSTOM_RULES = 1_000;

/** At most this many rule switches are read (more than every shipped rule twice over). */
export const MAX_RULE_STATES = 50_000;

/** The switches and uploads, as stored. */
export interface RuleChanges {
  readonly states: readonly RuleState[];
  readonly customRules: readonly CustomRule[];
  /** The stamp they were read at (see {@link ruleChangeStamp}). */
  readonly stamp: string;
}

async function stampOf(collection: Collection<{ readonly id: string; readonly updatedAt: string }>): Promise<string> {
  const newest = await collection.list({ sort: 'updatedAt', order: 'desc', limit: 1 });
  const top = newest.items[0];
  return top === undefined ? '0' : `${newest.total}@${top.updatedAt}#${top.id}:${top.rev}`;
}

/**
 * A value that changes whenever a switch or an upload is created, changed or deleted: per
 * collection, how many records there are and the newest record's `updatedAt`, id and revision.
 * Two sorted reads of one record each. A delete lowers the count; a write makes its record the
 * newest (every write sets `updatedAt` to now) with a new revision. Writes within one
 * millisecond are told apart by the id and revision of the newest one.
 */
export async function ruleChangeStamp(cases: CaseStore): Promise<string> {
  const [states, custom] = await Promise.all([stampOf(cases.ruleStates), stampOf(cases.customRules)]);
  return `states:${states};custom:${custom}`;
}

async function readAll<T extends { readonly id: string }>(collection: Collection<T>, max: number): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await collection.list({ sort: 'id', limit: MAX_LIST_LIMIT, ...(cursor !== undefined ? { cursor } : {}) });
    for (const { rev: _rev, ...record } of page.items) out.push(record as unknown as T);
    cursor = page.nextCursor;
  } while (cursor !== undefined && out.length < max);
  return out.slice(0, max);
}

/** Reads every switch and upload, with the stamp taken before (so a change during the read shows at the next poll). */
export async function readRuleChanges(cases: CaseStore): Promise<RuleChanges> {
  const stamp = await ruleChangeStamp(cases);
  const [states, customRules] = await Promise.all([readAll(cases.ruleStates, MAX_RULE_STATES), readAll(cases.customRules, MAX_CUSTOM_RULES)]);
  return { states, customRules, stamp };
}
