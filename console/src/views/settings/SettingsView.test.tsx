import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { routes } from '../../app/routes';
import { renderRoutes } from '../../test/render';
import { expectNoAxeViolations } from '../../test/axe';

const NOW = '2026-03-01T10:00:00.000Z';

function json(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function me(role: string) {
  return { principal: 'u1', roles: [role], user: { id: 'u1', username: `${role}1`, roles: [role] }, csrfToken: 'csrf-s' };
}

interface Call {
  readonly url: string;
  readonly method: string;
  readonly body?: unknown;
}

/** The API as the route schemas answer; `overrides` replace an answer by "METHOD url". */
function stubApi(role: string, overrides: Record<string, () => Response> = {}) {
  const calls: Call[] = [];
  let neverBlock: { value: string; source: string; note?: string; id?: string }[] = [
    { value: '127.0.0.0/8', source: 'builtin' },
    { value: '192.0.2.1', source: 'store', note: 'gateway', id: 'nb-1' },
  ];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string, init?: RequestInit) => {
      const url = String(input);
      const method = init?.method ?? 'GET';
      const body = init?.body ? (JSON.parse(init.body as string) as unknown) : undefined;
      calls.push({ url, method, body });
      const override = overrides[`${method} ${url}`];
      if (override) return override();
      if (url === '/api/v1/auth/me') return json(200, me(role));
      if (url === '/api/v1/auth/methods') return json(200, { password: true, oidc: true });
      if (url.startsWith('/api/v1/users?'))
        return json(200, {
          items: [
            { id: 'admin', username: 'admin', roles: ['admin'], disabled: false, hasPassword: true, createdAt: NOW, updatedAt: NOW },
            { id: 'bob', username: 'bob', roles: ['analyst'], disabled: false, hasPassword: false, createdAt: NOW, updatedAt: NOW },
          ],
          total: 2,
        });
      if (url === '/api/v1/users/bob/disable' && method === 'POST') return json(200, { id: 'bob', username: 'bob', roles: ['analyst'], disabled: true, hasPassword: false, createdAt: NOW, updatedAt: NOW });
      if (url.startsWith('/api/v1/tokens?')) return json(200, { items: [], total: 0 });
      if (url === '/api/v1/tokens' && method === 'POST')
        return json(201, { token: { id: 't1', name: 'agent', userId: 'u1', roles: ['viewer'], revoked: false, status: 'active', createdAt: NOW }, secret: 'wp_t1_s3cr3t' });
      if (url.startsWith('/api/v1/suppressions?'))
        return json(200, {
          items: [
            { id: 's1', rule: 'ssh-brute-force', fields: { 'source.ip': '192.0.2.10' }, startsAt: NOW, expiresAt: '2026-03-08T10:00:00.000Z', author: 'alice', reason: 'scanner', suppressedCount: 12, state: 'in_force', createdAt: NOW, updatedAt: NOW },
          ],
          total: 1,
        });
      if (url === '/api/v1/response/never-block' && method === 'GET') return json(200, { items: neverBlock });
      if (url === '/api/v1/response/never-block' && method === 'POST') {
        const value = (body as { value: string }).value;
        neverBlock = [...neverBlock, { value, source: 'store', id: 'nb-2' }];
        return json(201, { id: 'nb-2', value, createdBy: 'u1', createdAt: NOW, updatedAt: NOW });
      }
      if (url === '/api/health') return json(200, { status: 'ok', version: '1.2.3', uptimeSeconds: 600, backends: { events: { kind: 'sqlite', state: 'up' }, queue: { kind: 'redis', state: 'degraded', detail: 'slow' } } });
      return json(404, { error: 'not_found', message: `no mock for ${method} ${url}` });
    }),
  );
  return calls;
}

afterEach(() => vi.unstubAllGlobals());

