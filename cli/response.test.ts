import { Type } from '@sinclair/typebox';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteCaseStore } from '../backends/sqlite/case-store.js';
import { openSqliteDatabase } from '../backends/sqlite/database.js';
import { SqliteJobQueue } from '../backends/sqlite/job-queue.js';
import { ResponseConfigSchema, type ResponseConfig } from '../core/config/schema.js';
import { createLogger } from '../core/log.js';
import { createMetricsRegistry } from '../core/metrics.js';
import { PLAYBOOK_TRIGGER_JOB, RECONCILE_JOB } from '../core/response/jobs.js';
import type { Alert } from '../core/cases/types.js';
import type { DriverType } from '../playbooks/actions/types.js';
import { feedDriver } from '../playbooks/actions/block-ip/feed.js';
import { hashSecret } from '../core/ids.js';
import { Value } from '@sinclair/typebox/value';
import { DEFAULT_FEED_ID, defaultFeedToken, FEED_TOKEN_ENV, FEED_TOKEN_FILE, startResponse, type RunningResponse } from './response.js';

const SECRET = 'sk-live-do-not-log-me';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  executed.length = 0;
  while (cleanups.length > 0) await (cleanups.pop() as () => Promise<void>)();
});

/** What the probe instances were asked to do. */
const executed: { driver: string; action: string; input: unknown }[] = [];

