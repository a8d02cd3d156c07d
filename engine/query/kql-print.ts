import { UserError } from '../../core/errors.js';
import type { FilterNode } from '../../core/query/filter.js';
import { textWords } from '../../core/query/text.js';
import { isCidr, KQL_FIELD, rangeBound } from './kql.js';

/**
 * Writes a filter as KQL that {@link parseKql} reads back to an equivalent filter (for
 * `watchpost rules convert --to kql` and for showing a rule's condition to analysts).
 *
 * Equivalent, not identical: `contains`/`startswith`/`endswith` come back as `wildcard`, the
 * free text of one `and` as one `text` node, nested `and`/`or` flattened, a range with two lower
 * (or two upper) bounds as its tighter bound, and a `wildcard` without a wildcard character as
 * `eq`. Throws a UserError WATCHPOST_ERR_QUERY_SYNTAX naming what KQL cannot say: `regex`,
 * `fieldref`, `timepart`, case-sensitive predicates, and values no KQL term holds.
 *
 * @see parseKql in ./kql.ts
 */
export function printKql(filter: FilterNode): string {
  return print(filter, 'top');
}

type Parent = 'top' | 'and' | 'or' | 'not';
type RangeNode = Extract<FilterNode, { op: 'range' }>;

function cannot(message: string): never {
  throw new UserError('WATCHPOST_ERR_QUERY_SYNTAX', `cannot write the filter as KQL: ${message}`);
}

function print(node: FilterNode, parent: Parent): string {
  switch (node.op) {
    case 'and': {
      if (node.children.length === 0) return '*';
      if (node.children.length === 1) return print(node.children[0] as FilterNode, parent);
      const parts = node.children.map((child) => {
        // Comparisons of one field in one group are merged by the parser: keep them apart.
        const apart = child.op === 'range' && node.children.some((other) => other !== child && other.op === 'range' && other.field === child.field);
        return apart ? `(${printRange(child, 'top')})` : print(child, 'and');
      });
      const text = parts.join(' and ');
      return parent === 'and' || parent === 'not' ? `(${text})` : text;
    }
    case 'or': {
      if (node.children.length === 0) return parent === 'top' || parent === 'or' ? 'not *' : '(not *)';
      if (node.children.length === 1) return print(node.children[0] as FilterNode, parent);
      const text = node.children.map((child) => print(child, 'or')).join(' or ');
      return parent === 'and' || parent === 'not' ? `(${text})` : text;
    }
    case 'not':
      return `not ${print(node.child, 'not')}`;
    case 'eq':
      caseInsensitive(node.op, node.field, node.caseSensitive);
      if (typeof node.value === 'string') return `${field(node.field)}:${quote(node.value)}`;
      if (typeof node.value === 'number' && !Number.isFinite(node.value)) cannot(`eq on "${node.field}" compares with ${node.value}, not a finite number`);
      return `${field(node.field)}:${String(node.value)}`;
    case 'contains':
    case 'startswith':
    case 'endswith': {
      caseInsensitive(node.op, node.field, node.caseSensitive);
      const literal = Array.from(node.value, (c) => (c === '*' || c === '?' || c === '\\' ? `\\${c}` : c)).join('');
      const pattern = node.op === 'contains' ? `*${literal}*` : node.op === 'startswith' ? `${literal}*` : `*${literal}`;
      return printWildcard(node.field, pattern);
    }
    case 'wildcard':
      caseInsensitive(node.op, node.field, node.caseSensitive);
      return printWildcard(node.field, node.pattern);
    case 'cidr':
      if (!isCidr(node.cidr)) cannot(`${JSON.stringify(node.cidr)} on "${node.field}" is not a CIDR block`);
      return `${field(node.field)}:${unquoted(node.cidr)}`;
    case 'exists':
      return `${field(node.field)}:*`;
    case 'range':
      return printRange(node, parent);
    case 'text':
      if (textWords(node.value).length === 0) cannot(`the free text ${JSON.stringify(node.value)} has no word`);
      return quote(node.value);
    case 'regex':
    case 'fieldref':
    case 'timepart':
      return cannot(`KQL has no ${node.op} condition (on "${node.field}")`);
  }
}

