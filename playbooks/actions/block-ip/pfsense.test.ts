import { Value } from '@sinclair/typebox/value';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_CLOCK } from '../../../core/clock.js';
import { silentLogger } from '../../../core/log.js';
import { closedPort, driverContext, errorText, startTestServer, thrown, type RecordedRequest, type TestAnswer, type TestHttpServer } from '../http-test-server.js';
import type { Driver } from '../types.js';
import { pfsenseDriver, PfsenseSettings } from './pfsense.js';

const API_KEY = 'pfsense-api-key-0123456789abcdef';
const deps = { logger: silentLogger(), clock: SYSTEM_CLOCK };

interface Alias {
  id: number;
  name: string;
  type: string;
  descr: string;
  address: string[];
  detail: string[];
}

/** A pfSense REST API v2 stand-in: the alias endpoints and apply, with the package's envelope. */
class FakePfsense {
  aliases: Alias[] = [];
  applied = 0;
  failNext: TestAnswer | undefined;

  reset(): void {
    this.aliases = [
      { id: 0, name: 'lan_hosts', type: 'host', descr: '', address: ['10.0.0.5'], detail: ['printer'] },
      { id: 1, name: 'watchpost_block', type: 'network', descr: '', address: ['198.51.100.0/24'], detail: ['manual'] },
      { id: 2, name: 'watchpost_hosts', type: 'host', descr: '', address: [], detail: [] },
      { id: 3, name: 'web_ports', type: 'port', descr: '', address: ['443'], detail: [''] },
    ];
    this.applied = 0;
    this.failNext = undefined;
  }

  handle(request: RecordedRequest): TestAnswer {
    if (this.failNext) {
      const answer = this.failNext;
      this.failNext = undefined;
      return answer;
    }
    if (request.headers['x-api-key'] !== API_KEY) return { status: 401, json: { code: 401, status: 'unauthorized', message: `Authentication failed for key ${String(request.headers['x-api-key'])}`, data: [] } };
    if (request.method === 'GET' && request.path === '/api/v2/firewall/aliases') {
      const name = request.query.get('name');
      return { json: { code: 200, status: 'ok', data: this.aliases.filter((alias) => name === null || alias.name === name) } };
    }
    if (request.method === 'PATCH' && request.path === '/api/v2/firewall/alias') {
      const body = request.json as Partial<Alias> & { id: number };
      const alias = this.aliases.find((candidate) => candidate.id === body.id);
      if (!alias) return { status: 404, json: { code: 404, message: 'Object not found', data: [] } };
      if (body.name !== undefined && body.name !== alias.name && this.aliases.some((other) => other.name === body.name)) {
        return { status: 400, json: { code: 400, message: 'Field `name` must be unique', data: [] } };
      }
      if (body.address && body.detail && body.detail.length > body.address.length) return { status: 400, json: { code: 400, message: 'more details than addresses', data: [] } };
      Object.assign(alias, body);
      return { json: { code: 200, status: 'ok', data: alias } };
    }
    if (request.method === 'POST' && request.path === '/api/v2/firewall/apply') {
      this.applied += 1;
      return { json: { code: 200, status: 'ok', data: { applied: true } } };
    }
    return { status: 404, json: { code: 404, message: 'Endpoint not found', data: [] } };
  }
}

const fake = new FakePfsense();
let server: TestHttpServer;
let driver: Driver;

function build(alias = 'watchpost_block', url = server.url, extra: Record<string, unknown> = {}): Driver {
  const settings = Value.Default(PfsenseSettings, { url, alias, ...extra }) as PfsenseSettings;
  expect(Value.Check(PfsenseSettings, settings)).toBe(true);
  return pfsenseDriver.create({ id: 'pfsense', settings, credentials: { apiKey: API_KEY } }, deps);
}

beforeAll(async () => {
  server = await startTestServer((request) => fake.handle(request));
});
afterAll(() => server.close());
beforeEach(() => fake.reset());
afterEach(() => driver?.close?.());

const block = { address: '203.0.113.9', ttlSeconds: 600, reason: 'port scan || probe' };

