/**
 * Gathers every figure of the weekly threat report from the case and event stores, through their
 * core interfaces only, so the same figures come from SQLite and from Elasticsearch. The exact
 * definitions are those of `WeeklyFigures` (core/reports/types.ts).
 */
import type { SlaConfig } from '../../core/cases/sla.js';
import type { Logger } from '../../core/log.js';
import type { ReportPeriod, WeeklyFigures } from '../../core/reports/types.js';
import type { CaseStore } from '../../core/stores/case-store.js';
import type { EventStore } from '../../core/stores/event-store.js';
import type { IpInfoLookup } from '../ip-info.js';
import { shiftWeek, weekPeriod } from '../week.js';
import { gatherAlertFigures } from './alerts.js';
import { describeAttackers } from './attackers.js';
import { gatherIncidentFigures } from './incidents.js';
import { gatherIngestFigures } from './ingest.js';
import { actionFigure, blocksCreatedIn, responseTimeFigures, runFigures } from './response.js';

/** What gathering reads from and the deployment facts it needs. */
export interface GatherDependencies {
  readonly cases: CaseStore;
  readonly events: EventStore;
  readonly sla: SlaConfig;
  readonly organization: string;
  /** Source ids configured in this deployment (syslog/file/http ids), for silent-source detection. */
  readonly sources: readonly string[];
  /** Country and ASN of addresses; absent: figures carry none. */
  readonly ipInfo?: IpInfoLookup;
  /** Generation time, ms: SLA clocks and TTLs are as of this instant. */
  readonly nowMs: number;
  /** Where a failed country/ASN lookup is reported (the report goes on without them). */
  readonly log?: Logger;
}

/** The week before the period, in the period's time zone (ending where the period starts). */
export function previousPeriod(period: ReportPeriod): { readonly from: string; readonly to: string } {
  return { from: weekPeriod(shiftWeek(period.week, -1), period.timeZone).from, to: period.from };
}

/** Every figure of the weekly report for `period`, as of `deps.nowMs`. */
export async function gatherWeeklyFigures(deps: GatherDependencies, period: ReportPeriod): Promise<WeeklyFigures> {
  const previous = previousPeriod(period);
  const [alerts, blocks, runs, responseTimes, incidents, ingest] = await Promise.all([
    gatherAlertFigures(deps.cases, period, previous),
    blocksCreatedIn(deps.cases, period),
    runFigures(deps.cases, period),
    responseTimeFigures(deps.cases, period, deps.sla, deps.nowMs),
    gatherIncidentFigures(deps.cases, period),
    gatherIngestFigures(deps.cases, deps.events, period, deps.sources),
  ]);
  const topAttackers = await describeAttackers(alerts.attackers, blocks, deps.ipInfo, deps.log);
  return {
    period,
    previous,
    organization: deps.organization,
    generatedAt: new Date(deps.nowMs).toISOString(),
    alerts: alerts.alerts,
    topRules: alerts.topRules,
    topAttackers,
    topTargetHosts: alerts.topTargetHosts,
    topTargetUsers: alerts.topTargetUsers,
    response: {
      blocked: blocks.filter((block) => block.kind === 'ip').map((block) => actionFigure(block, deps.nowMs)),
      disabledAccounts: blocks.filter((block) => block.kind === 'account').map((block) => actionFigure(block, deps.nowMs)),
      runs,
    },
    incidents: incidents.incidents,
    responseTimes,
    ingest,
    tactics: alerts.tactics,
    notableIncidents: incidents.notableIncidents,
  };
}
