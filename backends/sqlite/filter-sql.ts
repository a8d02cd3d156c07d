import { UserError } from '../../core/errors.js';
import type { FilterNode, FilterScalar } from '../../core/query/filter.js';
import { parseFilterRegex, RegexSubsetError } from '../../core/query/regex.js';
import { foldCase, textWords } from '../../core/query/text.js';
import { filterRegex, parseCidr } from './sql-functions.js';

export { documentIrregular, registerSqlFunctions } from './sql-functions.js';

/**
 * Compiles the filter AST (core/query/filter.ts) to SQLite SQL over a JSON TEXT column holding
 * the nested ECS document.
 *
 * Every field predicate is an `EXISTS` over `json_each(doc, path)`: for an array it yields the
 * elements and for a scalar the scalar itself, so "an array matches if any element matches" and
 * "a missing field is false" fall out of one shape. Rows of an object's members are skipped
 * (their key is text), so a predicate never matches an object's inner values by accident.
 *
 * A plain JSON path misses values in two document shapes the other compilers see: an array on
 * the way (`dns.answers.name` with `dns.answers` an array of objects) and flat dotted keys
 * (`{"url.original": …}`, or `{url: {"original.x": …}}`). For a field of several segments the
 * predicate is therefore `fast OR (irregular AND general)`: `irregular` asks SQLite whether any
 * proper prefix of the path is an array or any key joining two or more of the segments exists,
 * and only then `general` resolves the field in JS (`wp_values`, as the streaming evaluator
 * does). Those lookups parse the document a second time (json_each does not share SQLite's
 * parse cache), about doubling the cost of a leaf that fails; a store that keeps a per-row mark
 * ({@link FilterSqlOptions.irregularColumn}, the event store does) asks the mark instead.
 * Values are always bound parameters; only validated field paths and the column name reach the SQL.
 */

/** A compiled WHERE fragment and its positional parameters. */
export interface SqlFragment {
  readonly sql: string;
  readonly params: unknown[];
}

/** Options of {@link compileFilterSql}. */
export interface FilterSqlOptions {
  /**
   * An FTS5 table (unicode61) indexing, by rowid, the words of each row's `message` and
   * `event.original` as `textWords` splits them, joined by spaces. When given, the `text` op
   * first narrows rows with an FTS5 MATCH (a superset of the exact word match) and then checks
   * the words exactly, which makes it index-assisted.
   */
  readonly fts?: { readonly table: string; readonly rowid: string };
  /**
   * A column holding {@link documentIrregular} of each row's document (0 or 1). When given, only
   * rows marked 1 are checked for values a plain JSON path misses, which makes the check free for
   * the others; without it every row is checked with a few lookups per leaf.
   */
  readonly irregularColumn?: string;
}

const FIELD_PATH = /^[@A-Za-z0-9_-]+(\.[@A-Za-z0-9_-]+)*$/;
const SQL_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;
const DECIMAL = /^-?[0-9]+(\.[0-9]+)?$/;
const NUMBER_TYPES = "j.type IN ('integer','real')";
const MAX_PATTERN_LENGTH = 4096;

/** Throws the UserError every malformed filter gets. */
function invalid(message: string, field?: string): never {
  throw new UserError('WATCHPOST_ERR_STORE_INVALID_QUERY', message, field === undefined ? {} : { problems: [{ message, path: field }] });
}

/** The SQLite JSON path of a dotted ECS field, each segment quoted (`$."source"."ip"`). */
export function jsonPath(field: string): string {
  if (!FIELD_PATH.test(field)) invalid(`invalid field name ${JSON.stringify(field)}: use dotted ECS names of letters, digits, @ _ . -`, field);
  return '$' + field.split('.').map((segment) => `."${segment}"`).join('');
}

/**
 * Compiles a filter to a WHERE fragment over `docColumn` (a column name, optionally qualified:
 * `doc`, `e.doc`). Throws a UserError WATCHPOST_ERR_STORE_INVALID_QUERY for a bad field name,
 * regex, CIDR block or range bound. The connection must have {@link registerSqlFunctions}.
 */
export function compileFilterSql(filter: FilterNode, docColumn: string, options: FilterSqlOptions = {}): SqlFragment {
  for (const column of [docColumn, options.irregularColumn ?? docColumn]) {
    if (!SQL_IDENTIFIER.test(column)) throw new TypeError(`invalid column name ${column}`);
  }
  const params: unknown[] = [];
  const sql = compileNode(filter, { doc: docColumn, params, options });
  return { sql, params };
}

