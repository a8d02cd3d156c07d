/**
 * The report's sections, one function each, in reading order: summary, alerts, detections,
 * attackers and targets, response, incidents, notable incidents, ingest health, and the notes on
 * how the figures are counted. Each returns pdfmake content and handles an empty week itself.
 */
import type { Content, ContentNode } from 'pdfmake';
import type { ResponseActionFigure, SourceFigure, WeeklyFigures } from '../../core/reports/types.js';
import { alertsPerDayChart, severityComparisonChart, tacticsChart, topRulesChart } from './charts.js';
import { INK, MAX_TABLE_ROWS, badge, cell, chart, emptyNote, section, table, tiles, type Tile } from './blocks.js';
import {
  DASH,
  SEVERITY_COLOR,
  SEVERITY_ORDER,
  compact,
  count,
  integer,
  minutes,
  nonNegative,
  percent,
  plain,
  breakable,
  rate,
  seconds,
  severityLabel,
  shortDateTime,
  statusLabel,
  verdictLabel,
} from './format.js';

/** A parse-failure rate above this is flagged in the ingest table. */
const FAILURE_RATE_FLAG = 0.05;

/** Timeline entries printed per notable incident. */
const TIMELINE_ENTRIES = 6;

/** Notable incidents printed. */
const NOTABLE_INCIDENTS = 5;

/** The change from last week as a remark: "+12.4 % on last week", red when up, green when down. */
function change(now: number, before: number): { readonly text: string; readonly color?: string } {
  if (before === 0) return now === 0 ? { text: DASH } : { text: 'none last week', color: INK.bad };
  const value = Math.round(((now - before) / before) * 1000) / 10;
  if (value === 0) return { text: 'same as last week' };
  return { text: `${value > 0 ? '+' : '−'}${percent(Math.abs(value))} on last week`, color: value > 0 ? INK.bad : INK.good };
}

/** Two blocks side by side, kept on one page when both fit on one. */
function sideBySide(left: ContentNode, right: ContentNode): ContentNode {
  return { columns: [{ stack: [left], width: '*' }, { stack: [right], width: '*' }], columnGap: 20, unbreakable: left.unbreakable === true && right.unbreakable === true };
}

/** The summary sentences and the week's key figures. */
export function summarySection(figures: WeeklyFigures, sentences: readonly string[]): Content[] {
  const total = nonNegative(figures.alerts.total);
  const trend = change(total, nonNegative(figures.alerts.previousTotal));
  const severe = nonNegative(figures.alerts.bySeverity.critical) + nonNegative(figures.alerts.bySeverity.high);
  const active = figures.response.blocked.filter((b) => b.status === 'active').length;
  const events = nonNegative(figures.ingest.events);
  const items: Tile[] = [
    { label: 'Alerts', value: compact(total), note: trend.text === DASH ? 'none last week either' : trend.text, ...(trend.color ? { noteColor: trend.color } : {}) },
    { label: 'Critical and high', value: integer(severe), note: `${integer(nonNegative(figures.alerts.bySeverity.critical))} critical` },
    { label: 'Incidents opened', value: integer(nonNegative(figures.incidents.opened)), note: `${integer(nonNegative(figures.incidents.closed))} closed` },
    { label: 'Addresses blocked', value: integer(figures.response.blocked.length), note: `${integer(active)} still in force` },
    { label: 'MTTA', value: minutes(figures.responseTimes.mttaMinutes), note: `MTTR ${minutes(figures.responseTimes.mttrMinutes)}` },
    { label: 'Events stored', value: compact(events), note: events === 0 ? 'nothing received' : `${rate(nonNegative(figures.ingest.parseFailures) / events)} unparsed` },
  ];
  return section('Executive summary', [{ ul: sentences.map((sentence) => ({ text: sentence, margin: [0, 0, 0, 4] })), style: 'summary' }, tiles(items)]);
}

/** Alerts per day and per severity against last week. */
export function alertsSection(figures: WeeklyFigures, warnings: string[]): Content[] {
  const rows = SEVERITY_ORDER.map((severity) => {
    const now = nonNegative(figures.alerts.bySeverity[severity]);
    const before = nonNegative(figures.alerts.previousBySeverity[severity]);
    const delta = change(now, before);
    return [badge(severityLabel(severity), SEVERITY_COLOR[severity]), integer(now), integer(before), cell(delta.text, delta.color ? { color: delta.color } : {})];
  });
  const total = nonNegative(figures.alerts.total);
  const previous = nonNegative(figures.alerts.previousTotal);
  const totalChange = change(total, previous);
  rows.push([{ text: 'All', bold: true }, { text: integer(total), bold: true }, { text: integer(previous), bold: true }, cell(totalChange.text, { bold: true, ...(totalChange.color ? { color: totalChange.color } : {}) })]);
  const comparison = severityComparisonChart(figures);
  return section('Alerts', [
    chart('Alerts per day, by severity', alertsPerDayChart(figures), 'No alerts were raised this week.', warnings),
    chart('Alerts by severity: last week (grey) and this week', comparison, 'No alerts were raised this week or the week before.', warnings),
    // With no alerts in either week the chart's sentence says it all; a table of zeros adds nothing.
    ...(comparison === undefined
      ? []
      : [
          table(
            [
              { header: 'Severity', width: '*' },
              { header: 'This week', width: 80, align: 'right' },
              { header: 'Last week', width: 80, align: 'right' },
              { header: 'Change', width: 140, align: 'right' },
            ],
            rows,
          ),
        ]),
  ]);
}

