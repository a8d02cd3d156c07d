import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { apiHarness, type ApiHarness } from '../../test/api/harness.js';
import { annotateSchema, DOCS_CSP, DOCS_PREFIX, OPENAPI_PATH, openApi, PUBLIC_EXTENSION, ROLES_EXTENSION } from './openapi.js';

describe('annotateSchema', () => {
  it('marks public routes public with no security, and protected ones with their roles and 401/403', () => {
    expect(annotateSchema({ summary: 's' }, { public: true })).toEqual({ summary: 's', [PUBLIC_EXTENSION]: true, security: [] });
    const annotated = annotateSchema({ response: { 200: { type: 'object' } } }, { roles: ['analyst'] });
    expect(annotated[ROLES_EXTENSION]).toEqual(['analyst']);
    expect(Object.keys(annotated.response as object)).toEqual(['200', '401', '403']);
    // Neither: nothing is invented, so the authorization matrix notices.
    expect(annotateSchema(undefined, {})).toEqual({});
    expect(annotateSchema(undefined, { roles: [] })).toEqual({});
  });
});

describe('openApi plugin', () => {
  it('refuses a route that hides itself from the document', async () => {
    const app = Fastify();
    await app.register(openApi, { version: '1' });
    expect(() => app.get('/api/v1/secret', { schema: { hide: true } }, async () => ({}))).toThrow(/hides itself from the OpenAPI document/);
    await app.close();
  });
});

describe('the OpenAPI document and the docs pages in the app', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('describes the TypeBox schemas of the routes, never exposing hashes', async () => {
    const response = await h.app.inject({ method: 'GET', url: OPENAPI_PATH });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const document = response.json<{ info: { version: string }; paths: Record<string, Record<string, Record<string, unknown>>> }>();
    expect(document.info.version).toBe('0.0.0-test');
    const createUser = document.paths['/api/v1/users']?.post as { requestBody: { content: Record<string, { schema: { required: string[] } }> }; responses: Record<string, unknown> };
    expect(createUser.requestBody.content['application/json']?.schema.required).toEqual(['username', 'roles']);
    expect(Object.keys(createUser.responses)).toEqual(expect.arrayContaining(['201', '401', '403']));
    expect(document.paths['/api/v1/users/{id}']?.get?.[ROLES_EXTENSION]).toEqual(['admin']);
    expect(document.paths['/api/health']?.get?.[PUBLIC_EXTENSION]).toBe(true);
    expect(document.paths['/api/health']?.get?.security).toEqual([]);
    expect(response.body).not.toContain('passwordHash');
    expect(response.body).not.toContain('secretHash');
  });

  it('serves the browsable reference publicly, its assets from self, under a CSP scoped to /api/docs', async () => {
    const page = await h.app.inject({ method: 'GET', url: `${DOCS_PREFIX}/` });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toBe(DOCS_CSP);
    expect(page.headers['x-frame-options']).toBe('DENY');
    // No inline script: every script is a file, which script-src 'self' allows.
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] as string);
    expect(assets.length).toBeGreaterThanOrEqual(5);
    for (const asset of assets) {
      expect(asset, asset).toMatch(/^\.\//);
      const response = await h.app.inject({ method: 'GET', url: `${DOCS_PREFIX}/${asset.slice(2)}` });
      expect(response.statusCode, asset).toBe(200);
    }
    const initializer = await h.app.inject({ method: 'GET', url: `${DOCS_PREFIX}/static/swagger-initializer.js` });
    expect(initializer.body).toContain("resolveUrl('./json')");
    expect((await h.app.inject({ method: 'GET', url: `${DOCS_PREFIX}/json` })).json()).toMatchObject({ openapi: expect.stringMatching(/^3\./) });

    // Everywhere else the app's strict policy holds.
    for (const url of ['/api/health', OPENAPI_PATH, '/api/v1/users']) {
      const csp = (await h.app.inject({ method: 'GET', url })).headers['content-security-policy'];
      expect(csp, url).toBeDefined();
      expect(csp, url).not.toContain('unsafe-inline');
    }
  });
});
