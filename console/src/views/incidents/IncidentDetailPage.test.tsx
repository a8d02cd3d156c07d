import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderRoutes } from '../../test/render';
import { incidentFixture, json, timelineEntry } from './fixtures';
import { IncidentDetailPage } from './IncidentDetailPage';
import type { IncidentDetail, TimelineEntry } from './types';
import { expectNoAxeViolations } from '../../test/axe';

const routes = [{ path: '/incidents/:id', element: <IncidentDetailPage /> }];

interface Call {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

/**
 * The API at the network boundary: GET of the incident (the current revision), its timeline and
 * /auth/me as an analyst; writes answered by `onWrite`. Every request is recorded.
 */
function stubApi(options: { incident: () => IncidentDetail; timeline?: TimelineEntry[]; onWrite?: (call: Call) => Response; users?: () => Response }) {
  const calls: Call[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit = {}) => {
      const call: Call = {
        method: init.method ?? 'GET',
        url,
        headers: (init.headers ?? {}) as Record<string, string>,
        body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
      };
      calls.push(call);
      if (url.startsWith('/api/v1/auth/me')) return json({ principal: 'alice', roles: ['analyst'] });
      if (url.startsWith('/api/v1/users/assignable')) return options.users ? options.users() : json(ASSIGNABLE);
      if (call.method === 'GET' && url.includes('/timeline')) return json({ items: options.timeline ?? [], total: options.timeline?.length ?? 0 });
      if (call.method === 'GET') return json(options.incident());
      return options.onWrite ? options.onWrite(call) : json({ incident: options.incident(), timeline: [] });
    }),
  );
  return calls;
}

afterEach(() => vi.unstubAllGlobals());

const ASSIGNABLE = {
  items: [
    { id: 'alice', username: 'alice' },
    { id: 'bob', username: 'bob' },
    { id: 'dora', username: 'dora', displayName: 'Dora Diaz' },
  ],
  truncated: false,
};

