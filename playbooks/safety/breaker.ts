/**
 * The global limits on automatic blocks and the circuit breaker they trip (reliability.md S8).
 * The breaker is the `breaker` record of `cases.controls`, shared by every worker: when open,
 * automatic blocks wait for a person's approval until an admin closes it.
 *
 * The rate limit is exact across processes: every admission is appended to the `admissions`
 * record of `cases.controls` with optimistic concurrency, so two workers admitting at the same
 * moment cannot both take the last place of the minute (the loser re-reads and is refused). The
 * active cap is approximate: counting the active blocks and then creating one are two steps, so
 * workers admitting at the same moment may overshoot it by one block each (the queue's
 * concurrency across all workers), after which every later admission sees the blocks and opens
 * the breaker.
 */
import type { Alert, AuditEntry, BlockState, ResponseControl } from '../../core/cases/types.js';
import type { Clock } from '../../core/clock.js';
import { hasCode } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { CaseStore, Stored } from '../../core/stores/case-store.js';
import { MAX_LIST_LIMIT } from '../../core/stores/case-store.js';
import type { FilterNode } from '../../core/query/filter.js';
import type { SafetyConfig } from './never-block.js';

/** The id of the breaker's record in `cases.controls`. */
export const BREAKER_ID = 'breaker';

/** The id of the record of recent admissions in `cases.controls`. */
export const ADMISSIONS_ID = 'admissions';

/** Admissions racing on the admissions record before giving up (each loser re-reads; the rate is at most a few dozen a minute). */
const MAX_ADMISSION_ATTEMPTS = 50;

/** The rule id of the alert raised when the breaker opens. */
export const BREAKER_RULE_ID = 'watchpost-response-circuit-breaker';

/** The rate limit's window: blocks per minute. */
const RATE_WINDOW_MS = 60_000;

/** The base risk of a high-severity alert (engine/alerting/severity.ts BASE_RISK.high). */
const HIGH_RISK = 75;

/** Pages read when counting blocks, at most (each {@link MAX_LIST_LIMIT} records). */
const MAX_PAGES = 20;

/** Writes racing on the breaker record before giving up (each loser re-reads and usually finds it open). */
const MAX_ATTEMPTS = 10;

