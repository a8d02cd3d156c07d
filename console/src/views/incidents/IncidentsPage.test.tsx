import { screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderRoutes } from '../../test/render';
import { incidentFixture, json } from './fixtures';
import { IncidentsPage } from './IncidentsPage';
import { expectNoAxeViolations } from '../../test/axe';

const routes = [{ path: '/incidents', element: <IncidentsPage /> }];

afterEach(() => vi.unstubAllGlobals());

describe('IncidentsPage', () => {
  it('lists incidents with their SLA state and flags a breach', async () => {
    const breached = incidentFixture({
      id: 'inc-2',
      title: 'Malware on host web-01',
      sla: {
        acknowledge: { targetMs: 900_000, dueAt: '2026-03-01T10:15:00.000Z', elapsedMs: 3_600_000, state: 'breached' },
        resolve: { targetMs: 86_400_000, dueAt: '2999-01-01T00:00:00.000Z', elapsedMs: 3_600_000, state: 'ok' },
        breached: true,
        warning: false,
      },
    });
    const calm = incidentFixture();
    const fetchMock = vi.fn(async (_url: string) => json({ items: [breached, calm], total: 2 }));
    vi.stubGlobal('fetch', fetchMock);
    renderRoutes(routes, '/incidents?status=new&sla=breached');

    const table = await screen.findByRole('table', { name: /incidents/i });
    const rows = within(table).getAllByRole('row');
    const breachedRow = rows.find((row) => row.textContent?.includes('Malware on host web-01'));
    const calmRow = rows.find((row) => row.textContent?.includes('SSH brute force'));
    expect(within(breachedRow as HTMLElement).getByLabelText('SLA breached')).toBeTruthy();
    expect(breachedRow?.textContent).toMatch(/Ack late \d/);
    expect(within(breachedRow as HTMLElement).getByLabelText(/^Acknowledge SLA: breached .* ago/)).toBeTruthy();
    expect(within(calmRow as HTMLElement).queryByLabelText('SLA breached')).toBeNull();
    expect(calmRow?.textContent).toMatch(/Resolve \d+[dhms]/);
    expect(within(calmRow as HTMLElement).getByLabelText(/^Resolve SLA: .* left/)).toBeTruthy();
    await expectNoAxeViolations();
    // The filters of the URL go to the API.
    const url = String(fetchMock.mock.calls[0]?.[0]);
    expect(url).toContain('status=new');
    expect(url).toContain('sla=breached');
  });

  it('shows the API error and the empty state', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json({ error: 'forbidden', message: 'requires one of the roles: viewer' }, 403)));
    renderRoutes(routes, '/incidents');
    expect((await screen.findByRole('alert')).textContent).toContain('requires one of the roles: viewer');
  });

  it('says when nothing matches', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json({ items: [], total: 0 })));
    renderRoutes(routes, '/incidents');
    expect(await screen.findByText('No incidents')).toBeTruthy();
  });
});
