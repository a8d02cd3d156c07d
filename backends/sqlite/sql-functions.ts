import { BlockList, isIP } from 'node:net';
import { RE2JS } from 're2js';
import { toRe2Pattern } from '../../core/query/re2-pattern.js';
import { parseFilterRegex } from '../../core/query/regex.js';
import { foldCase, textWords } from '../../core/query/text.js';
import { MAX_PATH_DEPTH, resolvePath } from '../../core/query/paths.js';
import type { SqliteDatabase } from './database.js';

/**
 * The SQL functions the compiled filters call (see filter-sql.ts). All are deterministic, so
 * SQLite may evaluate them once per distinct argument tuple, and all return 0/1 (never NULL)
 * where they answer a predicate, so NOT over them stays two-valued.
 */

/** A Map used as a bounded LRU: a hit moves the key to the back, inserts evict the front. */
class LruCache<K, V> {
  private readonly entries = new Map<K, V>();
  constructor(private readonly capacity: number) {}
  get(key: K, build: (key: K) => V): V {
    const found = this.entries.get(key);
    if (found !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, found);
      return found;
    }
    const value = build(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as K);
    return value;
  }
}

const regexps = new LruCache<string, RE2JS>(512);
const blockLists = new LruCache<string, ParsedCidr | null>(512);
const wordLists = new LruCache<string, readonly string[]>(256);

/** A CIDR block as a BlockList with its address family. */
interface ParsedCidr {
  readonly list: BlockList;
  readonly family: 'ipv4' | 'ipv6';
}

/**
 * Parses `addr/prefix` (or a bare address, meaning the one host) into a BlockList, or returns
 * undefined when it is not a valid IPv4 or IPv6 CIDR block.
 */
export function parseCidr(cidr: string): ParsedCidr | undefined {
  const slash = cidr.indexOf('/');
  const address = slash < 0 ? cidr : cidr.slice(0, slash);
  const version = isIP(address);
  if (version === 0 || address.includes('%')) return undefined;
  const bits = version === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(bits) : cidr.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > bits) return undefined;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  const list = new BlockList();
  list.addSubnet(address, prefix, family);
  return { list, family };
}

/** True when `value` is an IP address inside the block (an IPv4-mapped IPv6 address counts as its IPv4). */
export function cidrContains(cidr: string, value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const version = isIP(value);
  if (version === 0 || value.includes('%')) return false;
  const parsed = blockLists.get(cidr, (c) => parseCidr(c) ?? null);
  if (!parsed) return false;
  return parsed.list.check(value, version === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The linear-time matcher of a `regex` op, as the streaming predicate builds it
 * (engine/query/regex-engine.ts): the parsed pattern written as RE2 (core/query/re2-pattern.ts)
 * and run by re2js, so a hostile pattern such as `(a+)+$` cannot stall the connection the way a
 * backtracking RegExp would. With `ignoreCase` the pattern is written for foldCase-folded values,
 * and the caller folds the value. Cached; throws RegexSubsetError for a pattern outside the
 * common subset and the re2js syntax error past RE2's limits (a repeat count above 1000).
 */
export function filterRegex(pattern: string, ignoreCase: boolean): RE2JS {
  return regexps.get(`${ignoreCase ? 'i' : ''}/${pattern}`, () => RE2JS.compile(toRe2Pattern(parseFilterRegex(pattern), ignoreCase)));
}

/** True when the regex is found in the value, folding the value with foldCase when `ignoreCase`. */
export function regexFound(pattern: string, ignoreCase: boolean, value: string): boolean {
  return filterRegex(pattern, ignoreCase).test(ignoreCase ? foldCase(value) : value);
}

// Events are parsed JSON of bounded size, but the walks below recurse: a cap keeps a hostile
// nesting depth from exhausting the stack (the streaming evaluator uses the same cap).
const MAX_DEPTH = MAX_PATH_DEPTH;

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

/** True when an object or array holds a non-null scalar at any depth (what the `exists` op sees). */
function holdsScalar(value: object, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  for (const member of Array.isArray(value) ? value : Object.values(value)) {
    if (member === null || member === undefined) continue;
    if (typeof member !== 'object') return true;
    if (holdsScalar(member as object, depth + 1)) return true;
  }
  return false;
}

/**
 * True when a document has a shape a plain JSON path can miss values in: an array holding an
 * object or an array, or a key with a dot in it (or nesting deeper than the walks follow). The
 * event store keeps this per row so the filters look past plain paths only where it is 1.
 */
export function documentIrregular(value: unknown, depth = 0): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (depth > MAX_DEPTH) return true;
  if (Array.isArray(value)) {
    for (const element of value) if (element !== null && typeof element === 'object') return true;
    return false;
  }
  for (const [key, member] of Object.entries(value)) {
    if (key.includes('.') || documentIrregular(member, depth + 1)) return true;
  }
  return false;
}

/**
 * The last document parsed by wp_values/wp_present. Every leaf of one filter reads the same row,
 * so one entry saves all but the first parse of it; comparing the text is far cheaper than parsing.
 */
let lastDoc: { readonly text: string; readonly value: unknown } | undefined;

function parsedDoc(text: string): unknown {
  if (lastDoc?.text !== text) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined; // not JSON: no field has a value
    }
    lastDoc = { text, value };
  }
  return lastDoc.value;
}

