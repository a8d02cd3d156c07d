import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { MemoryCorrelationStore } from '../../../backends/memory/correlation-store.js';
import { SqliteCaseStore } from '../../../backends/sqlite/case-store.js';
import { openSqliteDatabase, type SqliteDatabase } from '../../../backends/sqlite/database.js';
import type { Role } from '../../../core/cases/types.js';
import { ManualClock } from '../../../core/clock.js';
import { loadConfig } from '../../../core/config/load.js';
import { hashSecret, randomId, randomSecret } from '../../../core/ids.js';
import { silentLogger } from '../../../core/log.js';
import { createMetricsRegistry } from '../../../core/metrics.js';
import { readRuleBase } from '../../../engine/rules/index.js';
import { packageRoot } from '../../../cli/version.js';
import { buildApi } from '../../app.js';
import { rulesApiDependencies } from '../../../cli/detection.js';
import { formatToken } from '../../plugins/token-auth.js';

const ROOT = packageRoot();
const FAILURE = 'becc0230-27d6-4081-b14d-73c013ab6a56';
const BRUTE_FORCE = 'f88732c5-e5a2-43e1-83cc-a0caa5f0a7bc';
const SPRAYING = 'd8306d72-93d1-41ec-912c-3a3fd40ee4e3';

/** A failed SSH login as the linux-auth parser writes it. */
function sshFailure(at: string, ip = '203.0.113.7', user = 'root'): Record<string, unknown> {
  return {
    '@timestamp': at,
    message: `Failed password for ${user} from ${ip} port 33870 ssh2`,
    event: { dataset: 'system.auth', module: 'system', category: ['authentication'], type: ['info'], action: 'ssh_login', outcome: 'failure' },
    process: { name: 'sshd' },
    user: { name: user },
    source: { ip },
  };
}

const ROOT_LOGIN_RULE = `title: SSH login as root from outside
id: 5a0d7c1e-9b7f-4c55-8d8e-0c1f2a3b4c5d
status: experimental
author: Test Team
level: high
tags: [attack.t1078]
logsource:
    product: linux
    service: sshd
detection:
    selection:
        event.action: ssh_login
        user.name: root
    condition: selection
`;

