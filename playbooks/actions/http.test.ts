import { rmSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificates, pem, type TestCertificates } from '../../ingest/sources/syslog/testing.js';
import { basicAuth, createHttpClient, joinUrl, maskSecrets, type HttpClient } from './http.js';
import { closedPort, errorText, startTestServer, thrown, type TestHttpServer } from './http-test-server.js';

const SECRET = 'sup3r-s3cret-value';

let server: TestHttpServer;
let client: HttpClient;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
afterEach(() => client?.close());

describe('createHttpClient', () => {
  it('sends JSON with the given headers and reads a JSON answer', async () => {
    server.handle((request) => ({ status: 201, json: { echoed: request.json, auth: request.headers.authorization } }));
    client = createHttpClient();
    const response = await client.request({ method: 'POST', url: `${server.url}/things`, headers: { authorization: 'Bearer x' }, json: { a: 1 } });
    expect(response.status).toBe(201);
    expect(response.json()).toEqual({ echoed: { a: 1 }, auth: 'Bearer x' });
    const last = server.requests.at(-1);
    expect(last?.headers['content-type']).toBe('application/json');
    expect(last?.method).toBe('POST');
  });

  it.each([
    [500, 'WATCHPOST_ERR_DRIVER_UNAVAILABLE', 'operational'],
    [503, 'WATCHPOST_ERR_DRIVER_UNAVAILABLE', 'operational'],
    [429, 'WATCHPOST_ERR_DRIVER_UNAVAILABLE', 'operational'],
    [400, 'WATCHPOST_ERR_DRIVER_REJECTED', 'user'],
    [401, 'WATCHPOST_ERR_DRIVER_REJECTED', 'user'],
    [404, 'WATCHPOST_ERR_DRIVER_REJECTED', 'user'],
    [302, 'WATCHPOST_ERR_DRIVER_REJECTED', 'user'],
  ])('maps HTTP %i to %s', async (status, code, intent) => {
    const headers: Record<string, string> = status === 302 ? { location: 'http://elsewhere.example/' } : {};
    server.handle(() => ({ status, text: `refused; you sent ${SECRET}`, headers }));
    client = createHttpClient({ secrets: [SECRET] });
    const error = await thrown(() => client.request({ method: 'GET', url: `${server.url}/x?apikey=${SECRET}` }));
    expect(error.code).toBe(code);
    expect(error.intent).toBe(intent);
    expect(error.message).toContain(`HTTP ${status}`);
    expect(errorText(error)).not.toContain(SECRET);
  });

  it('returns statuses listed in accept instead of throwing', async () => {
    server.handle(() => ({ status: 404, json: { missing: true } }));
    client = createHttpClient();
    const response = await client.request({ method: 'GET', url: `${server.url}/gone`, accept: [404] });
    expect(response.status).toBe(404);
  });

  it('gives up after the timeout as UNAVAILABLE', async () => {
    server.handle(() => ({ status: 200, json: {}, delayMs: 2000 }));
    client = createHttpClient({ timeoutMs: 200 });
    const started = Date.now();
    const error = await thrown(() => client.request({ method: 'GET', url: `${server.url}/slow` }));
    expect(error.code).toBe('WATCHPOST_ERR_DRIVER_UNAVAILABLE');
    expect(error.message).toContain('no answer within 200 ms');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('stops when the caller aborts', async () => {
    server.handle(() => ({ status: 200, json: {}, delayMs: 2000 }));
    client = createHttpClient();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await thrown(() => client.request({ method: 'GET', url: `${server.url}/slow`, signal: controller.signal }));
    expect(error.code).toBe('WATCHPOST_ERR_DRIVER_UNAVAILABLE');
    expect(error.message).toContain('aborted');
  });

  it('maps a refused connection to UNAVAILABLE without the query string', async () => {
    client = createHttpClient();
    const port = await closedPort();
    const error = await thrown(() => client.request({ method: 'GET', url: `http://127.0.0.1:${port}/x?token=${SECRET}` }));
    expect(error.code).toBe('WATCHPOST_ERR_DRIVER_UNAVAILABLE');
    expect(error.message).toContain('ECONNREFUSED');
    expect(errorText(error)).not.toContain(SECRET);
  });

  it('refuses an answer over the size limit', async () => {
    server.handle(() => ({ status: 200, text: 'x'.repeat(10_000) }));
    client = createHttpClient({ maxResponseBytes: 1000 });
    const error = await thrown(() => client.request({ method: 'GET', url: `${server.url}/big` }));
    expect(error.code).toBe('WATCHPOST_ERR_DRIVER_REJECTED');
    expect(error.message).toContain('larger than 1000 bytes');
  });

  it('names the request by its label when the URL is secret', async () => {
    server.handle(() => ({ status: 400, text: 'invalid_payload' }));
    client = createHttpClient();
    const error = await thrown(() => client.request({ method: 'POST', url: `${server.url}/services/${SECRET}`, json: {}, label: 'POST Slack webhook' }));
    expect(error.message).toBe('POST Slack webhook: HTTP 400: invalid_payload');
    expect(errorText(error)).not.toContain(SECRET);
  });

  it('refuses a body that is not JSON when JSON is read', async () => {
    server.handle(() => ({ status: 200, text: '<html>' }));
    client = createHttpClient();
    const response = await client.request({ method: 'GET', url: `${server.url}/html` });
    expect(() => response.json()).toThrow(/not JSON/);
  });
});

describe('TLS', () => {
  let certificates: TestCertificates;
  let tlsServer: Server;
  let url: string;

  beforeAll(async () => {
    certificates = makeCertificates();
    tlsServer = createHttpsServer({ cert: pem(certificates.serverCert), key: pem(certificates.serverKey) }, (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    tlsServer.closeAllConnections();
    await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    rmSync(certificates.dir, { recursive: true, force: true });
  });

  it('refuses a server whose CA is not trusted, as REJECTED', async () => {
    client = createHttpClient();
    const error = await thrown(() => client.request({ method: 'GET', url }));
    expect(error.code).toBe('WATCHPOST_ERR_DRIVER_REJECTED');
    expect(error.message).toMatch(/certificate/);
  });

  it('trusts the configured CA file', async () => {
    client = createHttpClient({ tls: { caFile: certificates.caCert, rejectUnauthorized: true } });
    const response = await client.request({ method: 'GET', url });
    expect(response.json()).toEqual({ ok: true });
  });

  it('skips verification when rejectUnauthorized is false', async () => {
    client = createHttpClient({ tls: { rejectUnauthorized: false } });
    expect((await client.request({ method: 'GET', url })).status).toBe(200);
  });

  it('reports a CA file that cannot be read as a config error', async () => {
    client = createHttpClient({ tls: { caFile: '/nonexistent/ca.pem', rejectUnauthorized: true } });
    const error = await thrown(() => client.request({ method: 'GET', url }));
    expect(error.code).toBe('WATCHPOST_ERR_DRIVER_CONFIG');
  });
});

describe('helpers', () => {
  it('joins a base URL with a path prefix and a query', () => {
    expect(joinUrl('https://fw.example/base/', '/api/v2/x', { name: 'a b' }).toString()).toBe('https://fw.example/base/api/v2/x?name=a+b');
  });

  it('masks secrets of four characters or more', () => {
    expect(maskSecrets('key=abcd and abc', ['abcd', 'abc'])).toBe('key=*** and abc');
  });

  it('encodes basic auth', () => {
    expect(basicAuth('user', 'pa:ss')).toBe(`Basic ${Buffer.from('user:pa:ss').toString('base64')}`);
  });
});
