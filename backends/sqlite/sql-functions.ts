import { BlockList, isIP } from 'node:net';
import { foldCase, textWords } from '../../core/query/text.js';
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

const regexps = new LruCache<string, RegExp>(512);
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

/** The cached RegExp of a `regex` op; the pattern was validated when the filter was compiled. */
function regexpOf(key: string): RegExp {
  return regexps.get(key, (k) => {
    const flags = k.slice(0, k.indexOf('/'));
    return new RegExp(k.slice(flags.length + 1), flags);
  });
}

/**
 * Registers the functions compiled filters need on a connection. Call it once per connection
 * (the event store and the case store each do; registering twice is harmless).
 *
 * - `wp_lower(x)`: Unicode simple lower-casing (SQLite's lower() folds ASCII only).
 * - `wp_regexp(pattern, flags, value)`: 1 when the regex is found anywhere in a string value.
 * - `wp_cidr(cidr, value)`: 1 when the value is an IPv4/IPv6 address inside the block.
 * - `wp_ts(value)`: a timestamp string (or epoch-ms number) as epoch ms, or NULL.
 * - `wp_text(text, wordsJson)`: 1 when every word of the JSON array occurs as a word of text.
 */
export function registerSqlFunctions(db: SqliteDatabase): void {
  const options = { deterministic: true, varargs: false } as const;
  db.function('wp_lower', options, (value: unknown) => (typeof value === 'string' ? foldCase(value) : value));
  db.function('wp_regexp', options, (pattern: unknown, flags: unknown, value: unknown) => {
    if (typeof value !== 'string' || typeof pattern !== 'string') return 0;
    return regexpOf(`${typeof flags === 'string' ? flags : ''}/${pattern}`).test(value) ? 1 : 0;
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
