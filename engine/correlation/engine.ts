/**
 * The streaming correlation engine (checklist G): base-rule matches in, correlation matches out,
 * with every window in a {@link CorrelationStore} so that ingest processes sharing one Redis
 * share one window. Condition semantics and when they are decided: ./conditions.ts; group and
 * key spelling: ./group-key.ts.
 *
 * Per (correlation, group) the store holds two windows, in event time (`@timestamp`):
 * - `primary` — what is counted: the event id (event_count), the value tuple (value_count), the
 *   rule index (temporal types), or `<number>|<n>|<event id>` (value_sum/avg/percentile);
 * - `events` — `<rule index><transport codes>|<event id>` of every input, for the match's
 *   eventIds, the contributing rules, the order of temporal_ordered and the transports the
 *   window's events came by (`watchpost.input.transport`, one letter each, see
 *   TRANSPORT_CODES; members written before the codes existed simply have none).
 *
 * One burst, one match: a correlation fires only if it wins `store.claim` on `<group>|<window
 * start>`, so two processes that see the threshold crossed at once raise one match (and a replay
 * of the same window does not raise it again). Firing resets the group's windows, so the next
 * match counts new events only, and records a `marker` (event time of the firing): while it is
 * less than a timespan old, the condition holding again is the same burst and does not fire. A
 * burst that goes on raises one match per timespan; the alerting layer merges those.
 *
 * Chains (G18): a correlation match is fed to the correlations that reference it as an input
 * whose fields are the inner group values and whose time is the inner window's end; the outer
 * correlation groups on those values only.
 *
 * Known limits: an input missing a group-by field joins no group (counted in
 * `stats.skippedNoGroup`); the windows awaiting close (close-mode conditions) are tracked in this
 * process's memory, so a restart leaves those open then undecided (a rule reload hands them to
 * the new engine, see {@link CorrelationEngineOptions.previous}); reading a window back costs
 * O(members) (only when a threshold is crossed, but on every input for value_* types).
 */
import { SYSTEM_CLOCK, type Clock } from '../../core/clock.js';
import type { EcsEvent } from '../../core/ecs/event.js';
import { getField } from '../../core/ecs/fields.js';
import { deterministicId } from '../../core/ids.js';
import type { CorrelationStore, WindowMember, WindowState } from '../../core/stores/correlation-store.js';
import { ENTITY_FIELDS } from '../detect/entities.js';
import type { MatchedRule, RuleMatch } from '../detect/types.js';
import type { CorrelationCondition, CorrelationRule, RuleProblem } from '../sigma/types.js';
import { aggregate, checkCorrelation, conditionHolds, decisionMode, effectiveCondition, isCountType, orderedSteps, type DecisionMode } from './conditions.js';
import { combinations, encodeTuple, fieldFor, MAX_FANOUT, groupsOf, numbersOf, scalarsOf, windowKeys, type FieldReader, type Group, type WindowKeys } from './group-key.js';
import type { CorrelationEngine } from './types.js';

/** Options of {@link createCorrelationEngine}. */
export interface CorrelationEngineOptions {
  readonly store: CorrelationStore;
  /** The most event ids a correlation match carries (the newest of its window). @defaultValue 100 */
  readonly maxEventIds?: number;
  /** What `flush()` without an argument takes as now. @defaultValue the system clock */
  readonly clock?: Clock;
  /**
   * The most windows awaiting their close (close-mode conditions) this process tracks; beyond
   * it the oldest is forgotten (its group is not decided) and counted.
   * @defaultValue 100000
   */
  readonly maxOpenWindows?: number;
  /**
   * The engine this one replaces (a rule reload). The windows awaiting their close that it tracks
   * for correlations whose definition is unchanged (see {@link windowDefinition}) move to this
   * engine, which decides them at their close; the rest stay with it, for its last flush. Windows
   * decided on arrival need nothing: they are in the store, keyed by the correlation's key.
   */
  readonly previous?: StreamingCorrelationEngine;
}

