import { BlockList, isIP } from 'node:net';
import { UserError } from '../../core/errors.js';
import type { FilterNode, FilterScalar } from '../../core/query/filter.js';
import { parseFilterRegex, RegexSubsetError, type RegexToken } from '../../core/query/regex.js';
import { foldCase, textWords } from '../../core/query/text.js';
import { TEXT_FIELDS, type EventContext, type FieldScalar, type FieldValues } from './event-context.js';
import { MultiMatcher, type LiteralPattern } from './multi-match.js';
import { compileGlob, compileRegex } from './regex-engine.js';

/**
 * Compiles the filter AST (core/query/filter.ts) to a JS predicate over one event, with the
 * results the SQL (backends/sqlite/filter-sql.ts) and Query DSL (backends/elasticsearch/
 * filter-dsl.ts) compilers give on the same events; test/conformance proves it on a shared corpus.
 *
 * The filter is compiled once to closures: literals are folded, globs, regexes and CIDR blocks
 * are built, and an `or` of many string literals on one field becomes one {@link MultiMatcher}.
 * Field values come from the {@link EventContext}, which resolves and folds each field once per
 * event for every rule. Only string values meet the string ops, only numbers the numeric range,
 * as in both stores.
 */

/** A compiled filter: true when the event matches. */
export type Predicate = (ctx: EventContext) => boolean;

/** A leaf predicate that holds, with the event value that satisfied it. */
export interface MatchedLeaf {
  readonly field: string;
  readonly value: FieldScalar;
}

const FIELD_PATH = /^[@A-Za-z0-9_-]+(\.[@A-Za-z0-9_-]+)*$/;
const DECIMAL = /^-?[0-9]+(\.[0-9]+)?$/;
const MAX_PATTERN_LENGTH = 4096;
/** An `or` with at least this many string literals on one field and case mode runs them as one matcher. */
const MULTI_MATCH_MIN = 3;

/** Throws the UserError the stores throw for the same malformed filter. */
function invalid(message: string, field?: string): never {
  throw new UserError('WATCHPOST_ERR_STORE_INVALID_QUERY', message, field === undefined ? {} : { problems: [{ message, path: field }] });
}

function checkField(field: string): string {
  if (!FIELD_PATH.test(field)) invalid(`invalid field name ${JSON.stringify(field)}: use dotted ECS names of letters, digits, @ _ . -`, field);
  return field;
}

/**
 * Compiles a filter to a predicate. Throws a UserError WATCHPOST_ERR_STORE_INVALID_QUERY for a
 * bad field name, regex, CIDR block, range or timepart bound, as the stores do.
 */
export function compilePredicate(filter: FilterNode): Predicate {
  return toPredicate(build(filter, true));
}

/**
 * The leaf predicates of `filter` that hold on the event, each with the value that satisfied
 * it, from the branches that hold (a failed `and` contributes nothing, nor does anything under
 * `not`). For alerts, to say which values matched; not for the hot path.
 */
export function explainMatch(filter: FilterNode, ctx: EventContext): MatchedLeaf[] {
  const out: MatchedLeaf[] = [];
  explain(build(filter, false), ctx, out);
  return out;
}

/** Finds the event value satisfying a leaf, or undefined when the leaf does not hold. */
type Finder = (ctx: EventContext) => FieldScalar | undefined;

/** The compiled tree, shared by the predicate and by explainMatch. */
type Compiled =
  | { readonly k: 'and' | 'or'; readonly children: readonly Compiled[] }
  | { readonly k: 'not'; readonly child: Compiled }
  | { readonly k: 'leaf'; readonly field: string; readonly find: Finder; readonly cost: number }
  | { readonly k: 'text'; readonly words: readonly string[] };

