import { isIP } from 'node:net';
import { UserError } from '../../core/errors.js';
import { and, MATCH_ALL, type FilterNode, type FilterScalar } from '../../core/query/filter.js';
import { textWords } from '../../core/query/text.js';

/**
 * The analysts' search language: Kibana's KQL as people type it, parsed to the filter AST
 * (core/query/filter.ts). docs/search.md is the user-facing description; the choices that differ
 * from Kibana are written there and below.
 *
 * Written by hand: KQL's grammar is small, no installed library parses it, and a hand-written
 * recursive descent gives the exact 1-based column for every error, which a generated parser
 * would not without its own runtime. The parser reads the text directly (no token stream)
 * because what ends a word depends on where it stands: `:` ends a field name but belongs to a
 * value (`url:http://x`, `@timestamp >= 2026-01-01T00:00:00Z`, IPv6 addresses).
 *
 * Choices, so that a query means one predictable thing:
 * - `field:value` is the whole value, case-insensitively (`eq`); `*` and `?` make it a glob
 *   (`wildcard`); `field:*` is `exists`; a CIDR block on its own is `cidr`. A quoted value is
 *   always exact, with `*`, `?` and `/` taken literally.
 * - Bare words and quoted phrases are free text (`text`: every word in `message` or
 *   `event.original`). Adjacent terms are joined by an implicit `and`, and the free-text terms of
 *   one `and` become one `text` node (the op already requires every word).
 * - Comparisons of one field joined by `and` in the same group (`x >= 1 and x < 5`) become one
 *   `range`, so on an array field one element must satisfy both bounds.
 */

/** The longest query accepted, in UTF-8 bytes. */
export const MAX_KQL_BYTES = 8192;

/** The deepest nesting of parentheses and `not` accepted. */
export const MAX_KQL_DEPTH = 32;

/** The most predicates (field terms, list values, free-text terms) in one query. */
export const MAX_KQL_TERMS = 1000;

/** Dotted ECS field names, as the store compilers accept them. */
export const KQL_FIELD = /^[@A-Za-z0-9_-]+(\.[@A-Za-z0-9_-]+)*$/;