/** A window awaiting its close, as one engine hands it to the engine that replaces it. */
export interface HandedOverWindow {
  readonly ruleKey: string;
  /** {@link windowDefinition} of the correlation that tracked it. */
  readonly definition: string;
  readonly group: Group;
  readonly firstMs: number;
}

/** What the engine counted, for /metrics. */
export interface CorrelationEngineStats {
  /** Inputs (matches of referenced rules, chained correlation matches included) received. */
  readonly inputs: number;
  /** Inputs that lacked a group-by field and joined no group (G15). */
  readonly skippedNoGroup: number;
  /** Inputs without a usable `condition.field` value (value_* types). */
  readonly skippedNoValue: number;
  /** Inputs without a valid event time. */
  readonly skippedBadTime: number;
  /** Inputs whose arrays fanned out to more than the cap of groups or values. */
  readonly fanoutTruncated: number;
  /** Correlation matches returned. */
  readonly fired: number;
  /** Firings another process (or an earlier run) had already claimed. */
  readonly claimsLost: number;
  /** Conditions that held again less than a timespan after the group fired (the same burst). */
  readonly suppressed: number;
  /** Close-mode windows forgotten because {@link CorrelationEngineOptions.maxOpenWindows} was reached. */
  readonly evictedWindows: number;
}

/** The correlation engine with what the shared contract leaves out. */
export interface StreamingCorrelationEngine extends CorrelationEngine {
  /**
   * Decides the windows of close-mode conditions (`lt`, `lte`, `eq`, `neq`, see ./conditions.ts)
   * that closed at or before `nowMs` (event time; default the clock's now) and returns the
   * matches, chained ones included. The ingest process calls it on a timer, at least once per
   * shortest timespan; without it those correlations never fire.
   */
  flush(nowMs?: number): Promise<RuleMatch[]>;
  /** Correlations refused (errors: not run) and warnings, with their positions. */
  readonly problems: readonly RuleProblem[];
  /** Keys of the correlations that run. */
  readonly active: readonly string[];
  readonly stats: CorrelationEngineStats;
  /**
   * Gives up the windows awaiting their close of the correlations `accept` takes (by key and
   * definition), for the engine that replaces this one: this engine no longer decides them.
   */
  handOver(accept: (ruleKey: string, definition: string) => boolean): HandedOverWindow[];
}

/**
 * What a correlation's windows mean: everything that decides what is counted, in which group and
 * over how long. Two versions of a rule with the same definition can share windows (a reload
 * keeps them); a title, level or tag change does not touch it. Key order is fixed, so equal
 * definitions give equal strings.
 */
export function windowDefinition(rule: CorrelationRule): string {
  const sorted = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sorted);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.keys(value)
          .sort()
          .map((key) => [key, sorted((value as Record<string, unknown>)[key])]),
      );
    }
    return value;
  };
  return JSON.stringify(sorted({ type: rule.type, rules: rule.rules, groupBy: rule.groupBy, timespanMs: rule.timespanMs, condition: effectiveCondition(rule), aliases: rule.aliases }));
}

/** An input of a correlation: a detection match on an event, or a chained correlation match. */
interface Input {
  readonly ruleKey: string;
  readonly atMs: number;
  /** The event id, or a synthetic id of a chained correlation match. */
  readonly id: string;
  readonly eventIds: readonly string[];
  readonly read: FieldReader;
  /** How the input's events reached Watchpost (`watchpost.input.transport`). */
  readonly transports: readonly string[];
}

/** The longest entity value kept from a correlation's completing input. */
const MAX_ENTITY_LENGTH = 4096;

/** The entity fields (ENTITY_FIELDS) the input holds, each with its first string or number value. */
function triggerEntities(input: Input): Record<string, string | number> {
  const entities: Record<string, string | number> = {};
  for (const field of ENTITY_FIELDS) {
    const raw = input.read(field);
    const value = Array.isArray(raw) ? (raw as unknown[]).find((v) => typeof v === 'number' || (typeof v === 'string' && v.length > 0)) : raw;
    if (typeof value === 'number') entities[field] = value;
    else if (typeof value === 'string' && value.length > 0) entities[field] = value.slice(0, MAX_ENTITY_LENGTH);
  }
  return entities;
}

