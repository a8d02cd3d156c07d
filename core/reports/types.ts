/**
 * The weekly threat report: the figures gathered from the stores (reports/figures), the records
 * kept of each generated report and its PDF (the case store's `reports` and `reportFiles`), the
 * hourly ingest counters the report reads drops and silence from (`sourceStats`), and the
 * operations the API offers on reports.
 */
import type { IncidentStatus, Severity, Verdict } from '../cases/types.js';

/** An ISO 8601 week, `2026-W47`. */
export type IsoWeek = string;

/** `YYYY-Www`, weeks 01 to 53. */
export const ISO_WEEK_PATTERN = '^[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3])$';

/** Counts per severity, every severity present. */
export type SeverityCounts = Readonly<Record<Severity, number>>;

/** The report's period: a Monday-to-Monday week in the report's time zone. */
export interface ReportPeriod {
  readonly week: IsoWeek;
  readonly timeZone: string;
  /** Monday 00:00 in the time zone, as an instant (ISO, UTC). */
  readonly from: string;
  /** The next Monday 00:00 (exclusive). */
  readonly to: string;
}

/** One attacking address: the source of the week's alerts. */
export interface AttackerFigure {
  readonly ip: string;
  /** Alerts of the week whose `entities['source.ip']` is this address. */
  readonly alerts: number;
  /** The sum of those alerts' `count` (the matches they stand for). */
  readonly matches: number;
  /** ISO 3166 alpha-2, when known. */
  readonly country?: string;
  readonly countryName?: string;
  readonly asn?: number;
  readonly asOrganization?: string;
  /** Blocked on at least one enforcement point by a block created in the week. */
  readonly blocked: boolean;
}

/** A block or disabled account created in the week, with where its TTL stands at generation time. */
export interface ResponseActionFigure {
  readonly target: string;
  readonly driver: string;
  readonly createdAt: string;
  readonly expiresAt?: string;
  /** `active` (in force, TTL running), `expired` (released by its expiry or reconciliation), `released` (by a person), `failed` (the device refused). */
  readonly status: 'active' | 'expired' | 'released' | 'failed';
  readonly releasedAt?: string;
  readonly releasedBy?: string;
  /** Seconds of TTL left at generation time (active blocks with an expiry). */
  readonly ttlLeftSeconds?: number;
}

/** One log source's week. */
export interface SourceFigure {
  /** The source id (`watchpost.input.id`). */
  readonly source: string;
  /** Events stored in the week. */
  readonly events: number;
  /** Of which not understood by any parser (tagged `_watchpost_parse_failure`). */
  readonly parseFailures: number;
  /** parseFailures / events, 0 when there were no events. */
  readonly parseFailureRate: number;
  /** Records dropped (UDP kernel and application drops, refusals), from `sourceStats`. */
  readonly dropped: number;
  /** The newest event's `@timestamp` in the week, when any. */
  readonly lastEventAt?: string;
  /** Configured but sent nothing for 24 h or more before the week's end (or nothing all week). */
  readonly silent: boolean;
}

/** A notable incident with its short timeline. */
export interface NotableIncidentFigure {
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  readonly status: IncidentStatus;
  readonly verdict?: Verdict;
  readonly createdAt: string;
  readonly closedAt?: string;
  readonly alerts: number;
  /** Up to 6 entries, oldest first: status changes, actions, links, comments (first line). */
  readonly timeline: readonly { readonly at: string; readonly actor: string; readonly text: string }[];
}

/**
 * Every figure of one weekly report. Exact definitions (the tests check them by hand):
 * - an alert belongs to the week when its `firstSeen` is in [from, to); the previous week likewise;
 * - an incident was opened in the week when its `createdAt` is in it, closed when its `closedAt`
 *   (or `resolvedAt`) is; verdicts count the incidents closed in the week;
 * - MTTA/MTTR and SLA breaches are core/cases/sla.ts's `responseFigures` over the incidents
 *   created in the week, as of generation time;
 * - blocks and disabled accounts are the block records created in the week;
 * - ingest figures are events whose `@timestamp` is in the week.
 */