interface Context {
  readonly doc: string;
  readonly params: unknown[];
  readonly options: FilterSqlOptions;
}

function compileNode(node: FilterNode, ctx: Context): string {
  switch (node.op) {
    case 'and':
      return node.children.length === 0 ? '1' : `(${node.children.map((c) => compileNode(c, ctx)).join(' AND ')})`;
    case 'or':
      return node.children.length === 0 ? '0' : `(${node.children.map((c) => compileNode(c, ctx)).join(' OR ')})`;
    case 'not':
      return `(NOT ${compileNode(node.child, ctx)})`;
    case 'eq':
      return anyElement(ctx, node.field, () => eqCondition(ctx, node.value, node.caseSensitive === true));
    case 'contains':
    case 'startswith':
    case 'endswith':
      return anyElement(ctx, node.field, () => affixCondition(ctx, node.op, node.value, node.caseSensitive === true));
    case 'wildcard':
      return anyElement(
        ctx,
        node.field,
        () => `j.type = 'text' AND ${folded('j.value', node.caseSensitive)} GLOB ${bind(ctx, globPattern(node.pattern, node.caseSensitive === true))}`,
      );
    case 'regex':
      validateRegex(node.field, node.pattern, node.flags?.i === true);
      return anyElement(ctx, node.field, () => `j.type = 'text' AND wp_regexp(${bind(ctx, node.pattern)}, ${bind(ctx, node.flags?.i === true ? 'i' : '')}, j.value) = 1`);
    case 'cidr':
      if (!parseCidr(node.cidr)) invalid(`invalid CIDR block ${JSON.stringify(node.cidr)}`, node.field);
      return anyElement(ctx, node.field, () => `j.type = 'text' AND wp_cidr(${bind(ctx, node.cidr)}, j.value) = 1`);
    case 'exists': {
      // Unlike the other predicates, an object with a non-null member counts as present.
      const fast = `EXISTS (SELECT 1 FROM json_each(${ctx.doc}, ${bind(ctx, jsonPath(node.field))}) AS j WHERE j.type <> 'null')`;
      const guard = irregular(ctx, node.field);
      return guard === undefined ? fast : `(${fast} OR (${guard} AND wp_present(${ctx.doc}, ${bind(ctx, node.field)}) = 1))`;
    }
    case 'range':
      checkRange(node);
      return anyElement(ctx, node.field, () => rangeCondition(ctx, node));
    case 'text':
      return textCondition(ctx, node.value);
    case 'fieldref':
    case 'timepart':
      // Kept out of the stores so every store answers the same: streaming evaluation only.
      return invalid(`the ${node.op} condition cannot be expressed in SQL (it is evaluated on streaming events only)`, node.field);
  }
}

function bind(ctx: Context, value: unknown): string {
  ctx.params.push(value);
  return '?';
}

function folded(expression: string, caseSensitive: boolean | undefined): string {
  return caseSensitive === true ? expression : `wp_lower(${expression})`;
}

/** True when some element (or the scalar) at `field` satisfies `condition` over `j.value`/`j.type`. */
function anyElement(ctx: Context, field: string, condition: () => string): string {
  // Bind in the order the placeholders appear: they are positional.
  const path = bind(ctx, jsonPath(field));
  const fast = `EXISTS (SELECT 1 FROM json_each(${ctx.doc}, ${path}) AS j WHERE typeof(j.key) <> 'text' AND ${condition()})`;
  const guard = irregular(ctx, field);
  if (guard === undefined) return fast;
  return `(${fast} OR (${guard} AND EXISTS (SELECT 1 FROM json_each(wp_values(${ctx.doc}, ${bind(ctx, field)})) AS j WHERE ${condition()})))`;
}

/**
 * A condition true when the row may hold values at `field` that `json_each(doc, path)` does not
 * yield. With a mark column, the mark. Without one: a proper prefix of the path is an array, or
 * some object on the plain path has a key joining two or more of the remaining segments (arrays
 * nested at the leaf are not looked for there). Never NULL, so NOT over it stays two-valued.
 * Undefined for a one-segment field without a mark column, where neither can happen.
 */
