import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlockView } from '../../../api/routes/blocks/index.js';
import type { BlockState } from '../../../core/cases/types.js';
import type { StoreBackend } from '../backends.js';
import { responseHarness, type ResponseHarness } from '../response-harness.js';

/** A block made at 09:00, expiring at 11:00 (the harness clock starts at 10:00). */
function block(driver: string, target: string, overrides: Partial<BlockState> = {}): BlockState {
  return {
    id: `${driver}:${target}`,
    kind: 'ip',
    target,
    driver,
    state: 'active',
    reason: 'SSH brute force',
    createdBy: 'run:block-ssh-brute-force.a1',
    offense: 1,
    runId: 'block-ssh-brute-force.a1',
    alertIds: ['a1'],
    createdAt: '2026-03-01T09:00:00.000Z',
    updatedAt: '2026-03-01T09:00:00.000Z',
    expiresAt: '2026-03-01T11:00:00.000Z',
    verifiedAt: '2026-03-01T09:00:01.000Z',
    ...overrides,
  };
}

/** The /api/v1/blocks API behaviours, on the case store of `backend` (see test/api/backends.ts). */
export function describeBlocksApi(backend: StoreBackend): void {
  describe(`/api/v1/blocks (${backend})`, () => {
    let h: ResponseHarness;
    let viewer: string;
    let responder: string;

    beforeEach(async () => {
      h = await responseHarness(backend);
      viewer = await h.bearer('vera', ['viewer']);
      responder = await h.bearer('rob', ['responder']);
    });
    afterEach(async () => {
      await h.close();
    });

    const list = async (query = '') => {
      const response = await h.call(viewer, { method: 'GET', url: `/api/v1/blocks${query}` });
      expect(response.statusCode, response.body).toBe(200);
      return response.json<{ items: BlockView[]; total: number; nextCursor?: string }>();
    };

    it('lists active blocks by default, newest first, with the seconds each has left; filters and pages', async () => {
      await h.cases.blocks.create(block('edge', '203.0.113.7', { createdAt: '2026-03-01T09:00:01.000Z' }));
      await h.cases.blocks.create(block('edge', '2001:db8::/64', { createdAt: '2026-03-01T09:00:02.000Z', expiresAt: '2026-03-01T10:00:30.500Z' }));
      await h.cases.blocks.create(block('feed', '203.0.113.7', { createdAt: '2026-03-01T09:00:03.000Z', state: 'released', releasedBy: 'expiry', releasedAt: '2026-03-01T09:30:00.000Z' }));
      await h.cases.blocks.create(block('ldap', 'mallory', { kind: 'account', createdAt: '2026-03-01T09:00:04.000Z' }));
      // Past its expiry but not undone yet: still active, 0 seconds left.
      await h.cases.blocks.create(block('edge', '198.51.100.99', { createdAt: '2026-03-01T09:00:05.000Z', expiresAt: '2026-03-01T09:59:00.000Z' }));

      const active = await list();
      expect(active.items.map((b) => b.id)).toEqual(['edge:198.51.100.99', 'ldap:mallory', 'edge:2001:db8::/64', 'edge:203.0.113.7']);
      expect(active.items.map((b) => b.secondsLeft)).toEqual([0, 3600, 31, 3600]);
      expect(active.items[3]).toMatchObject({ offense: 1, runId: 'block-ssh-brute-force.a1', alertIds: ['a1'], verifiedAt: '2026-03-01T09:00:01.000Z' });

      h.clock.advance(600_000);
      expect((await list('?kind=ip&driver=edge&target=203.0.113.7')).items.map((b) => [b.id, b.secondsLeft])).toEqual([['edge:203.0.113.7', 3000]]);
      // A target is compared in canonical form: the /32 spelling finds the address.
      expect((await list('?target=203.0.113.7/32&state=all')).items.map((b) => b.id)).toEqual(['feed:203.0.113.7', 'edge:203.0.113.7']);
      expect((await list('?target=2001:DB8:0::/64')).items.map((b) => b.id)).toEqual(['edge:2001:db8::/64']);
      expect((await list('?kind=account')).items.map((b) => b.id)).toEqual(['ldap:mallory']);
      const released = await list('?state=released');
      expect(released.items.map((b) => b.id)).toEqual(['feed:203.0.113.7']);
      // Only an active block has time left.
      expect(released.items[0]?.secondsLeft).toBeUndefined();
      expect(released.items[0]).toMatchObject({ releasedBy: 'expiry' });
      expect((await list('?state=all')).total).toBe(5);

      const first = await list('?limit=2');
      expect(first.total).toBe(4);
      expect(first.items.map((b) => b.id)).toEqual(['edge:198.51.100.99', 'ldap:mallory']);
      const second = await list(`?limit=2&cursor=${encodeURIComponent(first.nextCursor ?? '')}`);
      expect(second.items.map((b) => b.id)).toEqual(['edge:2001:db8::/64', 'edge:203.0.113.7']);

      for (const bad of ['?state=gone', '?kind=host', '?limit=0', '?limit=201', `?target=${'x'.repeat(257)}`]) {
        expect((await h.call(viewer, { method: 'GET', url: `/api/v1/blocks${bad}` })).statusCode, bad).toBe(400);
      }
      const one = await h.call(viewer, { method: 'GET', url: `/api/v1/blocks/${encodeURIComponent('ldap:mallory')}` });
      expect(one.statusCode).toBe(200);
      expect(one.json<BlockView>()).toMatchObject({ kind: 'account', target: 'mallory', secondsLeft: 3000 });
      expect((await h.call(viewer, { method: 'GET', url: '/api/v1/blocks/edge:192.0.2.1' })).statusCode).toBe(404);
    });

    it('releases an active block on a responder’s request: released by them, audited with the reason', async () => {
      await h.cases.blocks.create(block('edge', '203.0.113.7'));
      const response = await h.call(responder, { method: 'POST', url: '/api/v1/blocks/edge:203.0.113.7/release', payload: { reason: 'our partner, mis-detected' } });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json<BlockView>()).toMatchObject({ id: 'edge:203.0.113.7', state: 'released', releasedBy: 'rob', releasedAt: '2026-03-01T10:00:00.000Z' });
      expect(response.json<BlockView>().secondsLeft).toBeUndefined();
      expect((await h.cases.blocks.get('edge:203.0.113.7'))?.state).toBe('released');
      // The person's request with its reason (the API), and the undo on the driver (the runner).
      const audit = (await h.cases.audit.list()).items;
      expect(audit.map((entry) => entry.action).sort()).toEqual(['block.release', 'response.undo']);
      expect(audit.find((entry) => entry.action === 'block.release')).toMatchObject({
        target: { type: 'block', id: 'edge:203.0.113.7' },
        details: { before: { state: 'active' }, after: { state: 'released', releasedBy: 'rob', releaseReason: 'our partner, mis-detected' } },
      });
      expect(audit.find((entry) => entry.action === 'response.undo')).toMatchObject({ actor: 'rob', details: { driver: 'edge', target: '203.0.113.7', verified: true } });

      // Released already: 409, nothing more audited.
      const again = await h.call(responder, { method: 'POST', url: '/api/v1/blocks/edge:203.0.113.7/release', payload: { reason: 'again' } });
      expect(again.statusCode).toBe(409);
      expect((await h.cases.audit.list()).total).toBe(2);
    });

    it('refuses a viewer (403), a missing or oversized reason (400), an unknown block (404)', async () => {
      await h.cases.blocks.create(block('edge', '203.0.113.7'));
      const release = (payload: unknown, authorization = responder) =>
        h.call(authorization, { method: 'POST', url: '/api/v1/blocks/edge:203.0.113.7/release', payload: payload as Record<string, unknown> });
      expect((await release({ reason: 'x' }, viewer)).statusCode).toBe(403);
      expect((await release({})).statusCode).toBe(400);
      expect((await release({ reason: 'x'.repeat(2001) })).statusCode).toBe(400);
      expect((await h.call(responder, { method: 'POST', url: '/api/v1/blocks/edge:192.0.2.1/release', payload: { reason: 'x' } })).statusCode).toBe(404);
      expect((await h.cases.blocks.get('edge:203.0.113.7'))?.state).toBe('active');
      expect((await h.cases.audit.list()).total).toBe(0);
    });
  });

  describe(`/api/v1/blocks without the response service (${backend})`, () => {
    it('lists blocks but answers 503 to a release, leaving the block active', async () => {
      const h = await responseHarness(backend, { response: false });
      try {
        const responder = await h.bearer('rob', ['responder']);
        await h.cases.blocks.create(block('edge', '203.0.113.7'));
        expect((await h.call(responder, { method: 'GET', url: '/api/v1/blocks' })).json<{ total: number }>().total).toBe(1);
        expect((await h.call(responder, { method: 'POST', url: '/api/v1/blocks/edge:203.0.113.7/release', payload: { reason: 'x' } })).statusCode).toBe(503);
        expect((await h.cases.blocks.get('edge:203.0.113.7'))?.state).toBe('active');
      } finally {
        await h.close();
      }
    });
  });
}
