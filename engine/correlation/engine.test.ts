import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import type { EcsEvent } from '../../core/ecs/event.js';
import { MemoryCorrelationStore } from '../../backends/memory/correlation-store.js';
import type { RuleMatch } from '../detect/types.js';
import type { CorrelationRule } from '../sigma/types.js';
import { createCorrelationEngine, windowDefinition, type CorrelationMatch, type StreamingCorrelationEngine } from './engine.js';
import type { CorrelationEngine } from './types.js';

/** 2026-01-05T10:00:00Z, the rule tests' fixed start. */
const T0 = Date.parse('2026-01-05T10:00:00Z');
const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** A correlation rule with the loader's defaults: key = name, generate false, no aliases. */
function correlation(fields: Partial<CorrelationRule> & Pick<CorrelationRule, 'type' | 'rules'>): CorrelationRule {
  const key = fields.key ?? fields.name ?? `corr-${fields.type}`;
  return {
    kind: 'correlation',
    key,
    name: key,
    title: `Correlation ${key}`,
    level: 'high',
    author: 'Jane Analyst, John Hunter',
    references: [],
    tags: ['attack.credential-access', 'attack.t1110'],
    falsepositives: [],
    fields: [],
    custom: {},
    source: { file: 'rules/watchpost/test.yml', line: 7, col: 1 },
    groupBy: [],
    timespanMs: 10 * MINUTE,
    condition: {},
    aliases: {},
    generate: false,
    ...fields,
  };
}

let sequence = 0;

/** An event at `atMs` with a fresh id (or the given one) and the given nested ECS fields. */
function event(atMs: number, fields: Record<string, unknown> = {}, id?: string): EcsEvent {
  sequence += 1;
  const own = (fields.event ?? {}) as Record<string, unknown>;
  return {
    ...fields,
    '@timestamp': new Date(atMs).toISOString(),
    event: { ...own, id: id ?? `ev-${sequence}` },
  };
}

/** A detection match of `ruleKey` on `ev`, as the detector builds it. */
function detection(ruleKey: string, ev: EcsEvent): RuleMatch {
  return {
    rule: { key: ruleKey, name: ruleKey, title: ruleKey, level: 'low', tags: [], source: 'rules/test.yml:1' },
    kind: 'detection',
    eventIds: [ev.event?.id as string],
    at: ev['@timestamp'],
    selections: ['sel'],
    matched: [],
    entities: {},
    filtersApplied: [],
  };
}

/** Feeds the matches in order (as the detector does) and collects every correlation match. */
async function feedAll(engine: CorrelationEngine, inputs: readonly (readonly [ruleKey: string, ev: EcsEvent])[]): Promise<RuleMatch[]> {
  const out: RuleMatch[] = [];
  for (const [ruleKey, ev] of inputs) out.push(...(await engine.onMatch(detection(ruleKey, ev), ev)));
  return out;
}

let store: MemoryCorrelationStore;

beforeEach(() => {
  store = new MemoryCorrelationStore();
});

afterEach(async () => {
  await store.close();
});

function engineOf(rules: readonly CorrelationRule[], maxEventIds?: number): StreamingCorrelationEngine {
  const engine = createCorrelationEngine(rules, { store, ...(maxEventIds !== undefined && { maxEventIds }) });
  expect(engine.problems.filter((p) => p.severity === 'error')).toEqual([]);
  return engine;
}

/** `count` failed logins from `ip`, one every `every` ms from `start`. */
function failures(count: number, start: number, every: number, ip = '203.0.113.7', extra: Record<string, unknown> = {}): [string, EcsEvent][] {
  return Array.from({ length: count }, (_, i) => ['failed-login', event(start + i * every, { source: { ip }, ...extra })] as [string, EcsEvent]);
}

const bruteForce = (condition: CorrelationRule['condition'], more: Partial<CorrelationRule> = {}): CorrelationRule =>
  correlation({ name: 'brute-force', type: 'event_count', rules: ['failed-login'], groupBy: ['source.ip'], condition, ...more });

