import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useLocation } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { renderRoutes } from '../../test/render';
import { AlertsPage } from './AlertsPage';
import { makeAlert, meAs, MockEventSource, stubFetch, type Call } from './test-fixtures';
import type { AlertView } from './types';
import { expectNoAxeViolations } from '../../test/axe';

/** The scroller's viewport height in jsdom (which lays nothing out). */
const VIEWPORT = 640;

function LocationProbe() {
  const location = useLocation();
  return <output data-testid="location">{location.search}</output>;
}

/** Serves `all` as GET /api/v1/alerts pages (offset cursors), and the bulk and auth routes. */
function serve(all: AlertView[], roles = ['analyst']): Call[] {
  return stubFetch((call) => {
    if (call.url.pathname === '/api/v1/auth/me') return meAs(roles);
    if (call.url.pathname === '/api/v1/alerts') {
      const offset = Number(call.url.searchParams.get('cursor') ?? 0);
      const limit = Number(call.url.searchParams.get('limit'));
      const items = all.slice(offset, offset + limit);
      return { items, total: all.length, ...(offset + limit < all.length ? { nextCursor: String(offset + limit) } : {}) };
    }
    if (call.url.pathname === '/api/v1/alerts/bulk/status') {
      const body = call.body as { ids: string[]; status: AlertView['status'] };
      return {
        results: body.ids.map((id) => ({ id, outcome: 'changed', alert: { ...all.find((a) => a.id === id)!, status: body.status, updatedAt: '2026-03-02T00:00:00.000Z' } })),
        changed: body.ids.length,
        failed: 0,
      };
    }
    if (call.url.pathname === '/api/v1/alerts/bulk/assign') {
      const body = call.body as { ids: string[]; assignee: string | null };
      return {
        results: body.ids.map((id) => {
          const { assignee: _old, ...alert } = all.find((a) => a.id === id)!;
          return { id, outcome: 'changed', alert: { ...alert, ...(body.assignee ? { assignee: body.assignee } : {}), updatedAt: '2026-03-02T00:00:00.000Z' } };
        }),
        changed: body.ids.length,
        failed: 0,
      };
    }
    if (call.url.pathname === '/api/v1/users/assignable') {
      return {
        items: [
          { id: 'bob', username: 'bob' },
          { id: 'carol', username: 'carol', displayName: 'Carol Chen' },
          { id: 'u-ana', username: 'ana', displayName: 'Ana Lyst' },
        ],
        truncated: false,
      };
    }
    return [404, { error: 'not_found', message: `no route ${call.url.pathname}` }];
  });
}

function renderQueue(path = '/alerts') {
  return renderRoutes(
    [
      {
        path: '/alerts',
        element: (
          <>
            <AlertsPage />
            <LocationProbe />
          </>
        ),
      },
      { path: '/alerts/:id', element: <p>detail page</p> },
    ],
    path,
  );
}

const bodyRows = () => screen.getAllByRole('row').filter((row) => row.hasAttribute('data-alert-id'));
const focusedRow = () => bodyRows().find((row) => row.getAttribute('aria-current') === 'true');

beforeEach(() => {
  MockEventSource.instances = [];
  vi.stubGlobal('EventSource', MockEventSource);
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', {
    configurable: true,
    get(this: HTMLElement) {
      return this.dataset.testid === 'alert-scroller' ? VIEWPORT : 0;
    },
  });
});

afterEach(() => {
  vi.unstubAllGlobals();
  delete (HTMLElement.prototype as { clientHeight?: number }).clientHeight;
  localStorage.clear();
});

