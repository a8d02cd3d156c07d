import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { expectNoAxeViolations } from '../../test/axe';
import { renderView } from '../../test/render';
import { generationState, lastEndedWeeks, MAX_WAIT_MS, POLL_MS, type Generation, type Report } from './reportsApi';
import { ReportsView } from './ReportsView';

const READY: Report = {
  id: 'weekly.2026-W46',
  kind: 'weekly',
  period: { week: '2026-W46', timeZone: 'Europe/Berlin', from: '2026-11-08T23:00:00.000Z', to: '2026-11-15T23:00:00.000Z' },
  requestedBy: 'schedule',
  status: 'ready',
  pages: 7,
  sizeBytes: 86_016,
  sha256: 'ab'.repeat(32),
  summary: { alerts: 1412, incidentsOpened: 9, blocked: 17 },
  mail: { sentAt: '2026-11-16T07:00:05.000Z', accepted: ['ciso@example.org', 'soc@example.org', 'it@example.org'] },
  createdAt: '2026-11-16T07:00:00.000Z',
  updatedAt: '2026-11-16T07:00:00.000Z',
};

const FAILED: Report = {
  id: 'weekly.2026-W45',
  kind: 'weekly',
  period: { week: '2026-W45', timeZone: 'Europe/Berlin', from: '2026-11-01T23:00:00.000Z', to: '2026-11-08T23:00:00.000Z' },
  requestedBy: 'ana',
  status: 'failed',
  error: 'the event store did not answer',
  createdAt: '2026-11-09T07:00:00.000Z',
  updatedAt: '2026-11-09T07:00:00.000Z',
};

/** The week the form offers first on the day the test runs. */
const LAST_WEEK = lastEndedWeeks(new Date())[0]!;

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

interface MockOptions {
  readonly roles?: string[];
  /** The list answers, in turn; the last one repeats. */
  readonly lists?: (() => Response)[];
  readonly post?: () => Response;
}

function mockApi({ roles = ['analyst'], lists = [() => json({ items: [READY, FAILED] })], post }: MockOptions = {}) {
  let listed = 0;
  const fetchMock = vi.fn(async (input: string, _init?: RequestInit) => {
    const url = new URL(input, 'http://localhost');
    if (url.pathname === '/api/v1/auth/me') return json({ principal: 'ana', roles, csrfToken: 'csrf-1' });
    if (url.pathname === '/api/v1/reports' && (_init?.method ?? 'GET') === 'GET') {
      const answer = lists[Math.min(listed, lists.length - 1)]!;
      listed += 1;
      return answer();
    }
    if (url.pathname === '/api/v1/reports' && _init?.method === 'POST') {
      return post ? post() : json({ id: `weekly.${LAST_WEEK.week}`, jobId: `weekly-report.${LAST_WEEK.week}.x`, week: LAST_WEEK.week }, 202);
    }
    return json({ error: 'not_found', message: `unexpected ${url.pathname}` }, 404);
  });
  vi.stubGlobal('fetch', fetchMock);
  return { fetchMock, listReads: () => listed };
}

function postCalls(fetchMock: ReturnType<typeof mockApi>['fetchMock']) {
  return fetchMock.mock.calls.filter(([, init]) => init?.method === 'POST');
}