describe('event_count', () => {
  it('fires at exactly N events (gte N), not at N - 1, and explains itself', async () => {
    const engine = engineOf([bruteForce({ gte: 5 })]);
    const inputs = failures(5, T0, 10 * SECOND);
    expect(await feedAll(engine, inputs.slice(0, 4))).toEqual([]);
    const [match, ...rest] = await feedAll(engine, inputs.slice(4));
    expect(rest).toEqual([]);
    expect(match).toMatchObject({
      kind: 'correlation',
      rule: { key: 'brute-force', title: 'Correlation brute-force', author: 'Jane Analyst, John Hunter', level: 'high', source: 'rules/watchpost/test.yml:7' },
      eventIds: inputs.map(([, ev]) => ev.event?.id),
      entities: { 'source.ip': '203.0.113.7' },
      at: new Date(T0 + 40 * SECOND).toISOString(),
      correlation: {
        type: 'event_count',
        group: { 'source.ip': '203.0.113.7' },
        value: 5,
        windowStart: new Date(T0).toISOString(),
        windowEnd: new Date(T0 + 40 * SECOND).toISOString(),
        rules: ['failed-login'],
      },
    });
  });

  it('fires above N with gt N, not at N', async () => {
    const engine = engineOf([bruteForce({ gt: 5 })]);
    const inputs = failures(6, T0, SECOND);
    expect(await feedAll(engine, inputs.slice(0, 5))).toEqual([]);
    expect((await feedAll(engine, inputs.slice(5))).map((m) => m.correlation?.value)).toEqual([6]);
  });

  it('counts events just inside the timespan and forgets one exactly a timespan old', async () => {
    const inside = engineOf([bruteForce({ gte: 3 }, { timespanMs: MINUTE })]);
    expect(await feedAll(inside, [...failures(2, T0, 30 * SECOND), failures(1, T0 + MINUTE - 1, 0)[0] as [string, EcsEvent]])).toHaveLength(1);

    await store.close();
    store = new MemoryCorrelationStore();
    const outside = engineOf([bruteForce({ gte: 3 }, { timespanMs: MINUTE })]);
    // The third event is exactly one timespan after the first: the first has left the window.
    expect(await feedAll(outside, failures(3, T0, 30 * SECOND))).toEqual([]);
  });

  it('keeps groups apart and ignores events without the group-by field (no null group)', async () => {
    const engine = engineOf([bruteForce({ gte: 3 })]);
    const noIp: [string, EcsEvent][] = Array.from({ length: 5 }, (_, i) => ['failed-login', event(T0 + i, { user: { name: 'root' } })]);
    const matches = await feedAll(engine, [...failures(2, T0, SECOND, '10.0.0.1'), ...failures(2, T0, SECOND, '10.0.0.2'), ...noIp]);
    expect(matches).toEqual([]);
    expect(engine.stats.skippedNoGroup).toBe(5);
    const fired = await feedAll(engine, failures(1, T0 + 5 * SECOND, 0, '10.0.0.2'));
    expect(fired.map((m) => m.entities)).toEqual([{ 'source.ip': '10.0.0.2' }]);
  });

  it('uses one global group without group-by', async () => {
    const engine = engineOf([bruteForce({ gte: 3 }, { groupBy: [] })]);
    const matches = await feedAll(engine, [...failures(1, T0, 0, '10.0.0.1'), ...failures(1, T0 + 1, 0, '10.0.0.2'), ...failures(1, T0 + 2, 0, '10.0.0.3')]);
    expect(matches).toHaveLength(1);
    expect(matches[0]?.entities).toEqual({});
    expect(matches[0]?.correlation?.group).toEqual({});
  });

  it('groups on every value of an array field', async () => {
    const engine = engineOf([bruteForce({ gte: 2 }, { groupBy: ['related.ip'] })]);
    const matches = await feedAll(engine, [
      ['failed-login', event(T0, { related: { ip: ['10.0.0.1', '10.0.0.2'] } })],
      ['failed-login', event(T0 + 1, { related: { ip: ['10.0.0.2'] } })],
    ]);
    expect(matches.map((m) => m.entities)).toEqual([{ 'related.ip': '10.0.0.2' }]);
  });

  it('raises one match for a long burst, and again for a burst a timespan later', async () => {
    const engine = engineOf([bruteForce({ gte: 5 })]);
    const first = await feedAll(engine, failures(40, T0, SECOND));
    expect(first).toHaveLength(1);
    expect(engine.stats.suppressed).toBeGreaterThan(0);
    const second = await feedAll(engine, failures(5, T0 + 15 * MINUTE, SECOND));
    expect(second).toHaveLength(1);
    // The second match counts only the second burst.
    expect(second[0]?.correlation).toMatchObject({ value: 5, windowStart: new Date(T0 + 15 * MINUTE).toISOString() });
  });

  it('raises one match when two engines share the store and see the threshold at once', async () => {
    const rules = [bruteForce({ gte: 10 })];
    const a = engineOf(rules);
    const b = engineOf(rules);
    const inputs = failures(30, T0, 100);
    const results = await Promise.all(inputs.map(([key, ev], i) => (i % 2 === 0 ? a : b).onMatch(detection(key, ev), ev)));
    expect(results.flat()).toHaveLength(1);
  });

  it('counts a late event in the window that ends at its own time', async () => {
    const engine = engineOf([bruteForce({ gte: 3 }, { timespanMs: MINUTE })]);
    const inputs = failures(2, T0 + 50 * SECOND, SECOND);
    // A late event 45 s before the others: all three lie within one minute.
    expect(await feedAll(engine, [...inputs, failures(1, T0 + 5 * SECOND, 0)[0] as [string, EcsEvent]])).toHaveLength(1);
  });

  it('does not count a late event with events more than a timespan after it', async () => {
    const engine = engineOf([bruteForce({ gte: 3 }, { timespanMs: MINUTE })]);
    const inputs = [...failures(1, T0 + 10 * SECOND, 0), ...failures(1, T0 + 70 * SECOND, 0), ...failures(1, T0 + 75 * SECOND, 0)];
    // The late event at 12 s shares a minute with the one at 10 s only: the window ending at 12 s has 2.
    expect(await feedAll(engine, [...inputs.slice(1), inputs[0] as [string, EcsEvent], ...failures(1, T0 + 12 * SECOND, 0)])).toEqual([]);
  });

  it('caps the event ids of a match at maxEventIds, keeping the newest', async () => {
    const engine = engineOf([bruteForce({ gte: 8 })], 3);
    const inputs = failures(8, T0, SECOND);
    const [match] = await feedAll(engine, inputs);
    expect(match?.eventIds).toEqual(inputs.slice(-3).map(([, ev]) => ev.event?.id));
    expect(match?.correlation?.value).toBe(8);
  });

  it('counts an event matched by two referenced rules once', async () => {
    const engine = engineOf([bruteForce({ gte: 2 }, { rules: ['failed-login', 'failed-root-login'] })]);
    const ev = event(T0, { source: { ip: '10.0.0.1' } });
    expect(await feedAll(engine, [['failed-login', ev], ['failed-root-login', ev]])).toEqual([]);
    const [match] = await feedAll(engine, [['failed-root-login', event(T0 + 1, { source: { ip: '10.0.0.1' } })]]);
    expect(match?.correlation?.rules).toEqual(['failed-login', 'failed-root-login']);
  });

  it('ignores matches of rules it does not reference and events without a valid time', async () => {
    const engine = engineOf([bruteForce({ gte: 1 })]);
    expect(await feedAll(engine, [['other-rule', event(T0, { source: { ip: '10.0.0.1' } })]])).toEqual([]);
    const bad = { ...event(T0, { source: { ip: '10.0.0.1' } }), '@timestamp': 'yesterday' };
    expect(await feedAll(engine, [['failed-login', bad]])).toEqual([]);
    expect(engine.stats.skippedBadTime).toBe(1);
  });
});