/**
 * A correlation match with the transports of every event of its window (distinct, sorted), for
 * the alerting layer: evidence that came only over UDP syslog can be forged.
 */
export type CorrelationMatch = RuleMatch & { readonly transports: readonly string[] };

/** One letter per transport in the `events` window members; transports not listed are not recorded. */
const TRANSPORT_CODES: Readonly<Record<string, string>> = { udp: 'u', tcp: 't', tls: 's', file: 'f', http: 'h' };
const TRANSPORT_NAMES: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(TRANSPORT_CODES).map(([name, code]) => [code, name]));

interface Compiled {
  readonly rule: CorrelationRule;
  /** {@link windowDefinition} of the rule. */
  readonly definition: string;
  readonly condition: CorrelationCondition;
  readonly mode: DecisionMode;
  readonly info: MatchedRule;
  /** Referenced rule key → its index in `rules`. */
  readonly ruleIndex: ReadonlyMap<string, number>;
  /** How long the store keeps members: the timespan, or twice it for close mode so a window outlives its close until flush. */
  readonly storeWindowMs: number;
}

interface OpenWindow {
  readonly compiled: Compiled;
  readonly group: Group;
  firstMs: number;
}

/** Chains deeper than this are cut (cycles are refused at construction; this bounds a bug). */
const MAX_CHAIN_DEPTH = 16;

/**
 * Creates the engine over loaded correlations (references already resolved to rule keys).
 * Correlations that {@link checkCorrelation} refuses, or that take part in a reference cycle,
 * do not run and are listed in `problems`.
 */
