import { api } from '../../api/client';

/** ReportView of api/routes/reports (core/reports/types.ts's ReportRecord), restated: the console imports no server code. */
export interface Report {
  readonly id: string;
  readonly kind: 'weekly';
  readonly period: { readonly week: string; readonly timeZone: string; readonly from: string; readonly to: string };
  readonly requestedBy: string;
  readonly status: 'ready' | 'failed';
  readonly error?: string;
  readonly pages?: number;
  readonly sizeBytes?: number;
  readonly sha256?: string;
  readonly summary?: { readonly alerts: number; readonly incidentsOpened: number; readonly blocked: number };
  readonly mail?: { readonly sentAt?: string; readonly accepted?: readonly string[]; readonly rejected?: readonly string[]; readonly error?: string };
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The answer of POST /api/v1/reports. */
export interface ReportRequested {
  readonly id: string;
  readonly jobId: string;
  readonly week: string;
}

/** The query key of the report list. */
export const REPORTS_QUERY_KEY = ['reports'] as const;

export const fetchReports = () => api<{ items: Report[] }>('/api/v1/reports');

export const requestReport = (body: { readonly week: string; readonly mail: boolean }) =>
  api<ReportRequested>('/api/v1/reports', { method: 'POST', body });

/** The PDF's URL: a plain link, so the browser downloads it with the session cookie. */
export function pdfUrl(id: string): string {
  return `/api/v1/reports/${encodeURIComponent(id)}/pdf`;
}

/** The name the server gives the file (api/routes/reports's reportFileName). */
export function pdfFileName(week: string): string {
  return `watchpost-weekly-${week}.pdf`;
}

/** How often the list is read while a requested report is not there yet. */
export const POLL_MS = 2_000;

/** How long the console waits for a requested report before it stops asking. */
export const MAX_WAIT_MS = 120_000;

/** A report asked for from this page, followed until its record is written. */
export interface Generation {
  readonly id: string;
  readonly week: string;
  readonly mail: boolean;
  /** When it was asked for, by the browser's clock (only elapsed time is read from it). */
  readonly requestedAt: number;
  /** The week's record before the request, if any: a new one has another `updatedAt`. */
  readonly previousUpdatedAt?: string;
}

/** Where a generation stands: its record was written (ready or failed), it is still awaited, or the wait is over. */
export type GenerationState = 'waiting' | 'ready' | 'failed' | 'timed-out';

/**
 * A requested week is done once its record is there with an `updatedAt` other than the one it
 * had when it was asked for (generating a week again replaces its record); comparing the
 * server's own timestamps keeps the browser's clock out of it.
 */
export function generationState(generation: Generation, reports: readonly Report[] | undefined, now: number): GenerationState {
  const report = reports?.find((item) => item.id === generation.id);
  if (report && report.updatedAt !== generation.previousUpdatedAt) return report.status;
  return now - generation.requestedAt >= MAX_WAIT_MS ? 'timed-out' : 'waiting';
}

/** An ISO week with its Monday and Sunday (`YYYY-MM-DD`). */
export interface WeekOption {
  readonly week: string;
  readonly from: string;
  readonly to: string;
}

const DAY_MS = 86_400_000;

function isoDate(utcMs: number): string {
  return new Date(utcMs).toISOString().slice(0, 10);
}

/**
 * The `count` weeks that have ended by `now` on the browser's calendar, newest first (the first is
 * the last full week). The report's own time zone may differ by a few hours around Monday
 * midnight; the server refuses a week not yet ended there.
 */
export function lastEndedWeeks(now: Date, count = 12): WeekOption[] {
  // Calendar days as UTC midnights: no daylight-saving hour can shift a day.
  const today = Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
  const monday = today - ((new Date(today).getUTCDay() + 6) % 7) * DAY_MS;
  const weeks: WeekOption[] = [];
  for (let back = 1; back <= count; back += 1) {
    const start = monday - back * 7 * DAY_MS;
    // The Thursday of a week decides its year.
    const year = new Date(start + 3 * DAY_MS).getUTCFullYear();
    const jan4 = Date.UTC(year, 0, 4);
    const firstMonday = jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * DAY_MS;
    const number = Math.round((start - firstMonday) / (7 * DAY_MS)) + 1;
    weeks.push({ week: `${year}-W${String(number).padStart(2, '0')}`, from: isoDate(start), to: isoDate(start + 6 * DAY_MS) });
  }
  return weeks;
}

/** The local date (`YYYY-MM-DD`) of an instant in a time zone; in UTC when the zone is unknown here. */
export function dateIn(iso: string, timeZone: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  try {
    // en-CA writes dates as YYYY-MM-DD.
    return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(date);
  } catch {
    return date.toISOString().slice(0, 10);
  }
}

/** The first and last day of a report's week, in its time zone (`to` is the exclusive next Monday). */
export function periodDays(period: Report['period']): { readonly from: string; readonly to: string } {
  return { from: dateIn(period.from, period.timeZone), to: dateIn(new Date(Date.parse(period.to) - 1).toISOString(), period.timeZone) };
}

/** `84 KB`, `1.2 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
