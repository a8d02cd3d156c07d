import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWatchpost, type CliResult } from '../../test/helpers/cli.js';
import type { EcsEvent } from '../../core/ecs/event.js';
import { openSqliteDatabase, type SqliteDatabase } from '../../backends/sqlite/database.js';
import { SqliteEventStore } from '../../backends/sqlite/event-store.js';
import { describeQueryError, parseTime, printEvents, searchFilter } from './search.js';

const watchpost = (args: string[]): Promise<CliResult> => runWatchpost(args);

const HOUR = 3_600_000;

describe('search helpers', () => {
  const now = Date.parse('2030-06-15T12:00:00Z');

  it('reads relative spans, now, ISO dates and date-times (UTC without an offset)', () => {
    expect(parseTime('24h', now)).toBe(now - 24 * HOUR);
    expect(parseTime('7d', now)).toBe(now - 7 * 24 * HOUR);
    expect(parseTime('15m', now)).toBe(now - 15 * 60_000);
    expect(parseTime('now', now)).toBe(now);
    expect(parseTime('2030-06-01', now)).toBe(Date.parse('2030-06-01T00:00:00Z'));
    expect(parseTime('2030-06-01T10:00:00Z', now)).toBe(Date.parse('2030-06-01T10:00:00Z'));
    expect(parseTime('2030-06-01T10:00:00+02:00', now)).toBe(Date.parse('2030-06-01T08:00:00Z'));
    expect(parseTime('2030-06-01 10:00', now)).toBe(Date.parse('2030-06-01T10:00:00Z'));
    for (const bad of ['yesterday', '24', '2030-13-01', '1.5h', '']) expect(parseTime(bad, now), bad).toBeUndefined();
  });

  it('parses the query as KQL; an empty query or * matches all', () => {
    expect(searchFilter('')).toBeUndefined();
    expect(searchFilter('  ')).toBeUndefined();
    expect(searchFilter('*')).toBeUndefined();
    expect(searchFilter('"failed password"')).toEqual({ op: 'text', value: 'failed password' });
    expect(searchFilter('user.name:root or failed')).toEqual({
      op: 'or',
      children: [
        { op: 'eq', field: 'user.name', value: 'root' },
        { op: 'text', value: 'failed' },
      ],
    });
  });

  it('describes a bad query with its column and a caret', () => {
    const query = 'user.name:(root or';
    let thrown: unknown;
    try {
      searchFilter(query);
    } catch (error) {
      thrown = error;
    }
    expect(describeQueryError(query, thrown)).toBe(`invalid query at column 19: expected a value for "user.name", found the end of the query\n${query}\n${' '.repeat(18)}^`);
    expect(describeQueryError(query, new Error('other'))).toBeUndefined();
  });
});

