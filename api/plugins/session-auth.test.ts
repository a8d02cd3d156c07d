import { describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import type { FastifyRequest } from 'fastify';
import { authGuard, type Authenticator } from './auth-guard.js';
import { servedOverTls, sessionSecretOf, sessionSupport, tokenOrSession } from './session-auth.js';

describe('servedOverTls', () => {
  it('is true on a TLS socket of our own or when the operator says a TLS proxy is in front', () => {
    expect(servedOverTls({ protocol: 'https' }, false)).toBe(true);
    expect(servedOverTls({ protocol: 'http' }, true)).toBe(true);
    expect(servedOverTls({ protocol: 'http' }, false)).toBe(false);
  });
});

describe('tokenOrSession', () => {
  it('judges a request with an Authorization header by the token alone, any other by the session', async () => {
    const calls: string[] = [];
    const token: Authenticator = async () => {
      calls.push('token');
      return undefined;
    };
    const session: Authenticator = async () => {
      calls.push('session');
      return { id: 'alice', roles: ['viewer'] };
    };
    const both = tokenOrSession(token, session);
    expect(await both({ headers: { authorization: 'Bearer nope' } } as FastifyRequest)).toBeUndefined();
    expect(await both({ headers: {} } as FastifyRequest)).toEqual({ id: 'alice', roles: ['viewer'] });
    expect(calls).toEqual(['token', 'session']);
  });
});

describe('sessionSupport', () => {
  it('parses cookies before the auth guard runs, preferring the __Host- cookie', async () => {
    const app = Fastify();
    await app.register(sessionSupport);
    const seen: (string | undefined)[] = [];
    await app.register(authGuard, {
      authenticate: async (request) => {
        seen.push(sessionSecretOf(request));
        return { id: 'x', roles: ['viewer'] };
      },
    });
    app.get('/x', async () => ({}));
    await app.inject({ method: 'GET', url: '/x', cookies: { wp_session: 'plain' } });
    await app.inject({ method: 'GET', url: '/x', cookies: { wp_session: 'plain', '__Host-wp_session': 'secure' } });
    await app.inject({ method: 'GET', url: '/x' });
    expect(seen).toEqual(['plain', 'secure', undefined]);
    await app.close();
  });
});
