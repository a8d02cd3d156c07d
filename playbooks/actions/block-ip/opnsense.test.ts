import { Value } from '@sinclair/typebox/value';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_CLOCK } from '../../../core/clock.js';
import { silentLogger } from '../../../core/log.js';
import { basicAuth } from '../http.js';
import { closedPort, driverContext, errorText, startTestServer, thrown, type RecordedRequest, type TestAnswer, type TestHttpServer } from '../http-test-server.js';
import type { Driver } from '../types.js';
import { opnsenseDriver, OpnsenseSettings } from './opnsense.js';

const KEY = 'opnsense-key-0123456789';
const SECRET = 'opnsense-secret-9876543210';
const deps = { logger: silentLogger(), clock: SYSTEM_CLOCK };

/** An OPNsense stand-in: alias_util add/delete/list on one pf table, in the new (rows) or old (array) list format. */
class FakeOpnsense {
  table = new Set<string>();
  legacyList = false;
  failNext: TestAnswer | undefined;

  handle(request: RecordedRequest): TestAnswer {
    if (this.failNext) {
      const answer = this.failNext;
      this.failNext = undefined;
      return answer;
    }
    if (request.headers.authorization !== basicAuth(KEY, SECRET)) return { status: 401, json: { status: 401, message: 'Authentication Failed' } };
    const match = /^\/api\/firewall\/alias_util\/(add|delete|list)\/([A-Za-z0-9_]+)$/.exec(request.path);
    if (!match || match[2] !== 'watchpost_block') return { status: 404, json: { errorMessage: 'Endpoint not found' } };
    const address = (request.json as { address?: string } | undefined)?.address;
    const command = match[1] ?? '';
    if (command === 'list') {
      const entries = [...this.table].sort();
      return { json: this.legacyList ? entries : { total: entries.length, rowCount: entries.length, current: 1, rows: entries.map((ip) => ({ ip })) } };
    }
    if (request.method !== 'POST' || address === undefined) return { json: { status: 'failed' } };
    if (command === 'add') {
      if (/[^0-9a-f:./_]/.test(address)) return { json: { status: 'not_an_address' } };
      this.table.add(address);
    } else {
      this.table.delete(address);
    }
    return { json: { status: 'done' } };
  }
}

const fake = new FakeOpnsense();
let server: TestHttpServer;
let driver: Driver;

function build(url = server.url, extra: Record<string, unknown> = {}, credentials = { key: KEY, secret: SECRET }): Driver {
  const settings = Value.Default(OpnsenseSettings, { url, alias: 'watchpost_block', ...extra }) as OpnsenseSettings;
  expect(Value.Check(OpnsenseSettings, settings)).toBe(true);
  return opnsenseDriver.create({ id: 'opnsense', settings, credentials }, deps);
}

beforeAll(async () => {
  server = await startTestServer((request) => fake.handle(request));
});
afterAll(() => server.close());
beforeEach(() => {
  fake.table = new Set(['10.1.2.3']);
  fake.legacyList = false;
  fake.failNext = undefined;
});
afterEach(() => driver?.close?.());

const block = { address: '203.0.113.0/25', ttlSeconds: 600, reason: 'scanner' };

describe('opnsenseDriver', () => {
  it('adds the address with basic auth, verifies it, removes it and verifies the removal', async () => {
    driver = build();
    expect(await driver.execute('block-ip', block, driverContext())).toEqual({ changed: true, detail: { alias: 'watchpost_block', entry: '203.0.113.0/25' } });
    const add = server.requests.find((request) => request.path.includes('/add/'));
    expect(add?.method).toBe('POST');
    expect(add?.path).toBe('/api/firewall/alias_util/add/watchpost_block');
    expect(add?.json).toEqual({ address: '203.0.113.0/25' });
    expect(add?.headers.authorization).toBe(basicAuth(KEY, SECRET));
    expect(fake.table.has('203.0.113.0/25')).toBe(true);
    expect((await driver.verify?.('block-ip', block, driverContext()))?.holds).toBe(true);

    expect((await driver.execute('unblock-ip', { address: '203.0.113.0/25' }, driverContext())).changed).toBe(true);
    expect(fake.table.has('203.0.113.0/25')).toBe(false);
    expect((await driver.verify?.('unblock-ip', { address: '203.0.113.0/25' }, driverContext()))?.holds).toBe(true);
    expect((await driver.verify?.('block-ip', block, driverContext()))?.holds).toBe(false);
  });

  it('is idempotent: an address already there is not added again', async () => {
    driver = build();
    await driver.execute('block-ip', block, driverContext());
    const adds = (): number => server.requests.filter((request) => request.path.includes('/add/')).length;
    const before = adds();
    expect((await driver.execute('block-ip', block, driverContext())).changed).toBe(false);
    expect(adds()).toBe(before);
    expect((await driver.execute('unblock-ip', { address: '192.0.2.1' }, driverContext())).changed).toBe(false);
  });

  it('reads the older list format (an array of strings) and matches /32 to the bare address', async () => {
    fake.legacyList = true;
    driver = build();
    expect((await driver.verify?.('block-ip', { ...block, address: '10.1.2.3/32' }, driverContext()))?.holds).toBe(true);
    expect((await driver.execute('block-ip', { ...block, address: '10.1.2.3' }, driverContext())).changed).toBe(false);
  });

  it('treats a status other than done as REJECTED', async () => {
    driver = build();
    let calls = 0;
    server.handle((request) => {
      calls += 1;
      return request.path.includes('/add/') ? { json: { status: 'failed' } } : fake.handle(request);
    });
    try {
      const error = await thrown(() => driver.execute('block-ip', block, driverContext()));
      expect(error.code).toBe('WATCHPOST_ERR_DRIVER_REJECTED');
      expect(error.message).toContain('"failed"');
      expect(calls).toBe(2);
    } finally {
      server.handle((request) => fake.handle(request));
    }
  });

  it('maps wrong credentials to REJECTED and a server error, a refused connection and a timeout to UNAVAILABLE, never showing the secret', async () => {
    driver = build(server.url, {}, { key: KEY, secret: 'wrong-secret-000000' });
    const denied = await thrown(() => driver.execute('block-ip', block, driverContext()));
    expect(denied.code).toBe('WATCHPOST_ERR_DRIVER_REJECTED');
    expect(errorText(denied)).not.toContain('wrong-secret-000000');
    await driver.close?.();

    driver = build();
    fake.failNext = { status: 500, text: `boom ${SECRET}` };
    const failed = await thrown(() => driver.execute('block-ip', block, driverContext()));
    expect(failed.code).toBe('WATCHPOST_ERR_DRIVER_UNAVAILABLE');
    expect(errorText(failed)).not.toContain(SECRET);
    await driver.close?.();

    driver = build(`http://127.0.0.1:${await closedPort()}`);
    expect((await thrown(() => driver.execute('block-ip', block, driverContext()))).code).toBe('WATCHPOST_ERR_DRIVER_UNAVAILABLE');
    await driver.close?.();

    driver = build(server.url, { timeoutMs: 200 });
    fake.failNext = { status: 200, json: [], delayMs: 3000 };
    expect((await thrown(() => driver.execute('block-ip', block, driverContext()))).code).toBe('WATCHPOST_ERR_DRIVER_UNAVAILABLE');
  });
});
