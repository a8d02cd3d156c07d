import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import type { EcsEvent } from '../../core/ecs/event.js';
import type { FilterNode } from '../../core/query/filter.js';
import { openSqliteDatabase, type SqliteDatabase } from '../../backends/sqlite/database.js';
import { SqliteEventStore } from '../../backends/sqlite/event-store.js';
import { parseKql } from './kql.js';
import { printKql } from './kql-print.js';

/** A small seeded generator (mulberry32), so a failure reproduces from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIELDS = ['user.name', 'source.ip', 'destination.port', 'tags', 'process.command_line', 'event.created', '@timestamp', 'and', 'not', 'x-y_z'];
// Characters with a meaning in KQL, whitespace, keywords and non-ASCII, so escaping is exercised.
const PIECES = ['a', 'B', 'root', 'and', 'OR', 'not', ' ', '\t', '\n', '\\', '"', '*', '?', ':', '(', ')', '<', '>', '{', '}', '/', '-', '.', 'é', 'İ', '\u00a0', '10', '5', 'true'];
const TIMES = ['2026-01-01T00:00:00Z', '2026-03-01', '2026-02-01T10:00:00.250+02:00', '2025-12-31T23:59:59Z'];
const IPS = ['10.1.2.3', '192.168.1.20', '203.0.113.7', 'fe80::1', '2001:db8::5'];
const CIDRS = ['10.0.0.0/8', '192.168.1.0/24', '0.0.0.0/0', 'fe80::/10', '2001:db8::/32', '203.0.113.7/32'];

function generator(seed: number) {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const text = (max: number): string => Array.from({ length: 1 + Math.floor(next() * max) }, () => pick(PIECES)).join('');
  const number = (): number => pick([0, 1, 5, 22, 443, 1024, -3, 2.5, 65535, 1e21]);
  const pattern = (): string => {
    // Always at least one wildcard, so it does not read back as eq (which also matches numbers).
    const parts = Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(['*', '?', text(3).replace(/[\\*?]/g, (c) => `\\${c}`), '\\x']));
    return parts.some((p) => p === '*' || p === '?') ? parts.join('') : `${parts.join('')}*`;
  };

  function leaf(): FilterNode {
    const field = pick(FIELDS);
    switch (Math.floor(next() * 11)) {
      case 0:
        return { op: 'eq', field, value: text(4) };
      case 1:
        return { op: 'eq', field, value: next() < 0.5 ? number() : next() < 0.5 };
      case 2: {
        const op = pick(['contains', 'startswith', 'endswith'] as const);
        // Not endswith "": the SQLite compiler answers false for it (substr(x, -0) is all of x).
        return { op, field, value: next() < 0.1 && op !== 'endswith' ? '' : text(3) };
      }
      case 3:
        return { op: 'wildcard', field, pattern: pattern() };
      case 4:
        return { op: 'cidr', field, cidr: pick(CIDRS) };
      case 5:
        return { op: 'exists', field };
      case 6: {
        // Few fields, so one group often holds two comparisons of one field.
        const field = pick(['destination.port', 'tags', 'event.created']);
        const numbers = next() < 0.6;
        const bound = () => (numbers ? number() : pick(TIMES));
        const keys = (['gt', 'gte', 'lt', 'lte'] as const).filter(() => next() < 0.4);
        return { op: 'range', field, ...Object.fromEntries((keys.length > 0 ? keys : (['gte'] as const)).map((key) => [key, bound()])) };
      }
      case 7:
        return { op: 'range', field: pick(['destination.port', 'tags', 'event.created']), [pick(['gt', 'gte', 'lt', 'lte'])]: pick(TIMES) };
      case 8:
        return { op: 'eq', field, value: pick(IPS) };
      default:
        return { op: 'text', value: `${pick(['failed', 'root', 'Password', 'ssh'])}${text(3)}` };
    }
  }

  function node(depth: number): FilterNode {
    const roll = next();
    if (depth <= 0 || roll < 0.4) return leaf();
    if (roll < 0.55) return { op: 'not', child: node(depth - 1) };
    const count = Math.floor(next() * 4); // 0 to 3 children: empty and 1-child groups too
    const children = Array.from({ length: count }, () => node(depth - 1));
    return { op: roll < 0.8 ? 'and' : 'or', children };
  }
  return { node, pick, text, number, next };
}

type RangeNode = Extract<FilterNode, { op: 'range' }>;

/**
 * The normal form of a filter under the equivalences printKql documents, so that a filter and
 * its round trip compare structurally.
 */
