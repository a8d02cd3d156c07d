import { Value } from '@sinclair/typebox/value';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CLOCK } from '../../core/clock.js';
import { silentLogger } from '../../core/log.js';
import { closedPort, driverContext, errorText, startTestServer, thrown, type TestHttpServer } from './http-test-server.js';
import type { Driver } from './types.js';
import { signWebhook, verifyWebhookSignature, webhookDriver, WebhookSettings } from './webhook.js';

const TOKEN = 'webhook-bearer-token-123';
const HMAC = 'webhook-hmac-secret-0123456789';
const deps = { logger: silentLogger(), clock: SYSTEM_CLOCK };

let server: TestHttpServer;
let driver: Driver;

function build(url: string, settings: Record<string, unknown> = {}, credentials: Record<string, string> = { token: TOKEN, hmacSecret: HMAC }): Driver {
  const full = Value.Default(WebhookSettings, { url, ...settings }) as WebhookSettings;
  expect(Value.Check(WebhookSettings, full)).toBe(true);
  return webhookDriver.create({ id: 'hook', settings: full, credentials }, deps);
}

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
afterEach(() => driver?.close?.());

const blockInput = { address: '192.0.2.7', ttlSeconds: 3600, reason: 'ssh brute force' };

describe('webhookDriver', () => {
  it('POSTs the action as JSON with the idempotency key, a Bearer token and a signature a receiver can verify', async () => {
    server.handle(() => ({ status: 200, json: { detail: { ticket: 'abc' } } }));
    driver = build(`${server.url}/hooks/watchpost`, { headers: { 'X-Tenant': 'acme', Authorization: 'overridden?' } });
    const result = await driver.execute('block-ip', blockInput, driverContext('run-9.block.hook'));
    expect(result).toEqual({ changed: true, detail: { status: 200, receiver: { ticket: 'abc' } } });

    const request = server.requests.at(-1);
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/hooks/watchpost');
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request?.headers['idempotency-key']).toBe('run-9.block.hook');
    expect(request?.headers['x-tenant']).toBe('acme');
    expect(request?.json).toMatchObject({ action: 'block-ip', input: blockInput, idempotencyKey: 'run-9.block.hook' });
    expect(typeof (request?.json as { sentAt: string }).sentAt).toBe('string');
    const timestamp = request?.headers['x-watchpost-timestamp'] as string;
    const signature = request?.headers['x-watchpost-signature'] as string;
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(HMAC, { timestamp, signature }, request?.body ?? '')).toBe(true);
    expect(verifyWebhookSignature(HMAC, { timestamp, signature }, `${request?.body ?? ''} `)).toBe(false);
    expect(verifyWebhookSignature('another-secret-0123456789', { timestamp, signature }, request?.body ?? '')).toBe(false);
  });

  it('sends the same idempotency key on a retry and reports changed: false when the receiver says so', async () => {
    server.handle(() => ({ status: 200, json: { changed: false } }));
    driver = build(`${server.url}/h`);
    const first = await driver.execute('disable-account', { account: 'alice', reason: 'spraying' }, driverContext('run-1.lock.hook'));
    const second = await driver.execute('disable-account', { account: 'alice', reason: 'spraying' }, driverContext('run-1.lock.hook'));
    expect(first.changed).toBe(false);
    expect(second.changed).toBe(false);
    const keys = server.requests.slice(-2).map((request) => request.headers['idempotency-key']);
    expect(keys).toEqual(['run-1.lock.hook', 'run-1.lock.hook']);
  });

  it('serves only the configured actions and has no verify', () => {
    driver = build(`${server.url}/h`, { actions: ['disable-account', 'enable-account'] });
    expect(driver.actions).toEqual(['disable-account', 'enable-account']);
    expect(driver.verify).toBeUndefined();
  });

  it('maps 4xx to REJECTED and 5xx to UNAVAILABLE, never showing the credentials', async () => {
    driver = build(`${server.url}/h`);
    server.handle((request) => ({ status: 403, text: `bad token ${String(request.headers.authorization)}` }));
    const rejected = await thrown(() => driver.execute('notify', { subject: 's', message: 'm' }, driverContext()));
    expect(rejected.code).toBe('WATCHPOST_ERR_DRIVER_REJECTED');
    expect(errorText(rejected)).not.toContain(TOKEN);
    server.handle(() => ({ status: 502, text: HMAC }));
    const unavailable = await thrown(() => driver.execute('notify', { subject: 's', message: 'm' }, driverContext()));
    expect(unavailable.code).toBe('WATCHPOST_ERR_DRIVER_UNAVAILABLE');
    expect(errorText(unavailable)).not.toContain(HMAC);
  });

  it('maps a timeout and a refused connection to UNAVAILABLE', async () => {
    server.handle(() => ({ status: 200, json: {}, delayMs: 3000 }));
    driver = build(`${server.url}/h`, { timeoutMs: 200 });
    expect((await thrown(() => driver.execute('notify', { subject: 's', message: 'm' }, driverContext()))).code).toBe('WATCHPOST_ERR_DRIVER_UNAVAILABLE');
    await driver.close?.();
    driver = build(`http://127.0.0.1:${await closedPort()}/h`);
    const refused = await thrown(() => driver.execute('notify', { subject: 's', message: 'm' }, driverContext()));
    expect(refused.code).toBe('WATCHPOST_ERR_DRIVER_UNAVAILABLE');
    expect(errorText(refused)).not.toContain(TOKEN);
  });

  it('signs `<timestamp>.<body>` with HMAC-SHA256', () => {
    // Reference value: printf '1700000000.{}' | openssl dgst -sha256 -hmac key
    expect(signWebhook('key', 1700000000, '{}')).toBe('sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae');
    expect(verifyWebhookSignature('key', { timestamp: '1700000000', signature: signWebhook('key', 1700000000, '{}') }, '{}', 1700000000_000)).toBe(true);
    expect(verifyWebhookSignature('key', { timestamp: '1700000000', signature: signWebhook('key', 1700000000, '{}') }, '{}', 1700000000_000 + 301_000)).toBe(false);
  });
});
