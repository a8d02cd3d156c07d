import { describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import type { Role } from '../../core/cases/types.js';
import { authGuard } from './auth-guard.js';
import { hasRole, requireRole } from './require-role.js';

const as = (...roles: Role[]) => ({ id: 'someone', roles });

describe('hasRole', () => {
  it('lets a human role do what lower human roles may, and admin everything', () => {
    expect(hasRole(as('analyst'), ['viewer'])).toBe(true);
    expect(hasRole(as('viewer'), ['analyst'])).toBe(false);
    expect(hasRole(as('approver'), ['responder'])).toBe(true);
    expect(hasRole(as('admin'), ['approver'])).toBe(true);
    expect(hasRole(as('admin'), ['ingest'])).toBe(true);
    expect(hasRole(as('viewer', 'responder'), ['analyst'])).toBe(true);
  });

  it('keeps ingest outside the hierarchy: it passes only ingest routes, and only admin among humans passes those', () => {
    expect(hasRole(as('ingest'), ['ingest'])).toBe(true);
    expect(hasRole(as('ingest'), ['viewer'])).toBe(false);
    expect(hasRole(as('ingest'), ['analyst', 'viewer'])).toBe(false);
    expect(hasRole(as('approver'), ['ingest'])).toBe(false);
    expect(hasRole(as('viewer'), ['ingest'])).toBe(false);
  });

  it('refuses no principal and a principal without roles', () => {
    expect(hasRole(undefined, ['viewer'])).toBe(false);
    expect(hasRole(as(), ['viewer'])).toBe(false);
  });
});

describe('requireRole', () => {
  it('answers 403 before the handler for a principal without the role, and lets the others through', async () => {
    const app = Fastify();
    await app.register(authGuard, {
      authenticate: async (request) => {
        const role = request.headers['x-role'];
        return typeof role === 'string' ? as(role as Role) : undefined;
      },
    });
    let handled = 0;
    app.get('/analysts', { onRequest: requireRole('analyst') }, async () => {
      handled++;
      return { ok: true };
    });
    const get = (role?: string) => app.inject({ method: 'GET', url: '/analysts', headers: role ? { 'x-role': role } : {} });
    expect((await get()).statusCode).toBe(401);
    const forbidden = await get('ingest');
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json()).toEqual({ error: 'forbidden', message: 'requires one of the roles: analyst' });
    expect((await get('viewer')).statusCode).toBe(403);
    expect(handled).toBe(0);
    expect((await get('responder')).statusCode).toBe(200);
    expect((await get('admin')).statusCode).toBe(200);
    expect(handled).toBe(2);
    await app.close();
  });

  it('needs at least one role', () => {
    expect(() => requireRole()).toThrow(TypeError);
  });
});
