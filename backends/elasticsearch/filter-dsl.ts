import type { estypes } from '@elastic/elasticsearch';
import { isIP } from 'node:net';
import { UserError } from '../../core/errors.js';
import type { FilterNode, FilterScalar } from '../../core/query/filter.js';
import { parseFilterRegex, RegexSubsetError, type RegexToken } from '../../core/query/regex.js';
import { foldCase, textWords } from '../../core/query/text.js';
import { toLuceneRegex } from './lucene-regex.js';

/**
 * Compiles the filter AST (core/query/filter.ts) to Elasticsearch Query DSL with the same
 * results the SQL compiler gives on the same documents.
 *
 * String predicates run on a keyword view of the field: the field itself when it is a keyword,
 * else its `.keyword` multi-field (text, ip and date fields carry one, see index-template.ts), so
 * they see the value as it was written, like SQLite does; case-insensitive ones run on the
 * `.lower` multi-field with the value folded the same way. Predicates that cannot hold for a
 * field's type (a substring of a number) compile to `match_none` instead of a query error.
 */

/** How a field is mapped, as far as the compiler cares. Unlisted fields are keywords. */
export type FieldType = 'keyword' | 'text' | 'ip' | 'number' | 'date' | 'boolean';

/** Field path → its mapping type. */
export type FieldTypes = Readonly<Record<string, FieldType>>;

/** The multi-field holding the verbatim value of text, ip and date fields. */
export const KEYWORD_SUBFIELD = 'keyword';

/**
 * The multi-field of every string-bearing field holding its value lower-cased by a `lowercase`
 * normalizer (Unicode simple lower-casing, as foldCase). Case-insensitive predicates query it
 * with a folded value: Elasticsearch's own `case_insensitive` flag folds ASCII letters only.
 */
export const LOWER_SUBFIELD = 'lower';

/** The fields the `text` op searches (mapped as `text` with the standard analyzer). */
export const TEXT_FIELDS = ['message', 'event.original'] as const;

const FIELD_PATH = /^[@A-Za-z0-9_-]+(\.[@A-Za-z0-9_-]+)*$/;
const DECIMAL = /^-?[0-9]+(\.[0-9]+)?$/;
const MAX_PATTERN_LENGTH = 4096;
const MATCH_NONE: estypes.QueryDslQueryContainer = { match_none: {} };
const MATCH_ALL: estypes.QueryDslQueryContainer = { match_all: {} };

type Query = estypes.QueryDslQueryContainer;

function invalid(message: string, field?: string): never {
  throw new UserError('WATCHPOST_ERR_STORE_INVALID_QUERY', message, field === undefined ? {} : { problems: [{ message, path: field }] });
}

/** Options of {@link compileFilterDsl}. */
export interface FilterDslOptions {
  /**
   * Every string-bearing field has a `.lower` multi-field ({@link LOWER_SUBFIELD}, lowercase
   * normalizer). Case-insensitive predicates then fold Unicode exactly, as the SQL compiler does;
   * without it they use Elasticsearch's `case_insensitive` flag, which folds ASCII letters only.
   * @defaultValue false
   */
  readonly lowerSubfields?: boolean;
}

/**
 * Compiles a filter to a query. Throws a UserError WATCHPOST_ERR_STORE_INVALID_QUERY for a bad
 * field name, a regex outside the common ECMAScript/Lucene subset, a bad CIDR block or range.
 */
export function compileFilterDsl(filter: FilterNode, fields: FieldTypes = {}, options: FilterDslOptions = {}): Query {
  return compile(filter, { fields, lower: options.lowerSubfields === true });
}

interface Context {
  readonly fields: FieldTypes;
  readonly lower: boolean;
}

/** How a string predicate meets case: verbatim, folded on the `.lower` view, or with `case_insensitive`. */
type CaseMode = 'exact' | 'folded' | 'flagged';

/** A query on the string value of a field, or match_none when the field holds no strings. */
function onString(ctx: Context, field: string, caseSensitive: boolean, build: (view: string, mode: CaseMode) => Query): Query {
  const verbatim = keywordView(field, typeOf(ctx.fields, field));
  if (verbatim === undefined) return MATCH_NONE;
  if (caseSensitive) return build(verbatim, 'exact');
  return ctx.lower ? build(`${field}.${LOWER_SUBFIELD}`, 'folded') : build(verbatim, 'flagged');
}

