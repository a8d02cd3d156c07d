import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryCorrelationStore } from '../backends/memory/correlation-store.js';
import { SqliteCaseStore } from '../backends/sqlite/case-store.js';
import { openSqliteDatabase, type SqliteDatabase } from '../backends/sqlite/database.js';
import { loadConfig } from '../core/config/load.js';
import type { EcsEvent } from '../core/ecs/event.js';
import { silentLogger } from '../core/log.js';
import { createMetricsRegistry } from '../core/metrics.js';
import type { AlertMatch } from '../engine/alerting/index.js';
import { startDetection, type RunningDetection } from './detection.js';
import { packageRoot } from './version.js';

const BRUTE_FORCE = 'f88732c5-e5a2-43e1-83cc-a0caa5f0a7bc';
const ROOT_LOGIN = '5a0d7c1e-9b7f-4c55-8d8e-0c1f2a3b4c5d';
const ROOT_LOGIN_RULE = `title: SSH login as root
id: ${ROOT_LOGIN}
author: Test Team
logsource: {product: linux, service: sshd}
detection:
    selection: {event.action: ssh_login, user.name: root}
    condition: selection
`;

const RARE = '7d0c1e2f-3a4b-4c5d-8e9f-0a1b2c3d4e5f';
/** Decided when its window closes (lt): the window lives in the engine's memory until then. */
const RARE_RULE = `title: Few SSH failures from one address
id: ${RARE}
name: test_rare_ssh_failures
author: Test Team
level: low
correlation:
    type: event_count
    rules:
        - watchpost_ssh_auth_failure
    group-by:
        - source.ip
    timespan: 2s
    condition:
        lt: 3
`;

let serial = 0;
function failure(user = 'root', transport?: string): EcsEvent {
  serial += 1;
  return {
    ...(transport !== undefined ? { watchpost: { input: { transport } } } : {}),
    '@timestamp': new Date().toISOString(),
    message: `Failed password for ${user} from 203.0.113.7 port 33870 ssh2`,
    event: { id: `e${serial}`, dataset: 'system.auth', module: 'system', category: ['authentication'], type: ['info'], action: 'ssh_login', outcome: 'failure' },
    process: { name: 'sshd' },
    user: { name: user },
    source: { ip: '203.0.113.7' },
  } as unknown as EcsEvent;
}

