import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHarness, type ApiHarness } from '../../../test/api/harness.js';

describe('OIDC routes without auth.oidc', () => {
  let harness: ApiHarness;
  beforeAll(async () => {
    harness = await apiHarness();
  });
  afterAll(() => harness.close());

  it('answer 404 with the catalogue code, to anyone, and set no cookie', async () => {
    for (const url of ['/api/v1/auth/oidc/login', '/api/v1/auth/oidc/callback?code=x&state=y']) {
      const response = await harness.call(undefined, { method: 'GET', url });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ code: 'WATCHPOST_ERR_AUTH_OIDC', message: expect.stringContaining('auth.oidc') });
      expect(response.cookies).toEqual([]);
    }
  });

  it('are public operations of the OpenAPI document', async () => {
    const document = (await harness.call(undefined, { method: 'GET', url: '/api/openapi.json' })).json<{ paths: Record<string, { get?: Record<string, unknown> }> }>();
    expect(document.paths['/api/v1/auth/oidc/login']?.get?.['x-watchpost-public']).toBe(true);
    expect(document.paths['/api/v1/auth/oidc/callback']?.get?.['x-watchpost-public']).toBe(true);
  });
});
