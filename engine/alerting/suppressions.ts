import type { Suppression } from '../../core/cases/types.js';
import type { Clock } from '../../core/clock.js';
import { UserError, type Problem } from '../../core/errors.js';
import { randomId } from '../../core/ids.js';
import type { FilterNode } from '../../core/query/filter.js';
import type { CaseStore, Stored } from '../../core/stores/case-store.js';
import { MAX_LIST_LIMIT } from '../../core/stores/case-store.js';
import { modify } from '../../core/stores/modify.js';
import type { AlertCandidate } from './dedup.js';

/** What a suppression is made from (the API's request body). */
export interface NewSuppression {
  readonly rule?: string;
  readonly fields: Readonly<Record<string, string>>;
  /** @defaultValue now */
  readonly startsAt?: string;
  readonly expiresAt: string;
  readonly reason: string;
}

/** Limits of a suppression, so one request cannot make a record the stores choke on. */
export const SUPPRESSION_LIMITS = Object.freeze({ fields: 16, fieldLength: 256, valueLength: 4096, reasonLength: 2000, ruleLength: 512 });

/** The filter of the suppressions in force at `nowIso`. */
export function inForceFilter(nowIso: string): FilterNode {
  return { op: 'and', children: [{ op: 'range', field: 'startsAt', lte: nowIso }, { op: 'range', field: 'expiresAt', gt: nowIso }] };
}

/** True when the suppression covers the candidate: its rule (if any) and every field value equal. */
export function suppresses(suppression: Suppression, candidate: AlertCandidate): boolean {
  if (suppression.rule !== undefined && suppression.rule !== candidate.ruleKey && !candidate.ruleAliases.includes(suppression.rule)) return false;
  const fields = Object.entries(suppression.fields);
  return fields.length > 0 && fields.every(([field, value]) => candidate.entities[field] === value || candidate.group[field] === value);
}

function isoOrProblem(value: unknown, path: string, problems: Problem[]): number {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) problems.push({ path, message: `${path} must be an ISO-8601 timestamp` });
  return ms;
}

/**
 * Suppressions: created by analysts (through the API), read once per batch of matches, counted
 * when they swallow a match. A suppression applies from `startsAt` until `expiresAt` by the
 * engine's clock; expired ones stay listed (with their counts) until deleted.
 */
export class Suppressions {
  constructor(
    private readonly store: CaseStore,
    private readonly clock: Clock,
  ) {}

  /**
   * Validates and stores a suppression. Rejects with WATCHPOST_ERR_CASE_INVALID listing every
   * problem: no field, too many, over a length limit, an expiry not after the start.
   */
  async create(input: NewSuppression, author: string): Promise<Stored<Suppression>> {
    const problems: Problem[] = [];
    const now = this.clock.now();
    const fields = Object.entries(input.fields ?? {});
    if (fields.length === 0) problems.push({ path: 'fields', message: 'a suppression needs at least one field = value pair' });
    if (fields.length > SUPPRESSION_LIMITS.fields) problems.push({ path: 'fields', message: `at most ${SUPPRESSION_LIMITS.fields} fields` });
    for (const [field, value] of fields) {
      if (field.length === 0 || field.length > SUPPRESSION_LIMITS.fieldLength) problems.push({ path: `fields.${field}`, message: 'bad field name length' });
      if (typeof value !== 'string' || value.length === 0 || value.length > SUPPRESSION_LIMITS.valueLength) {
        problems.push({ path: `fields.${field}`, message: `value must be 1-${SUPPRESSION_LIMITS.valueLength} characters` });
      }
    }
    if (typeof input.reason !== 'string' || input.reason.trim().length === 0 || input.reason.length > SUPPRESSION_LIMITS.reasonLength) {
      problems.push({ path: 'reason', message: `reason must be 1-${SUPPRESSION_LIMITS.reasonLength} characters` });
    }
    if (input.rule !== undefined && (input.rule.length === 0 || input.rule.length > SUPPRESSION_LIMITS.ruleLength)) {
      problems.push({ path: 'rule', message: `rule must be 1-${SUPPRESSION_LIMITS.ruleLength} characters` });
    }
    const startsAt = input.startsAt === undefined ? now : isoOrProblem(input.startsAt, 'startsAt', problems);
    const expiresAt = isoOrProblem(input.expiresAt, 'expiresAt', problems);
    if (Number.isFinite(startsAt) && Number.isFinite(expiresAt) && expiresAt <= startsAt) {
      problems.push({ path: 'expiresAt', message: 'expiresAt must be after startsAt' });
    }
    if (problems.length > 0) {
      throw new UserError('WATCHPOST_ERR_CASE_INVALID', `invalid suppression: ${problems.map((p) => p.message).join('; ')}`, { problems });
    }
    const nowIso = new Date(now).toISOString();
    return this.store.suppressions.create({
      id: randomId(),
      ...(input.rule !== undefined ? { rule: input.rule } : {}),
      fields: Object.fromEntries(fields),
      startsAt: new Date(startsAt).toISOString(),
      expiresAt: new Date(expiresAt).toISOString(),
      author,
      reason: input.reason,
      suppressedCount: 0,
      createdAt: nowIso,
      updatedAt: nowIso,
    });
  }

  /** The suppressions in force now (at most {@link MAX_LIST_LIMIT}; more would be a tuning problem, not a policy). */
  async inForce(): Promise<Stored<Suppression>[]> {
    const page = await this.store.suppressions.list({ filter: inForceFilter(new Date(this.clock.now()).toISOString()), limit: MAX_LIST_LIMIT });
    return page.items;
  }

  /** Adds `hits` to the suppression's counter (one write per suppression per batch). */
  async count(id: string, hits: number): Promise<void> {
    const nowIso = new Date(this.clock.now()).toISOString();
    await modify(this.store.suppressions, id, (current) => ({
      ...current,
      suppressedCount: current.suppressedCount + hits,
      lastSuppressedAt: nowIso,
      updatedAt: nowIso,
    }));
  }
}
