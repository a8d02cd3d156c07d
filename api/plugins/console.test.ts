import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/load.js';
import { silentLogger } from '../../core/log.js';
import { createMetricsRegistry } from '../../core/metrics.js';
import { buildApi } from '../app.js';
import { CONSOLE_NOT_BUILT } from './console.js';
import { CONSOLE_CSP } from './security-headers.js';

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>';

function consoleBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wp-console-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log("watchpost");');
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  return dir;
}

describe('the console routes', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function build(consoleDir: string | undefined, signedIn = false): Promise<FastifyInstance> {
    app = await buildApi({
      config: loadConfig({ env: {} }).api,
      logger: silentLogger(),
      version: '9.9.9',
      metrics: createMetricsRegistry({ role: 'api' }),
      health: {},
      authenticate: async (request) => (signedIn && request.headers.authorization === 'Bearer good' ? { id: 'alice', roles: ['viewer'] } : undefined),
      ...(consoleDir !== undefined ? { consoleDir } : {}),
    });
    return app;
  }

  it('serves index.html at / without authentication, not cached, with the console CSP', async () => {
    const api = await build(consoleBuild());
    const response = await api.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toBe(INDEX);
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("style-src 'self' 'unsafe-inline'");
    expect(CONSOLE_CSP).toContain("script-src 'self';");
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'");
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('falls back to index.html for console URLs so a reload of /alerts/123 works', async () => {
    const api = await build(consoleBuild());
    for (const url of ['/alerts/123', '/settings?tab=tokens', '/login']) {
      const response = await api.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.body, url).toBe(INDEX);
    }
  });

  it('serves hashed assets with a year of immutable cache, and 404 for a missing one', async () => {
    const api = await build(consoleBuild());
    const asset = await api.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.body).toBe('console.log("watchpost");');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await api.inject({ method: 'GET', url: '/assets/missing-000.js' })).statusCode).toBe(404);
    expect((await api.inject({ method: 'GET', url: '/assets/../index.html' })).body).not.toContain('watchpost");');
    // A root file is served as itself; a missing file never gets index.html.
    expect((await api.inject({ method: 'GET', url: '/favicon.svg' })).statusCode).toBe(200);
    const missing = await api.inject({ method: 'GET', url: '/robots.txt' });
    expect(missing.statusCode).toBe(404);
    expect(missing.body).not.toContain('<div id="root">');
  });

  it('keeps the API strict: unknown /api paths answer 401 to strangers and 404 once signed in, with the API CSP', async () => {
    const api = await build(consoleBuild(), true);
    const stranger = await api.inject({ method: 'GET', url: '/api/v1/nothing-here' });
    expect(stranger.statusCode).toBe(401);
    expect(stranger.json()).toEqual({ error: 'unauthorized', message: 'authentication required' });
    expect(stranger.headers['content-security-policy']).not.toContain('unsafe-inline');
    const known = await api.inject({ method: 'GET', url: '/api/v1/nothing-here', headers: { authorization: 'Bearer good' } });
    expect(known.statusCode).toBe(404);
    expect(known.body).not.toContain('<div id="root">');
    // Unsafe methods outside /api are not console routes.
    expect((await api.inject({ method: 'POST', url: '/alerts' })).statusCode).toBe(401);
  });

  it('answers 404 with a hint when the console was not built', async () => {
    const api = await build(join(mkdtempSync(join(tmpdir(), 'wp-console-')), 'nothing'));
    for (const url of ['/', '/alerts/123', '/assets/index-abc123.js']) {
      const response = await api.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
      expect(response.headers['content-type'], url).toMatch(/^text\/plain/);
      expect(response.body, url).toBe(CONSOLE_NOT_BUILT);
    }
  });

  it('keeps the console out of the OpenAPI document', async () => {
    const api = await build(consoleBuild());
    const document = (await api.inject({ method: 'GET', url: '/api/openapi.json' })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(document.paths).filter((path) => !path.startsWith('/api/') && path !== '/metrics')).toEqual([]);
    expect(Object.keys(document.paths)).not.toContain('/api/*');
  });

  it('registers no console route without a console directory (the API alone)', async () => {
    const api = await build(undefined);
    expect((await api.inject({ method: 'GET', url: '/' })).statusCode).toBe(401);
  });
});