const WHITESPACE = /\s/u;
/** Characters with a meaning in KQL; escape them with `\` to use them in an unquoted word. */
const SPECIAL = new Set(['\\', '(', ')', ':', '<', '>', '"', '*', '?', '{', '}']);
/** What ends a word at the start of a term (a field name or a bare word). */
const TERM_END = new Set(['(', ')', ':', '<', '>', '"', '{', '}']);
/** What ends a value after `:` or a comparison; `:`, `<` and `>` belong to values. */
const VALUE_END = new Set(['(', ')', '"', '{', '}']);
const KEYWORD = /^(and|or|not)(?=[\s()"]|$)/iu;
const NUMBER = /^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
/** A date, or a date-time with an optional offset: what range bounds may be besides numbers. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** The column (1-based, in characters) and line of a KQL error; also in the error's `details`. */
export interface KqlPosition {
  readonly line: number;
  readonly column: number;
}

/**
 * Parses a KQL query to a filter. An empty (or blank) query is {@link MATCH_ALL}. Throws a
 * UserError WATCHPOST_ERR_QUERY_SYNTAX whose message ends with the 1-based column and whose
 * `details` carry `line` and `column` (see {@link kqlErrorPosition} and {@link kqlCaret}).
 */
export function parseKql(text: string): FilterNode {
  if (text.length > MAX_KQL_BYTES || new TextEncoder().encode(text).length > MAX_KQL_BYTES) {
    throw new UserError('WATCHPOST_ERR_QUERY_SYNTAX', `query too long: at most ${MAX_KQL_BYTES} bytes`, { details: { line: 1, column: 1 } });
  }
  const parser = new Parser(text);
  parser.skipSpace();
  if (parser.atEnd()) return MATCH_ALL;
  const filter = parser.parseOr(false);
  parser.skipSpace();
  if (!parser.atEnd()) {
    parser.fail(parser.peek() === ')' ? 'unexpected ")" without a matching "("' : `expected "and", "or" or the end of the query, found ${parser.describeNext()}`);
  }
  return filter;
}

/** The line and column of a KQL error thrown by {@link parseKql}, or undefined for other errors. */
export function kqlErrorPosition(error: unknown): KqlPosition | undefined {
  if (!(error instanceof UserError) || error.code !== 'WATCHPOST_ERR_QUERY_SYNTAX') return undefined;
  const { line, column } = error.details;
  return typeof line === 'number' && typeof column === 'number' ? { line, column } : undefined;
}

/**
 * Two lines for a terminal: the query's line holding the error, and a caret under the column.
 * Control characters are shown as spaces so the caret stays aligned.
 */
export function kqlCaret(text: string, position: KqlPosition): string {
  const line = (text.split(/\r\n|\n|\r/)[position.line - 1] ?? '').replace(/[\p{Cc}]/gu, ' ');
  return `${line}\n${' '.repeat(Math.max(0, position.column - 1))}^`;
}

/** A comparison operand of a range, as parsed, with whether it stood bare in its `and` group. */
interface Operand {
  readonly node: FilterNode;
  /** A lone comparison, mergeable with another one on its field (see {@link mergeRanges}). */
  readonly comparison: boolean;
}

type RangeNode = Extract<FilterNode, { op: 'range' }>;
type RangeKey = 'gt' | 'gte' | 'lt' | 'lte';

/** An unquoted word with its escapes resolved. */
interface Word {
  /** The characters, escapes resolved. */
  readonly value: string;
  /** The same as a glob pattern: unescaped `*`/`?` kept, literal `*`, `?`, `\` escaped. */
  readonly pattern: string;
  /** Whether an unescaped `*` or `?` occurs. */
  readonly wild: boolean;
  /** Whether any escape occurs (then it is never a keyword). */
  readonly escaped: boolean;
}

class Parser {
  private pos = 0;
  private depth = 0;
  private terms = 0;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string | undefined {
    return this.text[this.pos];
  }

  skipSpace(): void {
    while (this.pos < this.text.length && WHITESPACE.test(this.text[this.pos] as string)) this.pos++;
  }

  /** Throws the syntax error at `at` (a UTF-16 index), reported as a 1-based line and column in code points. */
  fail(message: string, at: number = this.pos): never {
    const before = this.text.slice(0, at);
    const lineStart = Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r')) + 1;
    const line = (before.match(/\r\n|\n|\r/g)?.length ?? 0) + 1;
    const column = Array.from(before.slice(lineStart)).length + 1;
    const where = line === 1 ? `column ${column}` : `line ${line}, column ${column}`;
    throw new UserError('WATCHPOST_ERR_QUERY_SYNTAX', `invalid query at ${where}: ${message}`, {
      problems: [{ message, location: { file: 'query', line, col: column } }],
      details: { line, column },
    });
  }

  describeNext(): string {
    if (this.atEnd()) return 'the end of the query';
    const keyword = KEYWORD.exec(this.text.slice(this.pos));
    if (keyword) return `"${keyword[1] as string}"`;
    return JSON.stringify(Array.from(this.text.slice(this.pos, this.pos + 2))[0]);
  }

  /** The keyword at the position (lower-cased) without consuming it. */
  private keyword(): 'and' | 'or' | 'not' | undefined {
    const match = KEYWORD.exec(this.text.slice(this.pos, this.pos + 4));
    return match ? ((match[1] as string).toLowerCase() as 'and' | 'or' | 'not') : undefined;
  }

  private consumeKeyword(): void {
    this.pos += (KEYWORD.exec(this.text.slice(this.pos, this.pos + 4))?.[1] as string).length;
  }

  private enter(at: number): void {
    if (++this.depth > MAX_KQL_DEPTH) this.fail(`nested deeper than ${MAX_KQL_DEPTH} levels of parentheses and "not"`, at);
  }

  private countTerm(at: number): void {
    if (++this.terms > MAX_KQL_TERMS) this.fail(`more than ${MAX_KQL_TERMS} terms`, at);
  }

  /** `or` has the lowest precedence. `inGroup` is true inside parentheses. */
  parseOr(inGroup: boolean): FilterNode {
    const children = [this.parseAnd(inGroup)];
    for (;;) {
      this.skipSpace();
      if (this.keyword() !== 'or') break;
      this.consumeKeyword();
      children.push(this.parseAnd(inGroup));
    }
    return children.length === 1 ? (children[0] as FilterNode) : { op: 'or', children: children.flatMap((c) => (c.op === 'or' ? c.children : [c])) };
  }

  /** Terms joined by `and`, written or implied by adjacency. */
  private parseAnd(inGroup: boolean): FilterNode {
    const operands: Operand[] = [this.parseNot()];
    for (;;) {
      this.skipSpace();
      if (this.atEnd() || this.keyword() === 'or' || (inGroup && this.peek() === ')')) break;
      if (this.peek() === ')') this.fail('unexpected ")" without a matching "("');
      if (this.keyword() === 'and') this.consumeKeyword();
      operands.push(this.parseNot());
    }
    return combineAnd(operands);
  }

  private parseNot(): Operand {
    this.skipSpace();
    if (this.keyword() !== 'not') return this.parsePrimary();
    const at = this.pos;
    this.consumeKeyword();
    this.enter(at);
    const child = this.parseNot().node;
    this.depth--;
    return { node: { op: 'not', child }, comparison: false };
  }

  private parsePrimary(): Operand {
    this.skipSpace();
    const start = this.pos;
    if (this.atEnd()) this.fail('expected a term, found the end of the query');
    const keyword = this.keyword();
    if (keyword !== undefined) this.fail(`expected a term before "${keyword}" (to search for the word, quote it: "${keyword}")`);
    const c = this.peek() as string;
    if (c === '(') {
      this.pos++;
      this.enter(start);
      this.skipSpace();
      if (this.peek() === ')') this.fail('empty parentheses');
      const node = this.parseOr(true);
      this.expectClose(start);
      this.depth--;
      return { node, comparison: false };
    }
    if (c === '"') {
      this.countTerm(start);
      return { node: this.freeText(this.readQuoted(), start), comparison: false };
    }
    const word = this.readWord(TERM_END);
    if (word === undefined) this.fail(`expected a term, found ${this.describeNext()}`);
    const afterWord = this.pos;
    this.skipSpace();
    const next = this.peek();
    if (next === ':') {
      const field = this.fieldName(word, start);
      this.pos++;
      return { node: this.parseFieldValue(field, start), comparison: false };
    }
    if (next === '<' || next === '>') {
      const field = this.fieldName(word, start);
      return { node: this.parseComparison(field, start), comparison: true };
    }
    this.pos = afterWord;
    this.countTerm(start);
    if (word.wild) {
      if (word.pattern === '*') return { node: MATCH_ALL, comparison: false };
      this.fail('wildcards need a field (message:fail*); free text matches whole words', start);
    }
    return { node: this.freeText(word.value, start), comparison: false };
  }

  private expectClose(open: number): void {
    this.skipSpace();
    if (this.peek() !== ')') {
      if (this.atEnd()) this.fail(`missing ")" to close the "(" at column ${this.columnOf(open)}`);
      this.fail(`expected ")", found ${this.describeNext()}`);
    }
    this.pos++;
  }

  private columnOf(at: number): number {
    const before = this.text.slice(0, at);
    const lineStart = Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r')) + 1;
    return Array.from(before.slice(lineStart)).length + 1;
  }

  private fieldName(word: Word, start: number): string {
    if (word.escaped || word.wild || !KQL_FIELD.test(word.value)) {
      this.fail(`invalid field name ${JSON.stringify(word.value)}: use dotted ECS names of letters, digits, @ _ . - (no wildcards or escapes)`, start);
    }
    return word.value;
  }

  private freeText(value: string, start: number): FilterNode {
    if (textWords(value).length === 0) this.fail(`free text ${JSON.stringify(value)} has no word to search for`, start);
    return { op: 'text', value };
  }

  /** After `field:`: a value or a parenthesized list of values. */
  private parseFieldValue(field: string, start: number): FilterNode {
    this.skipSpace();
    if (this.peek() === '(') {
      const open = this.pos;
      this.pos++;
      this.enter(open);
      this.skipSpace();
      if (this.peek() === ')') this.fail('empty value list');
      const node = this.parseListOr(field);
      this.expectClose(open);
      this.depth--;
      return node;
    }
    return this.parseValue(field, start);
  }

  private parseListOr(field: string): FilterNode {
    const children = [this.parseListAnd(field)];
    for (;;) {
      this.skipSpace();
      if (this.keyword() !== 'or') break;
      this.consumeKeyword();
      children.push(this.parseListAnd(field));
    }
    return children.length === 1 ? (children[0] as FilterNode) : { op: 'or', children: children.flatMap((c) => (c.op === 'or' ? c.children : [c])) };
  }

  private parseListAnd(field: string): FilterNode {
    const children = [this.parseListNot(field)];
    for (;;) {
      this.skipSpace();
      if (this.atEnd() || this.keyword() === 'or' || this.peek() === ')') break;
      if (this.keyword() === 'and') this.consumeKeyword();
      children.push(this.parseListNot(field));
    }
    return and(...children);
  }

  private parseListNot(field: string): FilterNode {
    this.skipSpace();
    const start = this.pos;
    if (this.keyword() === 'not') {
      this.consumeKeyword();
      this.enter(start);
      const child = this.parseListNot(field);
      this.depth--;
      return { op: 'not', child };
    }
    if (this.peek() === '(') {
      this.pos++;
      this.enter(start);
      this.skipSpace();
      if (this.peek() === ')') this.fail('empty parentheses');
      const node = this.parseListOr(field);
      this.expectClose(start);
      this.depth--;
      return node;
    }
    return this.parseValue(field, start);
  }

  /** One value of `field`: quoted (exact), or unquoted (typed, glob, exists or CIDR). */
  private parseValue(field: string, start: number): FilterNode {
    this.skipSpace();
    const at = this.pos;
    if (this.atEnd()) this.fail(`expected a value for "${field}", found the end of the query`);
    this.countTerm(start);
    if (this.peek() === '"') return { op: 'eq', field, value: this.readQuoted() };
    const keyword = this.keyword();
    if (keyword !== undefined) this.fail(`expected a value for "${field}", found the keyword "${keyword}" (quote it to search for the word)`);
    const word = this.readWord(VALUE_END);
    if (word === undefined) this.fail(`expected a value for "${field}", found ${this.describeNext()}`, at);
    if (word.wild) return word.pattern === '*' ? { op: 'exists', field } : { op: 'wildcard', field, pattern: word.pattern };
    if (isCidr(word.value)) return { op: 'cidr', field, cidr: word.value };
    return { op: 'eq', field, value: typedValue(word.value) };
  }

  /** `field < value` and the like; the value is a number or an ISO-8601 date-time. */
  private parseComparison(field: string, start: number): FilterNode {
    let op = this.peek() as string;
    this.pos++;
    if (this.peek() === '=') {
      op += '=';
      this.pos++;
    }
    this.skipSpace();
    const at = this.pos;
    this.countTerm(start);
    let bound: number | string;
    if (this.peek() === '"') {
      bound = this.readQuoted();
    } else {
      const word = this.keyword() === undefined ? this.readWord(VALUE_END) : undefined;
      if (word === undefined) this.fail(`expected a number or an ISO-8601 date-time after "${field} ${op}", found ${this.describeNext()}`, at);
      if (word.wild) this.fail('a comparison takes no wildcards', at);
      bound = word.value;
    }
    const value = rangeBound(bound);
    if (value === undefined) this.fail(`expected a number or an ISO-8601 date-time after "${field} ${op}", found ${JSON.stringify(bound)}`, at);
    const key: RangeKey = op === '<' ? 'lt' : op === '<=' ? 'lte' : op === '>' ? 'gt' : 'gte';
    return { op: 'range', field, [key]: value };
  }

  /** A double-quoted string: `\"`, `\\`, `\t`, `\n`, `\r`, `\uXXXX`; any other `\x` is kept as written (as Kibana does). */
  private readQuoted(): string {
    const open = this.pos;
    this.pos++;
    let out = '';
    for (;;) {
      if (this.atEnd()) this.fail('missing closing quote for the string', open);
      const c = this.text[this.pos] as string;
      if (c === '"') {
        this.pos++;
        return out;
      }
      if (c === '\\') {
        const next = this.text[this.pos + 1];
        const escape = next === undefined ? undefined : this.escapeAt(this.pos);
        if (escape !== undefined) {
          out += escape.char;
          this.pos += escape.length;
          continue;
        }
        if (next === '"' || next === '\\') {
          out += next;
          this.pos += 2;
          continue;
        }
      }
      out += c;
      this.pos++;
    }
  }

  /** `\t`, `\n`, `\r` and `\uXXXX` at `at` (which holds the backslash). */
  private escapeAt(at: number): { char: string; length: number } | undefined {
    const next = this.text[at + 1];
    if (next === 't') return { char: '\t', length: 2 };
    if (next === 'n') return { char: '\n', length: 2 };
    if (next === 'r') return { char: '\r', length: 2 };
    if (next === 'u') {
      const hex = this.text.slice(at + 2, at + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('"\\u" needs four hexadecimal digits', at);
      return { char: String.fromCharCode(parseInt(hex, 16)), length: 6 };
    }
    return undefined;
  }

  /**
   * An unquoted word up to whitespace or one of `ends`. `\` escapes a special character or a
   * space, and spells `\t`, `\n`, `\r`, `\uXXXX`. Undefined when no character was read.
   */
  private readWord(ends: ReadonlySet<string>): Word | undefined {
    const start = this.pos;
    let value = '';
    let pattern = '';
    let wild = false;
    let escaped = false;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos] as string;
      if (WHITESPACE.test(c) || ends.has(c)) break;
      if (c === '\\') {
        escaped = true;
        const next = this.text[this.pos + 1];
        if (next === undefined) this.fail('a "\\" at the end of the query escapes nothing (write "\\\\" for a backslash)');
        const escape = this.escapeAt(this.pos);
        let char: string;
        if (escape !== undefined) {
          char = escape.char;
          this.pos += escape.length;
        } else if (SPECIAL.has(next) || WHITESPACE.test(next)) {
          char = next;
          this.pos += 2;
        } else {
          this.fail(`"\\${next}" is not an escape: "\\" escapes \\ ( ) : < > " * ? { } and spaces; quote the value to keep backslashes`);
        }
        value += char;
        pattern += char === '*' || char === '?' || char === '\\' ? `\\${char}` : char;
        continue;
      }
      if (c === '*' || c === '?') wild = true;
      value += c;
      pattern += c;
      this.pos++;
    }
    if (this.pos < this.text.length && (this.text[this.pos] === '{' || this.text[this.pos] === '}')) {
      this.fail(`"${this.text[this.pos] as string}" is reserved (nested queries are not supported); escape it as "\\${this.text[this.pos] as string}"`);
    }
    return this.pos === start ? undefined : { value, pattern, wild, escaped };
  }
}

/** Joins the operands of one `and` group: comparisons merged per field, free text into one node. */
function combineAnd(operands: readonly Operand[]): FilterNode {
  const merged = mergeRanges(operands);
  const children: FilterNode[] = [];
  let textIndex = -1;
  for (const node of merged) {
    if (node.op === 'text') {
      if (textIndex >= 0) {
        const previous = children[textIndex] as Extract<FilterNode, { op: 'text' }>;
        children[textIndex] = { op: 'text', value: `${previous.value} ${node.value}` };
        continue;
      }
      textIndex = children.length;
    }
    children.push(node);
  }
  return children.length === 1 ? (children[0] as FilterNode) : and(...children);
}

/**
 * Merges a lone lower-bound comparison with a lone upper-bound one on the same field (in order,
 * each used once), when both bounds are of one kind (numbers or date-times).
 */
function mergeRanges(operands: readonly Operand[]): FilterNode[] {
  const out: FilterNode[] = [];
  const open = new Map<string, number>(); // field → index in out of a range still missing a side
  for (const operand of operands) {
    const node = operand.node;
    if (!operand.comparison || node.op !== 'range') {
      out.push(node);
      continue;
    }
    const index = open.get(node.field);
    const candidate = index === undefined ? undefined : (out[index] as RangeNode);
    if (candidate !== undefined && index !== undefined && canMerge(candidate, node)) {
      out[index] = { ...candidate, ...node };
      open.delete(node.field);
      continue;
    }
    open.set(node.field, out.length);
    out.push(node);
  }
  return out;
}

function canMerge(a: RangeNode, b: RangeNode): boolean {
  const lower = (r: RangeNode) => r.gt !== undefined || r.gte !== undefined;
  const upper = (r: RangeNode) => r.lt !== undefined || r.lte !== undefined;
  if (lower(a) && upper(a)) return false;
  if (lower(a) === lower(b)) return false;
  return typeof (a.gt ?? a.gte ?? a.lt ?? a.lte) === typeof (b.gt ?? b.gte ?? b.lt ?? b.lte);
}

/** An unquoted value: a canonically spelled number, `true`/`false`, else the string. */
function typedValue(value: string): FilterScalar {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (NUMBER.test(value)) {
    const number = Number(value);
    // Only a canonical spelling: "007" or "1.50" stays text, so the value is compared as written.
    if (Number.isFinite(number) && String(number) === value) return number;
  }
  return value;
}

/** A range bound: a finite number, or an ISO-8601 date-time kept as written. */
export function rangeBound(value: string): number | string | undefined {
  if (NUMBER.test(value)) {
    const number = Number(value);
    return Number.isFinite(number) ? number : undefined;
  }
  return ISO_TIME.test(value) && !Number.isNaN(Date.parse(value)) ? value : undefined;
}

/** True for an IPv4 or IPv6 CIDR block with a prefix length in range (`10.0.0.0/8`, `fe80::/10`). */
export function isCidr(value: string): boolean {
  const slash = value.lastIndexOf('/');
  if (slash < 0) return false;
  const prefix = value.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefix)) return false;
  const family = isIP(value.slice(0, slash));
  return family !== 0 && Number(prefix) <= (family === 4 ? 32 : 128);
}
