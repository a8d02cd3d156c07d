/**
 * The response sections: the blocks and disabled accounts created in the week with where their
 * TTL stands at generation time, the playbook runs created in the week by status, and the
 * response times (MTTA, MTTR, SLA breaches) of the week's incidents.
 */
import { responseFigures, type SlaConfig } from '../../core/cases/sla.js';
import type { BlockState } from '../../core/cases/types.js';
import type { ReportPeriod, ResponseActionFigure, WeeklyFigures } from '../../core/reports/types.js';
import type { CaseStore } from '../../core/stores/case-store.js';
import { forEachRecord, within } from './paging.js';
import { round1 } from './tally.js';

/** `releasedBy` values that mean the block ended by itself rather than by a person. */
const AUTOMATIC_RELEASE: ReadonlySet<string> = new Set(['expiry', 'reconcile']);

/** The block records created in the period, oldest first (then by id). */
export async function blocksCreatedIn(cases: CaseStore, period: ReportPeriod): Promise<BlockState[]> {
  const blocks: BlockState[] = [];
  await forEachRecord(cases.blocks, { filter: within('createdAt', period), sort: 'createdAt' }, (block) => {
    const { rev: _rev, ...record } = block;
    blocks.push(record);
  });
  return blocks;
}

function statusOf(block: BlockState): ResponseActionFigure['status'] {
  if (block.state === 'active') return 'active';
  if (block.state === 'failed') return 'failed';
  return block.releasedBy !== undefined && AUTOMATIC_RELEASE.has(block.releasedBy) ? 'expired' : 'released';
}

/** One block as the report lists it; the TTL left is counted at `nowMs` (never below 0). */
export function actionFigure(block: BlockState, nowMs: number): ResponseActionFigure {
  const status = statusOf(block);
  const ttlLeftMs = status === 'active' && block.expiresAt !== undefined ? Date.parse(block.expiresAt) - nowMs : undefined;
  return {
    target: block.target,
    driver: block.driver,
    createdAt: block.createdAt,
    ...(block.expiresAt !== undefined ? { expiresAt: block.expiresAt } : {}),
    status,
    ...(status !== 'active' && status !== 'failed' && block.releasedAt !== undefined ? { releasedAt: block.releasedAt } : {}),
    ...(status !== 'active' && status !== 'failed' && block.releasedBy !== undefined ? { releasedBy: block.releasedBy } : {}),
    ...(ttlLeftMs !== undefined && Number.isFinite(ttlLeftMs) ? { ttlLeftSeconds: Math.max(0, Math.floor(ttlLeftMs / 1000)) } : {}),
  };
}

/** Playbook runs created in the period, by their status now. */
export async function runFigures(cases: CaseStore, period: ReportPeriod): Promise<WeeklyFigures['response']['runs']> {
  const runs = { total: 0, succeeded: 0, failed: 0, pendingApproval: 0, rejected: 0, other: 0 };
  await forEachRecord(cases.runs, { filter: within('createdAt', period) }, (run) => {
    runs.total += 1;
    if (run.status === 'succeeded') runs.succeeded += 1;
    else if (run.status === 'failed') runs.failed += 1;
    else if (run.status === 'pending_approval') runs.pendingApproval += 1;
    else if (run.status === 'rejected') runs.rejected += 1;
    else runs.other += 1;
  });
  return runs;
}

/** MTTA, MTTR and breaches of the incidents created in the period, as core/cases/sla.ts computes them at `nowMs`. */
export async function responseTimeFigures(cases: CaseStore, period: ReportPeriod, sla: SlaConfig, nowMs: number): Promise<WeeklyFigures['responseTimes']> {
  const figures = await responseFigures(cases, { from: new Date(period.from), to: new Date(period.to) }, sla, nowMs);
  const minutes = (ms: number | undefined): number | null => (ms === undefined ? null : round1(ms / 60_000));
  return {
    incidents: figures.incidents,
    acknowledged: figures.acknowledged,
    resolved: figures.resolved,
    mttaMinutes: minutes(figures.mttaMs),
    mttrMinutes: minutes(figures.mttrMs),
    acknowledgeBreaches: figures.acknowledgeBreaches,
    resolveBreaches: figures.resolveBreaches,
  };
}