function toPredicate(node: Compiled): Predicate {
  switch (node.k) {
    case 'leaf': {
      const find = node.find;
      return (ctx) => find(ctx) !== undefined;
    }
    case 'text': {
      const words = node.words;
      if (words.length === 0) return () => false; // nothing to look for matches nothing, as in the stores
      return (ctx) => {
        const present = ctx.textWords();
        for (const word of words) if (!present.has(word)) return false;
        return true;
      };
    }
    case 'not': {
      const child = toPredicate(node.child);
      return (ctx) => !child(ctx);
    }
    case 'and':
    case 'or': {
      // Cheap leaves first: the outcome does not depend on the order, only the time does.
      const children = [...node.children].sort((a, b) => costOf(a) - costOf(b)).map(toPredicate);
      const isAnd = node.k === 'and';
      if (children.length === 0) return () => isAnd;
      if (children.length === 1) return children[0] as Predicate;
      if (children.length === 2) {
        const [a, b] = children as [Predicate, Predicate];
        return isAnd ? (ctx) => a(ctx) && b(ctx) : (ctx) => a(ctx) || b(ctx);
      }
      return isAnd
        ? (ctx) => {
            for (const child of children) if (!child(ctx)) return false;
            return true;
          }
        : (ctx) => {
            for (const child of children) if (child(ctx)) return true;
            return false;
          };
    }
  }
}

function costOf(node: Compiled): number {
  switch (node.k) {
    case 'leaf':
      return node.cost;
    case 'text':
      return 50;
    case 'not':
      return costOf(node.child);
    case 'and':
    case 'or':
      return node.children.reduce((sum, child) => sum + costOf(child), 1);
  }
}

function explain(node: Compiled, ctx: EventContext, out: MatchedLeaf[]): boolean {
  switch (node.k) {
    case 'leaf': {
      const value = node.find(ctx);
      if (value === undefined) return false;
      out.push({ field: node.field, value });
      return true;
    }
    case 'text': {
      if (!toPredicate(node)(ctx)) return false;
      for (const field of TEXT_FIELDS) {
        for (const text of ctx.field(field).strings) {
          const words = new Set(textWords(text));
          if (node.words.some((word) => words.has(word))) out.push({ field, value: text });
        }
      }
      return true;
    }
    case 'not':
      return !toPredicate(node.child)(ctx);
    case 'and': {
      const mine: MatchedLeaf[] = [];
      for (const child of node.children) if (!explain(child, ctx, mine)) return false;
      out.push(...mine);
      return true;
    }
    case 'or': {
      let holds = false;
      for (const child of node.children) holds = explain(child, ctx, out) || holds;
      return holds;
    }
  }
}

function build(node: FilterNode, optimise: boolean): Compiled {
  switch (node.op) {
    case 'and':
      return { k: 'and', children: node.children.map((child) => build(child, optimise)) };
    case 'or':
      return buildOr(node.children, optimise);
    case 'not':
      return { k: 'not', child: build(node.child, optimise) };
    case 'eq':
      return leaf(node.field, 1, eqFinder(node.field, node.value, node.caseSensitive === true));
    case 'contains':
    case 'startswith':
    case 'endswith': {
      const needle = node.caseSensitive === true ? node.value : foldCase(node.value);
      const test =
        node.op === 'contains'
          ? (s: string) => s.includes(needle)
          : node.op === 'startswith'
            ? (s: string) => s.startsWith(needle)
            : (s: string) => s.endsWith(needle);
      return leaf(node.field, node.op === 'contains' ? 3 : 2, stringFinder(node.field, node.caseSensitive === true, test));
    }
    case 'wildcard': {
      const caseSensitive = node.caseSensitive === true;
      return leaf(node.field, 4, stringFinder(node.field, caseSensitive, compileGlob(caseSensitive ? node.pattern : foldCase(node.pattern))));
    }
    case 'regex': {
      const ignoreCase = node.flags?.i === true;
      const regex = compileFilterRegex(node.field, node.pattern, ignoreCase);
      return leaf(node.field, 20, stringFinder(node.field, !ignoreCase, (s) => regex.test(s)));
    }
    case 'cidr':
      return leaf(node.field, 5, cidrFinder(node.field, node.cidr));
    case 'exists': {
      const field = checkField(node.field);
      return leaf(field, 1, (ctx) => {
        const values = ctx.field(field);
        return values.present ? (values.scalars[0] ?? true) : undefined;
      });
    }
    case 'range':
      return leaf(node.field, 2, rangeFinder(node));
    case 'text':
      return { k: 'text', words: [...new Set(textWords(node.value))] };
    case 'fieldref':
      return leaf(node.field, 10, fieldrefFinder(node));
    case 'timepart':
      return leaf(node.field, 5, timepartFinder(node));
  }
}

function leaf(field: string, cost: number, find: Finder): Compiled {
  return { k: 'leaf', field: checkField(field), find, cost };
}