/** The rules that fired most and the ATT&CK tactics of the week. */
export function detectionsSection(figures: WeeklyFigures, warnings: string[]): Content[] {
  return section('Detections', [
    chart('Top rules by alerts', topRulesChart(figures), 'No rule fired this week.', warnings),
    table(
      [
        { header: '#', width: 14, align: 'right' },
        { header: 'Rule', width: '*' },
        { header: 'Severity', width: 56 },
        { header: 'Alerts', width: 50, align: 'right' },
        { header: 'Matches', width: 60, align: 'right' },
      ],
      figures.topRules.map((rule, i) => [
        String(i + 1),
        { stack: [cell(rule.ruleTitle, { max: 160 }), { text: breakable(rule.ruleId, 80), style: 'small' }] },
        badge(severityLabel(rule.severity), SEVERITY_COLOR[rule.severity] ?? INK.muted),
        integer(nonNegative(rule.alerts)),
        integer(nonNegative(rule.matches)),
      ]),
    ),
    chart('MITRE ATT&CK tactics', tacticsChart(figures), 'No alert of the week named an ATT&CK tactic.', warnings),
  ]);
}

/** Where the attacks came from and what they aimed at. */
export function attackersSection(figures: WeeklyFigures): Content[] {
  const attackers = table(
    [
      { header: 'Address', width: 92 },
      { header: 'Country', width: 80 },
      { header: 'Network', width: '*' },
      { header: 'Alerts', width: 40, align: 'right' },
      { header: 'Matches', width: 48, align: 'right' },
      { header: 'Blocked', width: 42 },
    ],
    figures.topAttackers.map((a) => [
      cell(a.ip, { max: 45 }),
      cell(a.country ? `${plain(a.country, 4)}${a.countryName ? ` ${plain(a.countryName, 40)}` : ''}` : DASH),
      cell(a.asn !== undefined ? `AS${plain(a.asn, 12)}${a.asOrganization ? ` ${plain(a.asOrganization, 60)}` : ''}` : DASH),
      integer(nonNegative(a.alerts)),
      integer(nonNegative(a.matches)),
      a.blocked ? badge('Yes', INK.good) : cell('No', { color: INK.muted }),
    ]),
    { title: 'Top attacking addresses', empty: 'No alert of the week had a source address.' },
  );
  const targets = (rows: readonly { readonly name: string; readonly alerts: number }[], title: string, header: string, empty: string): ContentNode =>
    table(
      [
        { header, width: '*' },
        { header: 'Alerts', width: 44, align: 'right' },
      ],
      rows.map((row) => [cell(row.name, { max: 60 }), integer(nonNegative(row.alerts))]),
      { title, empty },
    );
  return section('Attackers and targets', [
    attackers,
    sideBySide(
      targets(figures.topTargetHosts, 'Most targeted hosts', 'Host', 'No host was named in an alert.'),
      targets(figures.topTargetUsers, 'Most targeted users', 'User', 'No user was named in an alert.'),
    ),
  ]);
}

function actionStatus(action: ResponseActionFigure, timeZone: string): ContentNode {
  switch (action.status) {
    case 'active':
      return cell(action.ttlLeftSeconds !== undefined ? `Active, ${seconds(action.ttlLeftSeconds)} left` : action.expiresAt ? 'Active' : 'Active, no expiry', { color: INK.good });
    case 'expired':
      return cell('Expired', { color: INK.muted });
    case 'released':
      return cell(`Released${action.releasedBy ? ` by ${plain(action.releasedBy, 40)}` : ''}${action.releasedAt ? `, ${shortDateTime(action.releasedAt, timeZone)}` : ''}`, { max: 90 });
    case 'failed':
      return cell('Failed', { color: INK.bad, bold: true });
    default:
      return cell(statusLabel(String(action.status)));
  }
}

