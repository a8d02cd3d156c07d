import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderRoutes } from '../test/render';
import { routes } from './routes';
import { expectNoAxeViolations } from '../test/axe';

const ME = {
  principal: 'alice',
  roles: ['analyst'],
  user: { id: 'alice', username: 'alice', displayName: 'Alice Analyst', roles: ['analyst'] },
  csrfToken: 'csrf-1',
  session: { createdAt: '2026-01-01T00:00:00.000Z', lastSeenAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-02T00:00:00.000Z' },
};

function json(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** The API at the network boundary: the session answers `me` (or 401), logout answers 204. */
function stubApi(me: unknown) {
  const calls: { url: string; method: string; headers: Record<string, string> }[] = [];
  let signedIn = me !== undefined;
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string, init?: RequestInit) => {
      const url = String(input);
      calls.push({ url, method: init?.method ?? 'GET', headers: (init?.headers ?? {}) as Record<string, string> });
      if (url === '/api/v1/auth/me') return signedIn ? json(200, me) : json(401, { error: 'unauthorized', message: 'authentication required' });
      if (url === '/api/v1/auth/methods') return json(200, { password: true, oidc: false });
      if (url === '/api/v1/auth/logout') {
        signedIn = false;
        return new Response(null, { status: 204 });
      }
      return json(404, { error: 'not_found', message: `no mock for ${url}` });
    }),
  );
  return calls;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('Layout', () => {
  it('shows the navigation with every view and marks the current one', async () => {
    stubApi(ME);
    renderRoutes(routes, '/incidents');
    const nav = await screen.findByRole('navigation', { name: 'Main navigation' });
    for (const label of ['Overview', 'Alerts', 'Incidents', 'Search', 'Rules', 'Response', 'Reports', 'Settings']) {
      expect(nav.textContent).toContain(label);
    }
    expect(screen.getByRole('link', { name: 'Incidents' }).getAttribute('aria-current')).toBe('page');
    expect(screen.getByRole('main')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Skip to content' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Account: Alice Analyst analyst' })).toBeTruthy();
    await expectNoAxeViolations();
  });

  it('sends a signed-out visitor to the sign-in page with the way back', async () => {
    stubApi(undefined);
    renderRoutes(routes, '/alerts/42?view=mine');
    expect(await screen.findByRole('heading', { name: 'Sign in to Watchpost' })).toBeTruthy();
    expect(screen.queryByRole('navigation', { name: 'Main navigation' })).toBeNull();
  });

  it('toggles the colour scheme with a labelled button', async () => {
    stubApi(ME);
    renderRoutes(routes, '/');
    const user = userEvent.setup();
    const toggle = await screen.findByRole('button', { name: /Switch to (light|dark) theme/ });
    const before = toggle.getAttribute('aria-label');
    await user.click(toggle);
    await waitFor(() => expect(screen.getByRole('button', { name: /Switch to (light|dark) theme/ }).getAttribute('aria-label')).not.toBe(before));
  });

  it('opens the keyboard shortcuts dialog on ?', async () => {
    stubApi(ME);
    renderRoutes(routes, '/');
    const user = userEvent.setup();
    await screen.findByRole('navigation', { name: 'Main navigation' });
    await user.keyboard('?');
    const dialog = await screen.findByRole('dialog', { name: 'Keyboard shortcuts' });
    expect(dialog.textContent).toContain('Show this list of keyboard shortcuts');
    await expectNoAxeViolations();
  });

  it("lists the alert queue's shortcuts in the one help dialog that ? opens on /alerts", async () => {
    stubApi(ME);
    vi.stubGlobal('EventSource', class { addEventListener() {} close() {} });
    renderRoutes(routes, '/alerts');
    const user = userEvent.setup();
    await screen.findByRole('heading', { name: 'Alerts' });
    await user.keyboard('?');
    const dialog = await screen.findByRole('dialog', { name: 'Keyboard shortcuts' });
    expect(within(dialog).getByRole('table', { name: 'Alert queue shortcuts' }).textContent).toContain('Focus the next alert');
    expect(screen.getAllByRole('dialog', { name: 'Keyboard shortcuts' })).toHaveLength(1);
    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('dialog', { name: 'Keyboard shortcuts' })).toBeNull());
    // The header button opens the same list.
    await user.click(screen.getByRole('button', { name: 'Keyboard shortcuts (?)' }));
    expect(within(await screen.findByRole('dialog', { name: 'Keyboard shortcuts' })).getByText('Open the focused alert')).toBeTruthy();
  });

  it('signs out through the API with the CSRF token and returns to the sign-in page', async () => {
    const calls = stubApi(ME);
    renderRoutes(routes, '/');
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Account: Alice Analyst analyst' }));
    await user.click(await screen.findByRole('menuitem', { name: 'Sign out' }));
    expect(await screen.findByRole('heading', { name: 'Sign in to Watchpost' })).toBeTruthy();
    const logout = calls.find((call) => call.url === '/api/v1/auth/logout');
    expect(logout?.method).toBe('POST');
    expect(logout?.headers['x-csrf-token']).toBe('csrf-1');
  });
});