/** A finder over the string values of a field, folded unless case-sensitive; returns the value as written. */
function stringFinder(field: string, caseSensitive: boolean, test: (value: string) => boolean): Finder {
  checkField(field);
  if (caseSensitive) {
    return (ctx) => {
      for (const value of ctx.field(field).strings) if (test(value)) return value;
      return undefined;
    };
  }
  return (ctx) => {
    const values = ctx.field(field);
    if (values.strings.length === 0) return undefined;
    const folded = values.folded;
    for (let i = 0; i < folded.length; i++) if (test(folded[i] as string)) return values.strings[i];
    return undefined;
  };
}

/**
 * The `eq` test of one element against a literal: numbers numerically, strings as strings
 * (folded unless case-sensitive), a number literal against the string spelling of it, a decimal
 * string literal against a number, `true`/`false` literals and strings against booleans.
 */
function eqTest(value: FilterScalar, caseSensitive: boolean): (element: FieldScalar, folded: string | undefined) => boolean {
  if (typeof value === 'number') {
    const spelled = String(value);
    return (element, folded) => (typeof element === 'number' ? element === value : typeof element === 'string' && (caseSensitive ? element : folded) === spelled);
  }
  if (typeof value === 'boolean') {
    const spelled = String(value);
    return (element, folded) => (typeof element === 'boolean' ? element === value : typeof element === 'string' && (caseSensitive ? element : folded) === spelled);
  }
  const literal = caseSensitive ? value : foldCase(value);
  const number = DECIMAL.test(value) ? Number(value) : undefined;
  const lowered = foldCase(value);
  const bool = (lowered === 'true' || lowered === 'false') && (!caseSensitive || value === lowered) ? lowered === 'true' : undefined;
  return (element, folded) => {
    if (typeof element === 'string') return (caseSensitive ? element : folded) === literal;
    if (typeof element === 'number') return element === number;
    return element === bool;
  };
}

function eqFinder(field: string, value: FilterScalar, caseSensitive: boolean): Finder {
  if (typeof value === 'number' && !Number.isFinite(value)) invalid(`eq needs a finite number, not ${value}`, field);
  const test = eqTest(value, caseSensitive);
  return (ctx) => findEq(ctx.field(field), test, caseSensitive);
}

function findEq(values: FieldValues, test: ReturnType<typeof eqTest>, caseSensitive: boolean): FieldScalar | undefined {
  const scalars = values.scalars;
  if (scalars.length === 0) return undefined;
  const folded = caseSensitive || values.strings.length === 0 ? undefined : values.folded;
  let s = 0;
  for (const element of scalars) {
    const isString = typeof element === 'string';
    if (test(element, isString && folded !== undefined ? folded[s] : undefined)) return element;
    if (isString) s += 1;
  }
  return undefined;
}

/** An `or`: its string-literal children on one field and case mode become one multi-matcher. */
function buildOr(children: readonly FilterNode[], optimise: boolean): Compiled {
  const flat: FilterNode[] = [];
  const flatten = (nodes: readonly FilterNode[]): void => {
    for (const node of nodes) if (node.op === 'or') flatten(node.children);
    else flat.push(node);
  };
  flatten(children);
  if (!optimise) return { k: 'or', children: flat.map((child) => build(child, false)) };
  const groups = new Map<string, Extract<FilterNode, { op: 'eq' | 'contains' | 'startswith' | 'endswith' }>[]>();
  const rest: FilterNode[] = [];
  for (const node of flat) {
    const literal = (node.op === 'contains' || node.op === 'startswith' || node.op === 'endswith' || node.op === 'eq') && typeof node.value === 'string';
    if (!literal) {
      rest.push(node);
      continue;
    }
    const key = `${node.caseSensitive === true ? 'c' : 'i'}:${node.field}`;
    const group = groups.get(key);
    if (group) group.push(node);
    else groups.set(key, [node]);
  }
  const compiled: Compiled[] = [];
  for (const group of groups.values()) {
    if (group.length < MULTI_MATCH_MIN) rest.push(...group);
    else compiled.push(multiLeaf(group));
  }
  compiled.push(...rest.map((child) => build(child, true)));
  return { k: 'or', children: compiled };
}