export interface WeeklyFigures {
  readonly period: ReportPeriod;
  readonly previous: { readonly from: string; readonly to: string };
  readonly organization: string;
  readonly generatedAt: string;
  readonly alerts: {
    readonly total: number;
    readonly previousTotal: number;
    /** (total − previousTotal) / previousTotal × 100, rounded to one decimal; null when the previous week had none. */
    readonly changePercent: number | null;
    readonly bySeverity: SeverityCounts;
    readonly previousBySeverity: SeverityCounts;
    /** Seven entries, Monday first, by the local date (in the report's time zone) of `firstSeen`. */
    readonly byDay: readonly { readonly date: string; readonly counts: SeverityCounts }[];
  };
  /** Up to 10, most alerts first (ties: most matches, then rule id). */
  readonly topRules: readonly { readonly ruleId: string; readonly ruleTitle: string; readonly severity: Severity; readonly alerts: number; readonly matches: number }[];
  /** Up to 10, most alerts first (ties: most matches, then address). */
  readonly topAttackers: readonly AttackerFigure[];
  /** Up to 10 each, from `entities['host.name']` / `entities['destination.ip']` and `entities['user.name']` (or `user.target.name`), most alerts first. */
  readonly topTargetHosts: readonly { readonly name: string; readonly alerts: number }[];
  readonly topTargetUsers: readonly { readonly name: string; readonly alerts: number }[];
  readonly response: {
    readonly blocked: readonly ResponseActionFigure[];
    readonly disabledAccounts: readonly ResponseActionFigure[];
    /** Playbook runs created in the week, by final status. */
    readonly runs: { readonly total: number; readonly succeeded: number; readonly failed: number; readonly pendingApproval: number; readonly rejected: number; readonly other: number };
  };
  readonly incidents: {
    readonly opened: number;
    readonly closed: number;
    readonly byVerdict: Readonly<Record<Verdict, number>>;
    /** Closed without a verdict. */
    readonly noVerdict: number;
    /** Open (not resolved or closed) at the week's end, of every age. */
    readonly openAtEnd: number;
  };
  readonly responseTimes: {
    readonly incidents: number;
    readonly acknowledged: number;
    readonly resolved: number;
    /** Minutes, one decimal; null when none was acknowledged (resolved). */
    readonly mttaMinutes: number | null;
    readonly mttrMinutes: number | null;
    readonly acknowledgeBreaches: number;
    readonly resolveBreaches: number;
  };
  readonly ingest: {
    readonly sources: readonly SourceFigure[];
    readonly events: number;
    readonly parseFailures: number;
    readonly dropped: number;
  };
  /** ATT&CK tactics of the week's alerts (tags `attack.<tactic>`), most alerts first. */
  readonly tactics: readonly { readonly tactic: string; readonly alerts: number }[];
  /** Up to 5 incidents of the week: highest severity first, then most alerts, then oldest. */
  readonly notableIncidents: readonly NotableIncidentFigure[];
}

/** A generated report, kept so it can be downloaded later (the case store's `reports`). */
export interface ReportRecord {
  /** `weekly.<week>` — one per week: generating a week again replaces it. */
  readonly id: string;
  readonly kind: 'weekly';
  readonly period: ReportPeriod;
  /** `schedule`, or the user or `cli` that asked for it. */
  readonly requestedBy: string;
  readonly status: 'ready' | 'failed';
  readonly error?: string;
  readonly pages?: number;
  readonly sizeBytes?: number;
  readonly sha256?: string;
  /** Headline figures for the list: alerts, incidents opened, blocks. */
  readonly summary?: { readonly alerts: number; readonly incidentsOpened: number; readonly blocked: number };
  /** Recipients the mail was accepted for, and when; or why it was not sent. */
  readonly mail?: { readonly sentAt?: string; readonly accepted?: readonly string[]; readonly rejected?: readonly string[]; readonly error?: string };
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The PDF of a report (`reportFiles`, same id as its record), base64. */
export interface ReportFile {
  readonly id: string;
  readonly contentType: 'application/pdf';
  readonly base64: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Largest PDF kept, bytes. */
export const MAX_REPORT_BYTES = 20 * 1024 * 1024;

/**
 * One ingest process's counters for one source over one hour (`sourceStats`), written by the
 * ingest role as the hour goes on (replaced each minute), so the report can sum drops and see
 * silence across restarts and processes. id: `<source>.<hourStart>.<instance>`.
 */
export interface SourceStat {
  readonly id: string;
  readonly source: string;
  readonly instance: string;
  /** The hour's start, ISO. */
  readonly startsAt: string;
  readonly received: number;
  readonly parsed: number;
  readonly failed: number;
  readonly dropped: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The report operations the API offers (composed by cli/, so api/ needs no reports/ import). */
export interface ReportOperations {
  /** Newest first. */
  list(): Promise<readonly ReportRecord[]>;
  get(id: string): Promise<ReportRecord | undefined>;
  /** The PDF, or undefined when the report has none. */
  file(id: string): Promise<Buffer | undefined>;
  /**
   * Queues the generation of a week (the last full week when absent) and returns the report id
   * and the job id; the worker generates it (and mails it when `mail` is true).
   */
  request(input: { readonly week?: IsoWeek; readonly mail: boolean; readonly requestedBy: string }): Promise<{ readonly id: string; readonly jobId: string; readonly week: IsoWeek }>;
}

/** The queue name of report generation. Payload: {@link ReportJob}. */
export const WEEKLY_REPORT_JOB = 'weekly-report';

/** The payload of a `weekly-report` job. */
export interface ReportJob {
  readonly week: IsoWeek;
  /** Mail it to the configured recipients when generated. */
  readonly mail: boolean;
  readonly requestedBy: string;
}

/** The record id of a week's report. */
export function reportId(week: IsoWeek): string {
  return `weekly.${week}`;
}

/**
 * The job id of the scheduled generation of a week: one per week whatever the number of workers
 * (the queue adds an id once). A generation asked for by hand gets `<id>.<suffix>` so it runs even
 * after the scheduled one.
 */
export function reportJobId(week: IsoWeek, suffix?: string): string {
  return suffix === undefined ? `weekly-report.${week}` : `weekly-report.${week}.${suffix}`;
}