describe('value_count', () => {
  const spray = (field: string[], gte = 3): CorrelationRule =>
    correlation({ name: 'spray', type: 'value_count', rules: ['failed-login'], groupBy: ['source.ip'], condition: { field, gte } });
  const login = (at: number, user?: string, host?: string): [string, EcsEvent] => [
    'failed-login',
    event(at, { source: { ip: '10.0.0.9' }, ...(user && { user: { name: user } }), ...(host && { host: { name: host } }) }),
  ];

  it('counts distinct values, ignoring repeats and events without the field', async () => {
    const engine = engineOf([spray(['user.name'])]);
    expect(await feedAll(engine, [login(T0, 'alice'), login(T0 + 1, 'alice'), login(T0 + 2, 'bob'), login(T0 + 3)])).toEqual([]);
    expect(engine.stats.skippedNoValue).toBe(1);
    const [match] = await feedAll(engine, [login(T0 + 4, 'carol')]);
    expect(match?.correlation).toMatchObject({ type: 'value_count', value: 3 });
    // Every event of the window is reported, the repeated alice too.
    expect(match?.eventIds).toHaveLength(4);
  });

  it('counts distinct combinations of a field list', async () => {
    const engine = engineOf([spray(['user.name', 'host.name'])]);
    const matches = await feedAll(engine, [login(T0, 'alice', 'h1'), login(T0 + 1, 'alice', 'h1'), login(T0 + 2, 'alice', 'h2'), login(T0 + 3, 'bob', 'h1')]);
    expect(matches.map((m) => m.correlation?.value)).toEqual([3]);
  });
});

