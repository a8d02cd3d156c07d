import type { AlertExplanation, Severity } from '../../core/cases/types.js';
import { deterministicId } from '../../core/ids.js';
import type { RuleMatch } from '../detect/types.js';
import { severityOf } from './severity.js';

/**
 * A rule match with how its events reached Watchpost (`watchpost.input.transport` of each, set
 * by whoever had the events: detection in cli/detection.ts, the correlation engine for a
 * window's events). Kept beside RuleMatch rather than in it: detection builds matches without
 * knowing which transports the alerting layer cares about.
 */
export type AlertMatch = RuleMatch & {
  /** The distinct transports of the match's events; absent when unknown. */
  readonly transports?: readonly string[];
};

/** Distinct, sorted: the one spelling of a set of transports on an alert. */
export function transportSet(...lists: readonly (readonly string[] | undefined)[]): string[] {
  return [...new Set(lists.flatMap((list) => list ?? []))].sort();
}

/**
 * What becomes an alert: a rule match, or a condition the alerting layer raises itself (a silent
 * source), reduced to what deduplication and the alert record need.
 */
export interface AlertCandidate {
  /** The rule key (RuleMeta.key): what the alert carries as `ruleId`. */
  readonly ruleKey: string;
  /** The rule's other names (Sigma id, name), which suppressions may name instead of the key. */
  readonly ruleAliases: readonly string[];
  readonly ruleTitle: string;
  readonly ruleAuthor?: string;
  readonly severity: Severity;
  readonly tags: readonly string[];
  /** The fields deduplication groups on: the match's entities, or a correlation's group. */
  readonly group: Readonly<Record<string, string>>;
  /** Entity fields shown on the alert and used for incidents and suppressions. */
  readonly entities: Readonly<Record<string, string>>;
  readonly eventIds: readonly string[];
  /** When it happened (the event's @timestamp), ms since the epoch. */
  readonly atMs: number;
  /** How the events reached Watchpost (distinct, sorted); empty when unknown. */
  readonly transports?: readonly string[];
  readonly explanation: AlertExplanation;
}

/** The longest value kept per explanation entry; the event itself holds the rest. */
const MAX_EXPLANATION_VALUE = 1024;

/** Entities as strings (numbers spelled in decimal), so stores and comparisons see one type. */
function stringValues(record: Readonly<Record<string, string | number | null>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, value] of Object.entries(record)) {
    if (value !== null && value !== undefined) out[field] = String(value);
  }
  return out;
}

/**
 * The candidate of a rule match. A correlation deduplicates on its group-by values (its entities
 * may be a subset of them); a detection on its entities. Times that do not parse fall back to
 * `nowMs`, so a bad timestamp never makes a bad alert id.
 */
export function candidateOf(match: AlertMatch, nowMs: number): AlertCandidate {
  const parsed = Date.parse(match.at);
  const entities = stringValues(match.entities);
  const group = match.correlation ? stringValues(match.correlation.group) : entities;
  const correlation = match.correlation
    ? {
        type: match.correlation.type,
        value: match.correlation.value,
        windowStart: match.correlation.windowStart,
        windowEnd: match.correlation.windowEnd,
        rules: [...match.correlation.rules],
        group: stringValues(match.correlation.group),
      }
    : undefined;
  return {
    ruleKey: match.rule.key,
    ruleAliases: [match.rule.id, match.rule.name].filter((alias): alias is string => alias !== undefined),
    ruleTitle: match.rule.title,
    ...(match.rule.author !== undefined ? { ruleAuthor: match.rule.author } : {}),
    severity: severityOf(match.rule.level),
    tags: [...match.rule.tags],
    group,
    entities: match.correlation ? { ...group, ...entities } : entities,
    eventIds: [...match.eventIds],
    atMs: Number.isFinite(parsed) ? parsed : nowMs,
    ...(match.transports !== undefined && match.transports.length > 0 ? { transports: transportSet(match.transports) } : {}),
    explanation: {
      selections: [...match.selections],
      matches: match.matched.map((m) => ({ field: m.field, value: String(m.value).slice(0, MAX_EXPLANATION_VALUE) })),
      ...(correlation ? { correlation } : {}),
    },
  };
}

/**
 * The dedup key: the rule key, then every grouping field and value sorted by field, each value
 * percent-encoded so that `|` and `=` inside a value cannot make two groups collide.
 */
export function dedupKeyOf(ruleKey: string, group: Readonly<Record<string, string>>): string {
  const pairs = Object.keys(group)
    .sort()
    .map((field) => `${field}=${encodeURIComponent(group[field] as string)}`);
  return [ruleKey, ...pairs].join('|');
}

/**
 * Start of the dedup window `atMs` falls in. Windows are fixed, aligned to the epoch, so the
 * window of an event never depends on what was processed before it: a batch evaluated again
 * after a crash finds the same windows, hence the same alert ids. The price is that a burst
 * across a window boundary makes two alerts.
 */
export function windowStartOf(atMs: number, windowMs: number): number {
  return Math.floor(atMs / windowMs) * windowMs;
}

/** The alert id: from the dedup key and the window the alert opened in. */
export function alertIdOf(dedupKey: string, windowStartMs: number): string {
  return deterministicId('alert', dedupKey, windowStartMs);
}