export function createCorrelationEngine(correlations: readonly CorrelationRule[], options: CorrelationEngineOptions): StreamingCorrelationEngine {
  const { store } = options;
  const maxEventIds = options.maxEventIds ?? 100;
  const maxOpenWindows = options.maxOpenWindows ?? 100_000;
  const clock = options.clock ?? SYSTEM_CLOCK;
  const problems: RuleProblem[] = [];
  const compiled: Compiled[] = [];
  const cyclic = cyclicKeys(correlations);
  for (const rule of correlations) {
    const found = checkCorrelation(rule);
    if (cyclic.has(rule.key)) {
      found.push({ ...rule.source, severity: 'error', code: 'correlation-cycle', message: 'the correlation references itself through a chain', rule: rule.key });
    }
    problems.push(...found);
    if (found.some((p) => p.severity === 'error')) continue;
    const condition = effectiveCondition(rule);
    const mode = decisionMode(condition);
    compiled.push({
      rule,
      definition: windowDefinition(rule),
      condition,
      mode,
      info: matchedRuleOf(rule),
      ruleIndex: new Map(rule.rules.map((key, i) => [key, i])),
      storeWindowMs: mode === 'close' ? rule.timespanMs * 2 : rule.timespanMs,
    });
  }
  const byInput = new Map<string, Compiled[]>();
  for (const c of compiled) {
    for (const key of new Set(c.rule.rules)) byInput.set(key, [...(byInput.get(key) ?? []), c]);
  }
  const consumed = new Set(compiled.filter((c) => !c.rule.generate).flatMap((c) => c.rule.rules));
  const open = new Map<string, OpenWindow>();
  // A reload: take over the previous engine's close-mode windows of unchanged correlations.
  if (options.previous) {
    const byKey = new Map(compiled.filter((c) => c.mode === 'close').map((c) => [c.rule.key, c]));
    for (const window of options.previous.handOver((ruleKey, definition) => byKey.get(ruleKey)?.definition === definition)) {
      const c = byKey.get(window.ruleKey) as Compiled;
      if (open.size < maxOpenWindows) open.set(`${c.rule.key}\u0000${window.group.key}`, { compiled: c, group: window.group, firstMs: window.firstMs });
    }
  }
  const stats = { inputs: 0, skippedNoGroup: 0, skippedNoValue: 0, skippedBadTime: 0, fanoutTruncated: 0, fired: 0, claimsLost: 0, suppressed: 0, evictedWindows: 0 };

  /** Feeds one input to every correlation that references its rule, then the resulting matches to theirs. */
  const feed = async (input: Input, depth: number): Promise<RuleMatch[]> => {
    const out: RuleMatch[] = [];
    for (const c of byInput.get(input.ruleKey) ?? []) out.push(...(await feedOne(c, input)));
    return depth < MAX_CHAIN_DEPTH ? chain(out, depth) : out;
  };

  const chain = async (matches: RuleMatch[], depth: number): Promise<RuleMatch[]> => {
    const out = [...matches];
    for (const match of matches) {
      const input = inputOfCorrelation(match);
      if (input) out.push(...(await feed(input, depth + 1)));
    }
    return out;
  };

  const feedOne = async (c: Compiled, input: Input): Promise<RuleMatch[]> => {
    stats.inputs += 1;
    const index = c.ruleIndex.get(input.ruleKey) as number;
    const grouped = groupsOf(c.rule, input.ruleKey, input.read);
    if ('missing' in grouped) {
      stats.skippedNoGroup += 1;
      return [];
    }
    if (grouped.truncated) stats.fanoutTruncated += 1;
    const members = primaryMembers(c, input, index);
    if (members.length === 0) {
      stats.skippedNoValue += 1;
      return [];
    }
    const codes = transportCodes(input.transports);
    const eventMembers = input.eventIds.slice(-maxEventIds).map((id) => eventMember(index, id, codes));
    const out: RuleMatch[] = [];
    for (const group of grouped.groups) {
      const keys = windowKeys(c.rule.key, group.key);
      const observe = (key: string, member: string): Promise<WindowState> => store.observe(key, member, input.atMs, c.storeWindowMs);
      const states = await Promise.all([...members.map((m) => observe(keys.primary, m)), ...eventMembers.map((m) => observe(keys.events, m))]);
      if (c.mode === 'close') {
        track(c, group, input.atMs);
        continue;
      }
      // The store's count is exact for in-order inputs; a late input's window is re-read below.
      const count = Math.max(...states.slice(0, members.length).map((s) => s.count));
      if (isCountType(c.rule.type) && !conditionHolds(c.condition, count)) continue;
      const fired = await decideArrival(c, group, keys, input);
      if (fired) out.push(fired);
    }
    return out;
  };

  /** The members an input adds to the primary window (several for arrays and value tuples). */
  const primaryMembers = (c: Compiled, input: Input, index: number): string[] => {
    const { rule } = c;
    const fields = (c.condition.field ?? []).map((name) => fieldFor(rule, name, input.ruleKey));
    switch (rule.type) {
      case 'event_count':
        return [input.id];
      case 'temporal':
      case 'temporal_ordered':
        return [String(index)];
      case 'value_count': {
        const columns = fields.map((field) => scalarsOf(input.read(field)));
        if (columns.some((column) => column.length === 0)) return [];
        const { rows, truncated } = combinations(columns);
        if (truncated) stats.fanoutTruncated += 1;
        return rows.map((row) => encodeTuple(row));
      }
      case 'value_sum':
      case 'value_avg':
      case 'value_percentile':
        return numbersOf(input.read(fields[0] as string))
          .slice(0, MAX_FANOUT)
          .map((n, i) => `${n}|${i}|${input.id}`);
    }
  };

  /** Re-reads the window ending at `atMs`, computes the value exactly, and fires if the condition holds and the claim is won. */
  const decideArrival = async (c: Compiled, group: Group, keys: WindowKeys, trigger: Input): Promise<RuleMatch | undefined> => {
    const atMs = trigger.atMs;
    const since = atMs - c.rule.timespanMs;
    // The group fired less than a timespan ago (event time): the burst goes on, it already has its match.
    if ((await store.members(keys.marker, since)).length > 0) {
      stats.suppressed += 1;
      return undefined;
    }
    const [primary, events] = await Promise.all([store.members(keys.primary, since), store.members(keys.events, since)]);
    // In order, the input is the newest and its window ends at it. A late input also belongs to
    // windows ending after it: the one ending at the newest member less than a timespan later
    // holds the most of them, so it is tried first.
    let newest = atMs;
    for (const m of primary) if (m.atMs > newest && m.atMs < atMs + c.rule.timespanMs) newest = m.atMs;
    const ends = newest > atMs ? [newest, atMs] : [atMs];
    for (const end of ends) {
      const inWindow = (m: WindowMember): boolean => m.atMs > end - c.rule.timespanMs && m.atMs <= end;
      const window = primary.filter(inWindow);
      const windowEvents = events.filter(inWindow);
      if (!conditionHolds(c.condition, valueOf(c, window, windowEvents.map(parseEventMember)))) continue;
      return decide(c, group, keys, window, windowEvents, [], trigger);
    }
    return undefined;
  };

  /**
   * Evaluates one window's members; when the condition holds and this process wins the claim
   * of the window, resets the window (putting back `carry`, members that belong to the next
   * window) and builds the match.
   */
  const decide = async (
    c: Compiled,
    group: Group,
    keys: WindowKeys,
    primary: readonly WindowMember[],
    events: readonly WindowMember[],
    carry: readonly { key: string; member: WindowMember }[],
    trigger?: Input,
  ): Promise<RuleMatch | undefined> => {
    if (primary.length === 0) return undefined;
    const inputs = events.map(parseEventMember);
    const value = valueOf(c, primary, inputs);
    if (c.mode === 'arrival' && !conditionHolds(c.condition, value)) return undefined;
    // A loop, not Math.min(...spread): a window can hold more members than a call has arguments.
    let windowStart = Number.POSITIVE_INFINITY;
    let windowEnd = Number.NEGATIVE_INFINITY;
    for (const m of [primary, events].flat()) {
      windowStart = Math.min(windowStart, m.atMs);
      windowEnd = Math.max(windowEnd, m.atMs);
    }
    if (!(await store.claim(`${keys.fired}|${windowStart}`, Math.max(1000, c.rule.timespanMs)))) {
      stats.claimsLost += 1;
      return undefined;
    }
    // The marker first: a concurrent input that reads it from now on knows the burst has its match.
    if (c.mode === 'arrival') await store.observe(keys.marker, 'fired', windowEnd, c.rule.timespanMs);
    await Promise.all([store.reset(keys.primary), store.reset(keys.events)]);
    for (const { key, member } of carry) await store.observe(key, member.member, member.atMs, c.storeWindowMs);
    if (!conditionHolds(c.condition, value)) return undefined;
    stats.fired += 1;
    return buildMatch(c, group, value, windowStart, windowEnd, inputs, trigger);
  };

  const buildMatch = (
    c: Compiled,
    group: Group,
    value: number,
    windowStart: number,
    windowEnd: number,
    inputs: readonly ParsedEventMember[],
    trigger?: Input,
  ): CorrelationMatch => {
    const ordered = [...inputs].sort((a, b) => a.atMs - b.atMs);
    const transports = [...new Set(inputs.flatMap((i) => [...i.codes].map((code) => TRANSPORT_NAMES[code]).filter((name): name is string => name !== undefined)))].sort();
    const eventIds = [...new Set(ordered.map((i) => i.id))].slice(-maxEventIds);
    const contributing = new Set(ordered.map((i) => i.rule));
    // The group-by values; for a temporal correlation grouped on something, also the entities of
    // the input that completed it (the success after the failures names the account broken into),
    // which playbooks act on. Count correlations do not get them: the last of many events says
    // nothing about the others. The group's values win where both hold a field.
    const stepEntities = trigger && (c.rule.type === 'temporal' || c.rule.type === 'temporal_ordered') && Object.keys(group.values).length > 0;
    const entities: Record<string, string | number> = { ...(stepEntities ? triggerEntities(trigger) : {}), ...group.values };
    return {
      rule: c.info,
      kind: 'correlation',
      eventIds,
      at: new Date(windowEnd).toISOString(),
      selections: [],
      matched: Object.entries(group.values).map(([field, v]) => ({ field, value: v })),
      entities,
      filtersApplied: [],
      correlation: {
        type: c.rule.type,
        group: { ...group.values },
        value,
        windowStart: new Date(windowStart).toISOString(),
        windowEnd: new Date(windowEnd).toISOString(),
        rules: c.rule.rules.filter((_, i) => contributing.has(i)),
      },
      transports,
    };
  };

  const valueOf = (c: Compiled, primary: readonly WindowMember[], inputs: readonly ParsedEventMember[]): number => {
    switch (c.rule.type) {
      case 'event_count':
      case 'value_count':
      case 'temporal':
        return primary.length;
      case 'temporal_ordered':
        return orderedSteps(inputs, c.rule.rules.length);
      case 'value_sum':
      case 'value_avg':
      case 'value_percentile':
        return aggregate(
          c.rule.type,
          primary.map((m) => Number(m.member.slice(0, m.member.indexOf('|')))),
          c.condition.percentile,
        );
    }
  };

  const track = (c: Compiled, group: Group, atMs: number): void => {
    const id = `${c.rule.key}\u0000${group.key}`;
    const existing = open.get(id);
    if (existing) {
      existing.firstMs = Math.min(existing.firstMs, atMs);
      return;
    }
    if (open.size >= maxOpenWindows) {
      const oldest = open.keys().next().value as string;
      open.delete(oldest);
      stats.evictedWindows += 1;
    }
    open.set(id, { compiled: c, group, firstMs: atMs });
  };

  const closeWindow = async (id: string, window: OpenWindow, nowMs: number): Promise<RuleMatch | undefined> => {
    const { compiled: c, group } = window;
    const keys = windowKeys(c.rule.key, group.key);
    const [primary, events] = await Promise.all([store.members(keys.primary, Number.NEGATIVE_INFINITY), store.members(keys.events, Number.NEGATIVE_INFINITY)]);
    const first = primary[0];
    if (!first) {
      open.delete(id);
      return undefined;
    }
    const end = first.atMs + c.rule.timespanMs;
    if (end > nowMs) {
      // Another process closed the window this one opened; the group's next window is open.
      window.firstMs = first.atMs;
      return undefined;
    }
    const inside = (m: WindowMember): boolean => m.atMs < end;
    const carry = [
      ...primary.filter((m) => !inside(m)).map((member) => ({ key: keys.primary, member })),
      ...events.filter((m) => !inside(m)).map((member) => ({ key: keys.events, member })),
    ];
    const match = await decide(c, group, keys, primary.filter(inside), events.filter(inside), carry);
    const next = carry.filter((entry) => entry.key === keys.primary);
    if (next.length > 0) window.firstMs = next.reduce((min, entry) => Math.min(min, entry.member.atMs), Number.POSITIVE_INFINITY);
    else open.delete(id);
    return match;
  };

  return {
    async onMatch(match: RuleMatch, event: EcsEvent): Promise<RuleMatch[]> {
      if (!byInput.has(match.rule.key)) return [];
      const input = match.kind === 'correlation' ? inputOfCorrelation(match) : inputOfEvent(match, event);
      if (!input) {
        stats.skippedBadTime += 1;
        return [];
      }
      return feed(input, 0);
    },
    consumes: (ruleKey: string) => consumed.has(ruleKey),
    async flush(nowMs = clock.now()): Promise<RuleMatch[]> {
      const out: RuleMatch[] = [];
      for (const [id, window] of [...open]) {
        // A late flush may find several consecutive windows of one group closed.
        for (let round = 0; round < 64 && open.get(id) === window && window.firstMs + window.compiled.rule.timespanMs <= nowMs; round += 1) {
          const before = window.firstMs;
          const match = await closeWindow(id, window, nowMs);
          if (match) out.push(...(await chain([match], 0)));
          if (!match && window.firstMs === before) break;
        }
      }
      return out;
    },
    problems,
    active: compiled.map((c) => c.rule.key),
    stats,
    handOver(accept) {
      const out: HandedOverWindow[] = [];
      for (const [id, window] of [...open]) {
        const { rule, definition } = window.compiled;
        if (!accept(rule.key, definition)) continue;
        open.delete(id);
        out.push({ ruleKey: rule.key, definition, group: window.group, firstMs: window.firstMs });
      }
      return out;
    },
  };
}

