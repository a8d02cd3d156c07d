/**
 * Conditions of triggers, steps and approvals: a structured tree (all / any / not / field tests),
 * read from YAML and evaluated over the template context. Nothing in it is evaluated as code.
 */
import { contains, parseAddress, type ParsedAddress } from '../actions/address.js';
import type { Condition, FieldCondition } from './types.js';
import { CONTEXT_ROOTS, MISSING, pathProblem, resolvePath } from './path.js';
import type { TemplateContext } from './template.js';

/** The tests of a field condition, in the order the reference lists them. */
export const FIELD_TESTS: readonly string[] = Object.freeze(['equals', 'in', 'cidr', 'exists', 'gte', 'lte', 'matches']);

/** Bounds that keep a condition cheap to check and to evaluate. */
const MAX_DEPTH = 16;
const MAX_ITEMS = 1000;
const MAX_GLOB_LENGTH = 1000;
const MAX_TEXT_LENGTH = 1000;

/** Where in the YAML a problem is: a path of keys and indexes, and whether the key (not its value) is meant. */
export type Report = (message: string, at: readonly (string | number)[], atKey?: boolean) => void;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a map' : `${typeof value} ${JSON.stringify(value).slice(0, 60)}`;
}

/**
 * Checks a condition as read from YAML and returns it typed and frozen, or undefined when it has
 * problems (each one reported). `roots` lists what its field paths may start with.
 */
export function readCondition(raw: unknown, at: readonly (string | number)[], report: Report, roots: readonly string[] = CONTEXT_ROOTS, depth = 0): Condition | undefined {
  if (depth > MAX_DEPTH) {
    report(`conditions nest deeper than ${MAX_DEPTH} levels`, at);
    return undefined;
  }
  if (!isRecord(raw)) {
    report(`a condition must be a map (all:, any:, not: or field:), got ${describe(raw)}`, at);
    return undefined;
  }
  const keys = Object.keys(raw);
  const combinators = keys.filter((key) => key === 'all' || key === 'any' || key === 'not');
  if (combinators.length > 0) {
    let ok = true;
    for (const key of keys) {
      if (key !== combinators[0]) {
        report(`"${key}" cannot stand beside "${combinators[0]}": write one of all, any, not or field per condition`, [...at, key], true);
        ok = false;
      }
    }
    const key = combinators[0] as 'all' | 'any' | 'not';
    const value = raw[key];
    if (key === 'not') {
      const inner = readCondition(value, [...at, 'not'], report, roots, depth + 1);
      return ok && inner !== undefined ? Object.freeze({ not: inner }) : undefined;
    }
    if (!Array.isArray(value) || value.length === 0 || value.length > MAX_ITEMS) {
      report(`"${key}" must be a list of 1 to ${MAX_ITEMS} conditions, got ${describe(value)}`, [...at, key]);
      return undefined;
    }
    const items = value.map((item, index) => readCondition(item, [...at, key, index], report, roots, depth + 1));
    if (!ok || items.some((item) => item === undefined)) return undefined;
    return Object.freeze(key === 'all' ? { all: Object.freeze(items as Condition[]) } : { any: Object.freeze(items as Condition[]) });
  }
  return readFieldCondition(raw, at, report, roots);
}

function readFieldCondition(raw: Record<string, unknown>, at: readonly (string | number)[], report: Report, roots: readonly string[]): FieldCondition | undefined {
  let ok = true;
  const fail = (message: string, key: string, atKey = false): void => {
    report(message, [...at, key], atKey);
    ok = false;
  };
  for (const key of Object.keys(raw)) {
    if (key !== 'field' && !FIELD_TESTS.includes(key)) fail(`unknown key "${key}" in a condition; a condition has all, any, not, or field with ${FIELD_TESTS.join(', ')}`, key, true);
  }
  const field = raw['field'];
  if (field === undefined) {
    report('a condition needs "field" (or all:, any:, not:)', at);
    return undefined;
  }
  if (typeof field !== 'string') fail(`"field" must be a field path such as alert.entities.source.ip, got ${describe(field)}`, 'field');
  else {
    const problem = pathProblem(field, roots);
    if (problem !== undefined) fail(problem, 'field');
  }
  const tests = Object.keys(raw).filter((key) => FIELD_TESTS.includes(key));
  if (tests.length === 0) {
    report(`the condition on ${JSON.stringify(field) ?? 'a field'} tests nothing: add one of ${FIELD_TESTS.join(', ')}`, at);
    ok = false;
  }
  const out: Record<string, unknown> = { field };
  const scalar = (value: unknown): value is string | number => (typeof value === 'string' && value.length <= MAX_TEXT_LENGTH) || (typeof value === 'number' && Number.isFinite(value));
  for (const key of tests) {
    const value = raw[key];
    switch (key) {
      case 'equals':
        if (!scalar(value) && typeof value !== 'boolean') fail(`"equals" must be a string, number or boolean, got ${describe(value)}`, key);
        break;
      case 'in':
        if (!Array.isArray(value) || value.length === 0 || value.length > MAX_ITEMS || !value.every(scalar)) fail(`"in" must be a list of 1 to ${MAX_ITEMS} strings or numbers, got ${describe(value)}`, key);
        break;
      case 'cidr':
        if (!Array.isArray(value) || value.length === 0 || value.length > MAX_ITEMS) fail(`"cidr" must be a list of 1 to ${MAX_ITEMS} addresses or prefixes, got ${describe(value)}`, key);
        else
          value.forEach((item, index) => {
            const problem = typeof item === 'string' ? addressProblem(item) : `not an IP address or CIDR prefix: ${describe(item)}`;
            if (problem !== undefined) {
              report(problem, [...at, key, index]);
              ok = false;
            }
          });
        break;
      case 'exists':
        if (typeof value !== 'boolean') fail(`"exists" must be true or false, got ${describe(value)}`, key);
        break;
      case 'gte':
      case 'lte':
        if (typeof value !== 'number' || !Number.isFinite(value)) fail(`"${key}" must be a number, got ${describe(value)}`, key);
        break;
      case 'matches':
        if (typeof value !== 'string' || value.length === 0 || value.length > MAX_GLOB_LENGTH) fail(`"matches" must be a glob pattern of 1 to ${MAX_GLOB_LENGTH} characters, got ${describe(value)}`, key);
        break;
    }
    out[key] = Array.isArray(value) ? Object.freeze([...(value as unknown[])]) : value;
  }
  return ok ? (Object.freeze(out) as unknown as FieldCondition) : undefined;
}