function actionsTable(actions: readonly ResponseActionFigure[], title: string, target: string, timeZone: string, empty: string): ContentNode {
  return table(
    [
      { header: target, width: '*' },
      { header: 'Driver', width: 70 },
      { header: 'Created', width: 82 },
      { header: 'Expires', width: 82 },
      { header: 'Status', width: 110 },
    ],
    actions.map((action) => [
      cell(action.target, { max: 60 }),
      cell(action.driver, { max: 30 }),
      shortDateTime(action.createdAt, timeZone),
      action.expiresAt ? shortDateTime(action.expiresAt, timeZone) : DASH,
      actionStatus(action, timeZone),
    ]),
    { title, empty },
  );
}

/** What the playbooks did: blocks, disabled accounts, and how the runs ended. */
export function responseSection(figures: WeeklyFigures): Content[] {
  const tz = figures.period.timeZone;
  const runs = figures.response.runs;
  const runRows = [
    ['Succeeded', runs.succeeded],
    ['Failed', runs.failed],
    ['Awaiting approval', runs.pendingApproval],
    ['Rejected', runs.rejected],
    ['Other (running, cancelled)', runs.other],
  ] as const;
  const runsTable =
    nonNegative(runs.total) === 0
      ? table([], [], { title: 'Playbook runs', empty: 'No playbook ran this week.' })
      : table(
          [
            { header: `Outcome of ${count(nonNegative(runs.total), 'run')}`, width: '*' },
            { header: 'Runs', width: 44, align: 'right' },
          ],
          runRows.map(([label, value]) => [label, integer(nonNegative(value))]),
          { title: 'Playbook runs' },
        );
  return section('Response', [
    actionsTable(figures.response.blocked, 'Blocked addresses', 'Address', tz, 'No address was blocked this week.'),
    actionsTable(figures.response.disabledAccounts, 'Disabled accounts', 'Account', tz, 'No account was disabled this week.'),
    sideBySide(runsTable, { text: '', unbreakable: true }),
  ]);
}

/** A row label that belongs to the row above it (verdicts under "closed"). */
function indented(text: string): ContentNode {
  return { text, margin: [10, 0, 0, 0], color: INK.muted };
}

/** Incidents opened and closed, verdicts, and response times against the SLA. */
export function incidentsSection(figures: WeeklyFigures): Content[] {
  const { incidents, responseTimes: times } = figures;
  const verdicts = table(
    [
      { header: 'Incidents', width: '*' },
      { header: 'Count', width: 50, align: 'right' },
    ],
    [
      ['Opened this week', integer(nonNegative(incidents.opened))],
      ['Closed this week', integer(nonNegative(incidents.closed))],
      [indented('True positive'), integer(nonNegative(incidents.byVerdict.true_positive))],
      [indented('False positive'), integer(nonNegative(incidents.byVerdict.false_positive))],
      [indented('Benign'), integer(nonNegative(incidents.byVerdict.benign))],
      [indented('No verdict'), integer(nonNegative(incidents.noVerdict))],
      ['Open at the week’s end', integer(nonNegative(incidents.openAtEnd))],
    ],
  );
  const breach = (n: number): ContentNode => cell(integer(nonNegative(n)), { align: 'right', ...(nonNegative(n) > 0 ? { color: INK.bad, bold: true } : {}) });
  const responseTable = table(
    [
      { header: 'Response times (incidents of the week)', width: '*' },
      { header: 'Value', width: 70, align: 'right' },
    ],
    [
      ['Incidents created', integer(nonNegative(times.incidents))],
      ['Acknowledged', integer(nonNegative(times.acknowledged))],
      ['Resolved', integer(nonNegative(times.resolved))],
      ['Mean time to acknowledge (MTTA)', minutes(times.mttaMinutes)],
      ['Mean time to resolve (MTTR)', minutes(times.mttrMinutes)],
      ['Acknowledge SLA breaches', breach(times.acknowledgeBreaches)],
      ['Resolve SLA breaches', breach(times.resolveBreaches)],
    ],
  );
  return section('Incidents and response times', [sideBySide(verdicts, responseTable)]);
}

