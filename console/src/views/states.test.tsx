import { screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { routes } from '../app/routes';
import { renderRoutes } from '../test/render';

/**
 * Every view has a loading, an error and an empty state (issue 8): each is rendered inside the
 * console's frame with the API answering slowly (never, here), with an error, and with nothing.
 */

const ME = { principal: 'root', roles: ['admin'], user: { id: 'root', username: 'root', roles: ['admin'] }, csrfToken: 'csrf-1' };
const FAILURE = 'the case store is down';

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** What an empty system answers: empty lists, no alerts in the stats, no metrics. */
function empty(url: URL): Response {
  if (url.pathname === '/metrics') return new Response('', { status: 200 });
  if (url.pathname === '/api/v1/alerts/stats') {
    return json(200, { from: '2026-02-01T00:00:00.000Z', to: '2026-02-02T00:00:00.000Z', bucket: '1h', buckets: [], total: 0, scanned: 0, truncated: false, topRules: [], topSources: [], incidents: { open: 0 } });
  }
  if (url.pathname === '/api/v1/response/breaker') return json(200, { id: 'breaker', state: 'closed' });
  const window = { from: '2026-02-01T00:00:00.000Z', to: '2026-02-02T00:00:00.000Z' };
  if (url.pathname === '/api/v1/events') return json(200, { events: [], total: 0 });
  if (url.pathname === '/api/v1/events/histogram') return json(200, { ...window, intervalMs: 60_000, buckets: [] });
  if (url.pathname === '/api/v1/events/terms') return json(200, { ...window, field: url.searchParams.get('field') ?? 'x', buckets: [] });
  return json(200, { items: [], total: 0 });
}

type Mode = 'loading' | 'error' | 'empty';

function stubApi(mode: Mode): void {
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string) => {
      const url = new URL(input, 'http://localhost');
      if (url.pathname === '/api/v1/auth/me') return json(200, ME);
      if (mode === 'loading') return new Promise<Response>(() => undefined);
      if (mode === 'error') return json(503, { error: 'unavailable', code: 'WATCHPOST_ERR_STORE_UNAVAILABLE', message: FAILURE });
      return empty(url);
    }),
  );
  vi.stubGlobal('EventSource', class { addEventListener(): void {} close(): void {} });
}

const VIEWS = [
  { name: 'Overview', path: '/', heading: 'Overview', empty: /No alerts in this range/ },
  { name: 'Alerts', path: '/alerts', heading: 'Alerts', empty: /No alerts match these filters/ },
  { name: 'Alert detail', path: '/alerts/al-1', heading: undefined, empty: undefined },
  { name: 'Incidents', path: '/incidents', heading: 'Incidents', empty: /No incident/i },
  { name: 'Incident detail', path: '/incidents/inc-1', heading: undefined, empty: undefined },
  { name: 'Search', path: '/search?q=user.name%3Aroot', heading: 'Search', empty: /No event/i },
  { name: 'Rules', path: '/rules', heading: 'Rules', empty: /No rule/i },
  { name: 'Response', path: '/response', heading: 'Response', empty: /No run|Nothing waits|No block/i },
  { name: 'Settings', path: '/settings', heading: 'Settings', empty: /No user/i },
] as const;

afterEach(() => vi.unstubAllGlobals());

describe('every view has a loading, an error and an empty state', () => {
  for (const view of VIEWS) {
    it(`${view.name}: loading`, async () => {
      stubApi('loading');
      renderRoutes(routes, view.path);
      const main = await screen.findByRole('main');
      await waitFor(() => expect(within(main).getAllByRole('status').some((status) => /loading|searching|counting/i.test(status.textContent ?? ''))).toBe(true), { timeout: 5000 });
      expect(within(main).queryByRole('alert')).toBeNull();
    });

    it(`${view.name}: error`, async () => {
      stubApi('error');
      renderRoutes(routes, view.path);
      const main = await screen.findByRole('main');
      await waitFor(() => expect(within(main).getAllByRole('alert').some((alert) => alert.textContent?.includes(FAILURE))).toBe(true), { timeout: 8000 });
    });

    if (view.empty) {
      const pattern = view.empty;
      it(`${view.name}: empty`, async () => {
        stubApi('empty');
        renderRoutes(routes, view.path);
        const main = await screen.findByRole('main');
        await waitFor(() => expect(within(main).getAllByRole('status').some((status) => pattern.test(status.textContent ?? ''))).toBe(true), { timeout: 5000 });
        expect(within(main).queryByRole('alert')).toBeNull();
        if (view.heading) expect(within(main).getByRole('heading', { level: 1, name: view.heading })).toBeTruthy();
      });
    }
  }
});
