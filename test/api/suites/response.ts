import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { neverBlockId, type BreakerView } from '../../../api/routes/response/index.js';
import { STORE_LIST_CACHE_MS } from '../../../playbooks/safety/index.js';
import type { StoreBackend } from '../backends.js';
import { responseHarness, TEST_HOST, type ResponseHarness } from '../response-harness.js';

interface Item {
  readonly value: string;
  readonly source: string;
  readonly note?: string;
  readonly id?: string;
}

/** The /api/v1/response API behaviours (never-block list, circuit breaker), on the case store of `backend`. */
export function describeResponseApi(backend: StoreBackend): void {
  describe(`/api/v1/response (${backend})`, () => {
    let h: ResponseHarness;
    let viewer: string;
    let approver: string;
    let admin: string;

    beforeEach(async () => {
      h = await responseHarness(backend);
      viewer = await h.bearer('vera', ['viewer']);
      approver = await h.bearer('paul', ['approver']);
      admin = await h.bearer('ada', ['admin']);
    });
    afterEach(async () => {
      await h.close();
    });

    const neverBlock = async (): Promise<Item[]> => {
      const response = await h.call(viewer, { method: 'GET', url: '/api/v1/response/never-block' });
      expect(response.statusCode, response.body).toBe(200);
      return response.json<{ items: Item[] }>().items;
    };
    const add = (payload: unknown, authorization = admin) =>
      h.call(authorization, { method: 'POST', url: '/api/v1/response/never-block', payload: payload as Record<string, unknown> });

    it('shows the effective never-block list: built-in entries, this host, its gateway and name server', async () => {
      const items = await neverBlock();
      expect(items).toEqual(expect.arrayContaining([expect.objectContaining({ value: '127.0.0.0/8', source: 'builtin' }), expect.objectContaining({ value: '169.254.0.0/16', source: 'builtin' })]));
      expect(items.filter((item) => item.source !== 'builtin').map((item) => [item.source, item.value])).toEqual([
        ['host', TEST_HOST.addresses[0]],
        ['gateway', TEST_HOST.gateways[0]],
        ['dns', TEST_HOST.dnsServers[0]],
      ]);
      // Nothing in the list can be deleted but store entries.
      expect(items.every((item) => item.id === undefined)).toBe(true);
    });

    it('lets an admin add an address in canonical form, audited; the list shows it; the same address again is 409', async () => {
      const response = await add({ value: ' 2001:DB8:0:0::1/64 ', note: 'the VPN concentrators' });
      expect(response.statusCode, response.body).toBe(201);
      const entry = response.json<{ id: string; value: string; note: string; createdBy: string }>();
      expect(entry).toMatchObject({ id: neverBlockId('2001:db8::/64'), value: '2001:db8::/64', note: 'the VPN concentrators', createdBy: 'ada' });
      expect(await h.cases.neverBlock.get(entry.id)).toMatchObject({ value: '2001:db8::/64' });
      expect((await add({ value: '2001:db8::5/64' })).statusCode).toBe(409);

      // Within STORE_LIST_CACHE_MS every process's safety layer reads the store again.
      h.clock.advance(STORE_LIST_CACHE_MS);
      expect((await neverBlock()).filter((item) => item.source === 'store')).toEqual([{ value: '2001:db8::/64', source: 'store', note: 'the VPN concentrators', id: entry.id }]);

      const audit = (await h.cases.audit.list()).items;
      expect(audit.map((e) => [e.action, e.target?.type, e.target?.id])).toEqual([['never-block.add', 'never-block', entry.id]]);
      expect(audit[0]?.details).toMatchObject({ after: { value: '2001:db8::/64', createdBy: 'ada' } });
    });

    it('refuses anything but an address or CIDR (400 with the catalogue code), and non-admins (403)', async () => {
      for (const value of ['example.com', '10.0.0.0/33', '1.2.3', '10.0.0.1; rm -rf /', 'fe80::1%eth0']) {
        const response = await add({ value });
        expect(response.statusCode, value).toBe(400);
        expect(response.json(), value).toMatchObject({ code: 'WATCHPOST_ERR_ACTION_INPUT' });
      }
      expect((await add({ value: '10.0.0.1', note: 'x'.repeat(501) })).statusCode).toBe(400);
      expect((await add({ value: '10.0.0.1' }, approver)).statusCode).toBe(403);
      expect((await h.cases.neverBlock.list()).total).toBe(0);
      expect((await h.cases.audit.list()).total).toBe(0);
    });

    it('lets an admin delete a stored entry (audited), never a built-in or host one (404)', async () => {
      const id = (await add({ value: '192.0.2.0/24', note: 'partners' })).json<{ id: string }>().id;
      expect((await h.call(approver, { method: 'DELETE', url: `/api/v1/response/never-block/${id}` })).statusCode).toBe(403);
      const response = await h.call(admin, { method: 'DELETE', url: `/api/v1/response/never-block/${id}` });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({ id, value: '192.0.2.0/24' });
      expect(await h.cases.neverBlock.get(id)).toBeUndefined();
      expect((await h.call(admin, { method: 'DELETE', url: `/api/v1/response/never-block/${id}` })).statusCode).toBe(404);
      expect((await h.call(admin, { method: 'DELETE', url: '/api/v1/response/never-block/127.0.0.0' })).statusCode).toBe(404);
      const audit = (await h.cases.audit.list()).items;
      expect(audit.map((e) => e.action)).toEqual(['never-block.add', 'never-block.delete']);
      expect(audit[1]?.details).toMatchObject({ before: { value: '192.0.2.0/24', note: 'partners' } });
      h.clock.advance(STORE_LIST_CACHE_MS);
      expect((await neverBlock()).some((item) => item.source === 'store')).toBe(false);
    });

    it('shows the breaker (closed when it never opened); an admin closes an open one, audited by the safety layer', async () => {
      const read = async () => (await h.call(viewer, { method: 'GET', url: '/api/v1/response/breaker' })).json<BreakerView>();
      expect(await read()).toEqual({ id: 'breaker', state: 'closed' });
      // Closing a closed breaker changes nothing.
      expect((await h.call(admin, { method: 'POST', url: '/api/v1/response/breaker/close' })).json<BreakerView>().state).toBe('closed');
      expect((await h.cases.audit.list()).total).toBe(0);

      // Opened as the safety layer opens it when automatic blocks exceed the limits.
      const current = await h.cases.controls.get('breaker');
      const opened = { id: 'breaker', state: 'open' as const, reason: 'rate-limit: 21 automatic blocks in the last minute', openedAt: '2026-03-01T09:58:00.000Z', updatedAt: '2026-03-01T09:58:00.000Z' };
      if (current) await h.cases.controls.replace({ ...current, ...opened });
      else await h.cases.controls.create({ ...opened, createdAt: opened.openedAt });
      expect(await read()).toMatchObject({ state: 'open', reason: opened.reason, openedAt: opened.openedAt });

      expect((await h.call(approver, { method: 'POST', url: '/api/v1/response/breaker/close' })).statusCode).toBe(403);
      expect((await read()).state).toBe('open');
      const closed = await h.call(admin, { method: 'POST', url: '/api/v1/response/breaker/close' });
      expect(closed.statusCode, closed.body).toBe(200);
      expect(closed.json<BreakerView>()).toMatchObject({ state: 'closed', closedBy: 'ada' });
      expect(await read()).toMatchObject({ state: 'closed', closedBy: 'ada' });
      const audit = (await h.cases.audit.list()).items;
      expect(audit.map((e) => [e.action, e.actor, e.target?.id])).toEqual([['response.breaker.close', 'ada', 'breaker']]);
    });
  });

  describe(`/api/v1/response without the response service (${backend})`, () => {
    it('answers 503 to what needs the safety layer; store entries can still be managed', async () => {
      const h = await responseHarness(backend, { response: false });
      try {
        const admin = await h.bearer('ada', ['admin']);
        expect((await h.call(admin, { method: 'GET', url: '/api/v1/response/never-block' })).statusCode).toBe(503);
        expect((await h.call(admin, { method: 'GET', url: '/api/v1/response/breaker' })).statusCode).toBe(503);
        expect((await h.call(admin, { method: 'POST', url: '/api/v1/response/breaker/close' })).statusCode).toBe(503);
        expect((await h.call(admin, { method: 'POST', url: '/api/v1/response/never-block', payload: { value: '192.0.2.1' } })).statusCode).toBe(201);
      } finally {
        await h.close();
      }
    });
  });
}