function irregular(ctx: Context, field: string): string | undefined {
  // A marked row is irregular somewhere: resolve every leaf the plain path fails in JS (which
  // parses the row once for all its leaves, and also flattens arrays nested at the leaf).
  if (ctx.options.irregularColumn !== undefined) return `${ctx.options.irregularColumn} <> 0`;
  const segments = field.split('.');
  if (segments.length < 2) return undefined;
  const quoted = segments.map((segment) => `"${segment}"`);
  const prefix = (length: number): string => '$' + quoted.slice(0, length).map((segment) => `.${segment}`).join('');
  const arrays: string[] = [];
  const dotted: string[] = [];
  for (let level = 0; level < segments.length - 1; level++) {
    if (level > 0) arrays.push(prefix(level));
    for (let end = level + 2; end <= segments.length; end++) dotted.push(`${prefix(level)}."${segments.slice(level, end).join('.')}"`);
  }
  arrays.push(prefix(segments.length - 1));
  // One json_extract over every dotted spelling: it answers a JSON array with null for each missing key.
  const parts = arrays.map((path) => `json_type(${ctx.doc}, ${bind(ctx, path)}) IS 'array'`);
  parts.push(
    dotted.length === 1
      ? `json_type(${ctx.doc}, ${bind(ctx, dotted[0])}) IS NOT NULL`
      : `json_extract(${ctx.doc}, ${dotted.map((path) => bind(ctx, path)).join(', ')}) IS NOT ${bind(ctx, `[${dotted.map(() => 'null').join(',')}]`)}`,
  );
  return `(${parts.join(' OR ')})`;
}

function eqCondition(ctx: Context, value: FilterScalar, caseSensitive: boolean): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) invalid(`eq needs a finite number, not ${value}`);
    // A number also matches a string field holding its decimal spelling (logs are text).
    return `((${NUMBER_TYPES} AND j.value = ${bind(ctx, value)}) OR (j.type = 'text' AND j.value = ${bind(ctx, String(value))}))`;
  }
  if (typeof value === 'boolean') {
    return `(j.type = ${bind(ctx, value ? 'true' : 'false')} OR (j.type = 'text' AND ${folded('j.value', caseSensitive)} = ${bind(ctx, String(value))}))`;
  }
  const parts = [`(j.type = 'text' AND ${folded('j.value', caseSensitive)} = ${bind(ctx, caseSensitive ? value : foldCase(value))})`];
  // And a string holding a decimal number matches a numeric field with that value.
  if (DECIMAL.test(value)) parts.push(`(${NUMBER_TYPES} AND j.value = ${bind(ctx, Number(value))})`);
  const lowered = foldCase(value);
  if (lowered === 'true' || lowered === 'false') {
    if (caseSensitive ? value === lowered : true) parts.push(`j.type = ${bind(ctx, lowered)}`);
  }
  return `(${parts.join(' OR ')})`;
}

function affixCondition(ctx: Context, op: 'contains' | 'startswith' | 'endswith', value: string, caseSensitive: boolean): string {
  const needle = caseSensitive ? value : foldCase(value);
  const hay = folded('j.value', caseSensitive);
  if (op === 'contains') return `j.type = 'text' AND instr(${hay}, ${bind(ctx, needle)}) > 0`;
  // substr/length count characters, so the comparison is exact for any Unicode text.
  const length = Array.from(needle).length;
  // Every string starts and ends with "" (and substr(x, -0) would be the whole string).
  if (length === 0) return `j.type = 'text'`;
  if (op === 'startswith') return `j.type = 'text' AND substr(${hay}, 1, ${bind(ctx, length)}) = ${bind(ctx, needle)}`;
  return `j.type = 'text' AND length(${hay}) >= ${bind(ctx, length)} AND substr(${hay}, -${bind(ctx, length)}) = ${bind(ctx, needle)}`;
}

/**
 * Turns the AST's glob (`*`, `?`, `\` escapes) into a SQLite GLOB pattern, whose only escape is
 * a one-character class: `[*]`, `[?]`, `[[]`. A folded pattern meets a folded value.
 */
export function globPattern(pattern: string, caseSensitive: boolean): string {
  let out = '';
  const chars = Array.from(caseSensitive ? pattern : foldCase(pattern));
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === '\\' && i + 1 < chars.length) {
      const next = chars[++i] as string;
      out += next === '*' || next === '?' || next === '[' ? `[${next}]` : next;
    } else if (c === '[') out += '[[]';
    else out += c;
  }
  return out;
}

