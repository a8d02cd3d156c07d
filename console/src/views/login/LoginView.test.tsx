import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { routes } from '../../app/routes';
import { renderRoutes } from '../../test/render';
import { expectNoAxeViolations } from '../../test/axe';

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

const USER = { id: 'alice', username: 'alice', roles: ['analyst'] };

/** The API: signed out until a login with `good-password`; `login` answers what the test asks. */
function stubApi(options: { oidc?: boolean; firstRun?: boolean; login?: (body: { username: string; password: string }) => Response } = {}) {
  let signedIn = false;
  const logins: unknown[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string, init?: RequestInit) => {
      const url = String(input);
      if (url === '/api/v1/auth/me')
        return signedIn ? json(200, { principal: 'alice', roles: ['analyst'], user: USER, csrfToken: 'c' }) : json(401, { error: 'unauthorized', message: 'authentication required' });
      if (url === '/api/v1/auth/methods') return json(200, { password: true, oidc: options.oidc ?? false, firstRun: options.firstRun ?? false });
      if (url === '/api/v1/auth/login') {
        const body = JSON.parse(init?.body as string) as { username: string; password: string };
        logins.push(body);
        const answer =
          options.login?.(body) ??
          (body.password === 'good-password'
            ? json(200, { user: USER, roles: ['analyst'], csrfToken: 'csrf-xyz' })
            : json(401, { error: 'unauthorized', message: 'wrong username or password' }));
        if (answer.status === 200) signedIn = true;
        return answer;
      }
      return json(404, { error: 'not_found', message: `no mock for ${url}` });
    }),
  );
  return logins;
}

afterEach(() => vi.unstubAllGlobals());

async function signIn(password: string) {
  const user = userEvent.setup();
  await user.type(await screen.findByLabelText(/Username/), 'alice');
  await user.type(screen.getByLabelText(/Password/), password);
  await user.click(screen.getByRole('button', { name: 'Sign in' }));
}

describe('LoginView', () => {
  it('signs in and goes to the page asked for in ?next', async () => {
    const logins = stubApi();
    renderRoutes(routes, '/login?next=%2Fsettings%3Ftab%3Dsuppressions');
    await signIn('good-password');
    expect(await screen.findByRole('heading', { name: 'Settings' })).toBeTruthy();
    expect(screen.getByRole('tab', { name: 'Suppressions', selected: true })).toBeTruthy();
    await expectNoAxeViolations();
    expect(logins).toEqual([{ username: 'alice', password: 'good-password' }]);
  });

  it('shows the API message when the password is wrong and stays on the page', async () => {
    stubApi();
    renderRoutes(routes, '/login');
    await signIn('bad');
    expect((await screen.findByRole('alert')).textContent).toContain('wrong username or password');
    expect(screen.getByRole('heading', { name: 'Sign in to Watchpost' })).toBeTruthy();
    await expectNoAxeViolations();
  });

  it('says how long to wait during a lockout (429 with Retry-After)', async () => {
    stubApi({ login: () => json(429, { error: 'too_many_requests', message: 'too many sign-in attempts; try again later' }, { 'retry-after': '30' }) });
    renderRoutes(routes, '/login');
    await signIn('whatever');
    expect((await screen.findByRole('alert')).textContent).toContain('Try again in 30 s');
  });

  it('offers single sign-on only when OIDC is configured, and the first-run hint only on a first run', async () => {
    stubApi({ oidc: true, firstRun: true });
    const view = renderRoutes(routes, '/login');
    const sso = await screen.findByRole('link', { name: 'Sign in with single sign-on' });
    expect(sso.getAttribute('href')).toBe('/api/v1/auth/oidc/login');
    expect(screen.getByText(/First start\?/).textContent).toContain('printed once in the terminal');
    view.unmount();
    stubApi({ oidc: false, firstRun: false });
    renderRoutes(routes, '/login');
    await screen.findByRole('button', { name: 'Sign in' });
    // The methods answer has arrived once its loading line is gone.
    await waitFor(() => expect(screen.queryByText('Checking single sign-on…')).toBeNull());
    expect(screen.queryByRole('link', { name: 'Sign in with single sign-on' })).toBeNull();
    expect(screen.queryByText(/First start\?/)).toBeNull();
  });

  it('never follows ?next off the console (no open redirect)', async () => {
    stubApi();
    renderRoutes(routes, '/login?next=%2F%2Fevil.example%2F');
    await signIn('good-password');
    expect(await screen.findByRole('navigation', { name: 'Main navigation' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Overview' }).getAttribute('aria-current')).toBe('page');
  });
});
