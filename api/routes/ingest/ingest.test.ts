import { afterEach, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import type { Role } from '../../../core/cases/types.js';
import { loadConfig } from '../../../core/config/load.js';
import type { HttpIngestConfig } from '../../../core/config/ingest.js';
import { OperationalError } from '../../../core/errors.js';
import { hashSecret, randomId, randomSecret } from '../../../core/ids.js';
import type { RawRecord, RecordSink } from '../../../core/ingest/record.js';
import { silentLogger } from '../../../core/log.js';
import { createMetricsRegistry } from '../../../core/metrics.js';
import { openSqliteDatabase, type SqliteDatabase } from '../../../backends/sqlite/database.js';
import { SqliteCaseStore } from '../../../backends/sqlite/case-store.js';
import { buildApi } from '../../app.js';
import { formatToken } from '../../plugins/token-auth.js';

/** A sink that records what it accepted; `hold` makes accept wait for a release, `fail` makes it reject. */
class RecordingSink implements RecordSink {
  readonly batches: RawRecord[][] = [];
  hold: Promise<void> | undefined;
  fail = false;
  async accept(batch: readonly RawRecord[]): Promise<void> {
    if (this.hold) await this.hold;
    if (this.fail) throw new OperationalError('WATCHPOST_ERR_STORE_UNAVAILABLE', 'pipeline stopping');
    this.batches.push([...batch]);
  }
  get records(): RawRecord[] {
    return this.batches.flat();
  }
}

const NDJSON = { 'content-type': 'application/x-ndjson' };
const JSON_TYPE = { 'content-type': 'application/json' };

describe('POST /api/v1/ingest', () => {
  let app: FastifyInstance | undefined;
  let db: SqliteDatabase | undefined;
  let cases: SqliteCaseStore;
  let sink: RecordingSink;

  afterEach(async () => {
    await app?.close();
    if (db?.open) db.close();
    app = undefined;
  });

  async function build(http: Partial<HttpIngestConfig> = {}, options: { withSink?: boolean } = {}): Promise<FastifyInstance> {
    db = openSqliteDatabase(':memory:');
    cases = new SqliteCaseStore(db);
    sink = new RecordingSink();
    const config = loadConfig({ env: {} });
    app = await buildApi({
      config: config.api,
      logger: silentLogger(),
      version: '9.9.9',
      metrics: createMetricsRegistry({ role: 'api' }),
      health: { cases },
      cases,
      ...(options.withSink === false ? {} : { ingest: { sink, config: { ...config.ingest.http, ...http } } }),
    });
    return app;
  }

  async function token(options: { roles?: Role[]; revoked?: boolean; expiresAt?: string; disabled?: boolean } = {}): Promise<{ id: string; authorization: string }> {
    const id = randomId();
    const secret = randomSecret();
    const now = new Date().toISOString();
    const userId = `svc-${id}`;
    const roles = options.roles ?? ['ingest'];
    await cases.users.create({ id: userId, username: userId, roles, disabled: options.disabled ?? false, createdAt: now, updatedAt: now });
    await cases.tokens.create({
      id,
      name: 'agent',
      userId,
      secretHash: hashSecret(secret),
      roles,
      revoked: options.revoked ?? false,
      ...(options.expiresAt !== undefined ? { expiresAt: options.expiresAt } : {}),
      createdAt: now,
    });
    return { id, authorization: `Bearer ${formatToken(id, secret)}` };
  }

  function post(authorization: string | undefined, payload: string | Buffer, headers: Record<string, string> = NDJSON) {
    return (app as FastifyInstance).inject({
      method: 'POST',
      url: '/api/v1/ingest',
      headers: { ...headers, ...(authorization !== undefined ? { authorization } : {}) },
      payload,
    });
  }

  it('accepts NDJSON and hands every event to the sink as a raw http record', async () => {
    await build();
    const agent = await token();
    const lines = [{ '@timestamp': '2030-01-01T00:00:00Z', message: 'one', event: { id: 'e-1' } }, { message: 'two' }];
    const response = await post(agent.authorization, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ accepted: 2, rejected: [] });
    expect(sink.batches).toHaveLength(1);
    const [first, second] = sink.records;
    expect(first).toMatchObject({ sourceId: 'http', transport: 'http', event: lines[0], key: `token:${agent.id}:e-1`, peer: expect.stringMatching(/^127\.0\.0\.1/) });
    expect(first?.data.toString()).toBe(JSON.stringify(lines[0]));
    expect(typeof first?.receivedAt).toBe('number');
    expect(second?.key).toBeUndefined();
    expect(second?.event).toEqual({ message: 'two' });
  });

  it('namespaces client event ids by token, so two agents cannot collide', async () => {
    await build();
    const a = await token();
    const b = await token();
    const line = JSON.stringify({ message: 'x', 'event.id': 'same' });
    expect((await post(a.authorization, line)).statusCode).toBe(202);
    expect((await post(b.authorization, line)).statusCode).toBe(202);
    expect(sink.records.map((r) => r.key)).toEqual([`token:${a.id}:same`, `token:${b.id}:same`]);
  });

  it('accepts a JSON array, a single JSON object, and JSON lines sent as application/json', async () => {
    await build();
    const agent = await token();
    expect((await post(agent.authorization, JSON.stringify([{ message: 'a' }, { message: 'b' }]), JSON_TYPE)).json()).toEqual({ accepted: 2, rejected: [] });
    expect((await post(agent.authorization, ' {"message":"c"} ', { 'content-type': 'application/json; charset=utf-8' })).json()).toEqual({ accepted: 1, rejected: [] });
    expect((await post(agent.authorization, '{"message":"d"}\n{"message":"e"}\n', JSON_TYPE)).json()).toEqual({ accepted: 2, rejected: [] });
    expect(sink.records.map((r) => (r.event as { message: string }).message)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(sink.records[2]?.data.toString()).toBe('{"message":"c"}');
  });

  it('decodes a gzip body', async () => {
    await build();
    const agent = await token();
    const body = gzipSync(Buffer.from('{"message":"zipped 1"}\n{"message":"zipped 2"}\n'));
    const response = await post(agent.authorization, body, { ...NDJSON, 'content-encoding': 'gzip' });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ accepted: 2, rejected: [] });
    expect(sink.records.map((r) => r.data.toString())).toEqual(['{"message":"zipped 1"}', '{"message":"zipped 2"}']);
  });

  it('refuses bad lines one by one with their index and accepts the rest', async () => {
    await build();
    const agent = await token();
    const big = JSON.stringify({ message: 'x'.repeat(70 * 1024) });
    const body = ['{"message":"ok 0"}', '{not json', '', '[1,2]', '42', big, '{"message":"ok 6"}', `{"event":{"id":"${'i'.repeat(600)}"}}`].join('\r\n');
    const response = await post(agent.authorization, body);
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({
      accepted: 2,
      rejected: [
        { index: 1, reason: 'invalid_json' },
        { index: 3, reason: 'not_an_object' },
        { index: 4, reason: 'not_an_object' },
        { index: 5, reason: 'too_large' },
        { index: 7, reason: 'invalid_id' },
      ],
    });
    expect(sink.records.map((r) => r.data.toString())).toEqual(['{"message":"ok 0"}', '{"message":"ok 6"}']);

    const array = await post(agent.authorization, JSON.stringify([{ message: 'fine' }, 'text', null, JSON.parse(big)]), JSON_TYPE);
    expect(array.json()).toEqual({
      accepted: 1,
      rejected: [
        { index: 1, reason: 'not_an_object' },
        { index: 2, reason: 'not_an_object' },
        { index: 3, reason: 'too_large' },
      ],
    });
  });

  it('answers 400 when every event was refused, and does not call the sink', async () => {
    await build();
    const agent = await token();
    const response = await post(agent.authorization, '{broken', JSON_TYPE);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ accepted: 0, rejected: [{ index: 0, reason: 'invalid_json' }] });
    expect(sink.batches).toHaveLength(0);
    expect((await post(agent.authorization, '[]', JSON_TYPE)).json()).toEqual({ accepted: 0, rejected: [] });
    expect(sink.batches).toHaveLength(0);
  });

  it('refuses a gzip bomb with 413 without inflating it all', async () => {
    await build({ maxBodyBytes: 1024 * 1024 });
    const agent = await token();
    // 100 MB of zeros compress to about 100 KB.
    const bomb = gzipSync(Buffer.alloc(100 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(200 * 1024);
    const started = process.hrtime.bigint();
    const response = await post(agent.authorization, bomb, { ...NDJSON, 'content-encoding': 'gzip' });
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ error: 'body_too_large' });
    expect(response.headers.connection).toBe('close');
    expect(sink.batches).toHaveLength(0);
    // Inflating all 100 MB takes several times longer than stopping at the 1 MiB cap.
    expect(elapsedMs).toBeLessThan(2000);
  });

  it('refuses a body over maxBodyBytes with 413, by its declared length or as it arrives', async () => {
    await build({ maxBodyBytes: 4096 });
    const agent = await token();
    const body = Array.from({ length: 300 }, (_, i) => JSON.stringify({ message: `line ${i}` })).join('\n');
    expect(body.length).toBeGreaterThan(4096);
    const response = await post(agent.authorization, body);
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ error: 'body_too_large' });
    // Without a Content-Length (chunked), counted as it arrives.
    const chunked = await app!.inject({
      method: 'POST',
      url: '/api/v1/ingest',
      headers: { ...NDJSON, authorization: agent.authorization },
      payload: Readable.from([Buffer.from(body.slice(0, 3000)), Buffer.from(body.slice(3000))]),
    });
    expect(chunked.statusCode).toBe(413);
    // Compressed below the cap, but larger than it decoded.
    const zipped = await post(agent.authorization, gzipSync(body), { ...NDJSON, 'content-encoding': 'gzip' });
    expect(zipped.statusCode).toBe(413);
    expect(sink.batches).toHaveLength(0);
  });

  it('refuses more events than maxEventsPerRequest with 413', async () => {
    await build({ maxEventsPerRequest: 3 });
    const agent = await token();
    expect((await post(agent.authorization, '{}\n{}\n{}\n')).statusCode).toBe(202);
    const response = await post(agent.authorization, '{}\n{}\n{}\n{}\n');
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ error: 'too_many_events' });
    expect((await post(agent.authorization, '[{},{},{},{}]', JSON_TYPE)).statusCode).toBe(413);
  });

  it('refuses other encodings and media types with 415, and broken gzip with 400', async () => {
    await build();
    const agent = await token();
    expect((await post(agent.authorization, 'x', { ...NDJSON, 'content-encoding': 'br' })).statusCode).toBe(415);
    expect((await post(agent.authorization, '{}', { 'content-type': 'text/plain' })).statusCode).toBe(415);
    const broken = await post(agent.authorization, Buffer.from('not gzip at all'), { ...NDJSON, 'content-encoding': 'gzip' });
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ error: 'bad_gzip' });
  });

  it('rate-limits per token with 429 and Retry-After, other tokens unaffected', async () => {
    await build({ ratePerSecond: 1, burst: 3 });
    const agent = await token();
    const other = await token();
    expect((await post(agent.authorization, '{}\n{}\n')).statusCode).toBe(202);
    const over = await post(agent.authorization, '{}\n{}\n');
    expect(over.statusCode).toBe(429);
    expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(over.json()).toMatchObject({ error: 'rate_limited' });
    expect((await post(agent.authorization, '{}\n')).statusCode).toBe(202);
    // The bucket is empty now: refused before the body is even read.
    const empty = await post(agent.authorization, '{}\n');
    expect(empty.statusCode).toBe(429);
    expect(empty.headers['retry-after']).toBe('1');
    expect((await post(other.authorization, '{}\n{}\n{}\n')).statusCode).toBe(202);
    expect(sink.records).toHaveLength(6);
  });

  it('answers 413 for a batch larger than the burst', async () => {
    await build({ ratePerSecond: 1, burst: 2 });
    const agent = await token();
    const response = await post(agent.authorization, '{}\n{}\n{}\n');
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ error: 'too_many_events' });
  });

  it('answers 401 to a missing, malformed, wrong, revoked or expired token, or one whose user is disabled', async () => {
    await build();
    const good = await token();
    const wrongSecret = good.authorization.slice(0, -4) + (good.authorization.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const revoked = await token({ revoked: true });
    const expired = await token({ expiresAt: new Date(Date.now() - 1000).toISOString() });
    const disabled = await token({ disabled: true });
    for (const authorization of [undefined, 'Bearer nonsense', wrongSecret, revoked.authorization, expired.authorization, disabled.authorization]) {
      const response = await post(authorization, '{}\n');
      expect(response.statusCode, String(authorization)).toBe(401);
    }
    expect(sink.batches).toHaveLength(0);
  });

  it('answers 403 to a token without the ingest or admin role, and accepts an admin token', async () => {
    await build();
    const viewer = await token({ roles: ['viewer'] });
    const analyst = await token({ roles: ['analyst', 'approver'] });
    const admin = await token({ roles: ['admin'] });
    expect((await post(viewer.authorization, '{}\n')).statusCode).toBe(403);
    expect((await post(analyst.authorization, '{}\n')).statusCode).toBe(403);
    expect((await post(admin.authorization, '{}\n')).statusCode).toBe(202);
    expect(sink.batches).toHaveLength(1);
  });

  it('keeps an ingest token out of every other route', async () => {
    await build();
    const agent = await token();
    const response = await app!.inject({ method: 'GET', url: '/api/v1/ingest', headers: { authorization: agent.authorization } });
    expect(response.statusCode).toBe(404);
  });

  it('maps Zabbix and Nagios alerts to ECS alerts in the record it hands on', async () => {
    await build();
    const agent = await token();
    const zabbix = { event_id: '77', trigger_name: 'Service down', host: 'web-01', severity: 'Disaster', status: 'PROBLEM' };
    const nagios = { HOSTNAME: 'db-02', SERVICEDESC: 'Disk', SERVICESTATE: 'WARNING', NOTIFICATIONTYPE: 'PROBLEM', OUTPUT: '91% used' };
    expect((await post(agent.authorization, JSON.stringify([zabbix, nagios]), JSON_TYPE)).json()).toEqual({ accepted: 2, rejected: [] });
    const [z, n] = sink.records;
    expect(z?.event).toMatchObject({
      message: 'PROBLEM Service down on web-01',
      event: { kind: 'alert', module: 'zabbix', severity: 5, original: JSON.stringify(zabbix) },
      host: { name: 'web-01' },
      rule: { name: 'Service down' },
    });
    expect(z?.data.toString()).toBe(JSON.stringify(zabbix));
    expect(n?.event).toMatchObject({
      message: 'PROBLEM: db-02/Disk is WARNING: 91% used',
      event: { kind: 'alert', module: 'nagios', severity: 1, action: 'problem' },
      host: { name: 'db-02' },
      rule: { name: 'Disk' },
    });
  });

  it('answers only after the sink made the batch durable', async () => {
    await build();
    const agent = await token();
    let release!: () => void;
    sink.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    let answered = false;
    const pending = post(agent.authorization, '{"message":"slow"}\n').then((response) => {
      answered = true;
      return response;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(answered).toBe(false);
    expect(sink.batches).toHaveLength(0);
    release();
    const response = await pending;
    expect(response.statusCode).toBe(202);
    expect(sink.batches).toHaveLength(1);
  });

  it('answers 503 with Retry-After and acknowledges nothing when the sink refuses, and does not charge the rate limit', async () => {
    await build({ ratePerSecond: 1, burst: 2 });
    const agent = await token();
    sink.fail = true;
    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await post(agent.authorization, '{"message":"a"}\n{"message":"b"}\n');
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.json()).toMatchObject({ error: 'unavailable' });
      expect(response.json()).not.toHaveProperty('accepted');
    }
    expect(sink.batches).toHaveLength(0);
    sink.fail = false;
    expect((await post(agent.authorization, '{"message":"a"}\n{"message":"b"}\n')).statusCode).toBe(202);
  });

  it('answers 503 when this process runs no pipeline, and 401 before that to strangers', async () => {
    await build({}, { withSink: false });
    const agent = await token();
    expect((await post(undefined, '{}\n')).statusCode).toBe(401);
    const response = await post(agent.authorization, '{}\n');
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ error: 'unavailable' });
  });

  it('has no route when HTTP ingest is disabled', async () => {
    await build({ enabled: false });
    const agent = await token({ roles: ['admin'] });
    expect((await post(agent.authorization, '{}\n')).statusCode).toBe(404);
  });
});
