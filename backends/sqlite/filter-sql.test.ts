import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCode } from '../../core/errors.js';
import type { FilterNode } from '../../core/query/filter.js';
import { textWords } from '../../core/query/text.js';
import { compileFilterSql, documentIrregular, globPattern, jsonPath, registerSqlFunctions } from './filter-sql.js';

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

// Shapes a plain JSON path misses: arrays of objects (C16), flat dotted keys (C17), arrays nested
// at the leaf. Each filter runs with the per-row mark column (as the event store runs it) and
// without it (the lookups every caller without a mark gets); both must give the same rows.
const SHAPES: Record<string, unknown> = {
  regular: { url: { original: 'http://nested/a' }, tags: ['x'], dns: { question: { name: 'q.example' } } },
  answers: { dns: { answers: [{ name: 'evil.example' }, { name: 'CDN.example', ttl: 60 }] } },
  flat: { 'url.original': 'http://flat/b', event: { 'original.text': 'ignored' } },
  inner: { process: { 'parent.name': 'sshd' }, dns: { 'question.name': 'flat.example' } },
  both: { url: { original: 'http://nested/c' }, 'url.original': 'http://flat/c' },
  deep: { a: [{ b: [{ c: 'deep-1' }] }, { 'b.c': 'deep-2' }] },
  nested: { tags: [['inner'], 'outer'] },
  empty: { dns: { answers: [] }, process: { 'parent.name': null } },
};

describe('compileFilterSql over arrays of objects and flat dotted keys', () => {
  let shapes: InstanceType<typeof Database>;
  beforeAll(() => {
    shapes = new Database(':memory:');
    registerSqlFunctions(shapes);
    shapes.exec('CREATE TABLE s (id TEXT PRIMARY KEY, doc TEXT NOT NULL, irregular INTEGER NOT NULL)');
    const insert = shapes.prepare('INSERT INTO s (id, doc, irregular) VALUES (?, ?, ?)');
    for (const [id, doc] of Object.entries(SHAPES)) insert.run(id, JSON.stringify(doc), documentIrregular(doc) ? 1 : 0);
  });
  afterAll(() => shapes.close());

  const shapeIds = (filter: FilterNode, marked: boolean): string[] => {
    const { sql, params } = compileFilterSql(filter, 's.doc', marked ? { irregularColumn: 's.irregular' } : {});
    return shapes
      .prepare<unknown[], { id: string }>(`SELECT id FROM s WHERE ${sql} ORDER BY id`)
      .all(...params)
      .map((row) => row.id);
  };

  it.each<[string, FilterNode, string[]]>([
    ['eq over an array of objects', { op: 'eq', field: 'dns.answers.name', value: 'cdn.example' }, ['answers']],
    ['eq a number over an array of objects', { op: 'eq', field: 'dns.answers.ttl', value: 60 }, ['answers']],
    ['contains over an array of objects', { op: 'contains', field: 'dns.answers.name', value: 'EXAMPLE' }, ['answers']],
    ['exists over an array of objects', { op: 'exists', field: 'dns.answers.name' }, ['answers']],
    ['exists on an array of objects', { op: 'exists', field: 'dns.answers' }, ['answers']],
    ['not over an array of objects', { op: 'not', child: { op: 'eq', field: 'dns.answers.name', value: 'evil.example' } }, ['both', 'deep', 'empty', 'flat', 'inner', 'nested', 'regular']],
    ['a flat dotted key at the top level', { op: 'startswith', field: 'url.original', value: 'http://flat/' }, ['both', 'flat']],
    ['nested and flat values together', { op: 'contains', field: 'url.original', value: '/c' }, ['both']],
    ['every spelling of one field', { op: 'wildcard', field: 'url.original', pattern: 'http://*' }, ['both', 'flat', 'regular']],
    ['a flat dotted key inside an object', { op: 'eq', field: 'process.parent.name', value: 'SSHD' }, ['inner']],
    ['a flat key beside a nested path', { op: 'eq', field: 'dns.question.name', value: 'flat.example' }, ['inner']],
    ['a flat key holding null is missing', { op: 'exists', field: 'process.parent.name' }, ['inner']],
    ['arrays and flat keys mixed at depth', { op: 'regex', field: 'a.b.c', pattern: '^deep-\\d$' }, ['deep']],
    ['a key that is only a prefix of a dotted name does not match', { op: 'exists', field: 'event.original' }, []],
    ['regex over a flat dotted key', { op: 'regex', field: 'url.original', pattern: 'FLAT/B$', flags: { i: true } }, ['flat']],
  ])('%s', (_name, filter, expected) => {
    expect(shapeIds(filter, true)).toEqual(expected);
    expect(shapeIds(filter, false)).toEqual(expected);
  });

  it('flattens arrays nested at the leaf on marked rows, as Elasticsearch does', () => {
    expect(shapeIds({ op: 'eq', field: 'tags', value: 'inner' }, true)).toEqual(['nested']);
  });

  it('marks documents with arrays of objects or arrays, or keys with dots', () => {
    expect(Object.entries(SHAPES).filter(([, doc]) => documentIrregular(doc)).map(([id]) => id).sort()).toEqual(['answers', 'both', 'deep', 'empty', 'flat', 'inner', 'nested']);
    expect(documentIrregular({ a: { b: [1, 'x', null] }, c: 'd.e' })).toBe(false);
  });
});

describe('wp_regexp', () => {
  it('runs a catastrophic pattern in linear time (a backtracking engine takes 2^60 steps here)', () => {
    const started = performance.now();
    expect(ids({ op: 'regex', field: 'message', pattern: '(a+)+$' })).toEqual([]);
    const value = `${'a'.repeat(60)}!`;
    const found = db.prepare<[string, string], { n: number }>('SELECT wp_regexp(?, \'\', ?) AS n').get('(a+)+$', value)?.n;
    expect(found).toBe(0);
    expect(db.prepare<[string, string], { n: number }>('SELECT wp_regexp(?, \'\', ?) AS n').get('^(a+)+!$', value)?.n).toBe(1);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('folds the Kelvin sign and capital sharp s with foldCase on both sides', () => {
    const found = (pattern: string, flags: string, value: string): number | undefined =>
      db.prepare<[string, string, string], { n: number }>('SELECT wp_regexp(?, ?, ?) AS n').get(pattern, flags, value)?.n;
    expect(found('straße kelvin', 'i', 'STRA\u1e9eE \u212aELVIN')).toBe(1);
    expect(found('STRASSE', 'i', 'STRA\u1e9eE')).toBe(0); // simple folding never expands ß
    expect(found('[j-l]elvin', 'i', '\u212aELVIN')).toBe(1);
    expect(found('kelvin', '', '\u212aELVIN')).toBe(0);
  });

  it('refuses what RE2 refuses at compile time, as the predicate does', () => {
    expect(() => compileFilterSql({ op: 'regex', field: 'message', pattern: 'a{1001}' }, 'doc')).toThrow(expect.objectContaining({ code: 'WATCHPOST_ERR_STORE_INVALID_QUERY' }));
  });
});

describe('compileFilterSql with the empty literal', () => {
  it.each<FilterNode['op']>(['contains', 'startswith', 'endswith'])('%s "" holds for every string value and no other', (op) => {
    const filter = { op, field: 'source.port', value: '' } as FilterNode;
    expect(ids(filter)).toEqual(['b']); // "2222" in b; the number 22 in a is no string
    expect(ids({ ...filter, caseSensitive: true } as FilterNode)).toEqual(['b']);
  });
});
