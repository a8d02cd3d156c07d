import { describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../core/ecs/event.js';
import type { FilterNode } from '../../core/query/filter.js';
import type { CorrelationEngine } from '../correlation/types.js';
import { eventContext } from '../query/event-context.js';
import { compilePredicate } from '../query/predicate.js';
import type { ConditionNode, DetectionRule, RuleSet, SigmaLevel, SigmaLogsource } from '../sigma/types.js';
import { createDetector } from './detector.js';
import type { RuleMatch } from './types.js';

// Hand-built RuleSets: FilterNodes written directly, so these tests do not depend on the loader.

interface RuleSpec {
  key: string;
  logsource?: SigmaLogsource;
  selections: Record<string, FilterNode>;
  condition?: ConditionNode;
  level?: SigmaLevel;
  filtersApplied?: string[];
  author?: string;
}

/** The condition with its selections substituted, as the loader builds DetectionRule.filter. */
function substitute(condition: ConditionNode, selections: Record<string, FilterNode>): FilterNode {
  switch (condition.op) {
    case 'ref':
      return selections[condition.name]!;
    case 'and':
    case 'or':
      return { op: condition.op, children: condition.children.map((child) => substitute(child, selections)) };
    case 'not':
      return { op: 'not', child: substitute(condition.child, selections) };
  }
}

function rule(spec: RuleSpec): DetectionRule {
  const condition = spec.condition ?? { op: 'ref', name: Object.keys(spec.selections)[0]! };
  return {
    kind: 'detection',
    key: spec.key,
    id: `id-${spec.key}`,
    title: `Rule ${spec.key}`,
    level: spec.level ?? 'high',
    ...(spec.author !== undefined ? { author: spec.author } : {}),
    references: [],
    tags: ['attack.initial-access', 'attack.t1190'],
    falsepositives: [],
    fields: [],
    custom: {},
    source: { file: `rules/test/${spec.key}.yml`, line: 3, col: 1 },
    logsource: spec.logsource ?? {},
    detection: { selections: new Map(Object.entries(spec.selections)), condition },
    filter: substitute(condition, spec.selections),
    filtersApplied: spec.filtersApplied ?? [],
  };
}

/** Events say their logsources through `event.dataset`, as the pipelines' selectors do. */
const LOGSOURCES: Record<string, readonly SigmaLogsource[]> = {
  'nginx.access': [{ category: 'webserver' }, { product: 'nginx', category: 'webserver' }],
  'linux.auth': [
    { product: 'linux', service: 'auth' },
    { product: 'linux', service: 'sshd' },
  ],
  iptables: [{ category: 'firewall' }, { product: 'linux' }],
};

function ruleSet(rules: DetectionRule[]): RuleSet {
  return {
    rules,
    correlations: [],
    filters: [],
    disabled: [],
    problems: [],
    logsources: { logsourcesOf: (event) => LOGSOURCES[(event as EcsEvent).event?.dataset ?? ''] ?? [] },
  };
}

function event(dataset: string | undefined, fields: Partial<EcsEvent> = {}): EcsEvent {
  return { '@timestamp': '2026-01-05T10:00:00.000Z', ...fields, event: { id: `ev-${Math.random().toString(36).slice(2)}`, ...(dataset ? { dataset } : {}), ...fields.event } };
}

const ALL: FilterNode = { op: 'and', children: [] };
const keys = (matches: readonly RuleMatch[]): string[] => matches.map((match) => match.rule.key).sort();

describe('createDetector: logsource index', () => {
  const detector = createDetector(
    ruleSet([
      rule({ key: 'web', logsource: { category: 'webserver' }, selections: { sel: ALL } }),
      rule({ key: 'web-apache', logsource: { category: 'webserver', product: 'apache' }, selections: { sel: ALL } }),
      rule({ key: 'sshd', logsource: { product: 'linux', service: 'sshd' }, selections: { sel: ALL } }),
      rule({ key: 'linux', logsource: { product: 'linux' }, selections: { sel: ALL } }),
      rule({ key: 'linux-firewall', logsource: { product: 'linux', category: 'firewall' }, selections: { sel: ALL } }),
      rule({ key: 'no-logsource', selections: { sel: ALL } }),
    ]),
  );

  it('applies a rule when one of the event logsources contains its logsource', () => {
    expect(keys(detector.evaluate(event('nginx.access')))).toEqual(['no-logsource', 'web']);
    expect(keys(detector.evaluate(event('linux.auth')))).toEqual(['linux', 'no-logsource', 'sshd']);
    // firewall and linux are two logsources of the event: a rule needing both in one does not apply.
    expect(keys(detector.evaluate(event('iptables')))).toEqual(['linux', 'no-logsource']);
    expect(keys(detector.evaluate(event(undefined)))).toEqual(['no-logsource']);
  });

  it('evaluates only the rules that apply', () => {
    const before = detector.stats.evaluations;
    detector.evaluate(event('nginx.access'));
    expect(detector.stats.evaluations - before).toBe(2);
  });
});

describe('createDetector: field gate', () => {
  it('skips a rule whose needed fields are absent and runs it when they are present', () => {
    const detector = createDetector(
      ruleSet([rule({ key: 'passwd', logsource: { category: 'webserver' }, selections: { sel: { op: 'regex', field: 'url.original', pattern: 'etc/pass[w]d' } } })]),
    );
    expect(detector.evaluate(event('nginx.access', { message: 'GET /etc/passwd' }))).toEqual([]);
    expect(detector.stats).toMatchObject({ events: 1, evaluations: 0, skippedByFields: 1 });
    expect(keys(detector.evaluate(event('nginx.access', { url: { original: '/cgi-bin/../../etc/passwd' } })))).toEqual(['passwd']);
    expect(detector.stats).toMatchObject({ events: 2, evaluations: 1, matches: 1 });
  });

  it('skips a rule none of whose literals occur, case-insensitively', () => {
    const detector = createDetector(
      ruleSet([
        rule({
          key: 'shell',
          selections: {
            sel: {
              op: 'and',
              children: [
                { op: 'eq', field: 'http.request.method', value: 'POST' },
                { op: 'or', children: [{ op: 'contains', field: 'url.original', value: 'cmd.exe' }, { op: 'wildcard', field: 'url.original', pattern: '*/bin/?sh*' }] },
              ],
            },
          },
        }),
      ]),
    );
    const post = (url: string): EcsEvent => event(undefined, { url: { original: url }, http: { request: { method: 'post' } } });
    expect(detector.evaluate(post('/index.php?a=1'))).toEqual([]);
    expect(detector.stats).toMatchObject({ evaluations: 0, skippedByLiterals: 1 });
    expect(keys(detector.evaluate(post('/x?c=CMD.EXE')))).toEqual(['shell']);
    expect(keys(detector.evaluate(post('/x?c=/BIN/ZSH')))).toEqual(['shell']);
    // The literal occurs but the glob does not hold: the predicate runs and says no.
    expect(detector.evaluate(post('/x?c=/bin/sh'))).toEqual([]);
    expect(detector.stats).toMatchObject({ evaluations: 3, skippedByLiterals: 1 });
  });

  it('fires `not x` and `selection and not filter` on events without x (Sigma K7)', () => {
    const detector = createDetector(
      ruleSet([
        rule({ key: 'no-agent', selections: { sel: { op: 'eq', field: 'user_agent.original', value: 'curl' } }, condition: { op: 'not', child: { op: 'ref', name: 'sel' } } }),
        rule({
          key: 'admin-not-internal',
          selections: { sel: { op: 'eq', field: 'user.name', value: 'admin' }, filter: { op: 'cidr', field: 'source.ip', cidr: '10.0.0.0/8' } },
          condition: { op: 'and', children: [{ op: 'ref', name: 'sel' }, { op: 'not', child: { op: 'ref', name: 'filter' } }] },
        }),
      ]),
    );
    expect(keys(detector.evaluate(event(undefined, { user: { name: 'Admin' } })))).toEqual(['admin-not-internal', 'no-agent']);
    expect(keys(detector.evaluate(event(undefined, { user: { name: 'admin' }, source: { ip: '10.1.2.3' }, user_agent: { original: 'curl' } })))).toEqual([]);
  });

  it('gives the same matches as the bare predicates on random filters and events', () => {
    // The gate may only skip rules that cannot match: compare with every predicate run on every event.
    const fields = ['a', 'b', 'c.d', 'e'];
    const literals = ['a', 'B', 'ab', 'bA', 'xy', '1', 'É'];
    const values: unknown[] = ['ab', 'AB', 'xaby', 'b', 'é', 'Xy', 1, 12, true, ['ba', 'q'], null];
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const pick = <T>(list: readonly T[]): T => list[random(list.length)]!;
    const leaf = (): FilterNode => {
      const field = pick(fields);
      const caseSensitive = random(4) === 0;
      switch (random(7)) {
        case 0:
          return { op: 'eq', field, value: pick([...literals, 1, 12]) };
        case 1:
          return { op: 'exists', field };
        case 2:
          return { op: 'contains', field, value: pick(literals), caseSensitive };
        case 3:
          return { op: random(2) === 0 ? 'startswith' : 'endswith', field, value: pick(literals), caseSensitive };
        case 4:
          return { op: 'wildcard', field, pattern: pick(['*a?*', 'x*', '*b', 'a\\*b', '?', '*ab*', '1*']), caseSensitive };
        case 5:
          return { op: 'regex', field, pattern: pick(['^a', 'b$', '[xy]']) };
        default:
          return { op: 'fieldref', field, other: pick(fields), mode: 'eq' };
      }
    };
    const tree = (depth: number): FilterNode => {
      if (depth === 0 || random(3) === 0) return leaf();
      const kind = random(3);
      if (kind === 0) return { op: 'not', child: tree(depth - 1) };
      const children = Array.from({ length: random(4) }, () => tree(depth - 1));
      return { op: kind === 1 ? 'and' : 'or', children };
    };
    const rules = Array.from({ length: 200 }, (_, i) => rule({ key: `r${i}`, selections: { sel: tree(4) } }));
    const detector = createDetector(ruleSet(rules));
    const predicates = rules.map((r) => ({ key: r.key, predicate: compilePredicate(r.filter) }));
    let matched = 0;
    for (let i = 0; i < 200; i++) {
      const doc: Record<string, unknown> = { '@timestamp': '2026-01-05T10:00:00Z' };
      for (const field of fields) if (random(2) === 0) doc[field] = pick(values);
      const expected = predicates.filter(({ predicate }) => predicate(eventContext(doc))).map(({ key }) => key);
      expect(keys(detector.evaluate(doc as unknown as EcsEvent))).toEqual(expected.sort());
      matched += expected.length;
    }
    expect(matched).toBeGreaterThan(100); // the comparison is not vacuous
    expect(detector.stats.skippedByFields).toBeGreaterThan(0); // and the gates did skip some
    expect(detector.stats.skippedByLiterals).toBeGreaterThan(0);
  });
});

describe('createDetector: explanation', () => {
  const traversal = rule({
    key: 'traversal',
    author: 'Jane Doe, John Roe',
    logsource: { category: 'webserver' },
    level: 'informational',
    filtersApplied: ['mf_internal_scanners'],
    selections: {
      sel_path: { op: 'or', children: [{ op: 'contains', field: 'url.original', value: '../' }, { op: 'contains', field: 'url.original', value: '/etc/passwd' }] },
      sel_method: { op: 'eq', field: 'http.request.method', value: 'GET' },
      filter_internal: { op: 'cidr', field: 'source.ip', cidr: '10.0.0.0/8' },
    },
    condition: {
      op: 'or',
      children: [
        { op: 'and', children: [{ op: 'ref', name: 'sel_path' }, { op: 'ref', name: 'sel_method' }] },
        { op: 'not', child: { op: 'ref', name: 'filter_internal' } },
      ],
    },
  });
  const detector = createDetector(ruleSet([traversal]));

  it('names the selections that held, the values that made them hold, the entities and the rule', () => {
    const ev = event('nginx.access', {
      url: { original: '/a/../../etc/passwd', domain: 'shop.example.com' },
      http: { request: { method: 'get' } },
      source: { ip: '10.0.0.7', port: 51234 },
      user: { name: 'jdoe' },
      observer: { name: 'edge-1' },
    });
    const [match, ...rest] = detector.evaluate(ev);
    expect(rest).toEqual([]);
    expect(match).toEqual({
      rule: {
        key: 'traversal',
        id: 'id-traversal',
        title: 'Rule traversal',
        level: 'informational',
        author: 'Jane Doe, John Roe',
        tags: ['attack.initial-access', 'attack.t1190'],
        source: 'rules/test/traversal.yml:3',
      },
      kind: 'detection',
      eventIds: [ev.event!.id],
      at: '2026-01-05T10:00:00.000Z',
      selections: ['sel_path', 'sel_method'],
      // Both literals of sel_path hold on the same value: it is named once.
      matched: [
        { field: 'url.original', value: '/a/../../etc/passwd', selection: 'sel_path' },
        { field: 'http.request.method', value: 'get', selection: 'sel_method' },
      ],
      entities: { 'source.ip': '10.0.0.7', 'user.name': 'jdoe', 'observer.name': 'edge-1', 'url.domain': 'shop.example.com' },
      filtersApplied: ['mf_internal_scanners'],
    });
  });

  it('does not report a negated selection, even when it holds', () => {
    // Matches through `not filter_internal`; sel_path holds but sel_method does not, so the
    // and-branch did not hold: only selections that hold and are not negated are named.
    const [match] = detector.evaluate(event('nginx.access', { url: { original: '/../x' }, http: { request: { method: 'POST' } }, source: { ip: '203.0.113.7' } }));
    expect(match!.selections).toEqual(['sel_path']);
    expect(match!.matched.every((value) => value.selection === 'sel_path')).toBe(true);
    const [internal] = detector.evaluate(event('nginx.access', { url: { original: '/../x' }, http: { request: { method: 'GET' } }, source: { ip: '10.9.9.9' } }));
    expect(internal!.selections).toEqual(['sel_path', 'sel_method']);
    expect(internal!.matched.map((value) => value.field)).not.toContain('source.ip');
  });
});

describe('createDetector: broken rules', () => {
  it('leaves out a rule that does not compile and runs the others', () => {
    const detector = createDetector(
      ruleSet([
        rule({ key: 'bad-regex', selections: { sel: { op: 'regex', field: 'message', pattern: '(?<=a)b' } } }),
        rule({ key: 'bad-cidr', selections: { sel: { op: 'cidr', field: 'source.ip', cidr: '10.0.0.0/99' } } }),
        rule({ key: 'good', selections: { sel: { op: 'contains', field: 'message', value: 'ab' } } }),
      ]),
    );
    expect(detector.failed.map((failure) => failure.key)).toEqual(['bad-regex', 'bad-cidr']);
    expect(detector.failed[0]).toMatchObject({ title: 'Rule bad-regex', source: 'rules/test/bad-regex.yml:3' });
    expect(detector.failed[0]!.message.length).toBeGreaterThan(0);
    expect(detector.active).toBe(1);
    expect(keys(detector.evaluate(event(undefined, { message: 'xaby' })))).toEqual(['good']);
  });

  it('counts a rule that throws while evaluating and still returns the other matches', () => {
    const detector = createDetector(
      ruleSet([
        rule({ key: 'reads-boom', selections: { sel: { op: 'eq', field: 'x.boom', value: '1' } } }),
        rule({ key: 'good', selections: { sel: { op: 'contains', field: 'message', value: 'ab' } } }),
      ]),
    );
    const hostile = event(undefined, { message: 'xaby' }) as EcsEvent & { x?: object };
    // An event object that throws when read: the predicate (or the gate) trips over it.
    hostile.x = Object.defineProperty({}, 'boom', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(keys(detector.evaluate(hostile))).toEqual(['good']);
    expect(detector.stats.ruleErrors).toBe(1);
    expect(detector.runtimeErrors()).toEqual([{ key: 'reads-boom', count: 1, message: 'boom' }]);
  });
});

/** A CorrelationEngine that records what it is fed and fires after `threshold` matches of a rule. */
function fakeCorrelation(consumedKeys: string[], threshold: number): CorrelationEngine & { fed: string[] } {
  const fed: string[] = [];
  const ids: string[] = [];
  return {
    fed,
    consumes: (key) => consumedKeys.includes(key),
    async onMatch(match) {
      fed.push(match.rule.key);
      ids.push(...match.eventIds);
      if (match.rule.key !== 'failed-login' || fed.filter((key) => key === 'failed-login').length !== threshold) return [];
      const correlationMatch = (key: string): RuleMatch => ({
        ...match,
        rule: { ...match.rule, key, title: key },
        kind: 'correlation',
        eventIds: [...Array.from({ length: 150 }, (_, i) => `old-${i}`), ...ids],
        correlation: { type: 'event_count', group: { 'source.ip': '203.0.113.7' }, value: threshold, windowStart: match.at, windowEnd: match.at, rules: ['failed-login'] },
      });
      // An inner building block its outer correlation consumes, and the outer one.
      return [correlationMatch('building-block'), correlationMatch('brute-force')];
    },
  };
}

describe('createDetector: process and correlations', () => {
  const rules = [
    rule({ key: 'failed-login', logsource: { product: 'linux' }, selections: { sel: { op: 'eq', field: 'event.outcome', value: 'failure' } } }),
    rule({ key: 'root-login', logsource: { product: 'linux' }, selections: { sel: { op: 'eq', field: 'user.name', value: 'root' } } }),
  ];
  const failed = (): EcsEvent => event('linux.auth', { event: { outcome: 'failure' }, user: { name: 'root' }, source: { ip: '203.0.113.7' } });

  it('drops matches a generate:false correlation consumes and adds the correlation matches', async () => {
    const correlation = fakeCorrelation(['failed-login', 'building-block'], 2);
    const detector = createDetector(ruleSet(rules), { correlation, maxEventIds: 10 });
    expect(detector.consumed('failed-login')).toBe(true);
    expect(detector.consumed('root-login')).toBe(false);
    // evaluate still returns the consumed rule's match.
    expect(keys(detector.evaluate(failed()))).toEqual(['failed-login', 'root-login']);
    expect(keys(await detector.process(failed()))).toEqual(['root-login']);
    const last = failed();
    const second = await detector.process(last);
    expect(keys(second)).toEqual(['brute-force', 'root-login']);
    // Every detection match is fed, consumed or not, in order.
    expect(correlation.fed).toEqual(['failed-login', 'root-login', 'failed-login', 'root-login']);
    const brute = second.find((match) => match.kind === 'correlation')!;
    expect(brute.eventIds).toHaveLength(10);
    expect(brute.eventIds.at(-1)).toBe(last.event!.id);
    expect(detector.stats.correlationMatches).toBe(2); // building-block fired, consumed by brute-force
  });

  it('returns every detection match when no correlation engine is given', async () => {
    const detector = createDetector(ruleSet(rules));
    expect(detector.consumed('failed-login')).toBe(false);
    expect(keys(await detector.process(failed()))).toEqual(['failed-login', 'root-login']);
  });
});