function canonical(node: FilterNode): FilterNode {
  switch (node.op) {
    case 'and': {
      const flat = node.children.map(canonical).flatMap((c) => (c.op === 'and' ? c.children : [c]));
      const out: FilterNode[] = [];
      let text = -1;
      for (const child of flat) {
        if (child.op === 'text' && text >= 0) {
          out[text] = { op: 'text', value: `${(out[text] as { value: string }).value} ${child.value}` };
          continue;
        }
        if (child.op === 'text') text = out.length;
        out.push(child);
      }
      return out.length === 1 ? (out[0] as FilterNode) : { op: 'and', children: out };
    }
    case 'or': {
      const flat = node.children.map(canonical).flatMap((c) => (c.op === 'or' ? c.children : [c]));
      return flat.length === 1 ? (flat[0] as FilterNode) : { op: 'or', children: flat };
    }
    case 'not': {
      const child = canonical(node.child);
      return child.op === 'and' && child.children.length === 0 ? { op: 'or', children: [] } : { op: 'not', child };
    }
    case 'contains':
    case 'startswith':
    case 'endswith': {
      const literal = Array.from(node.value, (c) => (c === '*' || c === '?' || c === '\\' ? `\\${c}` : c)).join('');
      const pattern = node.op === 'contains' ? `*${literal}*` : node.op === 'startswith' ? `${literal}*` : `*${literal}`;
      return canonical({ op: 'wildcard', field: node.field, pattern });
    }
    case 'wildcard': {
      // Escapes of ordinary characters are dropped, a trailing backslash is a literal one.
      const chars = Array.from(node.pattern);
      let pattern = '';
      for (let i = 0; i < chars.length; i++) {
        const c = chars[i] as string;
        if (c !== '\\') pattern += c;
        else {
          const escaped = i + 1 < chars.length ? (chars[++i] as string) : '\\';
          pattern += escaped === '*' || escaped === '?' || escaped === '\\' ? `\\${escaped}` : escaped;
        }
      }
      return { op: 'wildcard', field: node.field, pattern: pattern === '*' ? '**' : pattern };
    }
    case 'range': {
      const order = (v: number | string) => (typeof v === 'number' ? v : Date.parse(v));
      const out: { -readonly [K in keyof RangeNode]: RangeNode[K] } = { op: 'range', field: node.field };
      if (node.gt !== undefined && (node.gte === undefined || order(node.gte) <= order(node.gt))) out.gt = node.gt;
      else if (node.gte !== undefined) out.gte = node.gte;
      if (node.lt !== undefined && (node.lte === undefined || order(node.lte) >= order(node.lt))) out.lt = node.lt;
      else if (node.lte !== undefined) out.lte = node.lte;
      return out;
    }
    case 'eq':
    case 'cidr':
    case 'exists':
    case 'text':
    case 'regex':
    case 'fieldref':
    case 'timepart':
      return node;
  }
}

describe('printKql', () => {
  it('writes the usual shapes as analysts would', () => {
    expect(printKql({ op: 'eq', field: 'user.name', value: 'root' })).toBe('user.name:"root"');
    expect(printKql({ op: 'eq', field: 'destination.port', value: 22 })).toBe('destination.port:22');
    expect(printKql({ op: 'contains', field: 'process.command_line', value: ' -enc ' })).toBe('process.command_line:*\\ -enc\\ *');
    expect(printKql({ op: 'endswith', field: 'file.path', value: 'C:\\x*.exe' })).toBe('file.path:*C\\:\\\\x\\*.exe');
    expect(printKql({ op: 'wildcard', field: 'a', pattern: '*' })).toBe('a:**');
    expect(printKql({ op: 'wildcard', field: 'a', pattern: 'lit\\*' })).toBe('a:"lit*"');
    expect(printKql({ op: 'cidr', field: 'source.ip', cidr: 'fe80::/10' })).toBe('source.ip:fe80\\:\\:/10');
    expect(printKql({ op: 'range', field: 'n', gt: 1, gte: 3, lte: 5 })).toBe('n >= 3 and n <= 5');
    expect(printKql({ op: 'range', field: 'not', lt: '2026-01-01' })).toBe('not<"2026-01-01"');
    expect(printKql({ op: 'text', value: 'say "hi"' })).toBe('"say \\"hi\\""');
    expect(printKql({ op: 'and', children: [] })).toBe('*');
    expect(printKql({ op: 'or', children: [] })).toBe('not *');
    expect(
      printKql({
        op: 'or',
        children: [
          { op: 'and', children: [{ op: 'exists', field: 'a' }, { op: 'not', child: { op: 'or', children: [{ op: 'exists', field: 'b' }, { op: 'exists', field: 'c' }] } }] },
          { op: 'exists', field: 'd' },
        ],
      }),
    ).toBe('a:* and not (b:* or c:*) or d:*');
    expect(
      printKql({ op: 'and', children: [{ op: 'range', field: 'n', gt: 1 }, { op: 'range', field: 'n', lt: 5 }, { op: 'range', field: 'm', lt: 5 }] }),
    ).toBe('(n > 1) and (n < 5) and m < 5');
  });

  it('refuses what KQL cannot say, naming it', () => {
    const refusals: [FilterNode, string][] = [
      [{ op: 'regex', field: 'a', pattern: 'x+' }, 'no regex condition (on "a")'],
      [{ op: 'fieldref', field: 'a', other: 'b', mode: 'eq' }, 'no fieldref condition'],
      [{ op: 'timepart', field: '@timestamp', part: 'hour', eq: 3 }, 'no timepart condition'],
      [{ op: 'eq', field: 'a', value: 'x', caseSensitive: true }, 'case-sensitive eq on "a"'],
      [{ op: 'contains', field: 'a', value: 'x', caseSensitive: true }, 'case-sensitive contains'],
      [{ op: 'eq', field: 'a', value: Number.NaN }, 'not a finite number'],
      [{ op: 'eq', field: 'a b', value: 1 }, 'invalid field name "a b"'],
      [{ op: 'cidr', field: 'a', cidr: '10.0.0.0/40' }, 'not a CIDR block'],
      [{ op: 'range', field: 'a' }, 'has no bound'],
      [{ op: 'range', field: 'a', gt: 1, lt: '2026-01-01' }, 'mixes numbers and date-times'],
      [{ op: 'range', field: 'a', gt: 'yesterday' }, 'neither a number nor an ISO-8601 date-time'],
      [{ op: 'text', value: '--' }, 'has no word'],
      [{ op: 'and', children: [{ op: 'exists', field: 'a' }, { op: 'not', child: { op: 'regex', field: 'b', pattern: '.' } }] }, 'no regex condition (on "b")'],
    ];
    for (const [filter, message] of refusals) {
      let thrown: unknown;
      try {
        printKql(filter);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, message).toBeInstanceOf(UserError);
      expect((thrown as UserError).code).toBe('WATCHPOST_ERR_QUERY_SYNTAX');
      expect((thrown as Error).message).toContain(message);
    }
  });
});

