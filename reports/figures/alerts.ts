/**
 * The alert sections of the report: totals against the previous week, severities by local day,
 * top rules, attacking addresses, targets and ATT&CK tactics — one pass over the week's alerts
 * (those whose `firstSeen` is in the period) and a count of the previous week's.
 */
import type { Alert, Severity } from '../../core/cases/types.js';
import type { ReportPeriod, WeeklyFigures } from '../../core/reports/types.js';
import type { CaseStore } from '../../core/stores/case-store.js';
import { localDate } from '../week.js';
import { forEachRecord, within } from './paging.js';
import { tacticsOf } from './tactics.js';
import { byText, rankCounts, round1, topOf, zeroCounts } from './tally.js';

/** An attacking address before its country, ASN and block are looked up. */
export interface AttackerTally {
  readonly ip: string;
  readonly alerts: number;
  readonly matches: number;
}

/** What the alerts give the report; attackers are described by attackers.ts. */
export interface AlertFigures {
  readonly alerts: WeeklyFigures['alerts'];
  readonly topRules: WeeklyFigures['topRules'];
  /** The top attacking addresses, ranked. */
  readonly attackers: readonly AttackerTally[];
  readonly topTargetHosts: WeeklyFigures['topTargetHosts'];
  readonly topTargetUsers: WeeklyFigures['topTargetUsers'];
  readonly tactics: WeeklyFigures['tactics'];
}

type RuleRow = { ruleId: string; ruleTitle: string; severity: Severity; alerts: number; matches: number };

const DAY_MS = 86_400_000;

/** The seven local dates of the period, Monday first (the calendar is the same in every zone). */
function weekDates(period: ReportPeriod): string[] {
  const monday = Date.parse(`${localDate(Date.parse(period.from), period.timeZone)}T00:00:00.000Z`);
  return Array.from({ length: 7 }, (_, day) => new Date(monday + day * DAY_MS).toISOString().slice(0, 10));
}

function bump(counts: Map<string, number>, key: string | undefined): void {
  if (key !== undefined && key !== '') counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** Accumulates the week's alerts. Fed in `firstSeen` order, so a rule's title and severity are its newest alert's. */
class WeekTally {
  total = 0;
  readonly bySeverity = zeroCounts();
  readonly byDay: Map<string, Record<Severity, number>>;
  readonly rules = new Map<string, RuleRow>();
  readonly attackers = new Map<string, { ip: string; alerts: number; matches: number }>();
  readonly hosts = new Map<string, number>();
  readonly users = new Map<string, number>();
  readonly tactics = new Map<string, number>();

  constructor(private readonly period: ReportPeriod) {
    this.byDay = new Map(weekDates(period).map((date) => [date, zeroCounts()]));
  }

  add(alert: Alert): void {
    this.total += 1;
    this.bySeverity[alert.severity] += 1;
    const day = this.byDay.get(localDate(Date.parse(alert.firstSeen), this.period.timeZone));
    if (day) day[alert.severity] += 1;

    const rule = this.rules.get(alert.ruleId) ?? { ruleId: alert.ruleId, ruleTitle: alert.ruleTitle, severity: alert.severity, alerts: 0, matches: 0 };
    rule.ruleTitle = alert.ruleTitle;
    rule.severity = alert.severity;
    rule.alerts += 1;
    rule.matches += alert.count;
    this.rules.set(alert.ruleId, rule);

    const ip = alert.entities['source.ip'];
    if (ip !== undefined && ip !== '') {
      const attacker = this.attackers.get(ip) ?? { ip, alerts: 0, matches: 0 };
      attacker.alerts += 1;
      attacker.matches += alert.count;
      this.attackers.set(ip, attacker);
    }
    // One target of each kind per alert: the host when the rule named one, else the address hit.
    bump(this.hosts, alert.entities['host.name'] || alert.entities['destination.ip']);
    bump(this.users, alert.entities['user.name'] || alert.entities['user.target.name']);
    for (const tactic of tacticsOf(alert.tags)) bump(this.tactics, tactic);
  }
}

async function previousWeek(cases: CaseStore, previous: { readonly from: string; readonly to: string }): Promise<{ total: number; bySeverity: Record<Severity, number> }> {
  const bySeverity = zeroCounts();
  let total = 0;
  await forEachRecord(cases.alerts, { filter: within('firstSeen', previous), sort: 'firstSeen' }, (alert) => {
    total += 1;
    bySeverity[alert.severity] += 1;
  });
  return { total, bySeverity };
}

/** The alert figures of the period, compared with `previous` (the week before). */
export async function gatherAlertFigures(cases: CaseStore, period: ReportPeriod, previous: { readonly from: string; readonly to: string }): Promise<AlertFigures> {
  const week = new WeekTally(period);
  const [, before] = await Promise.all([
    forEachRecord(cases.alerts, { filter: within('firstSeen', period), sort: 'firstSeen' }, (alert) => week.add(alert)),
    previousWeek(cases, previous),
  ]);
  return {
    alerts: {
      total: week.total,
      previousTotal: before.total,
      changePercent: before.total === 0 ? null : round1(((week.total - before.total) / before.total) * 100),
      bySeverity: week.bySeverity,
      previousBySeverity: before.bySeverity,
      byDay: [...week.byDay].map(([date, counts]) => ({ date, counts })),
    },
    topRules: topOf(week.rules.values(), (a, b) => b.alerts - a.alerts || b.matches - a.matches || byText(a.ruleId, b.ruleId)),
    attackers: topOf(week.attackers.values(), (a, b) => b.alerts - a.alerts || b.matches - a.matches || byText(a.ip, b.ip)),
    topTargetHosts: rankCounts(week.hosts),
    topTargetUsers: rankCounts(week.users),
    tactics: rankCounts(week.tactics, Number.POSITIVE_INFINITY).map(({ name, alerts }) => ({ tactic: name, alerts })),
  };
}