const foldFor = (mode: CaseMode, value: string): string => (mode === 'folded' ? foldCase(value) : value);
const flagFor = (mode: CaseMode): { case_insensitive?: true } => (mode === 'flagged' ? { case_insensitive: true } : {});

function compile(node: FilterNode, ctx: Context): Query {
  const fields = ctx.fields;
  switch (node.op) {
    case 'and':
      return node.children.length === 0 ? MATCH_ALL : { bool: { filter: node.children.map((c) => compile(c, ctx)) } };
    case 'or':
      return node.children.length === 0 ? MATCH_NONE : { bool: { should: node.children.map((c) => compile(c, ctx)), minimum_should_match: 1 } };
    case 'not':
      // must_not is true for documents without the field: Sigma's rule for `not` over missing fields.
      return { bool: { must_not: [compile(node.child, ctx)] } };
    case 'eq':
      return eq(ctx, node.field, node.value, node.caseSensitive === true);
    case 'contains':
    case 'startswith':
    case 'endswith': {
      const op = node.op;
      return onString(ctx, node.field, node.caseSensitive === true, (view, mode) => {
        const value = foldFor(mode, node.value);
        if (op === 'startswith') return { prefix: { [view]: { value, ...flagFor(mode) } } };
        const escaped = escapeWildcard(value);
        return { wildcard: { [view]: { value: op === 'contains' ? `*${escaped}*` : `*${escaped}`, ...flagFor(mode) } } };
      });
    }
    case 'wildcard': {
      const pattern = node.pattern;
      return onString(ctx, node.field, node.caseSensitive === true, (view, mode) =>
        // Lucene's wildcard query matches nothing for an empty pattern; the glob "" means the empty string.
        pattern === ''
          ? { term: { [view]: '' } }
          : { wildcard: { [view]: { value: normaliseGlob(foldFor(mode, pattern)), ...flagFor(mode) } } },
      );
    }
    case 'regex':
      return regex(ctx, node.field, node.pattern, node.flags?.i === true);
    case 'cidr':
      if (!isCidr(node.cidr)) invalid(`invalid CIDR block ${JSON.stringify(node.cidr)}`, node.field);
      // Only ip-mapped fields can answer a CIDR query; every *.ip field is one (index-template.ts).
      return typeOf(fields, node.field) === 'ip' ? { term: { [node.field]: node.cidr } } : MATCH_NONE;
    case 'exists':
      return exists(node.field, typeOf(fields, node.field));
    case 'range':
      return range(node, typeOf(fields, node.field));
    case 'text': {
      if (textWords(node.value).length === 0) return MATCH_NONE;
      return { multi_match: { query: node.value, fields: [...TEXT_FIELDS], type: 'cross_fields', operator: 'and' } };
    }
    case 'fieldref':
    case 'timepart':
      // Both need a script query, which a store must not run for user input: streaming only.
      return invalid(`the ${node.op} condition cannot be expressed in Query DSL (it is evaluated on streaming events only)`, node.field);
  }
}

function typeOf(fields: FieldTypes, field: string): FieldType {
  if (!FIELD_PATH.test(field)) invalid(`invalid field name ${JSON.stringify(field)}: use dotted ECS names of letters, digits, @ _ . -`, field);
  return fields[field] ?? 'keyword';
}

/** Where the verbatim string of a field is indexed, or undefined when it holds no strings. */
function keywordView(field: string, type: FieldType): string | undefined {
  if (type === 'keyword') return field;
  if (type === 'text' || type === 'ip' || type === 'date') return `${field}.${KEYWORD_SUBFIELD}`;
  return undefined;
}