/**
 * Registers the functions compiled filters need on a connection. Call it once per connection
 * (the event store and the case store each do; registering twice is harmless).
 *
 * - `wp_lower(x)`: Unicode simple lower-casing (SQLite's lower() folds ASCII only).
 * - `wp_regexp(pattern, flags, value)`: 1 when the regex is found anywhere in a string value
 *   (`flags` `i`: case-insensitive, by foldCase on both sides, as the predicate does).
 * - `wp_values(doc, field)`: the JSON array of the scalars at a dotted field, resolved by
 *   {@link resolvePath} (arrays of objects, flat dotted keys); the filters use it only for rows
 *   where a plain JSON path may miss values.
 * - `wp_irregular(doc)`: {@link documentIrregular} of a JSON document, as 0/1 (for migrations).
 * - `wp_present(doc, field)`: 1 when the field holds a non-null scalar, or an object or array
 *   holding one somewhere, by {@link resolvePath} (the `exists` op).
 * - `wp_cidr(cidr, value)`: 1 when the value is an IPv4/IPv6 address inside the block.
 * - `wp_ts(value)`: a timestamp string (or epoch-ms number) as epoch ms, or NULL.
 * - `wp_text(text, wordsJson)`: 1 when every word of the JSON array occurs as a word of text.
 */
export function registerSqlFunctions(db: SqliteDatabase): void {
  const options = { deterministic: true, varargs: false } as const;
  db.function('wp_lower', options, (value: unknown) => (typeof value === 'string' ? foldCase(value) : value));
  db.function('wp_regexp', options, (pattern: unknown, flags: unknown, value: unknown) => {
    if (typeof value !== 'string' || typeof pattern !== 'string') return 0;
    return regexFound(pattern, flags === 'i', value) ? 1 : 0;
  });
  db.function('wp_values', options, (doc: unknown, field: unknown) => {
    if (typeof doc !== 'string' || typeof field !== 'string') return '[]';
    return JSON.stringify(resolvePath(parsedDoc(doc), field).filter(isScalar));
  });
  db.function('wp_irregular', options, (doc: unknown) => {
    if (typeof doc !== 'string') return 0;
    try {
      return documentIrregular(JSON.parse(doc)) ? 1 : 0;
    } catch {
      return 0;
    }
  });
  db.function('wp_present', options, (doc: unknown, field: unknown) => {
    if (typeof doc !== 'string' || typeof field !== 'string') return 0;
    const values = resolvePath(parsedDoc(doc), field);
    return values.some((value) => isScalar(value) || (typeof value === 'object' && value !== null && holdsScalar(value, 0))) ? 1 : 0;
  });
  db.function('wp_cidr', options, (cidr: unknown, value: unknown) =>
    typeof cidr === 'string' && cidrContains(cidr, value) ? 1 : 0,
  );
  db.function('wp_ts', options, (value: unknown) => {
    if (typeof value === 'number') return value;
    if (typeof value !== 'string') return null;
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms;
  });
  db.function('wp_text', options, (text: unknown, wordsJson: unknown) => {
    if (typeof text !== 'string' || typeof wordsJson !== 'string') return 0;
    const wanted = wordLists.get(wordsJson, (json) => JSON.parse(json) as string[]);
    if (wanted.length === 0) return 0;
    const present = new Set(textWords(text));
    return wanted.every((word) => present.has(word)) ? 1 : 0;
  });
}
