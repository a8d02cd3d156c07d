import { act, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderView } from '../../test/render';
import { BUSY_POLL_MS, IDLE_POLL_MS, pollInterval, type Block, type Run } from './responseApi';
import { ResponseView } from './ResponseView';
import { expectNoAxeViolations } from '../../test/axe';

const PENDING: Run = {
  id: 'run-1',
  playbookId: 'block-ssh-brute-force',
  trigger: { alertId: 'al-1' },
  status: 'pending_approval',
  currentStep: 0,
  steps: [
    {
      id: 'block',
      action: 'block-ip',
      status: 'pending_approval',
      dryRun: false,
      attempts: 0,
      input: { ip: '10.0.0.5', ttl: '1h' },
      drivers: ['nftables'],
      approval: 'required',
      approvalReasons: ['internal-address'],
    },
  ],
  requestedBy: 'ana',
  createdAt: '2026-02-01T10:00:00.000Z',
  updatedAt: '2026-02-01T10:00:00.000Z',
};

const BLOCK: Block = {
  id: 'nftables:203.0.113.7',
  kind: 'ip',
  target: '203.0.113.7',
  driver: 'nftables',
  state: 'active',
  reason: 'SSH brute force',
  createdBy: 'playbook:block-ssh-brute-force',
  offense: 1,
  createdAt: '2026-02-01T10:00:00.000Z',
  expiresAt: '2026-02-01T11:00:00.000Z',
  secondsLeft: 125,
};

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function mockApi(approve: () => Response = () => json({ ...PENDING, status: 'queued' }), roles: string[] = ['approver']) {
  const fetchMock = vi.fn(async (input: string, _init?: RequestInit) => {
    const url = new URL(input, 'http://localhost');
    if (url.pathname === '/api/v1/runs' && url.searchParams.get('status') === 'pending_approval') return json({ items: [PENDING], total: 1 });
    if (url.pathname === '/api/v1/runs') return json({ items: [PENDING], total: 1 });
    if (url.pathname === '/api/v1/auth/me') return json({ principal: 'user:u1', roles, csrfToken: 'csrf-1' });
    if (url.pathname === '/api/v1/runs/run-1/approve') return approve();
    if (url.pathname === '/api/v1/blocks' && url.searchParams.get('kind') === 'ip') return json({ items: [BLOCK], total: 1 });
    if (url.pathname === '/api/v1/blocks') return json({ items: [], total: 0 });
    if (url.pathname === '/api/v1/response/breaker') return json({ id: 'breaker', state: 'open', reason: '20 blocks in 5 minutes' });
    return json({ error: 'not_found', message: `unexpected ${url.pathname}` }, 404);
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

describe('ResponseView', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('approves the step a run waits at with a POST naming the step', async () => {
    const fetchMock = mockApi();
    renderView(<ResponseView />);
    const table = await screen.findByRole('table', { name: 'Pending approvals' });
    expect(within(table).getByText('internal-address')).toBeTruthy();
    await expectNoAxeViolations();
    await userEvent.setup().click(await within(table).findByRole('button', { name: /Approve block-ssh-brute-force/ }));
    await vi.waitFor(() => {
      const call = fetchMock.mock.calls.find(([u]) => String(u).startsWith('/api/v1/runs/run-1/approve'));
      expect(call?.[0]).toBe('/api/v1/runs/run-1/approve?step=block');
      expect(call?.[1]?.method).toBe('POST');
    });
  });

  it('reads the runs and the blocks again after an approval, and shows the full approval reason', async () => {
    const fetchMock = mockApi();
    renderView(<ResponseView />);
    const table = await screen.findByRole('table', { name: 'Pending approvals' });
    await screen.findByRole('table', { name: 'Active blocks' });
    const reason = within(table).getByText('internal-address');
    // Not a truncating badge: the whole reason is the element's text.
    expect(reason.closest('.mantine-Badge-root')).toBeNull();
    const reads = (path: string) => fetchMock.mock.calls.filter(([u]) => String(u).startsWith(path)).length;
    const blocksBefore = reads('/api/v1/blocks');
    const runsBefore = reads('/api/v1/runs?');
    await userEvent.setup().click(await within(table).findByRole('button', { name: /Approve block-ssh-brute-force/ }));
    await vi.waitFor(() => {
      expect(reads('/api/v1/blocks')).toBeGreaterThan(blocksBefore);
      expect(reads('/api/v1/runs?')).toBeGreaterThan(runsBefore);
    });
  });

  it('hides every decision from a viewer: approvers decide, responders release, an admin closes the breaker', async () => {
    mockApi(undefined, ['viewer']);
    renderView(<ResponseView />);
    const approvals = await screen.findByRole('table', { name: 'Pending approvals' });
    expect(await within(approvals).findByText('Approvers decide')).toBeTruthy();
    expect(within(approvals).queryByRole('button')).toBeNull();
    const blocks = await screen.findByRole('table', { name: 'Active blocks' });
    expect(within(blocks).getByText('Responders release')).toBeTruthy();
    expect(within(blocks).queryByRole('button')).toBeNull();
    expect(await screen.findByText('An admin closes the breaker')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Close breaker' })).toBeNull();
  });

  it('shows an approver approve, reject and release, but not the admin-only breaker close', async () => {
    mockApi(undefined, ['approver']);
    renderView(<ResponseView />);
    const approvals = await screen.findByRole('table', { name: 'Pending approvals' });
    expect(await within(approvals).findByRole('button', { name: /Approve block-ssh-brute-force/ })).toBeTruthy();
    expect(within(approvals).getByRole('button', { name: /Reject block-ssh-brute-force/ })).toBeTruthy();
    expect(within(approvals).queryByText('Approvers decide')).toBeNull();
    const blocks = await screen.findByRole('table', { name: 'Active blocks' });
    expect(within(blocks).getByRole('button', { name: 'Release 203.0.113.7 on nftables' })).toBeTruthy();
    expect(await screen.findByText('An admin closes the breaker')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Close breaker' })).toBeNull();
  });

  it('shows an admin the breaker close', async () => {
    mockApi(undefined, ['admin']);
    renderView(<ResponseView />);
    expect(await screen.findByRole('button', { name: 'Close breaker' })).toBeTruthy();
  });

  it('polls every 3 s while a run is queued or running, every 30 s otherwise', () => {
    const page = (status: Run['status']) => ({ items: [{ ...PENDING, status }], total: 1 });
    expect(pollInterval(page('queued'))).toBe(BUSY_POLL_MS);
    expect(pollInterval(page('running'))).toBe(BUSY_POLL_MS);
    expect(pollInterval(page('succeeded'))).toBe(IDLE_POLL_MS);
    expect(pollInterval(page('pending_approval'))).toBe(IDLE_POLL_MS);
    expect(pollInterval(undefined)).toBe(IDLE_POLL_MS);
    expect(BUSY_POLL_MS).toBeLessThanOrEqual(3_000);
  });

  it('shows the API message when the requester tries to approve their own run (403)', async () => {
    mockApi(() => json({ error: 'forbidden', code: 'WATCHPOST_ERR_RUN_SELF_APPROVAL', message: 'ana requested run run-1 and may not decide it' }, 403));
    renderView(<ResponseView />);
    const table = await screen.findByRole('table', { name: 'Pending approvals' });
    await userEvent.setup().click(await within(table).findByRole('button', { name: /Approve block-ssh-brute-force/ }));
    expect(await screen.findByText('ana requested run run-1 and may not decide it')).toBeTruthy();
    expect(screen.getByText('WATCHPOST_ERR_RUN_SELF_APPROVAL')).toBeTruthy();
  });

  it("counts a block's time left down every second and shows the open breaker", async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    mockApi();
    renderView(<ResponseView />);
    const blocks = await screen.findByRole('table', { name: 'Active blocks' });
    expect(within(blocks).getByText('2m 05s')).toBeTruthy();
    act(() => {
      vi.advanceTimersByTime(3000);
    });
    expect(within(blocks).getByText('2m 02s')).toBeTruthy();
    expect(screen.getByText(/Circuit breaker open/)).toBeTruthy();
    expect(await screen.findByRole('heading', { name: 'No disabled accounts' })).toBeTruthy();
  });
});