function eq(ctx: Context, field: string, value: FilterScalar, caseSensitive: boolean): Query {
  const type = typeOf(ctx.fields, field);
  if (typeof value === 'number' && !Number.isFinite(value)) invalid(`eq needs a finite number, not ${value}`, field);
  if (type === 'number') {
    if (typeof value === 'number') return { term: { [field]: value } };
    return typeof value === 'string' && DECIMAL.test(value) ? { term: { [field]: Number(value) } } : MATCH_NONE;
  }
  if (type === 'boolean') {
    if (typeof value === 'boolean') return { term: { [field]: value } };
    if (typeof value !== 'string') return MATCH_NONE;
    const folded = foldCase(value);
    const spelled = folded === 'true' || folded === 'false';
    return spelled && (!caseSensitive || value === folded) ? { term: { [field]: folded === 'true' } } : MATCH_NONE;
  }
  return onString(ctx, field, caseSensitive, (view, mode) =>
    mode === 'flagged' ? { term: { [view]: { value: String(value), case_insensitive: true } } } : { term: { [view]: foldFor(mode, String(value)) } },
  );
}

/** Escapes the wildcard metacharacters of a literal. */
function escapeWildcard(value: string): string {
  return value.replace(/[\\*?]/g, (c) => `\\${c}`);
}

/** The AST's glob is Lucene's wildcard syntax already; only a trailing lone `\` needs escaping. */
function normaliseGlob(pattern: string): string {
  const trailing = /\\+$/.exec(pattern)?.[0].length ?? 0;
  return trailing % 2 === 1 ? `${pattern}\\` : pattern;
}

function regex(ctx: Context, field: string, pattern: string, ignoreCase: boolean): Query {
  if (pattern.length > MAX_PATTERN_LENGTH) invalid(`regex longer than ${MAX_PATTERN_LENGTH} characters`, field);
  let tokens: RegexToken[];
  try {
    tokens = parseFilterRegex(pattern);
  } catch (error) {
    if (error instanceof RegexSubsetError) invalid(`unsupported regex ${JSON.stringify(pattern)}: ${error.message}`, field);
    throw error;
  }
  return onString(ctx, field, !ignoreCase, (view, mode) => ({
    regexp: { [view]: { value: toLuceneRegex(tokens, { fold: mode === 'folded' }), flags: 'NONE', ...flagFor(mode) } },
  }));
}

function exists(field: string, type: FieldType): Query {
  const view = keywordView(field, type);
  // An ip or date value that failed to parse is kept only in the keyword view, a long text only
  // in the main field: either counts.
  if (view === undefined || view === field) return { exists: { field } };
  return { bool: { should: [{ exists: { field } }, { exists: { field: view } }], minimum_should_match: 1 } };
}

const RANGE_KEYS = ['gt', 'gte', 'lt', 'lte'] as const;

function range(node: Extract<FilterNode, { op: 'range' }>, type: FieldType): Query {
  const bounds = RANGE_KEYS.filter((key) => node[key] !== undefined);
  if (bounds.length === 0) invalid('range needs at least one of gt, gte, lt, lte', node.field);
  const numeric = bounds.every((key) => typeof node[key] === 'number');
  if (!numeric && bounds.some((key) => typeof node[key] === 'number')) invalid('range bounds must be all numbers or all timestamps', node.field);
  const values: Partial<Record<(typeof RANGE_KEYS)[number], number>> = {};
  for (const key of bounds) {
    const bound = node[key] as number | string;
    const value = typeof bound === 'number' ? bound : Date.parse(bound);
    if (!Number.isFinite(value)) invalid(`range bound ${key} must be a finite number or an ISO-8601 timestamp, not ${String(bound)}`, node.field);
    values[key] = value;
  }
  // Numbers compare with numbers only (SQLite never orders "10" and 9); timestamps compare as
  // instants on date fields and on numbers (epoch ms).
  if (numeric) return type === 'number' ? { range: { [node.field]: values } } : MATCH_NONE;
  if (type === 'date' || type === 'number') return { range: { [node.field]: { ...values, ...(type === 'date' ? { format: 'epoch_millis' } : {}) } } };
  if (type === 'keyword') {
    // A timestamp kept as a keyword can only be compared as text: exact for one ISO-8601 UTC spelling.
    const iso = Object.fromEntries(Object.entries(values).map(([key, ms]) => [key, new Date(ms).toISOString()]));
    return { range: { [node.field]: iso } };
  }
  return MATCH_NONE;
}

function isCidr(cidr: string): boolean {
  const [address = '', prefix, extra] = cidr.split('/');
  const version = isIP(address);
  if (version === 0 || address.includes('%') || extra !== undefined) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128));
}
