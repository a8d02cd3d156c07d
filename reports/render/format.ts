/**
 * How the report writes numbers, durations, dates and untrusted names. Every figure passes through
 * here, so a missing or non-finite value prints as a dash instead of "NaN", and every name that
 * came from outside (rule titles, user and host names, the organisation) is made plain text of a
 * bounded length before it reaches the PDF.
 */
import type { Severity, Verdict } from '../../core/cases/types.js';

const INTEGER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const ONE_DECIMAL = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** What the report prints where a figure is unknown. */
export const DASH = '—';

/** Control characters, and the bidirectional overrides and isolates that can reorder text on screen ("Trojan Source"). */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * Untrusted text as one plain line of at most `max` characters (code points), ellipsised.
 * Newlines and tabs become spaces: a name must not be able to push the layout around.
 */
/** Arrows (U+2190–21FF, which the timeline's status entries use) are not in the embedded Roboto: written as ASCII. */
const ARROWS = /[\u2190-\u21ff]/gu;
const ARROW_TEXT: Readonly<Record<string, string>> = { '\u2192': '->', '\u2190': '<-', '\u2194': '<->', '\u21d2': '=>', '\u21d0': '<=', '\u21d4': '<=>' };

export function plain(value: unknown, max = 120): string {
  // Anything but a string or number (an object smuggled into the JSON) prints as nothing, never as "[object Object]".
  const text = (typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'bigint' ? String(value) : '')
    .replace(UNSAFE, '')
    .replace(ARROWS, (arrow) => ARROW_TEXT[arrow] ?? '?')
    .replace(/\s+/g, ' ')
    .trim();
  const points = Array.from(text);
  return points.length <= max ? text : `${points.slice(0, max - 1).join('')}…`;
}

/** A run this long without a natural break (space, hyphen, dot, slash…) could widen a table column past the page. */
const UNBROKEN_RUN = /[^\s\-/.,_:;@|]{25,}/g;

/**
 * Untrusted text as {@link plain}, with zero-width spaces inside very long unbroken runs so that
 * a 300-character host name wraps inside its table cell instead of pushing the table off the page.
 */
export function breakable(value: unknown, max = 120): string {
  return plain(value, max).replace(UNBROKEN_RUN, (run) => Array.from(run).reduce((out, char, i) => out + (i > 0 && i % 16 === 0 ? '\u200b' : '') + char, ''));
}

/** 1,284 — or a dash when the value is not a finite number. */
export function integer(value: number | null | undefined): string {
  return typeof value === 'number' && Number.isFinite(value) ? INTEGER.format(value) : DASH;
}

const COMPACT = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/** Large numbers shortened for a key-figure tile ("4.8M"); below 100,000 the same as {@link integer}. */
export function compact(value: number | null | undefined): string {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) >= 100_000 ? COMPACT.format(value) : integer(value);
}

/** `n` with its noun, singular for exactly one: "1 alert", "1,284 alerts". */
export function count(value: number, singular: string, plural = `${singular}s`): string {
  return `${integer(value)} ${value === 1 ? singular : plural}`;
}

/** "a", "a and b", "a, b and c". */
export function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] as string}`;
}

/** A percentage with one decimal and a space before the sign, "12.4 %"; tiny non-zero rates read "< 0.1 %". */
export function percent(value: number | null | undefined): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return DASH;
  if (value !== 0 && Math.abs(value) < 0.05) return value > 0 ? '< 0.1 %' : '> −0.1 %';
  return `${ONE_DECIMAL.format(value)} %`;
}

/** A ratio (0..1) as a percentage. */
export function rate(value: number | null | undefined): string {
  return typeof value === 'number' && Number.isFinite(value) ? percent(value * 100) : DASH;
}

/** Minutes as an analyst would say them: "14.2 min", "6 h 5 min", "3 d 4 h". */
export function minutes(value: number | null | undefined): string {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return DASH;
  if (value < 60) return `${ONE_DECIMAL.format(value)} min`;
  const total = Math.round(value);
  if (total < 48 * 60) {
    const rest = total % 60;
    return rest === 0 ? `${Math.floor(total / 60)} h` : `${Math.floor(total / 60)} h ${rest} min`;
  }
  const hours = Math.round(total / 60);
  const rest = hours % 24;
  return rest === 0 ? `${Math.floor(hours / 24)} d` : `${Math.floor(hours / 24)} d ${rest} h`;
}

/** Seconds as a duration, for TTLs: "45 min", "3 h 12 min". */
export function seconds(value: number | null | undefined): string {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return DASH;
  if (value < 60) return '< 1 min';
  const total = Math.floor(value / 60);
  return total < 60 ? `${total} min` : minutes(total);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${timeZone}|${JSON.stringify(options)}`;
  let format = formatters.get(key);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat('en-GB', { ...options, timeZone });
    } catch {
      // The period's zone was checked when the week was chosen; a bad one here still prints, in UTC.
      format = new Intl.DateTimeFormat('en-GB', { ...options, timeZone: 'UTC' });
    }
    formatters.set(key, format);
  }
  return format;
}