/** What the breaker needs. */
export interface BreakerDependencies {
  readonly config: SafetyConfig;
  readonly cases: CaseStore;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The answer to "may one more automatic block be made now?". */
export type Admission = { readonly admitted: true } | { readonly admitted: false; readonly reason: string };

/** What the limits saw, recorded on the alert and audit entry of an opening. */
interface Counts {
  readonly blocksLastMinute: number;
  readonly activeBlocks: number;
}

/** The breaker's record, or undefined when it never opened nor was closed. */
export async function readBreaker(cases: CaseStore): Promise<Stored<ResponseControl> | undefined> {
  return cases.controls.get(BREAKER_ID);
}

/**
 * Admits one automatic block, or refuses it because the breaker is open or because admitting it
 * would exceed `maxBlocksPerMinute` (distinct targets of automatic blocks, `createdBy` `run:…`,
 * made in the last minute) or `maxActiveBlocks` (distinct targets with an active, unexpired block,
 * automatic or not) — in which case the breaker opens first.
 *
 * Blocks made before the breaker was last closed do not count towards the rate: an admin who
 * closes it after a flood has passed is not overruled by the flood's last minute. The active cap
 * has no such grace: closing the breaker while over the cap reopens it at the next block.
 */
export async function admitAutomaticBlock(deps: BreakerDependencies): Promise<Admission> {
  for (let attempt = 1; ; attempt++) {
    const control = await readBreaker(deps.cases);
    if (control?.state === 'open') {
      await recordOpening(deps, control, undefined);
      return { admitted: false, reason: refusal(control) };
    }
    const now = deps.clock.now();
    let since = now - RATE_WINDOW_MS;
    if (control?.state === 'closed') since = Math.max(since, Date.parse(control.closedAt ?? control.updatedAt) || since);
    const admissions = await deps.cases.controls.get(ADMISSIONS_ID);
    const sinceIso = new Date(since).toISOString();
    const recent = (admissions?.admittedAt ?? []).filter((at) => at >= sinceIso);
    const decision = await decide(deps, now, since, recent.length);
    if (!decision.admitted) return decision;
    // Take the place: a concurrent admission that wrote first makes this write fail, and the
    // loop counts again with its admission included.
    const at = new Date(now).toISOString();
    try {
      if (admissions) await deps.cases.controls.replace({ ...admissions, admittedAt: [...recent, at], updatedAt: at });
      else await deps.cases.controls.create({ id: ADMISSIONS_ID, state: 'closed', admittedAt: [at], createdAt: at, updatedAt: at });
      return decision;
    } catch (error) {
      if (!isRace(error) || attempt >= MAX_ADMISSION_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
    }
  }
}

/** Whether one more automatic block fits the limits now; opens the breaker when it does not. */
async function decide(deps: BreakerDependencies, now: number, since: number, admittedRecently: number): Promise<Admission> {
  const perMinute = deps.config.maxBlocksPerMinute;
  const active = deps.config.maxActiveBlocks;
  // The admissions are exact; the block records also count blocks admitted before the admissions
  // record existed (an upgrade) or by a process that lost the record (deleted by hand).
  const blocksLastMinute = Math.max(
    admittedRecently,
    await countTargets(deps.cases, { op: 'range', field: 'createdAt', gte: new Date(since).toISOString() }, (record) => record.createdBy.startsWith('run:'), perMinute + 1),
  );
  const activeBlocks = await countTargets(
    deps.cases,
    {
      op: 'and',
      children: [
        { op: 'eq', field: 'state', value: 'active' },
        {
          op: 'or',
          children: [
            { op: 'not', child: { op: 'exists', field: 'expiresAt' } },
            { op: 'range', field: 'expiresAt', gt: new Date(now).toISOString() },
          ],
        },
      ],
    },
    () => true,
    active + 1,
  );
  const counts = { blocksLastMinute, activeBlocks };
  let reason: string | undefined;
  if (blocksLastMinute + 1 > perMinute) {
    reason = `rate-limit: ${blocksLastMinute} automatic blocks in the last minute; one more exceeds maxBlocksPerMinute ${perMinute}`;
  } else if (activeBlocks + 1 > active) {
    reason = `active-cap: ${activeBlocks} active blocks; one more exceeds maxActiveBlocks ${active}`;
  }
  if (reason === undefined) return { admitted: true };
  const opened = await openBreaker(deps, reason, counts);
  return { admitted: false, reason: refusal(opened) };
}

/**
 * Closes the breaker, recording who did. Closing a closed breaker changes nothing and writes no
 * audit entry; a real close is audited as `response.breaker.close`.
 */
export async function closeBreaker(deps: BreakerDependencies, by: string): Promise<Stored<ResponseControl>> {
  for (let attempt = 1; ; attempt++) {
    const current = await readBreaker(deps.cases);
    const at = new Date(deps.clock.now()).toISOString();
    try {
      if (!current) {
        return await deps.cases.controls.create({ id: BREAKER_ID, state: 'closed', closedBy: by, closedAt: at, createdAt: at, updatedAt: at });
      }
      if (current.state === 'closed') return current;
      const closed = await deps.cases.controls.replace({ ...current, state: 'closed', closedBy: by, closedAt: at, updatedAt: at });
      await appendAudit(deps, {
        id: `breaker-close-${openedMs(current)}`,
        at,
        actor: by,
        action: 'response.breaker.close',
        target: { type: 'control', id: BREAKER_ID },
        outcome: 'success',
        details: { openedAt: current.openedAt, reason: current.reason },
      });
      deps.logger.info({ closedBy: by, openedAt: current.openedAt }, 'response circuit breaker closed; automatic blocks resume');
      return closed;
    } catch (error) {
      if (!isRace(error) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

/**
 * Opens the breaker unless someone already did. Race-safe across processes by revision: a create
 * or replace that loses re-reads the record, and a loser that finds it open leaves the opening
 * (and its alert) to the winner.
 */
async function openBreaker(deps: BreakerDependencies, reason: string, counts: Counts): Promise<Stored<ResponseControl>> {
  for (let attempt = 1; ; attempt++) {
    const current = await readBreaker(deps.cases);
    if (current?.state === 'open') return current;
    const at = new Date(deps.clock.now()).toISOString();
    // Built afresh, so a closedBy from the last close does not stay on an open breaker.
    const next: ResponseControl = { id: BREAKER_ID, state: 'open', reason, openedAt: at, createdAt: current?.createdAt ?? at, updatedAt: at };
    let opened: Stored<ResponseControl>;
    try {
      opened = current ? await deps.cases.controls.replace({ ...next, rev: current.rev }) : await deps.cases.controls.create(next);
    } catch (error) {
      if (!isRace(error) || attempt >= MAX_ATTEMPTS) throw error;
      continue;
    }
    deps.logger.error({ reason, ...counts }, 'response circuit breaker opened: automatic blocks now wait for approval until an admin closes it');
    await recordOpening(deps, opened, counts);
    return opened;
  }
}

/**
 * Writes the alert and audit entry of an opening, once: both have ids derived from `openedAt`, the
 * alert is created (an existing one is kept) and the audit log ignores an id it has. Called by the
 * opener and again by every refused admission, so a worker that died between opening the breaker
 * and alerting is caught up by the next one (without the counts, which only the opener saw).
 */
async function recordOpening(deps: BreakerDependencies, control: ResponseControl, counts: Counts | undefined): Promise<void> {
  const ms = openedMs(control);
  const alertId = `breaker-${ms}`;
  if (counts === undefined && (await deps.cases.alerts.get(alertId))) return;
  const at = control.openedAt ?? control.updatedAt;
  const reason = control.reason ?? 'the automatic block limits were exceeded';
  const alert: Alert = {
    id: alertId,
    dedupKey: `${BREAKER_RULE_ID}|${ms}`,
    ruleId: BREAKER_RULE_ID,
    ruleTitle: 'Automated response circuit breaker opened',
    ruleAuthor: 'Watchpost',
    severity: 'high',
    riskScore: HIGH_RISK,
    status: 'new',
    count: 1,
    firstSeen: at,
    lastSeen: at,
    entities: {},
    eventIds: [],
    explanation: { selections: [], matches: [], correlation: { reason, ...counts } },
    tags: ['watchpost.response'],
    createdAt: at,
    updatedAt: at,
  };
  try {
    await deps.cases.alerts.create(alert);
  } catch (error) {
    if (!hasCode(error, 'WATCHPOST_ERR_STORE_CONFLICT')) throw error;
  }
  await appendAudit(deps, {
    id: `breaker-open-${ms}`,
    at,
    actor: 'system',
    action: 'response.breaker.open',
    target: { type: 'control', id: BREAKER_ID },
    outcome: 'success',
    details: {
      reason,
      alertId,
      ...counts,
      maxBlocksPerMinute: deps.config.maxBlocksPerMinute,
      maxActiveBlocks: deps.config.maxActiveBlocks,
    },
  });
}

async function appendAudit(deps: BreakerDependencies, entry: AuditEntry): Promise<void> {
  await deps.cases.audit.append(entry);
}

/** The refusal reason of an open breaker: the stable code `breaker-open` and why it opened. */
function refusal(control: ResponseControl): string {
  return `breaker-open: automatic blocks wait for approval since ${control.openedAt ?? control.updatedAt} (${control.reason ?? 'limits exceeded'})`;
}

function openedMs(control: ResponseControl): number {
  const ms = Date.parse(control.openedAt ?? control.updatedAt);
  return Number.isFinite(ms) ? ms : 0;
}

/** A lost race on the breaker record: someone wrote it (conflict) or deleted it (not found) since we read it. */
function isRace(error: unknown): boolean {
  return hasCode(error, 'WATCHPOST_ERR_STORE_CONFLICT') || hasCode(error, 'WATCHPOST_ERR_STORE_NOT_FOUND');
}

/**
 * How many distinct targets the matching block records hold (a target blocked on three drivers is
 * one block), counting no further than `stopAt`: the caller only needs to know whether a limit is
 * passed.
 */
async function countTargets(cases: CaseStore, filter: FilterNode, accept: (record: BlockState) => boolean, stopAt: number): Promise<number> {
  const targets = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await cases.blocks.list({ filter, limit: MAX_LIST_LIMIT, ...(cursor === undefined ? {} : { cursor }) });
    for (const record of result.items) if (accept(record)) targets.add(`${record.kind}:${record.target.toLowerCase()}`);
    if (targets.size >= stopAt || result.nextCursor === undefined) break;
    cursor = result.nextCursor;
  }
  return targets.size;
}
