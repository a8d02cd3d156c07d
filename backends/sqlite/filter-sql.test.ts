import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCode } from '../../core/errors.js';
import type { FilterNode } from '../../core/query/filter.js';
import { textWords } from '../../core/query/text.js';
import { compileFilterSql, globPattern, jsonPath, registerSqlFunctions } from './filter-sql.js';

const DOCS: Record<string, unknown> = {
  a: {
    '@timestamp': '2024-05-01T10:00:00.000Z',
    message: 'Failed password for root from 203.0.113.7 port 22 ssh2',
    source: { ip: '203.0.113.7', port: 22 },
    user: { name: 'Root' },
    tags: ['ssh', 'Auth'],
    event: { severity: 3, created: '2024-05-01T10:00:01Z' },
  },
  b: {
    '@timestamp': '2024-05-01T11:00:00.000Z',
    message: 'Accepted publickey for jdoe@example.com',
    event: { original: '<34>sshd: ÜBER user_name=jdoe', severity: '7' },
    source: { ip: '2001:db8::7', port: '2222' },
    user: { name: 'jdoe' },
    host: { ip: ['10.1.2.3', 'fe80::1'] },
    labels: { flag: true },
  },
  c: {
    '@timestamp': '2024-05-01T12:00:00.000+02:00',
    message: 'a*b?c [x] 100%',
    host: { ip: ['192.168.1.10'] },
    user: { name: null, id: 'İSTANBUL' },
    labels: { flag: 'TRUE' },
    event: { created: 1714557600000 },
  },
  d: { '@timestamp': '2024-05-02T00:00:00.000Z', user: {} },
  e: { '@timestamp': '2024-05-02T00:00:00.000Z', message: 'login foo日本 ok' },
};

let db: InstanceType<typeof Database>;

beforeAll(() => {
  db = new Database(':memory:');
  registerSqlFunctions(db);
  db.exec('CREATE TABLE t (id TEXT PRIMARY KEY, doc TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO t (id, doc) VALUES (?, ?)');
  for (const [id, doc] of Object.entries(DOCS)) insert.run(id, JSON.stringify(doc));
  db.exec(`CREATE VIRTUAL TABLE t_fts USING fts5(body, content='', contentless_delete=1)`);
  const index = db.prepare('INSERT INTO t_fts (rowid, body) VALUES (?, ?)');
  for (const row of db.prepare<[], { rowid: number; doc: string }>('SELECT rowid, doc FROM t').all()) {
    const doc = JSON.parse(row.doc) as { message?: string; event?: { original?: string } };
    index.run(row.rowid, textWords(`${doc.message ?? ''}\n${doc.event?.original ?? ''}`).join(' '));
  }
});
afterAll(() => db.close());

function ids(filter: FilterNode, fts = false): string[] {
  const { sql, params } = compileFilterSql(filter, 't.doc', fts ? { fts: { table: 't_fts', rowid: 't.rowid' } } : {});
  return db
    .prepare<unknown[], { id: string }>(`SELECT id FROM t WHERE ${sql} ORDER BY id`)
    .all(...params)
    .map((row) => row.id);
}