describe('temporal', () => {
  const recon = (condition: CorrelationRule['condition'] = {}): CorrelationRule =>
    correlation({ name: 'recon', type: 'temporal', rules: ['a', 'b', 'c'], groupBy: ['host.name'], timespanMs: 5 * MINUTE, condition });
  const on = (rule: string, at: number, host = 'web-1'): [string, EcsEvent] => [rule, event(at, { host: { name: host } })];

  it('needs every rule by default, in any order, within the timespan', async () => {
    const engine = engineOf([recon()]);
    expect(await feedAll(engine, [on('c', T0), on('a', T0 + 1), on('a', T0 + 2), on('b', T0 + 3, 'web-2')])).toEqual([]);
    const [match] = await feedAll(engine, [on('b', T0 + 4)]);
    expect(match?.correlation).toMatchObject({ type: 'temporal', value: 3, rules: ['a', 'b', 'c'] });
    expect(match?.eventIds).toHaveLength(4);
  });

  it('does not fire when the first rule left the window', async () => {
    const engine = engineOf([recon()]);
    expect(await feedAll(engine, [on('a', T0), on('b', T0 + MINUTE), on('c', T0 + 5 * MINUTE)])).toEqual([]);
  });

  it('counts distinct rules against an explicit condition (2 of 3)', async () => {
    const engine = engineOf([recon({ gte: 2 })]);
    expect(await feedAll(engine, [on('a', T0), on('a', T0 + 1)])).toEqual([]);
    expect((await feedAll(engine, [on('c', T0 + 2)])).map((m) => m.correlation?.rules)).toEqual([['a', 'c']]);
  });
});

describe('temporal_ordered', () => {
  const sequenceRule = correlation({ name: 'seq', type: 'temporal_ordered', rules: ['a', 'b', 'c'], groupBy: ['host.name'], timespanMs: 5 * MINUTE });
  const on = (rule: string, at: number): [string, EcsEvent] => [rule, event(at, { host: { name: 'web-1' } })];

  it('fires when the rules match in order', async () => {
    const engine = engineOf([sequenceRule]);
    expect(await feedAll(engine, [on('a', T0), on('b', T0 + 1)])).toEqual([]);
    expect((await feedAll(engine, [on('c', T0 + 2)])).map((m) => m.correlation?.value)).toEqual([3]);
  });

  it('checks the order of every step, not only the first (hayabusa PR 1841)', async () => {
    const engine = engineOf([sequenceRule]);
    expect(await feedAll(engine, [on('a', T0), on('c', T0 + 1), on('b', T0 + 2)])).toEqual([]);
    // A c after the b completes the sequence a < b < c.
    expect(await feedAll(engine, [on('c', T0 + 3)])).toHaveLength(1);
  });

  it('never fires on the reversed order', async () => {
    const engine = engineOf([sequenceRule]);
    expect(await feedAll(engine, [on('c', T0), on('b', T0 + 1), on('a', T0 + 2)])).toEqual([]);
  });

  it('orders by event time, not by arrival', async () => {
    const engine = engineOf([sequenceRule]);
    // Arrive c, b, a, but happened a, b, c.
    expect(await feedAll(engine, [on('c', T0 + 3), on('b', T0 + 2), on('a', T0 + 1)])).toHaveLength(1);
  });
});