describe('pfsenseDriver', () => {
  it('adds the address to the alias with a detail, applies, and verifies', async () => {
    driver = build();
    const result = await driver.execute('block-ip', block, driverContext());
    expect(result).toEqual({ changed: true, detail: { alias: 'watchpost_block', entry: '203.0.113.9', applied: true } });
    const alias = fake.aliases[1] as Alias;
    expect(alias.address).toEqual(['198.51.100.0/24', '203.0.113.9/32']);
    expect(alias.detail).toEqual(['manual', 'watchpost: port scan // probe']);
    expect(fake.applied).toBe(1);

    const patch = server.requests.find((request) => request.method === 'PATCH');
    expect(patch?.headers['x-api-key']).toBe(API_KEY);
    expect(patch?.json).toMatchObject({ id: 1, name: 'watchpost_block' });
    expect(server.requests[0]?.url).toBe('/api/v2/firewall/aliases?name=watchpost_block');

    expect(await driver.verify?.('block-ip', block, driverContext())).toEqual({ holds: true, detail: { alias: 'watchpost_block', present: true } });
    expect((await driver.verify?.('unblock-ip', { address: block.address }, driverContext()))?.holds).toBe(false);
  });

  it('is idempotent: a retry writes nothing but applies again', async () => {
    driver = build();
    await driver.execute('block-ip', block, driverContext());
    const patches = (): number => server.requests.filter((request) => request.method === 'PATCH').length;
    const before = patches();
    const again = await driver.execute('block-ip', block, driverContext());
    expect(again.changed).toBe(false);
    expect(patches()).toBe(before);
    expect(fake.applied).toBe(2);
    expect((fake.aliases[1] as Alias).address).toEqual(['198.51.100.0/24', '203.0.113.9/32']);
  });

  it('removes the address and its detail on unblock, and unblocking again changes nothing', async () => {
    driver = build();
    await driver.execute('block-ip', block, driverContext());
    const result = await driver.execute('unblock-ip', { address: '203.0.113.9' }, driverContext());
    expect(result.changed).toBe(true);
    expect((fake.aliases[1] as Alias).address).toEqual(['198.51.100.0/24']);
    expect((fake.aliases[1] as Alias).detail).toEqual(['manual']);
    expect((await driver.verify?.('unblock-ip', { address: '203.0.113.9' }, driverContext()))?.holds).toBe(true);
    expect((await driver.execute('unblock-ip', { address: '203.0.113.9' }, driverContext())).changed).toBe(false);
  });

  it('matches entries whatever their spelling (a /32 equals the bare address; prefixes are normalized)', async () => {
    driver = build();
    expect((await driver.execute('block-ip', { ...block, address: '198.51.100.77/24' }, driverContext())).changed).toBe(false);
    expect((await driver.execute('unblock-ip', { address: '198.51.100.0/24' }, driverContext())).changed).toBe(true);
  });

  it('writes bare addresses into a host alias and refuses prefixes there', async () => {
    driver = build('watchpost_hosts');
    await driver.execute('block-ip', { ...block, address: '2001:db8::1' }, driverContext());
    expect((fake.aliases[2] as Alias).address).toEqual(['2001:db8::1']);
    const error = await thrown(() => driver.execute('block-ip', { ...block, address: '203.0.113.0/24' }, driverContext()));
    expect(error.code).toBe('WATCHPOST_ERR_DRIVER_REJECTED');
    expect(error.message).toContain('type host');
  });

  it('refuses a missing alias or one of the wrong type', async () => {
    driver = build('nope');
    expect((await thrown(() => driver.execute('block-ip', block, driverContext()))).message).toContain('no alias named nope');
    await driver.close?.();
    driver = build('web_ports');
    expect((await thrown(() => driver.execute('block-ip', block, driverContext()))).message).toContain('type port');
  });

  it('does not apply when apply is off', async () => {
    driver = build('watchpost_block', server.url, { apply: false });
    expect((await driver.execute('block-ip', block, driverContext())).detail).toMatchObject({ applied: false });
    expect(fake.applied).toBe(0);
  });

  it('maps a wrong key to REJECTED without showing the key, and 5xx to UNAVAILABLE', async () => {
    driver = pfsenseDriver.create({ id: 'pfsense', settings: Value.Default(PfsenseSettings, { url: server.url, alias: 'watchpost_block' }) as PfsenseSettings, credentials: { apiKey: 'wrong-key-0123456789' } }, deps);
    const denied = await thrown(() => driver.execute('block-ip', block, driverContext()));
    expect(denied.code).toBe('WATCHPOST_ERR_DRIVER_REJECTED');
    expect(denied.message).toContain('HTTP 401');
    expect(errorText(denied)).not.toContain('wrong-key-0123456789');
    await driver.close?.();

    driver = build();
    fake.failNext = { status: 500, text: `internal error with ${API_KEY}` };
    const down = await thrown(() => driver.execute('block-ip', block, driverContext()));
    expect(down.code).toBe('WATCHPOST_ERR_DRIVER_UNAVAILABLE');
    expect(errorText(down)).not.toContain(API_KEY);
  });

  it('maps a refused connection and a timeout to UNAVAILABLE', async () => {
    driver = build('watchpost_block', `http://127.0.0.1:${await closedPort()}`);
    expect((await thrown(() => driver.execute('block-ip', block, driverContext()))).code).toBe('WATCHPOST_ERR_DRIVER_UNAVAILABLE');
    await driver.close?.();
    driver = build('watchpost_block', server.url, { timeoutMs: 200 });
    fake.failNext = { status: 200, json: {}, delayMs: 3000 };
    const slow = await thrown(() => driver.execute('block-ip', block, driverContext()));
    expect(slow.code).toBe('WATCHPOST_ERR_DRIVER_UNAVAILABLE');
    expect(errorText(slow)).not.toContain(API_KEY);
  });
});