/** The week's most serious incidents, each with its short timeline. */
export function notableSection(figures: WeeklyFigures): Content[] {
  const tz = figures.period.timeZone;
  const incidents = figures.notableIncidents.slice(0, NOTABLE_INCIDENTS);
  if (incidents.length === 0) return section('Notable incidents', [{ ...emptyNote('No incident was opened this week.'), unbreakable: true }]);
  return section(
    'Notable incidents',
    incidents.map(
      (incident): ContentNode => ({
        stack: [
          { text: [{ text: `${plain(incident.id, 40)}  `, color: INK.muted }, { text: plain(incident.title, 140), bold: true }], style: 'incidentTitle' },
          {
            text: [
              { text: severityLabel(incident.severity), color: SEVERITY_COLOR[incident.severity] ?? INK.muted, bold: true },
              ` · ${statusLabel(incident.status)} · ${verdictLabel(incident.verdict)} · ${count(nonNegative(incident.alerts), 'alert')} · opened ${shortDateTime(incident.createdAt, tz)}`,
              incident.closedAt ? ` · closed ${shortDateTime(incident.closedAt, tz)}` : '',
            ],
            style: 'small',
            margin: [0, 0, 0, 3],
          },
          table(
            [
              { header: 'When', width: 82 },
              { header: 'Who', width: 90 },
              { header: 'What', width: '*' },
            ],
            incident.timeline.slice(0, TIMELINE_ENTRIES).map((entry) => [shortDateTime(entry.at, tz), cell(entry.actor, { max: 40 }), cell(entry.text, { max: 200 })]),
            { empty: 'Nothing was recorded on this incident.', max: TIMELINE_ENTRIES },
          ),
        ],
        // Safe to keep together: a title, a line and at most six short rows.
        unbreakable: true,
        margin: [0, 0, 0, 10],
      }),
    ),
  );
}

function sourceStatus(source: SourceFigure): ContentNode {
  if (source.silent) return badge('Silent', INK.bad);
  if (nonNegative(source.dropped) > 0) return badge('Drops', INK.warn);
  if (nonNegative(source.parseFailureRate) > FAILURE_RATE_FLAG) return badge('Parse failures', INK.warn);
  return cell('OK', { color: INK.good });
}

/** Per-source events, parse failures, drops and silence: can the week's figures be trusted? */
export function ingestSection(figures: WeeklyFigures): Content[] {
  const tz = figures.period.timeZone;
  const { sources, events, parseFailures, dropped } = figures.ingest;
  const shown = sources.slice(0, MAX_TABLE_ROWS);
  const rows: Content[][] = shown.map((source) => [
    cell(source.source, { max: 50 }),
    integer(nonNegative(source.events)),
    integer(nonNegative(source.parseFailures)),
    nonNegative(source.events) === 0 ? DASH : cell(rate(nonNegative(source.parseFailureRate)), nonNegative(source.parseFailureRate) > FAILURE_RATE_FLAG ? { color: INK.warn, bold: true } : {}),
    cell(integer(nonNegative(source.dropped)), nonNegative(source.dropped) > 0 ? { color: INK.warn, bold: true } : {}),
    source.lastEventAt ? shortDateTime(source.lastEventAt, tz) : 'never',
    sourceStatus(source),
  ]);
  if (rows.length > 0) {
    const total = nonNegative(events);
    rows.push([
      { text: 'All sources', bold: true },
      { text: integer(total), bold: true },
      { text: integer(nonNegative(parseFailures)), bold: true },
      { text: total === 0 ? DASH : rate(nonNegative(parseFailures) / total), bold: true },
      { text: integer(nonNegative(dropped)), bold: true },
      '',
      '',
    ]);
  }
  return section('Ingest health', [
    table(
      [
        { header: 'Source', width: '*' },
        { header: 'Events', width: 62, align: 'right' },
        { header: 'Unparsed', width: 50, align: 'right' },
        { header: 'Rate', width: 40, align: 'right' },
        { header: 'Dropped', width: 46, align: 'right' },
        { header: 'Last event', width: 78 },
        { header: 'Status', width: 62 },
      ],
      rows,
      // The totals row comes on top of the capped sources.
      { empty: 'No log source is configured.', max: rows.length },
    ),
    ...(sources.length > shown.length ? [emptyNote(`${sources.length - shown.length} more sources not shown; the totals include them.`)] : []),
  ]);
}

/** How each figure is counted, and whose data the addresses were located with. */
export function appendixSection(figures: WeeklyFigures, attribution: string | undefined): Content[] {
  const notes = [
    `Times are in ${plain(figures.period.timeZone, 60)}. The week runs from Monday 00:00 to the next Monday 00:00 local time.`,
    'An alert belongs to the week in which it was first seen; repeats of an alert raise its matches, not its count.',
    'An incident counts as opened (closed) in the week of its creation (closing); verdicts are those of the incidents closed in the week.',
    'MTTA and MTTR are means over the incidents created in the week, as of the report’s generation; SLA breaches count clocks that ran past their target.',
    'Blocks and disabled accounts are those created in the week, with their state at generation time.',
    `A source is marked silent when it sent nothing for 24 hours or more before the week’s end; parse-failure rates above ${percent(FAILURE_RATE_FLAG * 100)} are flagged.`,
    'Top lists show at most ten entries. ATT&CK tactics are read from the attack.* tags of the rules that raised the week’s alerts.',
  ];
  return section('About this report', [
    { ul: notes, style: 'small', unbreakable: true },
    ...(attribution ? [{ text: plain(attribution, 300), style: 'small', margin: [0, 8, 0, 0] } satisfies ContentNode] : []),
  ]);
}