describe('compileFilterSql', () => {
  it.each<[string, FilterNode, string[]]>([
    ['empty and is true', { op: 'and', children: [] }, ['a', 'b', 'c', 'd', 'e']],
    ['empty or is false', { op: 'or', children: [] }, []],
    ['eq string, case-insensitive', { op: 'eq', field: 'user.name', value: 'root' }, ['a']],
    ['eq case-sensitive', { op: 'eq', field: 'user.name', value: 'root', caseSensitive: true }, []],
    ['eq Unicode simple folding', { op: 'eq', field: 'user.id', value: 'istanbul' }, ['c']],
    ['eq number on number field', { op: 'eq', field: 'source.port', value: 22 }, ['a']],
    ['eq number on string field', { op: 'eq', field: 'source.port', value: 2222 }, ['b']],
    ['eq string on number field', { op: 'eq', field: 'event.severity', value: '3' }, ['a']],
    ['eq number spelled as string field', { op: 'eq', field: 'event.severity', value: 7 }, ['b']],
    ['eq on array element', { op: 'eq', field: 'tags', value: 'auth' }, ['a']],
    ['eq boolean', { op: 'eq', field: 'labels.flag', value: true }, ['b', 'c']],
    ['eq never matches an object member', { op: 'eq', field: 'user', value: 'jdoe' }, []],
    ['contains', { op: 'contains', field: 'message', value: 'PASSWORD' }, ['a']],
    ['contains with LIKE metacharacters', { op: 'contains', field: 'message', value: '100%' }, ['c']],
    ['startswith', { op: 'startswith', field: 'message', value: 'accepted' }, ['b']],
    ['endswith', { op: 'endswith', field: 'message', value: 'SSH2' }, ['a']],
    ['endswith case-sensitive', { op: 'endswith', field: 'message', value: 'SSH2', caseSensitive: true }, []],
    ['wildcard', { op: 'wildcard', field: 'message', pattern: 'failed*from 203.0.113.? port*' }, ['a']],
    ['wildcard literal brackets', { op: 'wildcard', field: 'message', pattern: 'A\\*B\\?C [x] 100%' }, ['c']],
    ['wildcard escaped star is literal', { op: 'wildcard', field: 'message', pattern: 'a\\*b\\?c [y]*' }, []],
    ['wildcard escaped star', { op: 'wildcard', field: 'message', pattern: 'a\\*b\\?c*' }, ['c']],
    ['wildcard on array', { op: 'wildcard', field: 'host.ip', pattern: '10.*' }, ['b']],
    ['regex substring', { op: 'regex', field: 'message', pattern: 'pass\\w+d' }, ['a']],
    ['regex anchored', { op: 'regex', field: 'message', pattern: '^password' }, []],
    ['regex flags.i', { op: 'regex', field: 'user.name', pattern: '^ROOT$', flags: { i: true } }, ['a']],
    ['regex case-sensitive by default', { op: 'regex', field: 'user.name', pattern: '^root$' }, []],
    ['cidr v4', { op: 'cidr', field: 'source.ip', cidr: '203.0.113.0/24' }, ['a']],
    ['cidr v6', { op: 'cidr', field: 'source.ip', cidr: '2001:db8::/32' }, ['b']],
    ['cidr on array', { op: 'cidr', field: 'host.ip', cidr: '192.168.0.0/16' }, ['c']],
    ['cidr single host', { op: 'cidr', field: 'host.ip', cidr: 'fe80::1' }, ['b']],
    ['exists', { op: 'exists', field: 'event.original' }, ['b']],
    ['exists is false for null', { op: 'exists', field: 'user.name' }, ['a', 'b']],
    ['exists on object', { op: 'exists', field: 'user' }, ['a', 'b', 'c']],
    ['not over a missing field is true', { op: 'not', child: { op: 'eq', field: 'event.original', value: 'x' } }, ['a', 'b', 'c', 'd', 'e']],
    ['range numbers', { op: 'range', field: 'event.severity', gte: 3, lt: 7 }, ['a']],
    ['range never compares strings as numbers', { op: 'range', field: 'source.port', gt: 1000 }, []],
    ['range timestamps compare instants', { op: 'range', field: '@timestamp', gte: '2024-05-01T10:00:00Z', lt: '2024-05-01T11:00:00Z' }, ['a', 'c']],
    ['range timestamps over epoch ms', { op: 'range', field: 'event.created', gte: '2024-05-01T10:00:00Z' }, ['a', 'c']],
    ['text whole words', { op: 'text', value: 'password ROOT' }, ['a']],
    ['text is not substring', { op: 'text', value: 'pass' }, []],
    ['text across message and original', { op: 'text', value: 'jdoe über' }, ['b']],
    ['text keeps dotted words whole', { op: 'text', value: '203.0.113.7' }, ['a']],
    ['text of no words matches nothing', { op: 'text', value: '  ,; ' }, []],
    ['text underscore word', { op: 'text', value: 'user_name' }, ['b']],
    ['text splits scripts as the standard tokenizer does', { op: 'text', value: 'FOO 本' }, ['e']],
    ['and/or/not', { op: 'or', children: [{ op: 'eq', field: 'user.name', value: 'jdoe' }, { op: 'and', children: [{ op: 'exists', field: 'message' }, { op: 'not', child: { op: 'exists', field: 'source' } }] }] }, ['b', 'c', 'e']],
  ])('%s', (_name, filter, expected) => {
    expect(ids(filter)).toEqual(expected);
    expect(ids(filter, true)).toEqual(expected);
  });

  it('binds every value as a parameter', () => {
    const { sql, params } = compileFilterSql({ op: 'eq', field: 'user.name', value: "x' OR 1=1 --" }, 'doc');
    expect(sql).not.toContain('OR 1=1');
    expect(params).toContain("x' or 1=1 --");
  });

  it('quotes each path segment', () => {
    expect(jsonPath('@timestamp')).toBe('$."@timestamp"');
    expect(jsonPath('source.geo.country_iso_code')).toBe('$."source"."geo"."country_iso_code"');
  });

  it('translates globs', () => {
    expect(globPattern('A\\*b?[c]*', false)).toBe('a[*]b?[[]c]*');
  });

  it.each<[string, FilterNode]>([
    ['bad field', { op: 'eq', field: 'user.name") OR 1', value: 'x' }],
    ['empty segment', { op: 'exists', field: 'user..name' }],
    ['bad regex', { op: 'regex', field: 'message', pattern: '(' }],
    ['lookahead', { op: 'regex', field: 'message', pattern: 'a(?=b)' }],
    ['backreference', { op: 'regex', field: 'message', pattern: '(a)\\1' }],
    ['bad cidr', { op: 'cidr', field: 'source.ip', cidr: '10.0.0.0/33' }],
    ['empty range', { op: 'range', field: 'x' }],
    ['bad timestamp bound', { op: 'range', field: 'x', gte: 'yesterday' }],
  ])('rejects %s with a UserError', (_name, filter) => {
    expect(() => compileFilterSql(filter, 'doc')).toThrow(expect.objectContaining({ code: 'WATCHPOST_ERR_STORE_INVALID_QUERY' }));
    try {
      compileFilterSql(filter, 'doc');
    } catch (error) {
      expect(hasCode(error, 'WATCHPOST_ERR_STORE_INVALID_QUERY')).toBe(true);
    }
  });
});
