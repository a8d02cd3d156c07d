import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeRedisConnection } from '../../backends/redis/connection.js';
import { RedisCorrelationStore } from '../../backends/redis/correlation-store.js';
import type { EcsEvent } from '../../core/ecs/event.js';
import type { RuleMatch } from '../../engine/detect/types.js';
import { createCorrelationEngine, type StreamingCorrelationEngine } from '../../engine/correlation/engine.js';
import type { CorrelationRule } from '../../engine/sigma/types.js';
import { cleanupTestRedis, connectTestRedis } from '../helpers/redis.js';
import { uniquePrefix } from '../helpers/services.js';

/**
 * Two ingest processes, each with its own Redis connection and correlation engine, sharing one
 * Redis prefix: each receives half of an SSH brute force, and exactly one correlation match
 * results (the shared windows count the whole burst; `claim` and the fired marker keep it to one).
 */

const T0 = Date.parse('2026-01-05T10:00:00Z');
const MINUTE = 60_000;

function bruteForce(condition: CorrelationRule['condition']): CorrelationRule {
  return {
    kind: 'correlation',
    key: 'ssh-brute-force',
    name: 'ssh-brute-force',
    title: 'SSH brute force',
    level: 'high',
    author: 'Watchpost tests',
    references: [],
    tags: ['attack.t1110'],
    falsepositives: [],
    fields: [],
    custom: {},
    source: { file: 'rules/watchpost/ssh.yml', line: 1, col: 1 },
    type: 'event_count',
    rules: ['ssh-failed-login'],
    groupBy: ['source.ip', 'user.name'],
    timespanMs: 10 * MINUTE,
    condition,
    aliases: {},
    generate: false,
  };
}

function failedLogin(i: number, atMs: number): EcsEvent {
  return {
    '@timestamp': new Date(atMs).toISOString(),
    event: { id: `ssh-fail-${i}`, action: 'ssh_login', outcome: 'failure' },
    source: { ip: '203.0.113.7' },
    user: { name: 'root' },
  } as unknown as EcsEvent;
}

function matchOf(ev: EcsEvent): RuleMatch {
  return {
    rule: { key: 'ssh-failed-login', title: 'Failed SSH login', level: 'low', tags: [], source: 'rules/watchpost/ssh.yml:20' },
    kind: 'detection',
    eventIds: [ev.event?.id as string],
    at: ev['@timestamp'],
    selections: ['sel'],
    matched: [],
    entities: {},
    filtersApplied: [],
  };
}

/** One "process" feeding its events one at a time, as the detector does. */
async function ingest(engine: StreamingCorrelationEngine, events: readonly EcsEvent[]): Promise<RuleMatch[]> {
  const out: RuleMatch[] = [];
  for (const ev of events) out.push(...(await engine.onMatch(matchOf(ev), ev)));
  return out;
}

describe('correlation across two ingest processes sharing Redis', () => {
  let admin: Redis;
  let connections: Redis[];
  let prefix: string;

  beforeEach(async () => {
    admin = await connectTestRedis();
    connections = [await connectTestRedis(), await connectTestRedis()];
    prefix = uniquePrefix('correlation-engine');
  });

  afterEach(async () => {
    for (const redis of connections) await closeRedisConnection(redis);
    await cleanupTestRedis(admin, prefix);
  });

  const engines = (rule: CorrelationRule): StreamingCorrelationEngine[] =>
    connections.map((redis) => createCorrelationEngine([rule], { store: new RedisCorrelationStore(redis, { prefix }) }));

  it('raises exactly one match for a burst split between them', async () => {
    const [a, b] = engines(bruteForce({ gte: 10 })) as [StreamingCorrelationEngine, StreamingCorrelationEngine];
    const burst = Array.from({ length: 60 }, (_, i) => failedLogin(i, T0 + i * 500));
    const evens = burst.filter((_, i) => i % 2 === 0);
    const odds = burst.filter((_, i) => i % 2 === 1);
    const [fromA, fromB] = await Promise.all([ingest(a, evens), ingest(b, odds)]);
    const matches = [...fromA, ...fromB];
    expect(matches).toHaveLength(1);
    const [match] = matches;
    // Neither process saw 10 events alone before the threshold was crossed by both together.
    expect(match?.correlation?.value).toBeGreaterThanOrEqual(10);
    expect(match?.entities).toEqual({ 'source.ip': '203.0.113.7', 'user.name': 'root' });
    expect(new Set(match?.eventIds).size).toBe(match?.correlation?.value);
    expect(match?.eventIds.every((id) => burst.some((ev) => ev.event?.id === id))).toBe(true);
    expect(a.stats.fired + b.stats.fired).toBe(1);
    // The state lives under the prefix, where both processes found it.
    expect((await admin.keys(`${prefix}:corr:*`)).length).toBeGreaterThan(0);
  });

  it('raises one match when every event of the burst arrives at once', async () => {
    const [a, b] = engines(bruteForce({ gte: 10 })) as [StreamingCorrelationEngine, StreamingCorrelationEngine];
    const burst = Array.from({ length: 40 }, (_, i) => failedLogin(i, T0 + i * 100));
    const results = await Promise.all(burst.map((ev, i) => (i % 2 === 0 ? a : b).onMatch(matchOf(ev), ev)));
    expect(results.flat()).toHaveLength(1);
  });

  it('decides a window-close condition once when both processes flush it', async () => {
    const [a, b] = engines(bruteForce({ lt: 5 })) as [StreamingCorrelationEngine, StreamingCorrelationEngine];
    const events = Array.from({ length: 4 }, (_, i) => failedLogin(i, T0 + i * 1000));
    await Promise.all([ingest(a, events.slice(0, 2)), ingest(b, events.slice(2))]);
    const flushed = await Promise.all([a.flush(T0 + 11 * MINUTE), b.flush(T0 + 11 * MINUTE)]);
    expect(flushed.flat().map((m) => m.correlation?.value)).toEqual([4]);
  });
});
