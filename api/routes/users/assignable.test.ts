import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiHarness, type ApiHarness } from '../../../test/api/harness.js';
import type { Role } from '../../../core/cases/types.js';
import type { AssignableUser } from './assignable.js';

interface Answer {
  items: AssignableUser[];
  truncated: boolean;
}

describe('GET /api/v1/users/assignable', () => {
  let h: ApiHarness;

  beforeEach(async () => {
    h = await apiHarness('sqlite');
  });
  afterEach(async () => {
    await h.close();
  });

  const add = async (id: string, roles: Role[], extra: { disabled?: boolean; displayName?: string } = {}) => {
    const at = new Date(h.clock.now()).toISOString();
    await h.cases.users.create({
      id,
      username: id.toUpperCase(),
      roles,
      disabled: extra.disabled ?? false,
      email: `${id}@example.org`,
      passwordHash: 'scrypt$16384$8$1$c2FsdA$aGFzaA',
      lastLoginAt: at,
      ...(extra.displayName !== undefined ? { displayName: extra.displayName } : {}),
      createdAt: at,
      updatedAt: at,
    });
  };
  const list = (authorization: string | undefined, query = '') => h.call(authorization, { method: 'GET', url: `/api/v1/users/assignable${query}` });

  it('answers 401 without a principal, 403 to a viewer and 200 to an analyst', async () => {
    expect((await list(undefined)).statusCode).toBe(401);
    expect((await list(await h.bearer('vera', ['viewer']))).statusCode).toBe(403);
    expect((await list(await h.bearer('ana', ['analyst']))).statusCode).toBe(200);
    expect((await list(await h.bearer('resp', ['responder']))).statusCode).toBe(200);
  });

  it('lists the enabled users who can triage, sorted, with ids and names only', async () => {
    await add('carol', ['analyst'], { displayName: 'Carol C.' });
    await add('dave', ['responder']);
    await add('erin', ['approver']);
    await add('frank', ['admin']);
    await add('gina', ['viewer']);
    await add('hank', ['ingest']);
    await add('ivan', ['analyst'], { disabled: true });
    const response = await list(await h.bearer('bob', ['analyst']));
    expect(response.statusCode).toBe(200);
    const answer = response.json<Answer>();
    expect(answer.truncated).toBe(false);
    expect(answer.items.map((user) => user.id)).toEqual(['bob', 'carol', 'dave', 'erin', 'frank']);
    expect(answer.items[1]).toEqual({ id: 'carol', username: 'CAROL', displayName: 'Carol C.' });
    for (const leak of ['@example.org', 'scrypt', 'roles', 'lastLoginAt', 'disabled', 'hasPassword', 'analyst']) expect(response.body).not.toContain(leak);
  });

  it('narrows by id prefix and says when the list was cut at the limit', async () => {
    for (const id of ['sam', 'sara', 'sven', 'tom']) await add(id, ['analyst']);
    const analyst = await h.bearer('ana', ['analyst']);
    const prefixed = (await list(analyst, '?prefix=S')).json<Answer>();
    expect(prefixed.items.map((user) => user.id)).toEqual(['sam', 'sara', 'sven']);
    const cut = (await list(analyst, '?limit=2')).json<Answer>();
    expect(cut.items.map((user) => user.id)).toEqual(['ana', 'sam']);
    expect(cut.truncated).toBe(true);
    expect((await list(analyst, '?limit=201')).statusCode).toBe(400);
    expect((await list(analyst, `?prefix=${'x'.repeat(65)}`)).statusCode).toBe(400);
    // Unknown keys are dropped by validation: a role filter cannot widen the list to viewers.
    await add('vic', ['viewer']);
    expect((await list(analyst, '?role=viewer&prefix=v')).json<Answer>().items).toEqual([]);
  });

  it('is not taken for a user id by GET /api/v1/users/:id (still admin-only)', async () => {
    const analyst = await h.bearer('ana', ['analyst']);
    expect((await h.call(analyst, { method: 'GET', url: '/api/v1/users/ana' })).statusCode).toBe(403);
  });
});