function caseInsensitive(op: string, name: string, caseSensitive: boolean | undefined): void {
  if (caseSensitive === true) cannot(`KQL matches without case: the case-sensitive ${op} on "${name}" has no KQL form`);
}

function field(name: string): string {
  if (!KQL_FIELD.test(name)) cannot(`invalid field name ${JSON.stringify(name)}`);
  return name;
}

/** A glob pattern as an unquoted value; without a wildcard it is the exact value, quoted. */
function printWildcard(name: string, pattern: string): string {
  let literal = '';
  let out = '';
  let wild = false;
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === '\\') {
      // A trailing backslash is a literal one, as every compiler reads it.
      const next = i + 1 < chars.length ? (chars[++i] as string) : '\\';
      literal += next;
      out += escapeChar(next);
    } else if (c === '*' || c === '?') {
      wild = true;
      out += c;
    } else {
      literal += c;
      out += escapeChar(c);
    }
  }
  if (!wild) return `${field(name)}:${quote(literal)}`;
  // `field:*` would read back as exists, which also holds for numbers; `**` is the same glob.
  return `${field(name)}:${out === '*' ? '**' : out}`;
}

/** Characters that end or change an unquoted word, escaped. */
const SPECIAL = new Set(['\\', '(', ')', ':', '<', '>', '"', '*', '?', '{', '}']);
const CONTROL_ESCAPES: Readonly<Record<string, string>> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', ' ': '\\ ' };

function escapeChar(c: string): string {
  if (SPECIAL.has(c)) return `\\${c}`;
  const control = CONTROL_ESCAPES[c];
  if (control !== undefined) return control;
  if (/\s/u.test(c)) return `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, '0')}`;
  return c;
}

function unquoted(value: string): string {
  return Array.from(value, escapeChar).join('');
}

function quote(value: string): string {
  return `"${value.replace(/[\\"\t\n\r]/g, (c) => (c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\${c}`))}"`;
}

const OPERATOR = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

/** One comparison, or two joined by `and` (parenthesized unless alone at the top). */
function printRange(node: RangeNode, parent: Parent): string {
  const bounds = [...new Set([typeof node.gt, typeof node.gte, typeof node.lt, typeof node.lte])].filter((kind) => kind !== 'undefined');
  if (bounds.length === 0) cannot(`the range on "${node.field}" has no bound`);
  if (bounds.length > 1) cannot(`the range on "${node.field}" mixes numbers and date-times`);
  const lower = tighter(node, 'gt', 'gte', 1);
  const upper = tighter(node, 'lt', 'lte', -1);
  // A field spelled like a keyword must touch its operator, or it would read as `not`, `and`, `or`.
  const space = /^(and|or|not)$/i.test(node.field) ? '' : ' ';
  const parts = [lower, upper]
    .filter((bound) => bound !== undefined)
    .map(([key, value]) => `${field(node.field)}${space}${OPERATOR[key]}${space}${printBound(node.field, value)}`);
  if (parts.length === 1) return parts[0] as string;
  const text = parts.join(' and ');
  return parent === 'top' ? text : `(${text})`;
}

/**
 * The stricter of a range's two bounds on one side: a range holds for one value, so
 * `{ gt: 1, gte: 2 }` is `{ gte: 2 }`; on a tie the strict bound wins.
 */
function tighter<S extends 'gt' | 'lt', N extends 'gte' | 'lte'>(node: RangeNode, strict: S, inclusive: N, direction: 1 | -1): [S | N, number | string] | undefined {
  const a = node[strict];
  const b = node[inclusive];
  if (a === undefined) return b === undefined ? undefined : [inclusive, b];
  if (b === undefined) return [strict, a];
  const order = (value: number | string): number => (typeof value === 'number' ? value : Date.parse(value));
  return direction * (order(b) - order(a)) > 0 ? [inclusive, b] : [strict, a];
}

function printBound(name: string, value: number | string): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) cannot(`the range on "${name}" has the bound ${value}`);
    return String(value);
  }
  if (rangeBound(value) !== value) cannot(`the range bound ${JSON.stringify(value)} on "${name}" is neither a number nor an ISO-8601 date-time`);
  return quote(value);
}