describe('printKql → parseKql round trip', () => {
  const SEEDS = 1500;

  it(`reads back an equivalent filter for ${SEEDS} generated filters`, () => {
    let deep = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const filter = generator(seed).node(4);
      const printed = printKql(filter);
      let parsed: FilterNode;
      try {
        parsed = parseKql(printed);
      } catch (error) {
        throw new Error(`seed ${seed}: ${printed}\n${(error as Error).message}`);
      }
      expect(canonical(parsed), `seed ${seed}: ${printed}`).toEqual(canonical(filter));
      if (printed.includes('(')) deep++;
    }
    // The generator must produce nesting, or the test proves little.
    expect(deep).toBeGreaterThan(SEEDS / 10);
  });

  describe('gives the same events as the original filter in the SQLite store', () => {
    let db: SqliteDatabase;
    let store: SqliteEventStore;
    const T = Date.parse('2026-01-15T00:00:00Z');

    beforeAll(async () => {
      db = openSqliteDatabase(':memory:');
      store = new SqliteEventStore(db);
      const g = generator(99);
      const events: EcsEvent[] = [];
      for (let i = 0; i < 60; i++) {
        const value = (): unknown => {
          const roll = Math.floor(g.next() * 6);
          return [g.text(4), g.number(), g.pick(IPS), g.pick(TIMES), i % 2 === 0, [g.text(2), g.number()]][roll];
        };
        const event: Record<string, unknown> = {
          '@timestamp': new Date(T + i * 60_000).toISOString(),
          event: { id: `e${i}`, created: g.pick(TIMES), original: `${g.pick(['failed', 'root', 'password', 'ssh'])} ${g.text(5)}` },
          message: `${g.pick(['Failed', 'ROOT', 'Password', 'ssh'])} ${g.text(6)}`,
        };
        for (const field of FIELDS) {
          if ((i + field.length) % 4 === 0 || field === '@timestamp' || field === 'event.created') continue;
          const [head, tail] = field.split('.') as [string, string | undefined];
          if (tail === undefined) event[head] = value();
          else event[head] = { ...((event[head]) ?? {}), [tail]: value() };
        }
        events.push(event as unknown as EcsEvent);
      }
      const result = await store.append(events);
      expect(result.written).toBe(events.length);
    });

    afterAll(() => {
      db.close();
    });

    const ids = async (filter: FilterNode): Promise<string[]> => {
      const page = await store.search({ from: new Date(T - 86_400_000), to: new Date(T + 86_400_000), filter, size: 1000, order: 'asc' });
      return page.events.map((e) => e.event?.id);
    };

    it('for 300 generated filters', async () => {
      let nonTrivial = 0;
      for (let seed = 5000; seed < 5300; seed++) {
        const filter = generator(seed).node(3);
        const printed = printKql(filter);
        const expected = await ids(filter);
        expect(await ids(parseKql(printed)), `seed ${seed}: ${printed}`).toEqual(expected);
        if (expected.length > 0 && expected.length < 60) nonTrivial++;
      }
      // Enough filters must select some events but not all, or equal results prove little.
      expect(nonTrivial).toBeGreaterThan(30);
    });
  });
});
