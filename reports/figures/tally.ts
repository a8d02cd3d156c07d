/** Small arithmetic shared by the figure sections: severity counts, rounding, ranked top lists. */
import { SEVERITIES, type Severity } from '../../core/cases/types.js';

/** Rows of every top list in the report. */
export const TOP_ROWS = 10;

/** Counts for every severity, all zero. */
export function zeroCounts(): Record<Severity, number> {
  return Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as Record<Severity, number>;
}

/** Rounded to one decimal. */
export function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Text order by UTF-16 code units, the same in every locale (localeCompare is not). */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The first `rows` of `items` in the given order. */
export function topOf<T>(items: Iterable<T>, compare: (a: T, b: T) => number, rows: number = TOP_ROWS): T[] {
  return [...items].sort(compare).slice(0, rows);
}

/** A named count, most first, ties by name: the shape of the target and tactic lists. */
export function rankCounts(counts: ReadonlyMap<string, number>, rows: number = TOP_ROWS): { name: string; alerts: number }[] {
  return topOf(
    [...counts].map(([name, alerts]) => ({ name, alerts })),
    (a, b) => b.alerts - a.alerts || byText(a.name, b.name),
    rows,
  );
}