describe('IncidentDetailPage', () => {
  it('asks for a verdict before closing and sends it with the revision', async () => {
    const user = userEvent.setup();
    const calls = stubApi({ incident: () => incidentFixture() });
    renderRoutes(routes, '/incidents/inc-1');
    await screen.findByRole('heading', { name: 'SSH brute force from 203.0.113.7' });
    await expectNoAxeViolations();

    await user.selectOptions(await screen.findByRole('combobox', { name: 'Status' }), 'closed');
    const dialog = await screen.findByRole('dialog', { name: 'Close the incident' });
    await expectNoAxeViolations();
    const confirm = within(dialog).getByRole('button', { name: 'Close incident' });
    expect((confirm as HTMLButtonElement).disabled).toBe(true);
    await user.click(confirm);
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);

    await user.click(within(dialog).getByRole('radio', { name: 'False positive' }));
    await user.click(confirm);
    await waitFor(() => expect(calls.some((c) => c.method === 'POST')).toBe(true));
    const post = calls.find((c) => c.method === 'POST') as Call;
    expect(post.url).toBe('/api/v1/incidents/inc-1/status');
    expect(post.body).toEqual({ status: 'closed', verdict: 'false_positive' });
    expect(post.headers['if-match']).toBe('"3"');
  });

  it('on 412 reloads the incident and tells the analyst their change was not saved', async () => {
    const user = userEvent.setup();
    let rev = '3';
    const calls = stubApi({
      incident: () => incidentFixture({ rev, severity: rev === '3' ? 'high' : 'critical' }),
      onWrite: (call) => {
        if (rev === '3') rev = '4'; // someone else wrote just before this request
        if (call.headers['if-match'] !== `"${rev}"`) {
          return json({ error: 'precondition_failed', code: 'WATCHPOST_ERR_STORE_CONFLICT', message: `incident inc-1 changed since revision 3; read it again (now ${rev})` }, 412);
        }
        return json({ incident: incidentFixture({ rev: '5' }), timeline: [] });
      },
    });
    renderRoutes(routes, '/incidents/inc-1');
    await screen.findByRole('heading', { name: 'SSH brute force from 203.0.113.7' });
    const gets = () => calls.filter((c) => c.method === 'GET' && c.url === '/api/v1/incidents/inc-1').length;
    const before = gets();

    await user.selectOptions(await screen.findByRole('combobox', { name: 'Severity' }), 'low');

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/changed this incident since you opened it/);
    expect(alert.textContent).toMatch(/reloaded/);
    await waitFor(() => expect(gets()).toBeGreaterThan(before));
    // The reloaded revision shows, and the next write carries it.
    await waitFor(() => expect(screen.getByRole<HTMLSelectElement>('combobox', { name: 'Severity' }).value).toBe('critical'));
    const patches = () => calls.filter((c) => c.method === 'PATCH');
    expect(patches()[0]?.headers['if-match']).toBe('"3"');
    expect(patches()[0]?.body).toEqual({ severity: 'low' });
    await user.selectOptions(screen.getByRole('combobox', { name: 'Severity' }), 'medium');
    await waitFor(() => expect(patches()).toHaveLength(2));
    expect(patches()[1]?.headers['if-match']).toBe('"4"');
    await waitFor(() => expect(screen.queryByText(/changed this incident since you opened it/)).toBeNull());
  });

  it('renders a comment as Markdown: raw HTML in it stays text, unsafe links are dropped', async () => {
    const body = 'See **this**:\n<script>window.pwned = true</script>\n<img src=x onerror=alert(1)> [evil](javascript:alert(1)) [ok](https://wiki.example/)';
    stubApi({ incident: () => incidentFixture(), timeline: [timelineEntry({ id: 'c1', kind: 'comment', actor: 'bob', body })] });
    const { container } = renderRoutes(routes, '/incidents/inc-1');
    const rendered = await screen.findByTestId('comment-body');
    expect(rendered.querySelector('strong')?.textContent).toBe('this');
    expect(rendered.textContent).toContain('<script>window.pwned = true</script>');
    expect(rendered.textContent).toContain('<img src=x onerror=alert(1)>');
    expect(container.querySelector('script')).toBeNull();
    expect(container.querySelector('img')).toBeNull();
    expect(within(rendered).getAllByRole('link').map((link) => link.getAttribute('href'))).toEqual(['https://wiki.example/']);
    expect((window as { pwned?: boolean }).pwned).toBeUndefined();
  });

  it('posts a new comment as it was written', async () => {
    const user = userEvent.setup();
    const calls = stubApi({ incident: () => incidentFixture() });
    renderRoutes(routes, '/incidents/inc-1');
    const box = await screen.findByRole('textbox', { name: 'Comment' });
    await user.type(box, 'line one{enter}line *two*');
    await user.click(screen.getByRole('button', { name: 'Comment' }));
    await waitFor(() => expect(calls.some((c) => c.url === '/api/v1/incidents/inc-1/comments')).toBe(true));
    expect(calls.find((c) => c.url.endsWith('/comments'))?.body).toEqual({ body: 'line one\nline *two*' });
  });

  it('reassigns from a searchable list of users with the revision, and offers "Assign to me" to others', async () => {
    const user = userEvent.setup();
    const calls = stubApi({ incident: () => incidentFixture() });
    renderRoutes(routes, '/incidents/inc-1');
    const picker = await screen.findByRole('combobox', { name: 'Assignee' });
    await waitFor(() => expect((picker as HTMLInputElement).value).toBe('Me (alice)'));
    // Already assigned to the signed-in analyst: no "Assign to me", and nothing to save yet.
    expect(screen.queryByRole('button', { name: 'Assign to me' })).toBeNull();
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Assign' }).disabled).toBe(true);
    await user.click(picker);
    await user.keyboard('dora{ArrowDown}{Enter}');
    await waitFor(() => expect((picker as HTMLInputElement).value).toBe('Dora Diaz (dora)'));
    await user.click(screen.getByRole('button', { name: 'Assign' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'PATCH')).toBe(true));
    const patch = calls.find((c) => c.method === 'PATCH') as Call;
    expect(patch.url).toBe('/api/v1/incidents/inc-1');
    expect(patch.body).toEqual({ assignee: 'dora' });
    expect(patch.headers['if-match']).toBe('"3"');
  });

  it('still offers Unassigned and Me when the users cannot be listed, and says why the rest are missing', async () => {
    const user = userEvent.setup();
    const calls = stubApi({ incident: () => incidentFixture({ assignee: 'bob' }), users: () => json({ error: 'unavailable', message: 'this process has no case store' }, 503) });
    renderRoutes(routes, '/incidents/inc-1');
    const picker = await screen.findByRole('combobox', { name: 'Assignee' });
    expect(await screen.findByText(/Could not load the users: this process has no case store/)).toBeTruthy();
    expect(picker.getAttribute('aria-invalid')).toBe('true');
    // The current assignee still shows although the list did not load.
    expect((picker as HTMLInputElement).value).toBe('bob');
    await user.click(screen.getByRole('button', { name: 'Assign to me' }));
    await waitFor(() => expect(calls.find((c) => c.method === 'PATCH')?.body).toEqual({ assignee: 'alice' }));
  });

  it('shows the API error when the incident does not exist', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json({ error: 'not_found', message: 'no incident nope' }, 404)));
    renderRoutes(routes, '/incidents/nope');
    expect((await screen.findByRole('alert')).textContent).toContain('no incident nope');
  });
});