function multiLeaf(group: readonly Extract<FilterNode, { op: 'eq' | 'contains' | 'startswith' | 'endswith' }>[]): Compiled {
  const first = group[0] as (typeof group)[number];
  const field = checkField(first.field);
  const caseSensitive = first.caseSensitive === true;
  const patterns: LiteralPattern[] = [];
  const numbers = new Set<number>();
  const booleans = new Set<boolean>();
  for (const node of group) {
    const value = node.value as string;
    patterns.push({ mode: node.op, value: caseSensitive ? value : foldCase(value) });
    if (node.op !== 'eq') continue;
    // What eqTest gives a string literal against numbers and booleans.
    if (DECIMAL.test(value)) numbers.add(Number(value));
    const lowered = foldCase(value);
    if ((lowered === 'true' || lowered === 'false') && (!caseSensitive || value === lowered)) booleans.add(lowered === 'true');
  }
  const matcher = new MultiMatcher(patterns);
  const typed = numbers.size > 0 || booleans.size > 0;
  const find: Finder = (ctx) => {
    const values = ctx.field(field);
    if (values.strings.length > 0) {
      const strings = caseSensitive ? values.strings : values.folded;
      for (let i = 0; i < strings.length; i++) if (matcher.test(strings[i] as string)) return values.strings[i];
    }
    if (typed) {
      for (const element of values.scalars) {
        if (typeof element === 'number' ? numbers.has(element) : typeof element === 'boolean' && booleans.has(element)) return element;
      }
    }
    return undefined;
  };
  return { k: 'leaf', field, find, cost: 3 };
}

function compileFilterRegex(field: string, pattern: string, ignoreCase: boolean): { test(value: string): boolean } {
  if (pattern.length > MAX_PATTERN_LENGTH) invalid(`regex longer than ${MAX_PATTERN_LENGTH} characters`, field);
  let tokens: RegexToken[];
  try {
    tokens = parseFilterRegex(pattern);
  } catch (error) {
    if (error instanceof RegexSubsetError) invalid(`unsupported regex ${JSON.stringify(pattern)}: ${error.message}`, field);
    throw error;
  }
  try {
    return compileRegex(tokens, { fold: ignoreCase });
  } catch (error) {
    // RE2 refuses what the subset parser lets through only at its limits (repeat counts above 1000).
    return invalid(`unsupported regex ${JSON.stringify(pattern)}: ${(error as Error).message}`, field);
  }
}

/** Parses `addr/prefix` (or a bare address) as the stores do, or undefined when it is not one. */
function parseCidr(cidr: string): BlockList | undefined {
  const slash = cidr.indexOf('/');
  const address = slash < 0 ? cidr : cidr.slice(0, slash);
  const version = isIP(address);
  if (version === 0 || address.includes('%')) return undefined;
  const bits = version === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(bits) : cidr.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) return undefined;
  const list = new BlockList();
  list.addSubnet(address, Number(prefixText), version === 4 ? 'ipv4' : 'ipv6');
  return list;
}

function cidrFinder(field: string, cidr: string): Finder {
  const list = parseCidr(cidr);
  if (!list) invalid(`invalid CIDR block ${JSON.stringify(cidr)}`, field);
  // BlockList counts an IPv4-mapped IPv6 address as its IPv4 address and back, as Elasticsearch's ip type does.
  return stringFinder(field, true, (value) => {
    const version = isIP(value);
    return version !== 0 && !value.includes('%') && list.check(value, version === 4 ? 'ipv4' : 'ipv6');
  });
}

const RANGE_KEYS = ['gt', 'gte', 'lt', 'lte'] as const;
type RangeKey = (typeof RANGE_KEYS)[number];

/** A test of a number against the given bounds. */
function boundsTest(bounds: { readonly [key in RangeKey]?: number | undefined }): (value: number) => boolean {
  const { gt, gte, lt, lte } = bounds;
  return (value) =>
    (gt === undefined || value > gt) && (gte === undefined || value >= gte) && (lt === undefined || value < lt) && (lte === undefined || value <= lte);
}

/** A timestamp element as epoch ms: a string parsed as a date, a number taken as epoch ms (as the stores do). */
function epochMs(element: FieldScalar): number | undefined {
  if (typeof element === 'number') return element;
  if (typeof element !== 'string') return undefined;
  const ms = Date.parse(element);
  return Number.isNaN(ms) ? undefined : ms;
}