/**
 * Whether the condition holds for the context. A field that is not set satisfies only
 * `exists: false`; a field holding a list satisfies a test when any of its items does.
 */
export function evaluateCondition(condition: Condition, context: TemplateContext): boolean {
  if ('all' in condition) return condition.all.every((item) => evaluateCondition(item, context));
  if ('any' in condition) return condition.any.some((item) => evaluateCondition(item, context));
  if ('not' in condition) return !evaluateCondition(condition.not, context);
  return evaluateField(condition, context);
}

function evaluateField(condition: FieldCondition, context: TemplateContext): boolean {
  const value = resolvePath(context, condition.field);
  const present = value !== MISSING && value !== null && !(Array.isArray(value) && value.length === 0);
  if (condition.exists !== undefined && condition.exists !== present) return false;
  if (!present) return condition.equals === undefined && condition.in === undefined && condition.cidr === undefined && condition.gte === undefined && condition.lte === undefined && condition.matches === undefined;
  const items: unknown[] = Array.isArray(value) ? value : [value];
  const any = (test: (item: unknown) => boolean): boolean => items.some(test);
  if (condition.equals !== undefined && !any((item) => same(item, condition.equals as string | number | boolean))) return false;
  if (condition.in !== undefined && !any((item) => (condition.in as readonly (string | number)[]).some((wanted) => same(item, wanted)))) return false;
  if (condition.cidr !== undefined) {
    const prefixes = condition.cidr.map((prefix) => parseAddress(prefix));
    if (!any((item) => inside(item, prefixes))) return false;
  }
  if (condition.gte !== undefined && !any((item) => (numberOf(item) ?? -Infinity) >= (condition.gte as number))) return false;
  if (condition.lte !== undefined && !any((item) => (numberOf(item) ?? Infinity) <= (condition.lte as number))) return false;
  if (condition.matches !== undefined && !any((item) => isScalar(item) && globMatch(condition.matches as string, String(item)))) return false;
  return true;
}

function addressProblem(text: string): string | undefined {
  try {
    parseAddress(text);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** A number, or a string that is one (entity values are strings: `destination.port` is "22"). */
function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

/** Equality across the types YAML and alerts use: numbers numerically, everything else as case-insensitive text. */
function same(actual: unknown, wanted: string | number | boolean): boolean {
  if (!isScalar(actual)) return false;
  const a = numberOf(actual);
  const b = numberOf(wanted);
  if (a !== undefined && b !== undefined) return a === b;
  return String(actual).toLowerCase() === String(wanted).toLowerCase();
}

function inside(value: unknown, prefixes: readonly ParsedAddress[]): boolean {
  if (typeof value !== 'string') return false;
  let address: ParsedAddress;
  try {
    address = parseAddress(value);
  } catch {
    return false;
  }
  return prefixes.some((prefix) => contains(prefix, address));
}

/**
 * Case-insensitive glob match (`*` any run, `?` one character), by the two-pointer wildcard
 * algorithm: at most pattern × text steps, never the exponential backtracking a RegExp built
 * from `*a*a*a*b` can fall into on a long value.
 */
export function globMatch(pattern: string, text: string): boolean {
  const p = pattern.toLowerCase();
  const t = text.toLowerCase();
  let pi = 0;
  let ti = 0;
  let star = -1;
  let resume = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === '?' || (p[pi] !== '*' && p[pi] === t[ti]))) {
      pi += 1;
      ti += 1;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi;
      resume = ti;
      pi += 1;
    } else if (star >= 0) {
      pi = star + 1;
      resume += 1;
      ti = resume;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi += 1;
  return pi === p.length;
}