/** Refuses what the predicate refuses, and builds (and caches) the matcher wp_regexp will run. */
function validateRegex(field: string, pattern: string, ignoreCase: boolean): void {
  if (pattern.length > MAX_PATTERN_LENGTH) invalid(`regex longer than ${MAX_PATTERN_LENGTH} characters`, field);
  try {
    parseFilterRegex(pattern);
  } catch (error) {
    if (error instanceof RegexSubsetError) invalid(`unsupported regex ${JSON.stringify(pattern)}: ${error.message}`, field);
    throw error;
  }
  try {
    filterRegex(pattern, ignoreCase);
  } catch (error) {
    // RE2 refuses what the subset parser lets through only at its limits (repeat counts above 1000).
    invalid(`unsupported regex ${JSON.stringify(pattern)}: ${(error as Error).message}`, field);
  }
}

const RANGE_KEYS = ['gt', 'gte', 'lt', 'lte'] as const;
const RANGE_SQL = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

/** Validates range bounds: at least one, all numbers or all parsable timestamps. */
function checkRange(node: Extract<FilterNode, { op: 'range' }>): void {
  const bounds = RANGE_KEYS.filter((key) => node[key] !== undefined);
  if (bounds.length === 0) invalid('range needs at least one of gt, gte, lt, lte', node.field);
  const kinds = new Set(bounds.map((key) => typeof node[key]));
  if (kinds.size > 1) invalid('range bounds must be all numbers or all timestamps', node.field);
  for (const key of bounds) {
    const bound = node[key];
    if (typeof bound === 'number' ? !Number.isFinite(bound) : Number.isNaN(Date.parse(String(bound)))) {
      invalid(`range bound ${key} must be a finite number or an ISO-8601 timestamp, not ${String(bound)}`, node.field);
    }
  }
}

function rangeCondition(ctx: Context, node: Extract<FilterNode, { op: 'range' }>): string {
  const bounds = RANGE_KEYS.filter((key) => node[key] !== undefined);
  if (bounds.every((key) => typeof node[key] === 'number')) {
    return `${NUMBER_TYPES} AND ${bounds.map((key) => `j.value ${RANGE_SQL[key]} ${bind(ctx, node[key])}`).join(' AND ')}`;
  }
  // Timestamp bounds compare instants, so differently spelled ISO-8601 values order correctly.
  const terms = bounds.map((key) => `wp_ts(j.value) ${RANGE_SQL[key]} ${bind(ctx, Date.parse(String(node[key])))}`);
  return `j.type IN ('text','integer','real') AND ${terms.join(' AND ')}`;
}

/**
 * The free-text op: every word of `value` is a word (UAX #29, case-folded) of `message` or
 * `event.original`. With an FTS5 table of those words, a MATCH of each word as a phrase narrows
 * the rows first: FTS5 splits a word into the same tokens wherever it occurs, so the MATCH never
 * loses a row the exact check would keep.
 */
function textCondition(ctx: Context, value: string): string {
  const words = [...new Set(textWords(value))];
  if (words.length === 0) return '0'; // nothing to look for matches nothing, as in Elasticsearch
  const phrases = words.filter((word) => /[\p{L}\p{N}]/u.test(word)).map((word) => `"${word.replace(/"/g, '""')}"`);
  const fts = ctx.options.fts;
  const prefilter = fts && phrases.length > 0 ? `${fts.rowid} IN (SELECT rowid FROM ${fts.table} WHERE ${fts.table} MATCH ${bind(ctx, phrases.join(' AND '))}) AND ` : '';
  const strings = (values: string): string => `(SELECT group_concat(j.value, char(10)) FROM json_each(${values}) AS j WHERE j.type = 'text')`;
  const haystack = (field: string): string => {
    // Bound in the order the placeholders appear: the guard, the general lookup, the plain path.
    const guard = irregular(ctx, field);
    const general = guard === undefined ? '' : strings(`wp_values(${ctx.doc}, ${bind(ctx, field)})`);
    const fast = strings(`${ctx.doc}, ${bind(ctx, jsonPath(field))}`);
    return guard === undefined ? fast : `(CASE WHEN ${guard} THEN ${general} ELSE ${fast} END)`;
  };
  const message = haystack('message');
  const original = haystack('event.original');
  return `(${prefilter}wp_text(coalesce(${message}, '') || char(10) || coalesce(${original}, ''), ${bind(ctx, JSON.stringify(words))}) = 1)`;
}