function instant(value: string | number | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** "Monday 16 November 2026". */
export function longDate(value: string | number | undefined, timeZone: string): string {
  const date = instant(value);
  return date ? formatter(timeZone, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(date) : DASH;
}

/** "17 Nov 2026, 14:05". */
export function dateTime(value: string | number | undefined, timeZone: string): string {
  const date = instant(value);
  return date ? formatter(timeZone, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(date) : DASH;
}

/** "Tue 17 Nov, 14:05" — for tables that all fall in one week. */
export function shortDateTime(value: string | number | undefined, timeZone: string): string {
  const date = instant(value);
  return date ? formatter(timeZone, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(date) : DASH;
}

/** The zone's abbreviation or offset at an instant ("CET", "GMT+1"), to say which clock a time is on. */
export function zoneName(value: string | number | undefined, timeZone: string): string {
  const date = instant(value);
  if (!date) return timeZone;
  const part = formatter(timeZone, { timeZoneName: 'short' }).formatToParts(date).find((p) => p.type === 'timeZoneName');
  return part?.value ?? timeZone;
}

/** A local calendar date written YYYY-MM-DD as "Mon 16". */
export function dayLabel(date: string): string {
  const parsed = instant(`${date}T12:00:00Z`);
  return parsed ? formatter('UTC', { weekday: 'short', day: 'numeric' }).format(parsed) : plain(date, 12);
}

/** The ISO week as people say it: "Week 47, 2026". */
export function weekLabel(week: string): string {
  const match = /^(\d{4})-W(\d{2})$/.exec(week);
  return match ? `Week ${Number(match[2])}, ${match[1]}` : plain(week, 20);
}

/** Severities from most to least severe, the order the report lists them in. */
export const SEVERITY_ORDER: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'informational'];

/** Colours per severity, shared by charts and tables so a reader learns them once. */
export const SEVERITY_COLOR: Readonly<Record<Severity, string>> = {
  critical: '#b42318',
  high: '#e8590c',
  medium: '#e0a100',
  low: '#3b6fd8',
  informational: '#8a94a6',
};

const SEVERITY_LABEL: Readonly<Record<Severity, string>> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  informational: 'Info',
};

/** "Critical", "Info"; an unknown value prints as plain text. */
export function severityLabel(severity: Severity): string {
  return SEVERITY_LABEL[severity] ?? plain(severity, 20);
}

const VERDICT_LABEL: Readonly<Record<Verdict, string>> = {
  true_positive: 'True positive',
  false_positive: 'False positive',
  benign: 'Benign',
};

/** "True positive"; absent prints as "No verdict". */
export function verdictLabel(verdict: Verdict | undefined): string {
  return verdict === undefined ? 'No verdict' : (VERDICT_LABEL[verdict] ?? plain(verdict, 20));
}

/** "investigating" → "Investigating". */
export function statusLabel(status: string): string {
  const text = plain(status, 30).replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** `credential-access` → "Credential access", the way ATT&CK names tactics. */
export function tacticLabel(tactic: string): string {
  const text = plain(tactic, 60).replace(/[-_]/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A finite, non-negative number or 0: figures arrive as JSON from a job payload and are defended, not trusted. */
export function nonNegative(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}
