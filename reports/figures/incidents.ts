/**
 * The incident sections: opened and closed in the week, verdicts, open at the week's end, and the
 * notable incidents with their short timelines.
 *
 * An incident's end is `resolvedAt`, else `closedAt` — the instant its resolve clock stopped
 * (core/cases/sla.ts); the engine stamps `resolvedAt` on every close, so a closed incident has
 * both and `resolvedAt` comes first. Counting the end once this way puts each incident in the
 * closed count of exactly one week and keeps the weeks in step: open at the previous week's end,
 * plus opened, minus closed, is open at this week's end.
 */
import { SEVERITIES, type Incident, type Verdict } from '../../core/cases/types.js';
import type { FilterNode } from '../../core/query/filter.js';
import type { NotableIncidentFigure, ReportPeriod, WeeklyFigures } from '../../core/reports/types.js';
import type { CaseStore } from '../../core/stores/case-store.js';
import { countRecords, forEachRecord, within } from './paging.js';
import { byText, topOf } from './tally.js';
import { shortTimeline } from './timeline.js';

/** Most notable incidents in a report. */
export const MAX_NOTABLE_INCIDENTS = 5;

/** Incidents whose end (resolvedAt, else closedAt) is in the period. */
function endedIn(period: ReportPeriod): FilterNode {
  return {
    op: 'or',
    children: [within('resolvedAt', period), { op: 'and', children: [{ op: 'not', child: { op: 'exists', field: 'resolvedAt' } }, within('closedAt', period)] }],
  };
}

/** Incidents created before the period's end and neither resolved nor closed before it. */
function openAt(to: string): FilterNode {
  return {
    op: 'and',
    children: [
      { op: 'range', field: 'createdAt', lt: to },
      { op: 'not', child: { op: 'range', field: 'resolvedAt', lt: to } },
      { op: 'not', child: { op: 'range', field: 'closedAt', lt: to } },
    ],
  };
}

/** Highest severity first, then most alerts, then oldest (then id, for a total order). */
function notableOrder(a: Incident, b: Incident): number {
  return (
    SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) ||
    b.alertIds.length - a.alertIds.length ||
    byText(a.createdAt, b.createdAt) ||
    byText(a.id, b.id)
  );
}

async function notable(cases: CaseStore, incident: Incident): Promise<NotableIncidentFigure> {
  const closedAt = incident.closedAt ?? incident.resolvedAt;
  return {
    id: incident.id,
    title: incident.title,
    severity: incident.severity,
    status: incident.status,
    ...(incident.verdict !== undefined ? { verdict: incident.verdict } : {}),
    createdAt: incident.createdAt,
    ...(closedAt !== undefined ? { closedAt } : {}),
    alerts: incident.alertIds.length,
    timeline: await shortTimeline(cases, incident.id),
  };
}

/** The incident figures of the period, and its notable incidents. */
export async function gatherIncidentFigures(
  cases: CaseStore,
  period: ReportPeriod,
): Promise<{ readonly incidents: WeeklyFigures['incidents']; readonly notableIncidents: NotableIncidentFigure[] }> {
  const opened: Incident[] = [];
  const byVerdict: Record<Verdict, number> = { true_positive: 0, false_positive: 0, benign: 0 };
  let closed = 0;
  let noVerdict = 0;
  const [, , openAtEnd] = await Promise.all([
    forEachRecord(cases.incidents, { filter: within('createdAt', period) }, (incident) => {
      opened.push(incident);
    }),
    forEachRecord(cases.incidents, { filter: endedIn(period) }, (incident) => {
      closed += 1;
      if (incident.verdict === undefined) noVerdict += 1;
      else byVerdict[incident.verdict] += 1;
    }),
    countRecords(cases.incidents, openAt(period.to)),
  ]);
  const notableIncidents = await Promise.all(topOf(opened, notableOrder, MAX_NOTABLE_INCIDENTS).map((incident) => notable(cases, incident)));
  return { incidents: { opened: opened.length, closed, byVerdict, noVerdict, openAtEnd }, notableIncidents };
}