describe('value_sum, value_avg, value_percentile', () => {
  const transfer = (at: number, bytes: unknown): [string, EcsEvent] => ['upload', event(at, { source: { ip: '10.0.0.5' }, network: { bytes } })];
  const rule = (type: CorrelationRule['type'], condition: CorrelationRule['condition']): CorrelationRule =>
    correlation({ name: 'exfil', type, rules: ['upload'], groupBy: ['source.ip'], condition: { field: ['network.bytes'], ...condition } });

  it('value_sum compares the sum of the field, ignoring non-numeric values', async () => {
    const engine = engineOf([rule('value_sum', { gt: 1000 })]);
    expect(await feedAll(engine, [transfer(T0, 400), transfer(T0 + 1, 'n/a'), transfer(T0 + 2, '600')])).toEqual([]);
    expect(engine.stats.skippedNoValue).toBe(1);
    const [match] = await feedAll(engine, [transfer(T0 + 3, 1)]);
    expect(match?.correlation?.value).toBe(1001);
  });

  it('value_avg compares the average', async () => {
    const engine = engineOf([rule('value_avg', { gt: 500 })]);
    expect(await feedAll(engine, [transfer(T0, 400), transfer(T0 + 1, 600)])).toEqual([]);
    expect((await feedAll(engine, [transfer(T0 + 2, 600)])).map((m) => m.correlation?.value)).toEqual([1600 / 3]);
  });

  it('value_percentile (experimental) compares the nearest-rank percentile', async () => {
    const engine = createCorrelationEngine([rule('value_percentile', { percentile: 90, gte: 1000 })], { store });
    expect(engine.problems.map((p) => p.code)).toEqual(['correlation-experimental']);
    const small = Array.from({ length: 9 }, (_, i) => transfer(T0 + i, 10 + i));
    // 9 small values and 1 large: the 90th percentile (rank 9 of 10) is still small.
    expect(await feedAll(engine, [...small, transfer(T0 + 10, 5000)])).toEqual([]);
    expect((await feedAll(engine, [transfer(T0 + 11, 4000)])).map((m) => m.correlation?.value)).toEqual([4000]);
  });
});

describe('aliases', () => {
  it('groups events of different rules on the field each rule names', async () => {
    const engine = engineOf([
      correlation({
        name: 'scan-then-login',
        type: 'temporal_ordered',
        rules: ['port-scan', 'login'],
        groupBy: ['attacker'],
        aliases: { attacker: { 'port-scan': 'source.ip', login: 'client.ip' } },
      }),
    ]);
    const matches = await feedAll(engine, [
      ['port-scan', event(T0, { source: { ip: '198.51.100.4' }, client: { ip: '10.9.9.9' } })],
      ['login', event(T0 + 1, { source: { ip: '10.9.9.9' }, client: { ip: '198.51.100.8' } })],
      ['login', event(T0 + 2, { client: { ip: '198.51.100.4' } })],
    ]);
    expect(matches.map((m) => m.entities)).toEqual([{ attacker: '198.51.100.4' }]);
  });
});