describe('/api/v1/rules', () => {
  let db: SqliteDatabase;
  let cases: SqliteCaseStore;
  let app: FastifyInstance;
  let bare: FastifyInstance;
  const clock = new ManualClock(Date.parse('2026-02-01T12:00:00Z'));
  const bearers = new Map<Role, string>();

  beforeAll(async () => {
    db = openSqliteDatabase(':memory:');
    cases = new SqliteCaseStore(db);
    const common = {
      config: loadConfig({ env: {} }).api,
      logger: silentLogger(),
      version: '0.0.0-test',
      metrics: createMetricsRegistry({ role: 'api' }),
      health: { cases },
      cases,
      clock,
    };
    app = await buildApi({
      ...common,
      rules: {
        // The Watchpost pack stands in for the shipped rules: the real pipelines, a tenth of the load time.
        base: () =>
          readRuleBase({
            shipped: [join(ROOT, 'rules', 'watchpost')],
            config: [],
            pipelines: [join(ROOT, 'rules', 'pipelines')],
            exclude: [],
            disabledRules: ['watchpost_ssh_password_spraying'],
          }),
        newCorrelationStore: (c) => new MemoryCorrelationStore({ clock: c, checkpointIntervalMs: 0 }),
        root: ROOT,
        // The composition root's parser: syslog header, format detection, the vendor parser.
        parseLine: rulesApiDependencies(loadConfig({ env: {} }).detection).parseLine,
      },
    });
    bare = await buildApi({ ...common, metrics: createMetricsRegistry({ role: 'api' }) });
    const now = new Date(clock.now()).toISOString();
    for (const role of ['viewer', 'analyst', 'responder', 'admin'] as const) {
      const secret = randomSecret();
      const id = randomId();
      await cases.users.create({ id: role, username: role, roles: [role], disabled: false, createdAt: now, updatedAt: now });
      await cases.tokens.create({ id, name: role, userId: role, secretHash: hashSecret(secret), roles: [role], revoked: false, createdAt: now });
      bearers.set(role, `Bearer ${formatToken(id, secret)}`);
    }
  });

  afterAll(async () => {
    await app.close();
    await bare.close();
    db.close();
  });

  const call = (role: Role | null, options: InjectOptions, api = app) =>
    api.inject({ ...options, headers: { ...(options.headers ?? {}), ...(role !== null ? { authorization: bearers.get(role) as string } : {}) } });
  const list = async (query: Record<string, string>, role: Role = 'viewer') => {
    const response = await call(role, { method: 'GET', url: '/api/v1/rules', query });
    expect(response.statusCode, response.body).toBe(200);
    return response.json<{ items: { key: string; title: string; kind: string; origin: string; enabled: boolean; active: boolean; switchedBy: string; file: string }[]; total: number; nextCursor?: string }>();
  };
  const audits = async (action: string) => (await cases.audit.list({ filter: { op: 'eq', field: 'action', value: action } })).items;

  it('lists the loaded rules with their origin, switches and files, filtered and paged without gaps', async () => {
    const all = await list({ limit: '500' });
    expect(all.total).toBeGreaterThan(10);
    const failure = all.items.find((r) => r.key === FAILURE);
    expect(failure).toMatchObject({ title: 'SSH Authentication Failure', kind: 'detection', origin: 'shipped', enabled: true, active: true, file: 'rules/watchpost/linux/ssh_authentication.yml' });
    // The config's disabledRules names it by name; the API shows who switched it off.
    expect(all.items.find((r) => r.key === SPRAYING)).toMatchObject({ enabled: false, switchedBy: 'config', active: false });

    const correlations = await list({ kind: 'correlation', service: 'sshd' });
    expect(correlations.total).toBe(0); // correlations have no logsource of their own
    const ssh = await list({ q: 'ssh', kind: 'correlation' });
    expect(ssh.items.map((r) => r.key).sort()).toEqual(expect.arrayContaining([BRUTE_FORCE, SPRAYING]));
    expect(ssh.items.every((r) => r.kind === 'correlation')).toBe(true);
    expect((await list({ tag: 'ATTACK.T1110.001' })).items.map((r) => r.key)).toEqual([BRUTE_FORCE]);
    expect((await list({ enabled: 'false' })).items.map((r) => r.key)).toEqual([SPRAYING]);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await list({ limit: '7', ...(cursor !== undefined ? { cursor } : {}) });
      expect(page.total).toBe(all.total);
      seen.push(...page.items.map((r) => r.key));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(seen).toEqual([...all.items.map((r) => r.key)]);
    expect(new Set(seen).size).toBe(all.total);
  });

  it('shows one rule with its YAML, compiled filter, KQL and correlation; 404 for an unknown key', async () => {
    const response = await call('viewer', { method: 'GET', url: `/api/v1/rules/${FAILURE}` });
    expect(response.statusCode).toBe(200);
    const rule = response.json<{ source: string; filter: { op: string }; kql?: string; pipeline?: string; problems: unknown[]; author: string }>();
    expect(rule.source).toContain('title: SSH Authentication Failure');
    expect(rule.filter.op).toBe('and');
    expect(rule.kql).toContain('ssh_login');
    expect(rule.pipeline).toBe('linux');
    expect(rule.author).toBe('Watchpost');
    const correlation = (await call('viewer', { method: 'GET', url: `/api/v1/rules/${BRUTE_FORCE}` })).json<{ correlation: { type: string; rules: string[]; timespanMs: number } }>();
    expect(correlation.correlation).toMatchObject({ type: 'event_count', rules: [FAILURE], timespanMs: 300_000 });
    const missing = await call('viewer', { method: 'GET', url: '/api/v1/rules/no-such-rule' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'WATCHPOST_ERR_STORE_NOT_FOUND' });
  });

  it('switches rules off and on for responders only, persisted, audited, and takes dependent correlations along', async () => {
    const denied = await call('analyst', { method: 'POST', url: `/api/v1/rules/${FAILURE}/disable`, payload: {} });
    expect(denied.statusCode).toBe(403);
    const off = await call('responder', { method: 'POST', url: `/api/v1/rules/${FAILURE}/disable`, payload: { reason: 'too noisy' } });
    expect(off.statusCode, off.body).toBe(200);
    expect(off.json()).toMatchObject({ key: FAILURE, enabled: false, reason: 'too noisy', updatedBy: expect.stringMatching(/^token:/) });
    await expect(cases.ruleStates.get(FAILURE)).resolves.toMatchObject({ enabled: false, reason: 'too noisy' });
    const after = await list({ limit: '500' });
    expect(after.items.find((r) => r.key === FAILURE)).toMatchObject({ enabled: false, switchedBy: 'api', active: false });
    // The correlations over it are on, but cannot run without it.
    expect(after.items.find((r) => r.key === BRUTE_FORCE)).toMatchObject({ enabled: true, active: false });
    const [entry] = await audits('rule.disable');
    expect(entry).toMatchObject({ target: { type: 'rule', id: FAILURE }, details: { before: { enabled: true, switchedBy: 'default' }, after: { enabled: false } } });

    const on = await call('admin', { method: 'POST', url: `/api/v1/rules/${FAILURE}/enable` });
    expect(on.statusCode, on.body).toBe(200);
    const spraying = await call('responder', { method: 'POST', url: `/api/v1/rules/${SPRAYING}/enable`, payload: {} });
    expect(spraying.statusCode).toBe(200);
    const again = await list({ limit: '500' });
    expect(again.items.find((r) => r.key === BRUTE_FORCE)).toMatchObject({ active: true });
    // The API's switch overrides the config's disabledRules.
    expect(again.items.find((r) => r.key === SPRAYING)).toMatchObject({ enabled: true, switchedBy: 'api', active: true });
    expect((await audits('rule.enable')).length).toBe(2);
    expect((await call('responder', { method: 'POST', url: '/api/v1/rules/nope/disable', payload: {} })).statusCode).toBe(404);
  });

  it('uploads a rule file after validating it with the shipped rules and pipelines, lists it, and deletes it', async () => {
    const denied = await call('analyst', { method: 'POST', url: '/api/v1/rules/custom', payload: { yaml: ROOT_LOGIN_RULE } });
    expect(denied.statusCode).toBe(403);
    const created = await call('responder', { method: 'POST', url: '/api/v1/rules/custom', payload: { id: 'root-login', yaml: ROOT_LOGIN_RULE } });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ id: 'root-login', file: 'custom/root-login.yml', title: 'SSH login as root from outside', keys: ['5a0d7c1e-9b7f-4c55-8d8e-0c1f2a3b4c5d'] });
    const listed = await list({ origin: 'custom' });
    expect(listed.items).toEqual([expect.objectContaining({ key: '5a0d7c1e-9b7f-4c55-8d8e-0c1f2a3b4c5d', origin: 'custom', file: 'custom/root-login.yml', active: true })]);
    const one = await call('viewer', { method: 'GET', url: '/api/v1/rules/custom/root-login' });
    expect(one.json()).toMatchObject({ text: ROOT_LOGIN_RULE, problems: [] });
    expect((await call('viewer', { method: 'GET', url: '/api/v1/rules/custom' })).json()).toMatchObject({ total: 1, items: [{ id: 'root-login' }] });
    const twice = await call('responder', { method: 'POST', url: '/api/v1/rules/custom', payload: { id: 'root-login', yaml: ROOT_LOGIN_RULE } });
    expect(twice.statusCode).toBe(409);

    // A correlation over a shipped rule loads, because the upload is checked with everything loaded.
    const correlation = `title: Five root failures
id: 9d3c2b1a-0f4e-4d5c-8b7a-6e5f4d3c2b1a
level: medium
correlation:
    type: event_count
    rules: [watchpost_ssh_auth_failure]
    group-by: [user.name]
    timespan: 10m
    condition: {gte: 5}
`;
    const chained = await call('admin', { method: 'POST', url: '/api/v1/rules/custom', payload: { yaml: correlation } });
    expect(chained.statusCode, chained.body).toBe(201);
    const chainedId = chained.json<{ id: string }>().id;
    expect(chainedId).toMatch(/^[0-9a-f]{32}$/);

    const deleted = await call('responder', { method: 'DELETE', url: '/api/v1/rules/custom/root-login' });
    expect(deleted.statusCode).toBe(204);
    expect((await list({ origin: 'custom' })).items.map((r) => r.key)).toEqual(['9d3c2b1a-0f4e-4d5c-8b7a-6e5f4d3c2b1a']);
    expect((await call('responder', { method: 'DELETE', url: '/api/v1/rules/custom/root-login' })).statusCode).toBe(404);
    expect((await audits('rule.upload')).map((a) => a.target?.id).sort()).toEqual([chainedId, 'root-login'].sort());
    expect(await audits('rule.delete')).toEqual([expect.objectContaining({ target: { type: 'custom-rule', id: 'root-login' }, details: { before: expect.objectContaining({ text: ROOT_LOGIN_RULE }) } })]);
    await call('responder', { method: 'DELETE', url: `/api/v1/rules/custom/${chainedId}` });
  });

  it('refuses a broken upload with every problem at file:line:col, and one over the size limit', async () => {
    const broken = `title: Broken
id: ${FAILURE}
logsource:
    product: linux
    service: sshd
detection:
    selection:
        user.name|nosuchmodifier: root
    condition: selection and missing
`;
    const response = await call('responder', { method: 'POST', url: '/api/v1/rules/custom', payload: { id: 'broken', yaml: broken } });
    expect(response.statusCode).toBe(400);
    const body = response.json<{ code: string; message: string; problems: { message: string; location: { file: string; line: number; col: number } }[] }>();
    expect(body.code).toBe('WATCHPOST_ERR_RULE_INVALID');
    const errors = body.problems.filter((p) => p.message.startsWith('error'));
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(body.problems.every((p) => p.location.file === 'custom/broken.yml' && p.location.line >= 1 && p.location.col >= 1)).toBe(true);
    // The clash with the shipped rule's id, the unknown modifier on line 8 and the unknown identifier on line 9.
    expect(body.problems.map((p) => p.message).join('\n')).toMatch(/duplicate-(key|id)/);
    expect(body.problems.some((p) => p.location.line === 8)).toBe(true);
    expect(body.problems.some((p) => p.location.line === 9)).toBe(true);
    expect(body.message).toContain('custom/broken.yml:');
    await expect(cases.customRules.get('broken')).resolves.toBeUndefined();

    const tooLarge = await call('responder', { method: 'POST', url: '/api/v1/rules/custom', payload: { yaml: `# ${'é'.repeat(140 * 1024)}\n${ROOT_LOGIN_RULE}` } });
    expect(tooLarge.statusCode).toBe(400);
    expect(tooLarge.json<{ message: string }>().message).toContain('bytes');
    const empty = await call('responder', { method: 'POST', url: '/api/v1/rules/custom', payload: { yaml: '# nothing here\n' } });
    expect(empty.statusCode).toBe(400);
  });

  it('tries rules on sample events: matches with selections and values, and correlations over the sample', async () => {
    const events = [
      ...Array.from({ length: 10 }, (_, i) => sshFailure(`2026-02-01T10:00:${String(i * 5).padStart(2, '0')}Z`)),
      { '@timestamp': '2026-02-01T10:01:00Z', message: 'unrelated', process: { name: 'cron' } },
    ];
    const response = await call('analyst', { method: 'POST', url: '/api/v1/rules/test', payload: { rules: [BRUTE_FORCE], events } });
    expect(response.statusCode, response.body).toBe(200);
    const result = response.json<{
      rules: string[];
      events: { index: number; logsources: Record<string, string>[]; matches: { rule: { key: string }; selections: string[]; matched: { field: string; value: string }[] }[] }[];
      correlations: { rule: { key: string }; correlation: { value: number } }[];
    }>();
    expect(result.rules.sort()).toEqual([BRUTE_FORCE, FAILURE].sort());
    expect(result.events[0]?.matches[0]).toMatchObject({ rule: { key: FAILURE }, selections: ['selection'] });
    expect(result.events[0]?.matches[0]?.matched).toEqual(expect.arrayContaining([{ field: 'event.action', value: 'ssh_login', selection: 'selection' }]));
    expect(result.events[0]?.logsources).toEqual(expect.arrayContaining([{ product: 'linux', service: 'sshd' }]));
    expect(result.events[10]?.matches).toEqual([]);
    expect(result.correlations).toEqual([expect.objectContaining({ rule: expect.objectContaining({ key: BRUTE_FORCE }), correlation: expect.objectContaining({ value: 10 }) })]);

    const nine = await call('analyst', { method: 'POST', url: '/api/v1/rules/test', payload: { rules: [BRUTE_FORCE], events: events.slice(1) } });
    expect(nine.json<{ correlations: unknown[] }>().correlations).toEqual([]);

    const yaml = await call('analyst', { method: 'POST', url: '/api/v1/rules/test', payload: { yaml: ROOT_LOGIN_RULE, events: [sshFailure('2026-02-01T10:00:00Z'), sshFailure('2026-02-01T10:00:00Z', '192.0.2.1', 'alice')] } });
    expect(yaml.statusCode, yaml.body).toBe(200);
    expect(yaml.json<{ events: { matches: unknown[] }[] }>().events.map((e) => e.matches.length)).toEqual([1, 0]);

    expect((await call('viewer', { method: 'POST', url: '/api/v1/rules/test', payload: { rules: [FAILURE], events } })).statusCode).toBe(403);
    const badYaml = await call('analyst', { method: 'POST', url: '/api/v1/rules/test', payload: { yaml: 'title: x\ndetection: {condition: nope}\n', events } });
    expect(badYaml.statusCode).toBe(400);
    expect(badYaml.json<{ problems: { location: { file: string } }[] }>().problems[0]?.location.file).toBe('test/rule.yml');
    const tooMany = await call('analyst', { method: 'POST', url: '/api/v1/rules/test', payload: { rules: [FAILURE], events: Array.from({ length: 201 }, () => ({})) } });
    expect(tooMany.statusCode).toBe(400);
    expect((await call('analyst', { method: 'POST', url: '/api/v1/rules/test', payload: { rules: ['nope'], events } })).statusCode).toBe(404);
  });

  it('tries rules on pasted raw log lines, parsed as ingest parses them', async () => {
    const lines = Array.from(
      { length: 10 },
      (_, i) => `<38>1 2026-02-01T10:00:${String(i * 5).padStart(2, '0')}Z bastion sshd 4242 - - Failed password for root from 203.0.113.9 port ${40000 + i} ssh2`,
    );
    const response = await call('analyst', { method: 'POST', url: '/api/v1/rules/test', payload: { rules: [BRUTE_FORCE], lines: [...lines, 'Feb  1 10:02:00 bastion CRON[77]: (root) CMD (true)'] } });
    expect(response.statusCode, response.body).toBe(200);
    const result = response.json<{ events: { matches: { rule: { key: string }; entities: Record<string, string> }[] }[]; correlations: { rule: { key: string } }[] }>();
    expect(result.events[0]?.matches[0]).toMatchObject({ rule: { key: FAILURE }, entities: { 'source.ip': '203.0.113.9', 'user.name': 'root' } });
    expect(result.events[10]?.matches).toEqual([]);
    expect(result.correlations.map((c) => c.rule.key)).toEqual([BRUTE_FORCE]);
    const neither = await call('analyst', { method: 'POST', url: '/api/v1/rules/test', payload: { rules: [FAILURE] } });
    expect(neither.statusCode).toBe(400);
    const tooLong = await call('analyst', { method: 'POST', url: '/api/v1/rules/test', payload: { rules: [FAILURE], lines: ['x'.repeat(64 * 1024 + 1)] } });
    expect(tooLong.statusCode).toBe(400);
  });

  it('answers 503 without a rule catalog and 401 without credentials', async () => {
    expect((await call('viewer', { method: 'GET', url: '/api/v1/rules' }, bare)).statusCode).toBe(503);
    expect((await call(null, { method: 'GET', url: '/api/v1/rules' })).statusCode).toBe(401);
  });
});
