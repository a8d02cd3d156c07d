/**
 * The executive summary: the week in a few plain sentences, written from the figures alone so a
 * manager who reads nothing else still learns the volume, the trend, what was done and whether the
 * pipeline can be trusted. Every sentence handles zero, one and "no week before" on its own terms;
 * none prints "NaN" or "1 alerts".
 */
import type { WeeklyFigures } from '../../core/reports/types.js';
import { count, integer, list, minutes, nonNegative, percent, plain, rate } from './format.js';

/** How many silent sources are named before "and N more". */
const NAMED_SOURCES = 3;

/** The week's figures as plain sentences, most important first. */
export function executiveSummary(figures: WeeklyFigures): string[] {
  return [alertsSentence(figures), detectionSentence(figures), incidentsSentence(figures), responseTimesSentence(figures), actionsSentence(figures), ingestSentence(figures)].filter(
    (sentence): sentence is string => sentence !== undefined,
  );
}

/** The change against the previous week, recomputed when the figure is missing but the week had alerts. */
function changePercent(total: number, previous: number, given: number | null | undefined): number | null {
  if (typeof given === 'number' && Number.isFinite(given)) return given;
  if (previous <= 0) return null;
  return Math.round(((total - previous) / previous) * 1000) / 10;
}

function alertsSentence(figures: WeeklyFigures): string {
  const total = nonNegative(figures.alerts.total);
  const previous = nonNegative(figures.alerts.previousTotal);
  if (total === 0) {
    return previous === 0
      ? 'Watchpost raised no alerts this week, and none the week before.'
      : `Watchpost raised no alerts this week, down from ${integer(previous)} the week before.`;
  }
  const change = changePercent(total, previous, figures.alerts.changePercent);
  let trend: string;
  if (change === null) trend = ' (none the week before)';
  else if (change === 0) trend = ', as many as the week before';
  else trend = `, ${percent(Math.abs(change))} ${change > 0 ? 'more' : 'fewer'} than the week before`;
  return `Watchpost raised ${count(total, 'alert')} this week${trend}; ${severityClause(nonNegative(figures.alerts.bySeverity.critical), nonNegative(figures.alerts.bySeverity.high))}.`;
}

function severityClause(critical: number, high: number): string {
  const verb = (n: number): string => (n === 1 ? 'was' : 'were');
  if (critical > 0 && high > 0) return `${integer(critical)} ${verb(critical)} critical and ${integer(high)} high`;
  if (critical > 0) return `${integer(critical)} ${verb(critical)} critical and none high`;
  if (high > 0) return `none was critical and ${integer(high)} ${verb(high)} high`;
  return 'none was critical or high';
}

function detectionSentence(figures: WeeklyFigures): string | undefined {
  const rule = figures.topRules[0];
  const attacker = figures.topAttackers[0];
  const parts: string[] = [];
  if (rule) parts.push(`The most frequent detection was “${plain(rule.ruleTitle, 80)}” with ${count(nonNegative(rule.alerts), 'alert')}`);
  if (attacker) {
    const where = [attacker.country ? plain(attacker.country, 4) : undefined, attacker.asn !== undefined ? `AS${integer(attacker.asn).replace(/,/g, '')}` : undefined]
      .filter((part) => part !== undefined)
      .join(', ');
    const blocked = figures.topAttackers.filter((a) => a.blocked).length;
    const clause = `the busiest attacking address was ${plain(attacker.ip, 45)}${where ? ` (${where})` : ''} with ${count(nonNegative(attacker.alerts), 'alert')}; ${integer(blocked)} of the top ${count(figures.topAttackers.length, 'address', 'addresses')} ${blocked === 1 ? 'was' : 'were'} blocked`;
    parts.push(parts.length > 0 ? clause : clause.charAt(0).toUpperCase() + clause.slice(1));
  }
  return parts.length > 0 ? `${parts.join(', and ')}.` : undefined;
}

