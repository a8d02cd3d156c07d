import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { FilterNode } from '../../core/query/filter.js';
import { kqlCaret, kqlErrorPosition, parseKql } from '../../engine/query/kql.js';
import type { EventStore } from '../../core/stores/event-store.js';
import { MAX_PAGE_SIZE } from '../../core/stores/event-store.js';
import { openEventStore, SQLITE_FILE } from '../backends.js';
import { commandLogger, configOf, refuse, withStoreOptions, writeOut, type StoreOptions } from './options.js';

/** The range searched when `--from` is not given: the last 24 hours. */
export const DEFAULT_RANGE_MS = 24 * 3_600_000;

/** Events printed when `--limit` is not given. */
export const DEFAULT_LIMIT = 100;

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

// A date, or a date-time with an optional offset (read as UTC without one, as the store does).
const ISO = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/i;

/**
 * A time for `--from`/`--to`: `now`, a span back from now (`15m`, `24h`, `7d`, `2w`), or an
 * ISO-8601 date or date-time (UTC unless it carries an offset). Undefined when unreadable.
 */
export function parseTime(value: string, now: number): number | undefined {
  const text = value.trim();
  if (text.toLowerCase() === 'now') return now;
  const relative = /^(\d+)\s*([smhdw])$/i.exec(text);
  if (relative) return now - Number(relative[1]) * (UNIT_MS[(relative[2] as string).toLowerCase()] as number);
  if (!ISO.test(text)) return undefined;
  const iso = text.replace(' ', 'T');
  const ms = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : /(Z|[+-]\d{2}:\d{2})$/i.test(iso) ? iso : `${iso}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The filter of a KQL query (docs/search.md), or undefined when it matches everything (an empty
 * query, or `*`). Throws parseKql's UserError for a bad query.
 */
export function searchFilter(query: string | undefined): FilterNode | undefined {
  const filter = parseKql(query ?? '');
  return filter.op === 'and' && filter.children.length === 0 ? undefined : filter;
}

/** The message for a query parseKql refused: the reason, then the query with a caret under the column. */
export function describeQueryError(query: string, error: unknown): string | undefined {
  const position = kqlErrorPosition(error);
  if (position === undefined) return undefined;
  return `${(error as Error).message}\n${kqlCaret(query, position)}`;
}

/** A search as the command runs it. */
export interface EventSearchRequest {
  readonly from: Date;
  readonly to: Date;
  readonly filter?: FilterNode | undefined;
  readonly limit: number;
}

/** Writes up to `limit` matching events, newest first, one JSON object per line. Returns how many were found. */
export async function printEvents(store: EventStore, request: EventSearchRequest, write: (text: string) => Promise<boolean>): Promise<number> {
  let printed = 0;
  let cursor: string | undefined;
  do {
    const page = await store.search({
      from: request.from,
      to: request.to,
      ...(request.filter ? { filter: request.filter } : {}),
      size: Math.min(request.limit - printed, 1000, MAX_PAGE_SIZE),
      order: 'desc',
      ...(cursor !== undefined ? { cursor } : {}),
    });
    printed += page.events.length;
    // False when the reader went away: nobody wants the rest.
    if (page.events.length > 0 && !(await write(page.events.map((event) => `${JSON.stringify(event)}\n`).join('')))) break;
    cursor = page.nextCursor;
  } while (cursor !== undefined && printed < request.limit);
  return printed;
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return number;
}

interface SearchOptions extends StoreOptions {
  readonly from?: string;
  readonly to?: string;
  readonly limit: number;
  readonly count?: boolean;
}

/** Adds `watchpost search "<kql>"`. */
export function registerSearchCommand(program: Command): void {
  withStoreOptions(
    program
      .command('search')
      .description('print matching events as NDJSON, newest first (works while `watchpost start` runs on the same data)')
      .argument('[query]', 'a KQL query (docs/search.md): field:value, ranges, and/or/not, free text; empty matches all', '')
      .option('--from <time>', 'start: ISO-8601, or back from now like 15m, 24h, 7d (default 24h)')
      .option('--to <time>', 'end, exclusive: ISO-8601, a span back from now, or now (default now)')
      .option('--limit <n>', `most events printed (default ${DEFAULT_LIMIT})`, positiveInteger, DEFAULT_LIMIT)
      .option('--count', 'print only the number of matching events'),
  ).action(async (query: string, options: SearchOptions) => {
    let filter: FilterNode | undefined;
    try {
      filter = searchFilter(query);
    } catch (error) {
      const message = describeQueryError(query, error);
      if (message === undefined) throw error;
      refuse(message);
      return;
    }
    const now = Date.now();
    const from = options.from === undefined ? now - DEFAULT_RANGE_MS : parseTime(options.from, now);
    const to = options.to === undefined ? now : parseTime(options.to, now);
    if (from === undefined || to === undefined) {
      refuse(`cannot read --${from === undefined ? 'from' : 'to'} "${from === undefined ? options.from : options.to}": use ISO-8601 (2030-01-31T12:00:00Z) or a span like 24h`);
      return;
    }
    if (from >= to) {
      refuse('--from must be before --to');
      return;
    }
    const config = configOf(options);
    if (config.backends.events === 'sqlite') {
      // Opening would create an empty database; a wrong --data-dir should say so instead.
      const file = join(config.dataDir, SQLITE_FILE);
      if (!existsSync(file)) {
        refuse(`no Watchpost database at ${file}; pass the --data-dir or --config of the instance`);
        return;
      }
    }
    const opened = await openEventStore(config, commandLogger(options));
    try {
      const range = { from: new Date(from), to: new Date(to), ...(filter ? { filter } : {}) };
      if (options.count === true) await writeOut(`${await opened.store.count(range)}\n`);
      else await printEvents(opened.store, { ...range, limit: options.limit }, writeOut);
    } finally {
      await opened.close();
    }
  });
}