describe('chains', () => {
  const inner = correlation({
    name: 'many-failures',
    type: 'event_count',
    rules: ['failed-login'],
    groupBy: ['source.ip', 'user.name'],
    condition: { gte: 3 },
    generate: false,
  });
  const outer = correlation({
    name: 'brute-force-success',
    type: 'temporal_ordered',
    rules: ['many-failures', 'login-success'],
    groupBy: ['source.ip', 'user.name'],
    timespanMs: 15 * MINUTE,
  });
  const fail = (at: number, user = 'root'): [string, EcsEvent] => ['failed-login', event(at, { source: { ip: '203.0.113.7' }, user: { name: user } })];
  const success = (at: number, user = 'root'): [string, EcsEvent] => ['login-success', event(at, { source: { ip: '203.0.113.7' }, user: { name: user } })];

  it('feeds the inner match, with its group values and time, to the outer correlation', async () => {
    const engine = engineOf([outer, inner]);
    const fails = [fail(T0), fail(T0 + SECOND), fail(T0 + 2 * SECOND)];
    const innerMatches = await feedAll(engine, fails);
    expect(innerMatches.map((m) => m.rule.key)).toEqual(['many-failures']);
    // A success of another user does not complete root's sequence.
    expect(await feedAll(engine, [success(T0 + 3 * SECOND, 'alice')])).toEqual([]);
    const last = success(T0 + 4 * SECOND);
    const [match, ...rest] = await feedAll(engine, [last]);
    expect(rest).toEqual([]);
    expect(match).toMatchObject({
      rule: { key: 'brute-force-success' },
      entities: { 'source.ip': '203.0.113.7', 'user.name': 'root' },
      correlation: { type: 'temporal_ordered', value: 2, rules: ['many-failures', 'login-success'], windowStart: new Date(T0 + 2 * SECOND).toISOString() },
    });
    // The inner match's events and the success event.
    expect(match?.eventIds).toEqual([...fails, last].map(([, ev]) => ev.event?.id));
  });

  it('adds the entities of the completing event when grouped on fewer fields (the account broken into)', async () => {
    const byAddress = correlation({ name: 'inner-by-ip', type: 'event_count', rules: ['failed-login'], groupBy: ['source.ip'], condition: { gte: 3 }, generate: false });
    const sequence = correlation({ name: 'success-after-failures', type: 'temporal_ordered', rules: ['inner-by-ip', 'login-success'], groupBy: ['source.ip'], timespanMs: 15 * MINUTE });
    const engine = engineOf([sequence, byAddress]);
    const innerMatches = await feedAll(engine, [fail(T0, 'alice'), fail(T0 + SECOND, 'bob'), fail(T0 + 2 * SECOND, 'carol')]);
    // A count correlation does not take one event's entities for all of them.
    expect(innerMatches.map((m) => m.entities)).toEqual([{ 'source.ip': '203.0.113.7' }]);
    const [match] = await feedAll(engine, [success(T0 + 3 * SECOND, 'bob')]);
    expect(match?.entities).toEqual({ 'source.ip': '203.0.113.7', 'user.name': 'bob' });
  });

  it('does not fire the outer one when the success came before the failures', async () => {
    const engine = engineOf([outer, inner]);
    expect(await feedAll(engine, [success(T0), fail(T0 + 1), fail(T0 + 2)])).toEqual([]);
    expect((await feedAll(engine, [fail(T0 + 3)])).map((m) => m.rule.key)).toEqual(['many-failures']);
  });

  it('says which rules are consumed by generate: false correlations', () => {
    const engine = engineOf([outer, inner]);
    expect(engine.consumes('failed-login')).toBe(true);
    expect(engine.consumes('many-failures')).toBe(true);
    expect(engine.consumes('login-success')).toBe(true);
    const generating = engineOf([{ ...outer, generate: true }]);
    expect(generating.consumes('login-success')).toBe(false);
  });

  it('refuses correlations that reference themselves through a chain', () => {
    const a = correlation({ name: 'loop-a', type: 'event_count', rules: ['loop-b'], condition: { gte: 1 } });
    const b = correlation({ name: 'loop-b', type: 'event_count', rules: ['loop-a'], condition: { gte: 1 } });
    const engine = createCorrelationEngine([a, b, inner], { store });
    expect(engine.problems.map((p) => [p.rule, p.code])).toEqual([
      ['loop-a', 'correlation-cycle'],
      ['loop-b', 'correlation-cycle'],
    ]);
    expect(engine.active).toEqual(['many-failures']);
  });
});