/**
 * A member of the `events` window: the rule index, zero-padded so equal times sort by rule, the
 * transport codes of the input, then the event id.
 */
function eventMember(ruleIndex: number, eventId: string, codes: string): string {
  return `${String(ruleIndex).padStart(4, '0')}${codes}|${eventId}`;
}

/** The codes of the transports named (unknown ones left out), sorted, each once. */
function transportCodes(transports: readonly string[]): string {
  return [...new Set(transports.map((name) => TRANSPORT_CODES[name]).filter((code): code is string => code !== undefined))].sort().join('');
}

interface ParsedEventMember {
  readonly atMs: number;
  readonly rule: number;
  readonly id: string;
  /** Transport codes (see TRANSPORT_CODES); '' when unknown. */
  readonly codes: string;
}

function parseEventMember(member: WindowMember): ParsedEventMember {
  const bar = member.member.indexOf('|');
  const head = /^(\d+)([a-z]*)$/.exec(member.member.slice(0, bar));
  return { atMs: member.atMs, rule: head ? Number(head[1]) : Number.NaN, id: member.member.slice(bar + 1), codes: head?.[2] ?? '' };
}

/** The transport an event came by, as a list (empty when it carries none). */
function transportOf(event: EcsEvent): string[] {
  const transport = getField(event, 'watchpost.input.transport');
  return typeof transport === 'string' && transport.length > 0 ? [transport] : [];
}