describe('AlertsPage', () => {
  it('holds 10,000 alerts but puts only a window of rows in the DOM', async () => {
    const all = Array.from({ length: 10_000 }, (_, i) => makeAlert(i));
    serve(all);
    renderQueue();
    const table = await screen.findByRole('table');
    const scroller = screen.getByTestId('alert-scroller');
    // Scrolling to the end loads the next page, until all 10,000 are in the browser.
    for (let guard = 0; table.getAttribute('aria-rowcount') !== '10001' && guard < 60; guard++) {
      const before = table.getAttribute('aria-rowcount');
      await act(async () => {
        scroller.scrollTop = 32 * Number(before);
        fireEvent.scroll(scroller);
      });
      await waitFor(() => expect(table.getAttribute('aria-rowcount')).not.toBe(before));
    }
    expect(table.getAttribute('aria-rowcount')).toBe('10001');
    await act(async () => {
      scroller.scrollTop = 32 * 10_000 - VIEWPORT;
      fireEvent.scroll(scroller);
    });
    expect(bodyRows().length).toBeLessThan(80);
    expect(screen.getByText('SSH brute force 9999')).toBeTruthy();
    expect(screen.queryByText('SSH brute force 10')).toBeNull();
    await act(async () => {
      scroller.scrollTop = 32 * 5000;
      fireEvent.scroll(scroller);
    });
    await waitFor(() => expect(screen.getByText('SSH brute force 5005')).toBeTruthy());
    expect(bodyRows().length).toBeLessThan(80);
  }, 60_000);

  it('moves the focus with j/k and toggles the selection with x', async () => {
    serve(Array.from({ length: 5 }, (_, i) => makeAlert(i)));
    renderQueue();
    await screen.findByText('SSH brute force 0');
    const user = userEvent.setup();
    expect(focusedRow()?.getAttribute('data-alert-id')).toBe('al-0');
    await user.keyboard('jj');
    expect(focusedRow()?.getAttribute('data-alert-id')).toBe('al-2');
    await user.keyboard('k');
    expect(focusedRow()?.getAttribute('data-alert-id')).toBe('al-1');
    await user.keyboard('x');
    expect(screen.getByRole<HTMLInputElement>('checkbox', { name: /SSH brute force 1 \(al-1\)/ }).checked).toBe(true);
    expect(screen.getByText('1 selected')).toBeTruthy();
    await expectNoAxeViolations();
    await user.keyboard('x');
    expect(screen.getByRole<HTMLInputElement>('checkbox', { name: /SSH brute force 1 \(al-1\)/ }).checked).toBe(false);
    await user.keyboard('?');
    expect(await screen.findByRole('dialog', { name: 'Keyboard shortcuts' })).toBeTruthy();
    await expectNoAxeViolations();
  });

  it('puts the filters in the URL and asks the API for them', async () => {
    const calls = serve([makeAlert(1)]);
    renderQueue();
    await screen.findByText('SSH brute force 1');
    const user = userEvent.setup();
    await user.click(screen.getByRole('checkbox', { name: 'Acknowledged' }));
    await waitFor(() => expect(screen.getByTestId('location').textContent).toBe('?status=acknowledged'));
    await user.type(screen.getByRole('textbox', { name: 'Entity' }), '203.0.113.7{Enter}');
    await waitFor(() => expect(screen.getByTestId('location').textContent).toBe('?status=acknowledged&entity=203.0.113.7'));
    await waitFor(() => {
      const last = calls.filter((call) => call.url.pathname === '/api/v1/alerts').at(-1)!;
      expect(last.url.searchParams.getAll('status')).toEqual(['acknowledged']);
      expect(last.url.searchParams.get('q')).toBe('entities.source.ip:"203.0.113.7" or entities.user.name:"203.0.113.7" or entities.host.name:"203.0.113.7"');
    });
  });

  it('reads filters from a shared URL', async () => {
    const calls = serve([makeAlert(1)]);
    renderQueue('/alerts?severity=high&entity=user.name%3Droot&sort=count&order=asc');
    await screen.findByText('SSH brute force 1');
    const list = calls.find((call) => call.url.pathname === '/api/v1/alerts')!;
    expect(list.url.searchParams.getAll('severity')).toEqual(['high']);
    expect(list.url.searchParams.getAll('entity')).toEqual(['user.name=root']);
    expect(list.url.searchParams.get('sort')).toBe('count');
    expect(list.url.searchParams.get('order')).toBe('asc');
    expect(screen.getByRole('columnheader', { name: /Count/ }).getAttribute('aria-sort')).toBe('ascending');
  });

  it('acknowledges the selected alerts in one bulk request and shows the new status in place', async () => {
    const calls = serve(Array.from({ length: 4 }, (_, i) => makeAlert(i)));
    renderQueue();
    await screen.findByText('SSH brute force 0');
    const user = userEvent.setup();
    await user.click(screen.getByRole('checkbox', { name: /\(al-1\)/ }));
    await user.click(screen.getByRole('checkbox', { name: /\(al-3\)/ }));
    await user.click(screen.getByRole('button', { name: 'Acknowledge' }));
    await waitFor(() => expect(calls.some((call) => call.url.pathname === '/api/v1/alerts/bulk/status')).toBe(true));
    const bulk = calls.find((call) => call.url.pathname === '/api/v1/alerts/bulk/status')!;
    expect(bulk.method).toBe('POST');
    expect(bulk.body).toEqual({ ids: ['al-1', 'al-3'], status: 'acknowledged' });
    expect(bulk.headers['x-csrf-token']).toBe('csrf-1');
    const row = bodyRows().find((r) => r.getAttribute('data-alert-id') === 'al-3')!;
    await waitFor(() => expect(within(row).getByText('Acknowledged')).toBeTruthy());
    expect(within(bodyRows().find((r) => r.getAttribute('data-alert-id') === 'al-0')!).getByText('New')).toBeTruthy();
  });

  it('assigns the selected alerts to a user picked by name from the list, with the keyboard only', async () => {
    const calls = serve(Array.from({ length: 4 }, (_, i) => makeAlert(i)));
    renderQueue();
    await screen.findByText('SSH brute force 0');
    const user = userEvent.setup();
    await user.click(screen.getByRole('checkbox', { name: /\(al-1\)/ }));
    await user.click(screen.getByRole('checkbox', { name: /\(al-2\)/ }));
    await user.click(screen.getByRole('button', { name: 'Assign…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Assign 2 alerts' });
    const picker = within(dialog).getByRole('combobox', { name: 'Assign to' });
    await waitFor(() => expect(document.activeElement).toBe(picker));
    await user.keyboard('carol');
    await user.keyboard('{ArrowDown}{Enter}');
    await waitFor(() => expect((picker as HTMLInputElement).value).toBe('Carol Chen (carol)'));
    await expectNoAxeViolations();
    await user.click(within(dialog).getByRole('button', { name: 'Assign' }));
    await waitFor(() => expect(calls.some((call) => call.url.pathname === '/api/v1/alerts/bulk/assign')).toBe(true));
    expect(calls.find((call) => call.url.pathname === '/api/v1/alerts/bulk/assign')?.body).toEqual({ ids: ['al-1', 'al-2'], assignee: 'carol' });
    // The picker lists names only: no admin route was asked for users.
    expect(calls.some((call) => call.url.pathname === '/api/v1/users')).toBe(false);
    await waitFor(() => expect(within(bodyRows().find((r) => r.getAttribute('data-alert-id') === 'al-2')!).getByText('carol')).toBeTruthy());
  });

  it('offers Unassigned and Me first, and gives the focus back to the button that opened the dialog', async () => {
    const calls = serve([makeAlert(0, { assignee: 'bob' })]);
    renderQueue();
    await screen.findByText('SSH brute force 0');
    const user = userEvent.setup();
    const open = screen.getByRole('button', { name: 'Assign…' });
    open.focus();
    await user.keyboard('{Enter}');
    const dialog = await screen.findByRole('dialog', { name: 'Assign 1 alert' });
    const picker = within(dialog).getByRole('combobox', { name: 'Assign to' });
    // The alert's assignee is preselected; choosing it again changes nothing.
    await waitFor(() => expect((picker as HTMLInputElement).value).toBe('bob'));
    expect(within(dialog).getByRole<HTMLButtonElement>('button', { name: 'Assign' }).disabled).toBe(true);
    await user.click(picker);
    const listbox = await screen.findByRole('listbox', { name: 'Assign to', hidden: true });
    const options = within(listbox).getAllByRole('option', { hidden: true }).map((option) => option.textContent);
    expect(options.slice(0, 2)).toEqual(['Unassigned', 'Me (Ana Lyst (ana))']);
    expect(options).toContain('Carol Chen (carol)');
    await user.keyboard('{Escape}');
    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('dialog', { name: 'Assign 1 alert' })).toBeNull());
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Assign…' })));
    expect(calls.some((call) => call.url.pathname === '/api/v1/alerts/bulk/assign')).toBe(false);

    await user.keyboard('{Enter}');
    const again = await screen.findByRole('dialog', { name: 'Assign 1 alert' });
    await user.click(within(again).getByRole('combobox', { name: 'Assign to' }));
    await user.click(await screen.findByRole('option', { name: 'Unassigned', hidden: true }));
    await user.click(within(again).getByRole('button', { name: 'Unassign' }));
    await waitFor(() => expect(calls.find((call) => call.url.pathname === '/api/v1/alerts/bulk/assign')?.body).toEqual({ ids: ['al-0'], assignee: null }));
  });

  it('selects a range with shift-click', async () => {
    serve(Array.from({ length: 6 }, (_, i) => makeAlert(i)));
    renderQueue();
    await screen.findByText('SSH brute force 0');
    const user = userEvent.setup();
    await user.click(screen.getByRole('checkbox', { name: /\(al-1\)/ }));
    await user.keyboard('{Shift>}');
    await user.click(screen.getByRole('checkbox', { name: /\(al-4\)/ }));
    await user.keyboard('{/Shift}');
    expect(screen.getByText('4 selected')).toBeTruthy();
  });

  it('keeps the focused row when a live alert arrives, and updates changed alerts in place', async () => {
    serve(Array.from({ length: 5 }, (_, i) => makeAlert(i, i === 1 ? { incidentId: 'inc-7f3a9c' } : {})));
    renderQueue();
    await screen.findByText('SSH brute force 0');
    expect(screen.getByText('5 matching · 5 loaded')).toBeTruthy();
    // The incident column names the incident briefly; the id is in the link's name and title.
    const incident = within(bodyRows()[1]!).getByRole('link', { name: 'Incident inc-7f3a9c' });
    expect(incident.textContent).toBe('Incident');
    expect(incident.getAttribute('href')).toBe('/incidents/inc-7f3a9c');
    const user = userEvent.setup();
    await user.keyboard('jj');
    expect(focusedRow()?.getAttribute('data-alert-id')).toBe('al-2');
    const stream = MockEventSource.instances[0]!;
    expect(stream.url).toBe('/api/v1/stream/alerts');
    act(() => stream.emit('open'));
    expect(screen.getByRole('status', { name: 'Live updates: Live' })).toBeTruthy();

    const fresh = makeAlert(-1, { id: 'al-new', ruleTitle: 'Port scan from 198.51.100.9' });
    act(() => stream.emit('alert.created', { type: 'created', alert: fresh }));
    expect(await screen.findByText('1 new alert since you opened the queue.')).toBeTruthy();
    expect(screen.queryByText('Port scan from 198.51.100.9')).toBeNull();
    expect(bodyRows()[0]!.getAttribute('data-alert-id')).toBe('al-0');
    expect(focusedRow()?.getAttribute('data-alert-id')).toBe('al-2');

    act(() => stream.emit('alert.updated', { type: 'updated', alert: { ...makeAlert(3), status: 'closed', verdict: 'benign', updatedAt: '2026-03-02T00:00:00.000Z' } }));
    await waitFor(() => expect(within(bodyRows().find((r) => r.getAttribute('data-alert-id') === 'al-3')!).getByText('Closed')).toBeTruthy());

    await user.click(screen.getByRole('button', { name: 'Show it' }));
    expect(bodyRows()[0]!.getAttribute('data-alert-id')).toBe('al-new');
    // A live alert shown counts among the matching ones, not only the loaded ones.
    expect(screen.getByText('6 matching · 6 loaded')).toBeTruthy();
    expect(focusedRow()?.getAttribute('data-alert-id')).toBe('al-2');
    await user.keyboard('j');
    expect(focusedRow()?.getAttribute('data-alert-id')).toBe('al-3');
  });

  it('saves the current filters as a view and applies it', async () => {
    serve([makeAlert(1)]);
    renderQueue('/alerts?status=new&severity=critical');
    await screen.findByText('SSH brute force 1');
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Save view' }));
    await user.type(await screen.findByRole('textbox', { name: 'View name' }), 'Critical new{Enter}');
    expect(JSON.parse(localStorage.getItem('watchpost.alerts.savedViews')!)).toEqual([{ name: 'Critical new', query: 'status=new&severity=critical' }]);
    await user.click(screen.getByRole('button', { name: 'Clear filters' }));
    await waitFor(() => expect(screen.getByTestId('location').textContent).toBe(''));
    await user.click(screen.getByRole('button', { name: /Saved views/ }));
    await user.click(await screen.findByRole('menuitem', { name: 'Critical new' }));
    await waitFor(() => expect(screen.getByTestId('location').textContent).toBe('?status=new&severity=critical'));
  });

  it('shows the API error, and an empty state', async () => {
    stubFetch((call) => (call.url.pathname === '/api/v1/auth/me' ? meAs(['viewer']) : [400, { error: 'bad_request', code: 'WATCHPOST_ERR_QUERY_SYNTAX', message: 'from must be before to' }]));
    renderQueue('/alerts?from=2026-03-02&to=2026-03-01');
    expect(await screen.findByText('from must be before to')).toBeTruthy();
    vi.unstubAllGlobals();
  });

  it('shows an empty state when nothing matches, and viewers cannot triage', async () => {
    serve([], ['viewer']);
    renderQueue();
    expect(await screen.findByText('No alerts match these filters')).toBeTruthy();
    await waitFor(() => expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Acknowledge' }).disabled).toBe(true));
  });
});