describe('conditions decided when the window closes', () => {
  const rare = (condition: CorrelationRule['condition']): CorrelationRule =>
    correlation({ name: 'rare', type: 'event_count', rules: ['failed-login'], groupBy: ['source.ip'], timespanMs: MINUTE, condition });

  it('fires lt N at the close of a window with fewer events, not on arrival', async () => {
    const clock = new ManualClock(T0);
    const engine = createCorrelationEngine([rare({ lt: 3 })], { store, clock });
    expect(engine.problems.map((p) => p.code)).toEqual(['correlation-decided-at-close']);
    expect(await feedAll(engine, [...failures(2, T0, SECOND, '10.0.0.1'), ...failures(3, T0, SECOND, '10.0.0.2')])).toEqual([]);
    expect(await engine.flush(T0 + MINUTE - 1)).toEqual([]);
    clock.set(T0 + MINUTE);
    const matches = await engine.flush();
    expect(matches.map((m) => [m.entities, m.correlation?.value])).toEqual([[{ 'source.ip': '10.0.0.1' }, 2]]);
    expect(matches[0]?.correlation?.windowStart).toBe(new Date(T0).toISOString());
    // Decided once.
    expect(await engine.flush(T0 + 10 * MINUTE)).toEqual([]);
  });

  it('decides eq and ranges on the window as a whole and keeps later events for the next window', async () => {
    const engine = createCorrelationEngine([rare({ gt: 1, lte: 3 })], { store });
    // 4 events in the first window (out of range), 2 in the next.
    await feedAll(engine, [...failures(4, T0, SECOND), ...failures(2, T0 + MINUTE, SECOND)]);
    expect(await engine.flush(T0 + MINUTE)).toEqual([]);
    const matches = await engine.flush(T0 + 2 * MINUTE);
    expect(matches.map((m) => m.correlation?.value)).toEqual([2]);
    expect(matches[0]?.correlation?.windowStart).toBe(new Date(T0 + MINUTE).toISOString());
  });

  it('decides eq N exactly: N fires, N + 1 does not', async () => {
    const engine = createCorrelationEngine([rare({ eq: 3 })], { store });
    await feedAll(engine, [...failures(3, T0, SECOND, '10.0.0.1'), ...failures(4, T0, SECOND, '10.0.0.2')]);
    expect((await engine.flush(T0 + MINUTE + 5 * SECOND)).map((m) => m.entities)).toEqual([{ 'source.ip': '10.0.0.1' }]);
  });

  it('decides neq N', async () => {
    const engine = createCorrelationEngine([rare({ neq: 3 })], { store });
    await feedAll(engine, [...failures(3, T0, SECOND, '10.0.0.1'), ...failures(4, T0, SECOND, '10.0.0.2')]);
    expect((await engine.flush(T0 + MINUTE + 5 * SECOND)).map((m) => m.entities)).toEqual([{ 'source.ip': '10.0.0.2' }]);
  });

  it('closes several windows of one group in one late flush', async () => {
    const engine = createCorrelationEngine([rare({ lte: 2 })], { store });
    await feedAll(engine, [...failures(1, T0, 0), ...failures(2, T0 + MINUTE + SECOND, SECOND)]);
    const matches = await engine.flush(T0 + 3 * MINUTE);
    expect(matches.map((m) => m.correlation?.value)).toEqual([1, 2]);
  });

  it('refuses conditions that only a count of 0 satisfies', () => {
    for (const condition of [{ eq: 0 }, { lt: 1 }, { lte: 0 }]) {
      const engine = createCorrelationEngine([rare(condition)], { store });
      expect(engine.problems.map((p) => [p.code, p.severity, p.line])).toEqual([['correlation-absence-unsupported', 'error', 7]]);
      expect(engine.active).toEqual([]);
    }
  });
});