function rangeFinder(node: Extract<FilterNode, { op: 'range' }>): Finder {
  const field = checkField(node.field);
  const keys = RANGE_KEYS.filter((key) => node[key] !== undefined);
  if (keys.length === 0) invalid('range needs at least one of gt, gte, lt, lte', field);
  const numeric = keys.every((key) => typeof node[key] === 'number');
  if (!numeric && keys.some((key) => typeof node[key] === 'number')) invalid('range bounds must be all numbers or all timestamps', field);
  const bounds: Partial<Record<RangeKey, number>> = {};
  for (const key of keys) {
    const bound = node[key] as number | string;
    const value = typeof bound === 'number' ? bound : Date.parse(bound);
    if (!Number.isFinite(value)) invalid(`range bound ${key} must be a finite number or an ISO-8601 timestamp, not ${String(bound)}`, field);
    bounds[key] = value;
  }
  const test = boundsTest(bounds);
  if (numeric) {
    // Numbers compare with numbers only: a numeric string is text, in both stores.
    return (ctx) => {
      for (const element of ctx.field(field).scalars) if (typeof element === 'number' && test(element)) return element;
      return undefined;
    };
  }
  return (ctx) => {
    for (const element of ctx.field(field).scalars) {
      const ms = epochMs(element);
      if (ms !== undefined && test(ms)) return element;
    }
    return undefined;
  };
}

/**
 * `fieldref`: `eq` compares as the eq op does with the other field's element as the literal; the
 * affix modes compare the string elements of `field` with the string spelling of each string or
 * number element of `other`, as the contains op compares string values with a string literal.
 */
function fieldrefFinder(node: Extract<FilterNode, { op: 'fieldref' }>): Finder {
  const field = checkField(node.field);
  const other = checkField(node.other);
  const caseSensitive = node.caseSensitive === true;
  const mode = node.mode;
  if (mode === 'eq') {
    return (ctx) => {
      for (const literal of ctx.field(other).scalars) {
        const found = findEq(ctx.field(field), eqTest(literal, caseSensitive), caseSensitive);
        if (found !== undefined) return found;
      }
      return undefined;
    };
  }
  return (ctx) => {
    const values = ctx.field(field);
    if (values.strings.length === 0) return undefined;
    const strings = caseSensitive ? values.strings : values.folded;
    for (const literal of ctx.field(other).scalars) {
      if (typeof literal === 'boolean') continue;
      const needle = caseSensitive ? String(literal) : foldCase(String(literal));
      for (let i = 0; i < strings.length; i++) {
        const s = strings[i] as string;
        if (mode === 'contains' ? s.includes(needle) : mode === 'startswith' ? s.startsWith(needle) : s.endsWith(needle)) return values.strings[i];
      }
    }
    return undefined;
  };
}

const TIME_PARTS = {
  minute: (d: Date) => d.getUTCMinutes(),
  hour: (d: Date) => d.getUTCHours(),
  day: (d: Date) => d.getUTCDate(),
  week: isoWeek,
  month: (d: Date) => d.getUTCMonth() + 1,
  year: (d: Date) => d.getUTCFullYear(),
} as const;

/** The ISO 8601 week number (1–53) of a UTC date: the week holding its Thursday. */
export function isoWeek(date: Date): number {
  const thursday = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  thursday.setUTCDate(thursday.getUTCDate() + 4 - (thursday.getUTCDay() || 7));
  const yearStart = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  return Math.ceil(((thursday.getTime() - yearStart) / 86_400_000 + 1) / 7);
}

function timepartFinder(node: Extract<FilterNode, { op: 'timepart' }>): Finder {
  const field = checkField(node.field);
  const part = TIME_PARTS[node.part] as ((d: Date) => number) | undefined;
  if (part === undefined) invalid(`unknown timepart ${JSON.stringify(node.part)}`, field);
  const keys = (['eq', ...RANGE_KEYS] as const).filter((key) => node[key] !== undefined);
  if (keys.length === 0) invalid('timepart needs eq or at least one of gt, gte, lt, lte', field);
  for (const key of keys) if (!Number.isFinite(node[key])) invalid(`timepart ${key} must be a finite number, not ${String(node[key])}`, field);
  const inBounds = boundsTest({ gt: node.gt, gte: node.gte, lt: node.lt, lte: node.lte });
  const test = (value: number): boolean => (node.eq === undefined || value === node.eq) && inBounds(value);
  return (ctx) => {
    for (const element of ctx.field(field).scalars) {
      const ms = epochMs(element);
      if (ms !== undefined && Number.isFinite(new Date(ms).getTime()) && test(part(new Date(ms)))) return element;
    }
    return undefined;
  };
}