describe('ReportsView', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('lists past reports: week and dates, status, pages, size, headline figures, mail, and a download link per ready report', async () => {
    mockApi({ roles: ['viewer'] });
    renderView(<ReportsView />);
    const table = await screen.findByRole('table', { name: 'Past reports' });
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(3);
    const ready = rows[1]!;
    expect(within(ready).getByText('2026-W46')).toBeTruthy();
    // Monday to Sunday in the report's own time zone, not the browser's.
    expect(within(ready).getByText('2026-11-09 – 2026-11-15')).toBeTruthy();
    expect(within(ready).getByText('ready')).toBeTruthy();
    expect(within(ready).getByText('7')).toBeTruthy();
    expect(within(ready).getByText('84 KB')).toBeTruthy();
    expect(within(ready).getByText((1412).toLocaleString())).toBeTruthy();
    expect(within(ready).getByText('9')).toBeTruthy();
    expect(within(ready).getByText('17')).toBeTruthy();
    expect(within(ready).getByText('Sent to 3 recipients')).toBeTruthy();
    expect(within(ready).getByText('ciso@example.org, soc@example.org +1 more')).toBeTruthy();
    const link = within(ready).getByRole('link', { name: 'Download report 2026-W46 (PDF, 84 KB)' });
    expect(link.getAttribute('href')).toBe('/api/v1/reports/weekly.2026-W46/pdf');
    expect(link.getAttribute('download')).toBe('watchpost-weekly-2026-W46.pdf');
    // A link is keyboard reachable by itself.
    link.focus();
    expect(document.activeElement).toBe(link);

    const failed = rows[2]!;
    expect(within(failed).getByText('failed')).toBeTruthy();
    expect(within(failed).getByText('the event store did not answer')).toBeTruthy();
    expect(within(failed).getByText('No PDF')).toBeTruthy();
    expect(within(failed).queryByRole('link')).toBeNull();
    await expectNoAxeViolations();
  });

  it('says so when there are no reports yet', async () => {
    mockApi({ lists: [() => json({ items: [] })] });
    renderView(<ReportsView />);
    expect(await screen.findByRole('heading', { name: 'No reports yet' })).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('shows the loading state, then the API error when the list cannot be read', async () => {
    mockApi({ lists: [() => json({ error: 'unavailable', code: 'WATCHPOST_ERR_STORE_UNAVAILABLE', message: 'the case store did not answer' }, 503)] });
    renderView(<ReportsView />);
    expect(screen.getByText('Loading reports…').closest('[role="status"]')).toBeTruthy();
    // A 5xx is retried once (after a second) before the error shows.
    const alert = await screen.findByRole('alert', undefined, { timeout: 4000 });
    expect(alert.textContent).toContain('Reports are not available');
    expect(alert.textContent).toContain('the case store did not answer');
    expect(alert.textContent).toContain('WATCHPOST_ERR_STORE_UNAVAILABLE');
  });

  it('shows a viewer the list but no generate form', async () => {
    const { fetchMock } = mockApi({ roles: ['viewer'] });
    renderView(<ReportsView />);
    expect(await screen.findByText(/Analysts and above generate reports/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Generate' })).toBeNull();
    expect(screen.queryByRole('combobox', { name: /week/i })).toBeNull();
    expect(await screen.findByRole('link', { name: /Download report 2026-W46/ })).toBeTruthy();
    expect(postCalls(fetchMock)).toEqual([]);
  });

  it('offers an analyst the last 12 ended weeks, the last full week first, and no mail option', async () => {
    mockApi({ roles: ['analyst'] });
    renderView(<ReportsView />);
    const select = await screen.findByRole<HTMLSelectElement>('combobox', { name: /week/i });
    expect(select.options).toHaveLength(12);
    expect(select.value).toBe(LAST_WEEK.week);
    expect(select.options[0]!.textContent).toBe(`${LAST_WEEK.week} (${LAST_WEEK.from} – ${LAST_WEEK.to}), last full week`);
    expect(screen.queryByRole('checkbox', { name: /mail/i })).toBeNull();
    await expectNoAxeViolations();
  });

  it('posts the chosen week without mail for an analyst, with the CSRF token', async () => {
    const { fetchMock } = mockApi({ roles: ['analyst'] });
    renderView(<ReportsView />);
    const user = userEvent.setup();
    const select = await screen.findByRole('combobox', { name: /week/i });
    const third = lastEndedWeeks(new Date())[2]!.week;
    await user.selectOptions(select, third);
    await user.click(screen.getByRole('button', { name: 'Generate' }));
    await vi.waitFor(() => expect(postCalls(fetchMock)).toHaveLength(1));
    const [url, init] = postCalls(fetchMock)[0]!;
    expect(url).toBe('/api/v1/reports');
    expect(JSON.parse(init?.body as string)).toEqual({ week: third, mail: false });
    expect((init?.headers as Record<string, string>)['x-csrf-token']).toBe('csrf-1');
  });

  it('lets an admin ask for the report to be mailed', async () => {
    const { fetchMock } = mockApi({ roles: ['admin'] });
    renderView(<ReportsView />);
    const user = userEvent.setup();
    await user.click(await screen.findByRole('checkbox', { name: /mail to recipients/i }));
    await user.click(screen.getByRole('button', { name: 'Generate' }));
    await vi.waitFor(() => expect(postCalls(fetchMock)).toHaveLength(1));
    expect(JSON.parse(postCalls(fetchMock)[0]![1]?.body as string)).toEqual({ week: LAST_WEEK.week, mail: true });
  });

  it('shows why a request was refused', async () => {
    mockApi({
      post: () => json({ error: 'bad_request', code: 'WATCHPOST_ERR_REPORT_INVALID', message: `week ${LAST_WEEK.week} has not ended yet` }, 400),
    });
    renderView(<ReportsView />);
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Generate' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Could not generate the report');
    expect(alert.textContent).toContain('has not ended yet');
    expect(alert.textContent).toContain('WATCHPOST_ERR_REPORT_INVALID');
  });

  it('polls the list after generating, shows progress, then the ready report, and stops polling', async () => {
    const made: Report = { ...READY, id: `weekly.${LAST_WEEK.week}`, period: { ...READY.period, week: LAST_WEEK.week }, mail: undefined, updatedAt: '2099-01-01T00:00:00.000Z' };
    // Before the request, while generating, then with the new record.
    const { listReads } = mockApi({
      lists: [() => json({ items: [READY] }), () => json({ items: [READY] }), () => json({ items: [made, READY] })],
    });
    renderView(<ReportsView />);
    await screen.findByRole('table', { name: 'Past reports' });
    expect(listReads()).toBe(1);
    await userEvent.setup().click(screen.getByRole('button', { name: 'Generate' }));
    expect((await screen.findByText(new RegExp(`Generating the report for ${LAST_WEEK.week}`))).closest('[role="status"]')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Generate' }).hasAttribute('disabled')).toBe(true);
    const done = await screen.findByText(`Report ${LAST_WEEK.week} is ready`, undefined, { timeout: 4 * POLL_MS });
    expect(done).toBeTruthy();
    expect(screen.getByRole('link', { name: `Download the new report for ${LAST_WEEK.week}` }).getAttribute('href')).toBe(`/api/v1/reports/weekly.${LAST_WEEK.week}/pdf`);
    expect(screen.getByRole('link', { name: new RegExp(`Download report ${LAST_WEEK.week}`) })).toBeTruthy();
    const reads = listReads();
    expect(reads).toBeGreaterThanOrEqual(3);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS + 500));
    expect(listReads()).toBe(reads);
  }, 15_000);
});

describe('generationState', () => {
  const generation: Generation = { id: 'weekly.2026-W47', week: '2026-W47', mail: false, requestedAt: 1_000_000, previousUpdatedAt: '2026-11-23T07:00:00.000Z' };
  const record = (overrides: Partial<Report>): Report => ({ ...READY, id: 'weekly.2026-W47', ...overrides });

  it('waits while the record is missing or unchanged, then follows it to ready or failed', () => {
    expect(generationState(generation, undefined, 1_000_500)).toBe('waiting');
    expect(generationState(generation, [READY], 1_000_500)).toBe('waiting');
    expect(generationState(generation, [record({ updatedAt: '2026-11-23T07:00:00.000Z' })], 1_000_500)).toBe('waiting');
    expect(generationState(generation, [record({ updatedAt: '2026-11-24T18:00:00.000Z' })], 1_000_500)).toBe('ready');
    expect(generationState(generation, [record({ updatedAt: '2026-11-24T18:00:00.000Z', status: 'failed' })], 1_000_500)).toBe('failed');
    const { previousUpdatedAt: _previous, ...first } = generation;
    expect(generationState(first, [record({})], 1_000_500)).toBe('ready');
  });

  it('gives up after two minutes', () => {
    expect(MAX_WAIT_MS).toBe(120_000);
    expect(generationState(generation, [READY], 1_000_000 + MAX_WAIT_MS - 1)).toBe('waiting');
    expect(generationState(generation, [READY], 1_000_000 + MAX_WAIT_MS)).toBe('timed-out');
  });
});

describe('lastEndedWeeks', () => {
  it('starts at the last full week and goes back twelve', () => {
    const weeks = lastEndedWeeks(new Date(2026, 10, 24, 18, 0));
    expect(weeks).toHaveLength(12);
    expect(weeks[0]).toEqual({ week: '2026-W47', from: '2026-11-16', to: '2026-11-22' });
    expect(weeks[11]).toEqual({ week: '2026-W36', from: '2026-08-31', to: '2026-09-06' });
  });

  it('treats Monday as the start of a new week and crosses years by ISO rules', () => {
    expect(lastEndedWeeks(new Date(2026, 10, 23, 0, 5))[0]?.week).toBe('2026-W47');
    expect(lastEndedWeeks(new Date(2026, 10, 22, 23, 55))[0]?.week).toBe('2026-W46');
    expect(lastEndedWeeks(new Date(2027, 0, 5, 12, 0))[0]).toEqual({ week: '2026-W53', from: '2026-12-28', to: '2027-01-03' });
    expect(lastEndedWeeks(new Date(2027, 0, 12, 12, 0))[0]?.week).toBe('2027-W01');
    expect(lastEndedWeeks(new Date(2021, 0, 5, 12, 0))[0]?.week).toBe('2020-W53');
    expect(lastEndedWeeks(new Date(2025, 11, 31, 12, 0))[0]?.week).toBe('2025-W52');
  });
});