function incidentsSentence(figures: WeeklyFigures): string {
  const { opened, closed, byVerdict, noVerdict, openAtEnd } = figures.incidents;
  const open = nonNegative(openAtEnd);
  const openClause = open === 0 ? 'none was open at the week’s end' : `${integer(open)} ${open === 1 ? 'was' : 'were'} open at the week’s end`;
  if (nonNegative(opened) === 0 && nonNegative(closed) === 0) return `No incidents were opened or closed this week; ${openClause}.`;
  const verdicts = [
    [nonNegative(byVerdict.true_positive), 'true positive', 'true positives'],
    [nonNegative(byVerdict.false_positive), 'false positive', 'false positives'],
    [nonNegative(byVerdict.benign), 'benign', 'benign'],
    [nonNegative(noVerdict), 'without a verdict', 'without a verdict'],
  ] as const;
  const listed = verdicts.filter(([n]) => n > 0).map(([n, one, many]) => `${integer(n)} ${n === 1 ? one : many}`);
  const closedText = nonNegative(closed) === 0 ? 'none closed' : `${integer(nonNegative(closed))} closed${listed.length > 0 ? ` (${list(listed)})` : ''}`;
  return `${count(nonNegative(opened), 'incident was', 'incidents were')} opened and ${closedText}; ${openClause}.`;
}

function responseTimesSentence(figures: WeeklyFigures): string | undefined {
  const times = figures.responseTimes;
  if (nonNegative(times.incidents) === 0) return undefined;
  const breaches = (): string => {
    const ack = nonNegative(times.acknowledgeBreaches);
    const resolve = nonNegative(times.resolveBreaches);
    if (ack === 0 && resolve === 0) return 'no SLA target was missed';
    const parts: string[] = [];
    if (ack > 0) parts.push(`${count(ack, 'incident')} missed the acknowledge target`);
    if (resolve > 0) parts.push(`${count(resolve, 'incident')} the resolve target`);
    return parts.join(' and ');
  };
  if (times.mttaMinutes === null || !Number.isFinite(times.mttaMinutes)) {
    return `None of this week’s ${count(nonNegative(times.incidents), 'incident')} has been acknowledged yet; ${breaches()}.`;
  }
  const resolved = times.mttrMinutes === null || !Number.isFinite(times.mttrMinutes) ? 'none has been resolved yet' : `resolved in ${minutes(times.mttrMinutes)}`;
  return `On average, incidents were acknowledged in ${minutes(times.mttaMinutes)} and ${resolved}; ${breaches()}.`;
}

function actionsSentence(figures: WeeklyFigures): string {
  const blocks = figures.response.blocked;
  const accounts = figures.response.disabledAccounts;
  const runs = figures.response.runs;
  const active = blocks.filter((b) => b.status === 'active').length;
  let sentence: string;
  if (blocks.length === 0 && accounts.length === 0) sentence = 'No address was blocked and no account disabled';
  else {
    sentence = `Playbooks blocked ${count(blocks.length, 'address', 'addresses')} and disabled ${count(accounts.length, 'account')}`;
    if (blocks.length > 0) sentence += `; ${integer(active)} ${active === 1 ? 'block is' : 'blocks are'} still in force`;
  }
  const total = nonNegative(runs.total);
  if (total > 0) {
    const outcomes = [
      [nonNegative(runs.succeeded), 'succeeded'],
      [nonNegative(runs.failed), 'failed'],
      [nonNegative(runs.pendingApproval), runs.pendingApproval === 1 ? 'awaits approval' : 'await approval'],
      [nonNegative(runs.rejected), 'were rejected'],
    ] as const;
    const listed = outcomes.filter(([n]) => n > 0).map(([n, text]) => `${integer(n)} ${text === 'were rejected' && n === 1 ? 'was rejected' : text}`);
    sentence += `. Of ${count(total, 'playbook run')}, ${listed.length > 0 ? list(listed) : 'none has finished'}`;
  }
  return `${sentence}.`;
}

function ingestSentence(figures: WeeklyFigures): string {
  const { sources, events, parseFailures, dropped } = figures.ingest;
  const silent = sources.filter((s) => s.silent).map((s) => plain(s.source, 40));
  const silentText =
    silent.length === 0
      ? ''
      : ` ${silent.length === 1 ? 'One source was' : `${integer(silent.length)} sources were`} silent: ${list(silent.length > NAMED_SOURCES ? [...silent.slice(0, NAMED_SOURCES), `${integer(silent.length - NAMED_SOURCES)} more`] : silent)}.`;
  const total = nonNegative(events);
  if (total === 0) return `No events were received this week.${silentText}`;
  const failed = nonNegative(parseFailures);
  const lost = nonNegative(dropped);
  const failures = failed === 0 ? 'every one was parsed' : `${rate(failed / total)} could not be parsed`;
  const drops = lost === 0 ? 'none was dropped' : `${count(lost, 'record was', 'records were')} dropped`;
  return `Watchpost stored ${count(total, 'event')} from ${count(sources.length, 'source')}; ${failures} and ${drops}.${silentText}`;
}