describe('transports of a window', () => {
  const via = (transport: string): Record<string, unknown> => ({ watchpost: { input: { transport } } });

  it('lists the transports of every event in the window, distinct and sorted, chained matches included', async () => {
    const engine = engineOf([bruteForce({ gte: 4 }, { generate: true }), correlation({ name: 'outer', type: 'event_count', rules: ['brute-force'], groupBy: ['source.ip'], condition: { gte: 1 } })]);
    const inputs = [
      ...failures(1, T0, SECOND, '203.0.113.7', via('udp')),
      ...failures(1, T0 + SECOND, SECOND, '203.0.113.7', via('tcp')),
      ...failures(1, T0 + 2 * SECOND, SECOND, '203.0.113.7', via('udp')),
      ...failures(1, T0 + 3 * SECOND, SECOND, '203.0.113.7'),
    ];
    const matches = (await feedAll(engine, inputs)) as CorrelationMatch[];
    expect(matches.map((m) => [m.rule.key, m.transports])).toEqual([
      ['brute-force', ['tcp', 'udp']],
      ['outer', ['tcp', 'udp']],
    ]);
  });

  it('reads window members written before transports were recorded', async () => {
    const engine = engineOf([bruteForce({ gte: 2 })]);
    // The member format of earlier versions: rule index, "|", event id.
    await store.observe('brute-force|e|g:203.0.113.7', '0000|old-event', T0, 10 * MINUTE);
    await store.observe('brute-force|p|g:203.0.113.7', 'old-event', T0, 10 * MINUTE);
    const matches = (await feedAll(engine, failures(1, T0 + SECOND, SECOND, '203.0.113.7', via('tls')))) as CorrelationMatch[];
    expect(matches.map((m) => [m.eventIds.length, m.correlation?.rules, m.transports])).toEqual([[2, ['failed-login'], ['tls']]]);
  });
});

describe('a rule reload', () => {
  const rare = (more: Partial<CorrelationRule> = {}): CorrelationRule =>
    correlation({ name: 'rare', type: 'event_count', rules: ['failed-login'], groupBy: ['source.ip'], timespanMs: MINUTE, condition: { lt: 3 }, ...more });

  it('hands the windows awaiting their close of an unchanged correlation to the new engine, which decides them', async () => {
    const before = createCorrelationEngine([rare()], { store });
    await feedAll(before, failures(2, T0, SECOND, '10.0.0.1'));
    // A new version of the rule file: another title and position, the same definition.
    const after = createCorrelationEngine([rare({ title: 'Renamed', source: { file: 'rules/watchpost/test.yml', line: 40, col: 1 } })], { store, previous: before });
    expect(await before.flush(T0 + MINUTE)).toEqual([]);
    const matches = await after.flush(T0 + MINUTE);
    expect(matches.map((m) => [m.rule.title, m.entities, m.correlation?.value])).toEqual([['Renamed', { 'source.ip': '10.0.0.1' }, 2]]);
  });

  it('leaves the windows of a changed correlation with the old engine', async () => {
    const before = createCorrelationEngine([rare()], { store });
    await feedAll(before, failures(2, T0, SECOND, '10.0.0.1'));
    const changed = rare({ condition: { lt: 2 } });
    expect(windowDefinition(changed)).not.toBe(windowDefinition(rare()));
    const after = createCorrelationEngine([changed], { store, previous: before });
    expect(await after.flush(T0 + MINUTE)).toEqual([]);
    expect((await before.flush(T0 + MINUTE)).map((m) => m.correlation?.value)).toEqual([2]);
  });

  it('does not tell apart definitions that differ only in key order or metadata', () => {
    expect(windowDefinition(rare({ level: 'low', tags: [] }))).toBe(windowDefinition(rare()));
    expect(windowDefinition(rare({ timespanMs: 2 * MINUTE }))).not.toBe(windowDefinition(rare()));
    expect(windowDefinition(rare({ groupBy: ['user.name'] }))).not.toBe(windowDefinition(rare()));
  });
});