describe('watchpost search', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wp-search-'));
  let db: SqliteDatabase;
  let store: SqliteEventStore;
  const now = Date.now();
  const at = (hoursAgo: number) => new Date(now - hoursAgo * HOUR).toISOString();

  function event(id: string, hoursAgo: number, message: string, original?: string, fields: Record<string, unknown> = {}): EcsEvent {
    return { '@timestamp': at(hoursAgo), message, event: { id, ...(original !== undefined ? { original } : {}) }, ...fields };
  }

  beforeAll(async () => {
    // Kept open for the whole suite, as a running `watchpost start` would hold it.
    db = openSqliteDatabase(join(dataDir, 'watchpost.db'));
    store = new SqliteEventStore(db);
    await store.append([
      event('e1', 1, 'Failed password for root from 203.0.113.7 port 22 ssh2', undefined, {
        user: { name: 'root' },
        source: { ip: '203.0.113.7', port: 50122 },
        event: { id: 'e1', outcome: 'failure' },
      }),
      event('e2', 2, 'Accepted publickey for alice from 198.51.100.4', undefined, {
        user: { name: 'Alice' },
        source: { ip: '198.51.100.4', port: 40000 },
        event: { id: 'e2', outcome: 'success' },
      }),
      event('e3', 3, 'FAILED PASSWORD for invalid user bob', undefined, {
        user: { name: 'bob' },
        source: { ip: '10.1.2.3', port: 1022 },
        event: { id: 'e3', outcome: 'failure' },
      }),
      event('e4', 4, 'sshd: authentication failure', '<38>Jun 15 sshd[1]: Failed password for carol', { user: { name: 'carol' }, tags: ['ssh', 'brute-force'] }),
      event('e5', 30, 'Failed password for dave (older than a day)'),
    ]);
    // The first run compiles dist/; later runs reuse it.
    await watchpost(['--version']);
  }, 180_000);

  afterAll(() => {
    db.close();
  });

  const ids = (stdout: string) =>
    stdout
      .trim()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => (JSON.parse(line) as EcsEvent).event?.id);

  it('prints events matching the phrase in the last 24 h as NDJSON, newest first', async () => {
    const result = await watchpost(['search', 'failed password', '--data-dir', dataDir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(ids(result.stdout)).toEqual(['e1', 'e3', 'e4']);
    const first = JSON.parse(result.stdout.split('\n')[0]!) as EcsEvent;
    expect(first.message).toBe('Failed password for root from 203.0.113.7 port 22 ssh2');
  });

  it('prints only the number with --count, and at most --limit events', async () => {
    expect((await watchpost(['search', '"failed password"', '--data-dir', dataDir, '--count'])).stdout).toBe('3\n');
    expect(ids((await watchpost(['search', 'failed password', '--data-dir', dataDir, '--limit', '2'])).stdout)).toEqual(['e1', 'e3']);
  });

  it('matches everything for an empty query and honours --from and --to', async () => {
    expect(ids((await watchpost(['search', '--data-dir', dataDir])).stdout)).toEqual(['e1', 'e2', 'e3', 'e4']);
    expect(ids((await watchpost(['search', 'failed', '--data-dir', dataDir, '--from', '2d'])).stdout)).toEqual(['e1', 'e3', 'e4', 'e5']);
    expect(ids((await watchpost(['search', '', '--data-dir', dataDir, '--from', at(3.5), '--to', at(1.5)])).stdout)).toEqual(['e2', 'e3']);
    expect((await watchpost(['search', 'failed', '--data-dir', dataDir, '--from', '7d', '--to', '24h', '--count'])).stdout).toBe('1\n');
  });

  it('runs KQL: fields, value lists, wildcards, CIDR, ranges, exists, not and free text', async () => {
    // In process against the same store, as the command runs it (one spawn per query is slow).
    const search = async (query: string) => {
      const lines: string[] = [];
      const filter = searchFilter(query);
      await printEvents(store, { from: new Date(now - 24 * HOUR), to: new Date(now), ...(filter ? { filter } : {}), limit: 100 }, (text) => {
        lines.push(text);
        return Promise.resolve(true);
      });
      return ids(lines.join(''));
    };
    expect(await search('user.name:ALICE')).toEqual(['e2']);
    expect(await search('user.name:(root or bob)')).toEqual(['e1', 'e3']);
    expect(await search('user.name:*o*')).toEqual(['e1', 'e3', 'e4']);
    expect(await search('source.ip:10.0.0.0/8')).toEqual(['e3']);
    expect(await search('not source.ip:10.0.0.0/8 and source.ip:*')).toEqual(['e1', 'e2']);
    expect(await search('source.port >= 1024 and source.port < 50000')).toEqual(['e2']);
    expect(await search(`@timestamp < ${at(2.5)}`)).toEqual(['e3', 'e4']);
    expect(await search('event.outcome:failure or tags:brute-force')).toEqual(['e1', 'e3', 'e4']);
    expect(await search('failed password and not user.name:root')).toEqual(['e3', 'e4']);
    expect(await search('"203.0.113.7"')).toEqual(['e1']);
  });

  it('runs KQL through the command', async () => {
    const listed = await watchpost(['search', 'user.name:(root or bob) and source.ip:10.0.0.0/8', '--data-dir', dataDir]);
    expect(listed.stderr).toBe('');
    expect(ids(listed.stdout)).toEqual(['e3']);
    expect((await watchpost(['search', 'event.outcome:failure and source.port > 1024', '--data-dir', dataDir, '--count'])).stdout).toBe('1\n');
  });

  it('refuses a bad query with its column and a caret, before opening the store', async () => {
    const result = await watchpost(['search', 'user.name:root and (', '--data-dir', mkdtempSync(join(tmpdir(), 'wp-search-none-'))]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`watchpost: invalid query at column 21: expected a term, found the end of the query\nuser.name:root and (\n${' '.repeat(20)}^\n`);
  });

  it('sees events appended by another process while it has the database open', async () => {
    await store.append([event('e6', 0.5, 'Failed password for erin')]);
    expect(ids((await watchpost(['search', 'erin', '--data-dir', dataDir])).stdout)).toEqual(['e6']);
  });

  it('refuses a data directory without a database and unreadable times', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'wp-search-empty-'));
    const missing = await watchpost(['search', 'x', '--data-dir', empty]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no Watchpost database');
    const badTime = await watchpost(['search', 'x', '--data-dir', dataDir, '--from', 'yesterday']);
    expect(badTime.code).toBe(1);
    expect(badTime.stderr).toContain('cannot read --from "yesterday"');
    const reversed = await watchpost(['search', 'x', '--data-dir', dataDir, '--from', '1h', '--to', '2h']);
    expect(reversed.code).toBe(1);
    const badLimit = await watchpost(['search', 'x', '--data-dir', dataDir, '--limit', '0']);
    expect(badLimit.code).toBe(1);
  });
});