describe('SettingsView', () => {
  it('shows an admin every tab, the users, and disables one through the API', async () => {
    const calls = stubApi('admin');
    renderRoutes(routes, '/settings');
    const tabs = await screen.findByRole('tablist', { name: 'Settings sections' });
    expect(within(tabs).getAllByRole('tab').map((tab) => tab.textContent)).toEqual(['Users', 'API tokens', 'Suppressions', 'Never-block list', 'Single sign-on', 'Sources']);
    const table = await screen.findByRole('table', { name: 'Users' });
    expect(table.textContent).toContain('bob');
    expect(table.textContent).toContain('single sign-on');
    await expectNoAxeViolations();
    await userEvent.setup().click(screen.getByRole('button', { name: 'Disable bob' }));
    await waitFor(() => expect(calls.some((call) => call.method === 'POST' && call.url === '/api/v1/users/bob/disable')).toBe(true));
  });

  it('lets an admin change a user’s roles (PATCH with the new set) and shows the last-admin refusal', async () => {
    const calls = stubApi('admin', {
      'PATCH /api/v1/users/bob': () => json(200, { id: 'bob', username: 'bob', roles: ['analyst', 'responder'], disabled: false, hasPassword: false, createdAt: NOW, updatedAt: NOW }),
      'PATCH /api/v1/users/admin': () =>
        json(400, { error: 'bad_request', code: 'WATCHPOST_ERR_AUTH_LAST_ADMIN', message: 'admin is the last enabled admin; make another admin first' }),
    });
    renderRoutes(routes, '/settings?tab=users');
    const user = userEvent.setup();
    await screen.findByRole('table', { name: 'Users' });

    await user.click(screen.getByRole('button', { name: 'Edit roles of bob' }));
    let dialog = await screen.findByRole('dialog', { name: 'Change roles' });
    const save = within(dialog).getByRole('button', { name: 'Save roles' });
    expect((save as HTMLButtonElement).disabled).toBe(true); // nothing changed yet
    await user.click(within(dialog).getByLabelText(/Roles of bob/));
    // The dropdown sits in a portal beside the modal, so queries must look into hidden nodes.
    await user.click(await screen.findByRole('option', { name: 'responder', hidden: true }));
    await user.click(save);
    await waitFor(() => expect(calls.some((call) => call.method === 'PATCH')).toBe(true));
    expect(calls.find((call) => call.method === 'PATCH')).toEqual({ url: '/api/v1/users/bob', method: 'PATCH', body: { roles: ['analyst', 'responder'] } });
    await waitFor(() => expect(screen.queryByRole('dialog', { name: 'Change roles' })).toBeNull());

    await user.click(screen.getByRole('button', { name: 'Edit roles of admin' }));
    dialog = await screen.findByRole('dialog', { name: 'Change roles' });
    await user.click(within(dialog).getByLabelText(/Roles of admin/));
    await user.keyboard('{Backspace}'); // removes the admin pill
    expect(within(dialog).getByText('A user needs at least one role.')).toBeTruthy();
    await user.click(await screen.findByRole('option', { name: 'viewer', hidden: true }));
    await user.click(within(dialog).getByRole('button', { name: 'Save roles' }));
    const alert = await within(dialog).findByRole('alert');
    expect(alert.textContent).toContain('last enabled admin');
    expect(alert.textContent).toContain('WATCHPOST_ERR_AUTH_LAST_ADMIN');
    expect(calls.filter((call) => call.method === 'PATCH').at(-1)).toEqual({ url: '/api/v1/users/admin', method: 'PATCH', body: { roles: ['viewer'] } });
    expect(screen.getByRole('dialog', { name: 'Change roles' })).toBeTruthy();
  });

  it('hides what a viewer cannot use: no users or tokens tab, no delete buttons', async () => {
    stubApi('viewer');
    renderRoutes(routes, '/settings?tab=users');
    const tabs = await screen.findByRole('tablist', { name: 'Settings sections' });
    expect(within(tabs).queryByRole('tab', { name: 'Users' })).toBeNull();
    expect(within(tabs).queryByRole('tab', { name: 'API tokens' })).toBeNull();
    // An unknown or forbidden tab falls back to the first visible one.
    expect(screen.getByRole('tab', { name: 'Suppressions', selected: true })).toBeTruthy();
    const table = await screen.findByRole('table', { name: 'Suppressions' });
    expect(table.textContent).toContain('source.ip=192.0.2.10');
    expect(table.textContent).toContain('scanner');
    expect(screen.queryByRole('button', { name: /Delete suppression/ })).toBeNull();
  });

  it('follows the URL: ?tab=sources shows the backends and a tab click changes the URL-driven tab', async () => {
    stubApi('analyst');
    renderRoutes(routes, '/settings?tab=sources');
    const backends = await screen.findByRole('table', { name: 'Backends' });
    expect(backends.textContent).toContain('redis');
    expect(backends.textContent).toContain('degraded');
    await userEvent.setup().click(screen.getByRole('tab', { name: 'Single sign-on' }));
    expect(await screen.findByText('configured')).toBeTruthy();
  });

  it('creates an API token and shows its secret once', async () => {
    const calls = stubApi('analyst');
    renderRoutes(routes, '/settings?tab=tokens');
    const user = userEvent.setup();
    expect(await screen.findByText('No API tokens')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Create token' }));
    const dialog = await screen.findByRole('dialog', { name: 'Create an API token' });
    await user.type(within(dialog).getByLabelText(/Name/), 'agent');
    await user.click(within(dialog).getByRole('button', { name: 'Create token' }));
    expect((await screen.findByLabelText('New token secret')).textContent).toBe('wp_t1_s3cr3t');
    expect(calls.find((call) => call.method === 'POST' && call.url === '/api/v1/tokens')?.body).toEqual({ name: 'agent', roles: ['viewer'], expiresInDays: 90 });
  });

  it('lets an admin add to the never-block list and shows the API error of a bad value', async () => {
    stubApi('admin', {
      'POST /api/v1/response/never-block': () => json(400, { error: 'bad_request', code: 'WATCHPOST_ERR_RESPONSE_NEVER_BLOCK', message: 'not an address or CIDR: nope' }),
    });
    renderRoutes(routes, '/settings?tab=never-block');
    const user = userEvent.setup();
    const table = await screen.findByRole('table', { name: 'Never-block list' });
    expect(table.textContent).toContain('127.0.0.0/8');
    expect(screen.getByRole('button', { name: 'Delete 192.0.2.1' })).toBeTruthy();
    await user.type(screen.getByLabelText(/Address or CIDR/), 'nope');
    await user.click(screen.getByRole('button', { name: 'Add' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('not an address or CIDR: nope');
    expect(alert.textContent).toContain('WATCHPOST_ERR_RESPONSE_NEVER_BLOCK');
  });

  it('shows the error state with the API message when a list fails', async () => {
    stubApi('admin', { 'GET /api/v1/suppressions?state=in_force&limit=200': () => json(503, { error: 'unavailable', message: 'case store unavailable' }) });
    renderRoutes(routes, '/settings?tab=suppressions');
    // A 5xx is retried once (createQueryClient) before the error shows.
    expect((await screen.findByRole('alert', {}, { timeout: 5000 })).textContent).toContain('case store unavailable');
  });
});