describe('startDetection with rule changes from the case store', () => {
  let db: SqliteDatabase;
  let cases: SqliteCaseStore;
  let store: MemoryCorrelationStore;
  let detection: RunningDetection;
  const matches: AlertMatch[] = [];
  const keys = () => matches.map((m) => m.rule.key);
  const at = (n: number) => new Date(Date.UTC(2026, 1, 1, 12, 0, n)).toISOString();

  beforeEach(async () => {
    matches.length = 0;
    db = openSqliteDatabase(':memory:');
    cases = new SqliteCaseStore(db);
    store = new MemoryCorrelationStore({ checkpointIntervalMs: 0 });
    const config = loadConfig({ env: {} }).detection;
    detection = await startDetection({
      // The Watchpost pack alone keeps the test fast; the shipped set loads the same way.
      config: { ...config, shippedRules: false, paths: [join(packageRoot(), 'rules', 'watchpost')] },
      correlationStore: store,
      metrics: createMetricsRegistry({ role: 'ingest' }),
      logger: silentLogger(),
      sink: async (found) => {
        matches.push(...found);
      },
      cases,
      pollIntervalMs: 3_600_000,
    });
  });

  afterEach(async () => {
    await detection.close();
    await store.close();
    db.close();
  });

  it('runs an uploaded rule after the next poll, and stops running it once switched off', async () => {
    await detection.afterStore([failure()]);
    expect(keys()).not.toContain(ROOT_LOGIN);
    await expect(detection.reload()).resolves.toBe(false);

    await cases.customRules.create({ id: 'root-login', text: ROOT_LOGIN_RULE, keys: [ROOT_LOGIN], title: 'SSH login as root', createdBy: 'alice', updatedBy: 'alice', createdAt: at(1), updatedAt: at(1) });
    const before = detection.detector;
    await expect(detection.reload()).resolves.toBe(true);
    expect(detection.detector).not.toBe(before);
    expect(detection.ruleSet.rules.map((r) => r.key)).toContain(ROOT_LOGIN);
    await detection.afterStore([failure(), failure('alice')]);
    expect(keys().filter((k) => k === ROOT_LOGIN)).toHaveLength(1);
    await expect(detection.reload()).resolves.toBe(false);

    await cases.ruleStates.create({ id: ROOT_LOGIN, enabled: false, updatedBy: 'alice', createdAt: at(2), updatedAt: at(2) });
    await expect(detection.reload()).resolves.toBe(true);
    expect(detection.ruleSet.rules.map((r) => r.key)).not.toContain(ROOT_LOGIN);
    matches.length = 0;
    await detection.afterStore([failure()]);
    expect(keys()).not.toContain(ROOT_LOGIN);
  });

  it('keeps correlation windows across a reload: five failures before it and five after fire the brute-force rule', async () => {
    await detection.afterStore(Array.from({ length: 5 }, () => failure()));
    await cases.customRules.create({ id: 'root-login', text: ROOT_LOGIN_RULE, keys: [ROOT_LOGIN], title: 'x', createdBy: 'a', updatedBy: 'a', createdAt: at(1), updatedAt: at(1) });
    await expect(detection.reload()).resolves.toBe(true);
    await detection.afterStore(Array.from({ length: 4 }, () => failure('admin')));
    expect(keys()).not.toContain(BRUTE_FORCE);
    await detection.afterStore([failure('admin')]);
    expect(keys()).toContain(BRUTE_FORCE);
  });

  it('switches off a shipped rule from the store, and with it the correlations that need it', async () => {
    await cases.ruleStates.create({ id: 'becc0230-27d6-4081-b14d-73c013ab6a56', enabled: false, updatedBy: 'alice', createdAt: at(1), updatedAt: at(1) });
    await expect(detection.reload()).resolves.toBe(true);
    expect(detection.ruleSet.correlations.map((r) => r.key)).not.toContain(BRUTE_FORCE);
    await detection.afterStore(Array.from({ length: 12 }, () => failure()));
    expect(keys()).not.toContain(BRUTE_FORCE);
  });

  it('keeps a window decided at its close across a reload that leaves its correlation unchanged', async () => {
    await cases.customRules.create({ id: 'rare', text: RARE_RULE, keys: [RARE], title: 'rare', createdBy: 'a', updatedBy: 'a', createdAt: at(1), updatedAt: at(1) });
    await expect(detection.reload()).resolves.toBe(true);
    expect(detection.ruleSet.correlations.map((r) => r.key)).toContain(RARE);
    await detection.afterStore([failure(), failure()]);
    // Another change through the API: a new detector and correlation engine while the window is open.
    const before = detection.detector;
    await cases.ruleStates.create({ id: ROOT_LOGIN, enabled: false, updatedBy: 'alice', createdAt: at(2), updatedAt: at(2) });
    await expect(detection.reload()).resolves.toBe(true);
    expect(detection.detector).not.toBe(before);
    // The window closes 2 s after its first event; the flush timer (every second here) decides it.
    const deadline = Date.now() + 8_000;
    while (!keys().includes(RARE) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(matches.filter((m) => m.rule.key === RARE).map((m) => m.correlation?.value)).toEqual([2]);
  });

  it('hands alerting the transports of the events: a detection its event\'s, a correlation its window\'s', async () => {
    // A detection rule that raises alerts of its own (the shipped SSH base rules only feed correlations).
    await cases.customRules.create({ id: 'root-login', text: ROOT_LOGIN_RULE, keys: [ROOT_LOGIN], title: 'x', createdBy: 'a', updatedBy: 'a', createdAt: at(1), updatedAt: at(1) });
    await expect(detection.reload()).resolves.toBe(true);
    const events = Array.from({ length: 10 }, (_, i) => failure('root', i % 3 === 0 ? 'tcp' : 'udp'));
    await detection.afterStore(events);
    const brute = matches.find((m) => m.rule.key === BRUTE_FORCE);
    expect(brute?.transports).toEqual(['tcp', 'udp']);
    const detections = matches.filter((m) => m.kind === 'detection');
    expect(detections.length).toBeGreaterThan(0);
    for (const match of detections) {
      const event = events.find((e) => e.event?.id === match.eventIds[0]);
      expect(match.transports).toEqual([event?.watchpost?.input?.transport]);
    }
  });
});