/** A driver type that needs a `table` setting and a token, and records what it executes. */
const probeType: DriverType = {
  type: 'probe',
  description: 'test',
  actions: ['block-ip', 'unblock-ip'],
  settings: Type.Object({ table: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  credentials: Type.Object({ token: Type.String({ minLength: 8 }) }, { additionalProperties: false }),
  create: (config) => ({
    id: config.id,
    type: 'probe',
    actions: ['block-ip', 'unblock-ip'],
    execute: async (action, input) => {
      executed.push({ driver: config.id, action, input });
      return { changed: true };
    },
  }),
};

function setup(patch: Record<string, unknown>, work = true, extra: { dataDir?: string; env?: NodeJS.ProcessEnv } = {}) {
  const db = openSqliteDatabase(':memory:');
  const cases = new SqliteCaseStore(db);
  const queue = new SqliteJobQueue(db, { pollIntervalMs: 20 });
  const lines: string[] = [];
  const logger = createLogger({ destination: { write: (line: string) => lines.push(line) } });
  const config = Value.Default(ResponseConfigSchema, structuredClone(patch)) as ResponseConfig;
  const running = startResponse({
    config,
    cases,
    queue,
    logger,
    metrics: createMetricsRegistry(),
    work,
    driverTypes: [probeType, feedDriver],
    env: extra.env ?? {},
    ...(extra.dataDir !== undefined ? { dataDir: extra.dataDir } : {}),
  });
  cleanups.push(async () => {
    await running?.close();
    await queue.close();
    db.close();
  });
  return { running, cases, queue, lines, logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('startResponse', () => {
  it('loads the shipped playbooks and the valid drivers, logs broken drivers by path without their secrets, and runs the jobs', async () => {
    const { running, queue, lines, logs } = setup({
      drivers: [
        { id: 'edge', type: 'probe', settings: { table: 'filter' }, credentials: { token: SECRET } },
        { id: 'broken', type: 'probe', settings: {}, credentials: { token: SECRET } },
        { id: 'nokey', type: 'probe', settings: { table: 'x' }, credentials: { token: { env: 'WP_NOT_SET' } } },
        { id: 'unknown', type: 'nope' },
      ],
    });
    const response = running as RunningResponse;
    expect([...response.drivers.keys()]).toEqual(['edge']);
    expect(response.playbooks.map((p) => p.id)).toEqual(
      expect.arrayContaining(['block-ssh-brute-force', 'block-port-scanner', 'disable-account-after-spraying', 'notify-antivirus-detection', 'ticket-critical-incidents']),
    );
    const problems = logs().filter((record) => record.level === 'error');
    expect(problems.map((record) => record.path)).toEqual(['response.drivers[1].settings.table', 'response.drivers[2].credentials.token', 'response.drivers[3].type']);
    expect(logs().find((record) => record.msg === 'automated response loaded')).toMatchObject({ drivers: ['edge (probe)'], driverProblems: 3 });
    expect(lines.join('\n')).not.toContain(SECRET);
    // The worker role subscribed: a trigger for an unknown alert is taken and dropped.
    await queue.add({ name: PLAYBOOK_TRIGGER_JOB, id: 'alert-none-created', data: { trigger: 'alert.created', alertId: 'none', ruleKey: 'x', severity: 'low', entities: {} } });
    const deadline = Date.now() + 5000;
    while ((await queue.get('alert-none-created'))?.state !== 'completed') {
      if (Date.now() > deadline) throw new Error('the trigger job was not handled');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // And queued this interval's reconciliation (the slot may have turned since it started).
    const slot = Math.floor(Date.now() / 60_000);
    const reconciles = [await queue.get(`reconcile-${slot}`), await queue.get(`reconcile-${slot - 1}`)].filter((job) => job !== undefined);
    expect(reconciles.map((job) => job.name)).toContain(RECONCILE_JOB);
  });

  it('runs no jobs in the api role, and nothing at all when response is disabled', async () => {
    const api = setup({}, false);
    expect(api.running?.playbooks.length).toBeGreaterThanOrEqual(5);
    await api.queue.add({ name: PLAYBOOK_TRIGGER_JOB, id: 'alert-none-created', data: { trigger: 'alert.created', alertId: 'none', ruleKey: 'x', severity: 'low', entities: {} } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await api.queue.get('alert-none-created'))?.state).toBe('waiting');
    const disabled = setup({ enabled: false });
    expect(disabled.running).toBeUndefined();
    expect(disabled.logs().map((record) => record.msg)).toContain('automated response is disabled (response.enabled: false)');
  });

  it('runs a shipped playbook end to end: the SSH brute-force alert blocks its source, and the notification without a driver is skipped', async () => {
    const { cases, queue } = setup({ drivers: [{ id: 'edge', type: 'probe', settings: { table: 'filter' }, credentials: { token: SECRET } }] });
    const now = new Date().toISOString();
    const alert: Alert = {
      id: 'shipped-1',
      dedupKey: 'ssh|203.0.113.99',
      ruleId: 'f88732c5-e5a2-43e1-83cc-a0caa5f0a7bc',
      ruleTitle: 'SSH Brute Force From One Address',
      severity: 'high',
      riskScore: 73,
      status: 'new',
      count: 12,
      firstSeen: now,
      lastSeen: now,
      entities: { 'source.ip': '203.0.113.99' },
      eventIds: [],
      explanation: { selections: [], matches: [] },
      tags: [],
      transports: ['tcp'],
      createdAt: now,
      updatedAt: now,
    };
    await cases.alerts.create(alert);
    await queue.add({ name: PLAYBOOK_TRIGGER_JOB, id: 'alert-shipped-1-created', data: { trigger: 'alert.created', alertId: alert.id, ruleKey: alert.ruleId, severity: 'high', entities: alert.entities } });
    const deadline = Date.now() + 10_000;
    let run = await cases.runs.get('block-ssh-brute-force.shipped-1');
    while (run?.status !== 'succeeded' && run?.status !== 'failed') {
      if (Date.now() > deadline) throw new Error(`the run did not end: ${JSON.stringify(run)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      run = await cases.runs.get('block-ssh-brute-force.shipped-1');
    }
    expect(run.status).toBe('succeeded');
    expect(run.steps.map((step) => [step.id, step.status, step.reason])).toEqual([
      ['block', 'succeeded', undefined],
      ['notify', 'skipped', 'no driver configured for notify'],
    ]);
    expect(run.steps[1]?.input?.message).toContain('Block step: succeeded.');
    expect(executed).toEqual([{ driver: 'edge', action: 'block-ip', input: expect.objectContaining({ address: '203.0.113.99', ttlSeconds: 4 * 3600 }) }]);
  });
});

describe('the built-in blocklist feed', () => {
  const dirs: string[] = [];
  afterEach(() => {
    while (dirs.length > 0) rmSync(dirs.pop() as string, { recursive: true, force: true });
  });
  const freshDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'wp-feed-'));
    dirs.push(dir);
    return dir;
  };

  it('is composed when no drivers are configured: a token file of mode 0600 is created, its token opens the feed, and the log names the file, never the token', () => {
    const dataDir = freshDir();
    const { running, lines, logs } = setup({}, false, { dataDir });
    const response = running as RunningResponse;
    expect([...response.drivers.keys()]).toEqual([DEFAULT_FEED_ID]);
    expect(response.instances).toEqual([{ id: DEFAULT_FEED_ID, type: 'feed', actions: ['block-ip', 'unblock-ip'], enabled: true }]);
    const file = join(dataDir, FEED_TOKEN_FILE);
    const token = readFileSync(file, 'utf8').trim();
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(response.feeds).toEqual([{ id: DEFAULT_FEED_ID, tokenSha256: hashSecret(token) }]);
    // No temporary file is left behind.
    expect(readdirSync(dataDir)).toEqual([FEED_TOKEN_FILE]);
    expect(lines.join('\n')).not.toContain(token);
    expect(logs().find((record) => typeof record.msg === 'string' && record.msg.includes('built-in blocklist feed'))).toMatchObject({ tokenFrom: file, created: true });
  });

  it('reuses the token after a restart', () => {
    const dataDir = freshDir();
    const first = setup({}, false, { dataDir }).running as RunningResponse;
    const second = setup({}, false, { dataDir });
    expect(second.running?.feeds).toEqual(first.feeds);
    expect(second.logs().find((record) => typeof record.msg === 'string' && record.msg.includes('built-in blocklist feed'))).toMatchObject({ created: false });
    expect(defaultFeedToken(dataDir, {})).toMatchObject({ source: 'file', token: readFileSync(join(dataDir, FEED_TOKEN_FILE), 'utf8').trim() });
  });

  it('takes its token from WATCHPOST_FEED_TOKEN when set, and writes no file', () => {
    const dataDir = freshDir();
    const token = 'feed-token-from-the-environment-0123456789';
    const { running, lines } = setup({}, false, { dataDir, env: { [FEED_TOKEN_ENV]: token } });
    expect(running?.feeds).toEqual([{ id: DEFAULT_FEED_ID, tokenSha256: hashSecret(token) }]);
    expect(readdirSync(dataDir)).toEqual([]);
    expect(lines.join('\n')).not.toContain(token);
    expect(() => defaultFeedToken(dataDir, { [FEED_TOKEN_ENV]: 'short' })).toThrow(/24 to 512/);
  });

  it('is absent when drivers are configured, and without a data directory or token', () => {
    const dataDir = freshDir();
    const configured = setup({ drivers: [{ id: 'edge', type: 'probe', settings: { table: 'filter' }, credentials: { token: SECRET } }] }, false, { dataDir });
    expect([...(configured.running as RunningResponse).drivers.keys()]).toEqual(['edge']);
    expect(configured.running?.feeds).toEqual([]);
    expect(readdirSync(dataDir)).toEqual([]);
    const nowhere = setup({}, false);
    expect(nowhere.running?.drivers.size).toBe(0);
    expect(nowhere.running?.feeds).toEqual([]);
  });

  it('refuses a token file that holds no token, and leaves the feed out with an error', () => {
    const dataDir = freshDir();
    writeFileSync(join(dataDir, FEED_TOKEN_FILE), 'short\n', { mode: 0o600 });
    const { running, logs } = setup({}, false, { dataDir });
    expect(running?.feeds).toEqual([]);
    expect(logs().find((record) => record.level === 'error')?.msg).toMatch(/built-in blocklist feed is left out/);
  });

  it('blocks through the feed: the shipped SSH brute-force playbook records an active block on driver blocklist', async () => {
    const dataDir = freshDir();
    const { cases, queue } = setup({}, true, { dataDir });
    const now = new Date().toISOString();
    const alert: Alert = {
      id: 'feed-1',
      dedupKey: 'ssh|203.0.113.98',
      ruleId: 'f88732c5-e5a2-43e1-83cc-a0caa5f0a7bc',
      ruleTitle: 'SSH Brute Force From One Address',
      severity: 'high',
      riskScore: 73,
      status: 'new',
      count: 12,
      firstSeen: now,
      lastSeen: now,
      entities: { 'source.ip': '203.0.113.98' },
      eventIds: [],
      explanation: { selections: [], matches: [] },
      tags: [],
      transports: ['tcp'],
      createdAt: now,
      updatedAt: now,
    };
    await cases.alerts.create(alert);
    await queue.add({ name: PLAYBOOK_TRIGGER_JOB, id: 'alert-feed-1-created', data: { trigger: 'alert.created', alertId: alert.id, ruleKey: alert.ruleId, severity: 'high', entities: alert.entities } });
    const deadline = Date.now() + 10_000;
    let run = await cases.runs.get('block-ssh-brute-force.feed-1');
    while (run?.status !== 'succeeded' && run?.status !== 'failed') {
      if (Date.now() > deadline) throw new Error(`the run did not end: ${JSON.stringify(run)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      run = await cases.runs.get('block-ssh-brute-force.feed-1');
    }
    expect(run.steps.map((step) => [step.id, step.status])).toEqual([
      ['block', 'succeeded'],
      ['notify', 'skipped'],
    ]);
    const blocks = await cases.blocks.list({ limit: 10 });
    expect(blocks.items.map((block) => [block.driver, block.target, block.state])).toEqual([[DEFAULT_FEED_ID, '203.0.113.98', 'active']]);
  });
});
