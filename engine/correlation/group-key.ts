/**
 * Group keys and store keys of the correlation engine: which group an input joins (group-by
 * fields, aliases, array fan-out) and how a (correlation, group) pair is spelled as a
 * CorrelationStore key. Keys are shared by every ingest process on one Redis, so their spelling
 * is a format: unambiguous (separators escaped) and bounded (long values hashed).
 */
import { deterministicId } from '../../core/ids.js';
import type { CorrelationRule } from '../sigma/types.js';

/** A value a group-by or value field contributes: scalars only (booleans are spelled as text). */
export type GroupValue = string | number;

/**
 * The most groups (or value combinations) one input fans out to when group-by fields hold
 * arrays: an event with `related.ip: [a, b]` joins the groups of a and b, but a hostile array
 * of thousands of values cannot multiply store writes without bound.
 */
export const MAX_FANOUT = 16;

/** A key part longer than this is replaced by its hash (a URL or command line as group value). */
const MAX_PART_LENGTH = 64;
/** A group segment longer than this (many group-by fields) is hashed as a whole. */
const MAX_GROUP_LENGTH = 512;

/**
 * One key part: `\`, `|` and `~` are escaped with `\`, so `|` separates parts unambiguously;
 * a part longer than {@link MAX_PART_LENGTH} becomes `~` + 32 hex digits of SHA-256, which no
 * escaped literal can spell (a literal `~` is always escaped).
 */
export function encodeKeyPart(text: string): string {
  if (text.length > MAX_PART_LENGTH) return `~${deterministicId(text)}`;
  return text.replace(/[\\|~]/g, (c) => `\\${c}`);
}

/** Joins encoded parts, hashing the whole when it would be too long. */
export function encodeTuple(values: readonly GroupValue[]): string {
  const joined = values.map((value) => encodeKeyPart(String(value))).join('|');
  return joined.length > MAX_GROUP_LENGTH ? `~${deterministicId(joined)}` : joined;
}

/** The store keys of one correlation and group. */
export interface WindowKeys {
  /** What the correlation counts: event ids, distinct values, rule indexes or numbers. */
  readonly primary: string;
  /** `<rule index>|<event id>` of every input, for eventIds, contributing rules and order. */
  readonly events: string;
  /** Prefix of the fire claims of this group (the window start is appended). */
  readonly fired: string;
  /** When the group last fired (one member, `fired`), to keep a burst to one match per timespan. */
  readonly marker: string;
}

/**
 * The keys of a group: `<correlation key>|<p|e|f|m>|g:<group tuple>`. The correlation key part
 * is escaped like the values, so no two (correlation, group) pairs share a key.
 */
export function windowKeys(correlationKey: string, groupKey: string): WindowKeys {
  const head = encodeKeyPart(correlationKey);
  return { primary: `${head}|p|g:${groupKey}`, events: `${head}|e|g:${groupKey}`, fired: `${head}|f|g:${groupKey}`, marker: `${head}|m|g:${groupKey}` };
}

/** What a correlation reads from one input: a field path → its raw value (undefined when absent). */
export type FieldReader = (field: string) => unknown;

/** One group an input joins. */
export interface Group {
  /** The encoded tuple of the group-by values (see {@link encodeTuple}); '' for the global group. */
  readonly key: string;
  /** group-by name (field or alias) → value. */
  readonly values: Readonly<Record<string, GroupValue>>;
}

/** The groups of an input, or why it joins none. */
export type GroupResult = { readonly groups: readonly Group[]; readonly truncated: boolean } | { readonly missing: string };

/**
 * The groups an input of `ruleKey` joins. Each group-by name is an alias (its field for that
 * rule) or an ECS field. An input missing a group-by field joins no group — it never falls into
 * a silent "null" group (checklist G15) — and the caller counts it. An array value fans out to
 * one group per element (capped at {@link MAX_FANOUT} combinations). Values are compared as
 * text, so the port `22` and the string `"22"` are one group (checklist K8).
 */
export function groupsOf(rule: CorrelationRule, ruleKey: string, read: FieldReader): GroupResult {
  const columns: GroupValue[][] = [];
  for (const name of rule.groupBy) {
    const values = scalarsOf(read(fieldFor(rule, name, ruleKey)));
    if (values.length === 0) return { missing: name };
    columns.push(values);
  }
  const { rows, truncated } = combinations(columns);
  const groups = rows.map((row) => {
    const values: Record<string, GroupValue> = {};
    rule.groupBy.forEach((name, i) => {
      values[name] = row[i] as GroupValue;
    });
    return { key: encodeTuple(row), values };
  });
  return { groups, truncated };
}

/** The field a group-by name or value field means for inputs of `ruleKey`: its alias target, else itself. */
export function fieldFor(rule: CorrelationRule, name: string, ruleKey: string): string {
  return rule.aliases[name]?.[ruleKey] ?? name;
}

/**
 * The scalar values of a raw field value: a scalar is itself, an array its scalar elements
 * (nested arrays are not flattened further), anything else (object, null, '') nothing.
 * Booleans become `'true'`/`'false'`, as entity values are strings or numbers.
 */
export function scalarsOf(raw: unknown): GroupValue[] {
  const items = Array.isArray(raw) ? raw : [raw];
  const out: GroupValue[] = [];
  for (const item of items) {
    if (typeof item === 'string' && item.length > 0) out.push(item);
    else if (typeof item === 'number' && Number.isFinite(item)) out.push(item);
    else if (typeof item === 'boolean') out.push(String(item));
  }
  return [...new Map(out.map((value) => [String(value), value])).values()];
}

/** The numbers of a raw field value (numbers, numeric strings, and those of an array). */
export function numbersOf(raw: unknown): number[] {
  const out: number[] = [];
  for (const value of scalarsOf(raw)) {
    const number = typeof value === 'number' ? value : value.trim() === '' ? Number.NaN : Number(value);
    if (Number.isFinite(number)) out.push(number);
  }
  return out;
}

/** The cartesian product of the columns, in order, capped at {@link MAX_FANOUT} rows. */
export function combinations(columns: readonly (readonly GroupValue[])[]): { rows: GroupValue[][]; truncated: boolean } {
  let rows: GroupValue[][] = [[]];
  let truncated = false;
  for (const column of columns) {
    const next: GroupValue[][] = [];
    for (const row of rows) {
      for (const value of column) {
        if (next.length >= MAX_FANOUT) {
          truncated = true;
          break;
        }
        next.push([...row, value]);
      }
    }
    rows = next;
  }
  return { rows, truncated };
}