/** The input of a detection match: the event's time and id, fields read from the event. */
function inputOfEvent(match: RuleMatch, event: EcsEvent): Input | undefined {
  const atMs = Date.parse(event['@timestamp']);
  if (!Number.isFinite(atMs)) return undefined;
  const ownId = getField(event, 'event.id');
  const id = typeof ownId === 'string' && ownId.length > 0 ? ownId : (match.eventIds[0] ?? deterministicId(JSON.stringify(event)));
  return { ruleKey: match.rule.key, atMs, id, eventIds: [id], read: (field) => getField(event, field), transports: transportOf(event) };
}

/** The input a correlation match makes for the correlations chained on it: its group values, at its window's end. */
function inputOfCorrelation(match: RuleMatch): Input | undefined {
  const info = match.correlation;
  if (!info) return undefined;
  const atMs = Date.parse(info.windowEnd);
  if (!Number.isFinite(atMs)) return undefined;
  const id = `corr:${deterministicId(match.rule.key, JSON.stringify(info.group), info.windowStart, info.windowEnd)}`;
  const group = info.group;
  return {
    ruleKey: match.rule.key,
    atMs,
    id,
    eventIds: match.eventIds,
    read: (field) => (Object.hasOwn(group, field) ? (group[field] ?? undefined) : undefined),
    transports: (match as Partial<CorrelationMatch>).transports ?? [],
  };
}

function matchedRuleOf(rule: CorrelationRule): MatchedRule {
  return {
    key: rule.key,
    ...(rule.id !== undefined && { id: rule.id }),
    ...(rule.name !== undefined && { name: rule.name }),
    title: rule.title,
    level: rule.level,
    ...(rule.author !== undefined && { author: rule.author }),
    tags: rule.tags,
    ...(rule.status !== undefined && { status: rule.status }),
    source: `${rule.source.file}:${rule.source.line}`,
  };
}

/** Keys of the correlations that reach themselves through references to other correlations. */
function cyclicKeys(correlations: readonly CorrelationRule[]): Set<string> {
  const byKey = new Map(correlations.map((c) => [c.key, c]));
  const cyclic = new Set<string>();
  for (const start of correlations) {
    const seen = new Set<string>();
    const stack = [...start.rules];
    while (stack.length > 0) {
      const key = stack.pop() as string;
      if (key === start.key) {
        cyclic.add(start.key);
        break;
      }
      if (seen.has(key)) continue;
      seen.add(key);
      stack.push(...(byKey.get(key)?.rules ?? []));
    }
  }
  return cyclic;
}
