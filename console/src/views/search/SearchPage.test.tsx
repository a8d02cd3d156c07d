import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useLocation } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderRoutes } from '../../test/render';
import { csvCell, toCsv } from './csv';
import { SearchPage } from './SearchPage';
import { expectNoAxeViolations } from '../../test/axe';

function LocationProbe() {
  const location = useLocation();
  return <output data-testid="location">{location.search}</output>;
}
const routes = [
  {
    path: '/search',
    element: (
      <>
        <SearchPage />
        <LocationProbe />
      </>
    ),
  },
];

const EVENTS = [
  {
    '@timestamp': '2026-03-01T10:00:00.000Z',
    message: 'Failed password for root from 203.0.113.7',
    event: { id: 'e1', outcome: 'failure' },
    source: { ip: '203.0.113.7' },
    user: { name: 'root' },
  },
  {
    '@timestamp': '2026-03-01T09:59:00.000Z',
    message: 'He said "hi", then left\nsecond line',
    event: { id: 'e2', outcome: 'success' },
    user: { name: 'alice' },
  },
];

/** The events API at the network boundary; `search` may replace the answer of GET /api/v1/events. */
function stubApi(search: () => Response = () => json({ events: EVENTS, total: 2 })) {
  const urls: string[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string) => {
      urls.push(url);
      const path = url.split('?')[0];
      if (path === '/api/v1/events') return search();
      if (path === '/api/v1/events/histogram') {
        return json({ from: '2026-03-01T09:00:00.000Z', to: '2026-03-01T11:00:00.000Z', intervalMs: 3_600_000, buckets: [{ start: '2026-03-01T09:00:00.000Z', count: 2 }, { start: '2026-03-01T10:00:00.000Z', count: 0 }] });
      }
      if (path === '/api/v1/events/terms') {
        const field = new URL(url, 'http://x').searchParams.get('field');
        return json({ field, from: '', to: '', buckets: field === 'user.name' ? [{ value: 'root', count: 7 }, { value: 'alice', count: 2 }] : [] });
      }
      return json({ error: 'not_found', message: `no route ${url}` }, 404);
    }),
  );
  return urls;
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

const params = () => new URLSearchParams(screen.getByTestId('location').textContent ?? '');

afterEach(() => vi.unstubAllGlobals());

describe('SearchPage', () => {
  it('writes the query and the time range to the URL and searches with them', async () => {
    const user = userEvent.setup();
    const urls = stubApi();
    renderRoutes(routes, '/search');
    // A bare link gets the default range written into the URL.
    await waitFor(() => expect(params().get('from')).toBeTruthy());
    const box = screen.getByRole('combobox', { name: 'Query (KQL)' });
    await user.type(box, 'event.outcome:failure');
    await user.selectOptions(screen.getByRole('combobox', { name: 'Time range' }), '1h');
    await user.click(screen.getByRole('button', { name: 'Search' }));

    await waitFor(() => expect(params().get('q')).toBe('event.outcome:failure'));
    const from = Date.parse(params().get('from') as string);
    const to = Date.parse(params().get('to') as string);
    expect(to - from).toBe(3_600_000);
    expect(params().get('range')).toBe('1h');
    await waitFor(() => expect(urls.some((u) => u.startsWith('/api/v1/events?') && u.includes('q=event.outcome%3Afailure'))).toBe(true));
    expect(await screen.findByText('Failed password for root from 203.0.113.7')).toBeTruthy();
    await expectNoAxeViolations();
  });

  it('shows a syntax error with a caret at the column the API reports', async () => {
    stubApi(() =>
      json({ error: 'bad_request', code: 'WATCHPOST_ERR_QUERY_SYNTAX', message: 'invalid query at column 20: missing ")" to close the "(" at column 6', line: 1, column: 20 }, 400),
    );
    renderRoutes(routes, '/search?q=' + encodeURIComponent('a:1 and (b:2 or c:3') + '&from=2026-03-01T09:00:00Z&to=2026-03-01T11:00:00Z&range=custom');
    const caret = await screen.findByTestId('syntax-caret');
    expect(caret.textContent).toBe(`a:1 and (b:2 or c:3\n${' '.repeat(19)}^`);
    expect(screen.getByRole('alert').textContent).toContain('missing ")"');
    expect(screen.getByLabelText('Error at line 1, column 20')).toBeTruthy();
  });

  it('suggests values of the field being typed from the terms API', async () => {
    const user = userEvent.setup();
    const urls = stubApi();
    renderRoutes(routes, '/search?from=2026-03-01T09:00:00Z&to=2026-03-01T11:00:00Z&range=custom');
    const box = await screen.findByRole('combobox', { name: 'Query (KQL)' });
    await user.type(box, 'user.na');
    expect(within(await screen.findByRole('listbox', { name: 'Fields' })).getByRole('option', { name: 'user.name' })).toBeTruthy();
    await user.type(box, 'me:ro');
    const values = await screen.findByRole('listbox', { name: 'Values of user.name' });
    const option = await within(values).findByRole('option', { name: /root\s+\(7\)/ });
    expect(within(values).queryByRole('option', { name: /alice/ })).toBeNull();
    const terms = urls.filter((u) => u.startsWith('/api/v1/events/terms?'));
    expect(terms.some((u) => new URL(u, 'http://x').searchParams.get('field') === 'user.name')).toBe(true);
    await user.click(option);
    expect((box as HTMLInputElement).value).toBe('user.name:root ');
  });

  it('exports the loaded rows as CSV with quotes, commas and newlines escaped', async () => {
    const user = userEvent.setup();
    stubApi();
    let blob: Blob | undefined;
    const createObjectURL = vi.fn((b: Blob) => {
      blob = b;
      return 'blob:csv';
    });
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }));
    // jsdom cannot navigate to a download; the click itself is what a browser needs.
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    renderRoutes(routes, '/search?from=2026-03-01T09:00:00Z&to=2026-03-01T11:00:00Z&range=custom');
    await user.click(await screen.findByRole('button', { name: 'Export CSV' }));
    expect(createObjectURL).toHaveBeenCalledTimes(1);
    expect(click).toHaveBeenCalledTimes(1);
    click.mockRestore();
    const text = await new Promise<string>((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result as string);
      reader.readAsText(blob as Blob);
    });
    const [header] = text.split('\r\n');
    expect(header).toBe('@timestamp,message,event.id,event.outcome,source.ip,user.name');
    expect(text).toContain('2026-03-01T09:59:00.000Z,"He said ""hi"", then left\nsecond line",e2,success,,alice\r\n');
  });

  it('expands a row to all its fields', async () => {
    const user = userEvent.setup();
    stubApi();
    renderRoutes(routes, '/search?from=2026-03-01T09:00:00Z&to=2026-03-01T11:00:00Z&range=custom');
    const [first] = await screen.findAllByRole('button', { name: 'Show all fields' });
    await user.click(first as HTMLElement);
    const fields = screen.getByRole('table', { name: 'All fields of the event' });
    expect(within(fields).getByText('event.id')).toBeTruthy();
    expect(within(fields).getByText('e1')).toBeTruthy();
  });
});

describe('csv', () => {
  it('quotes cells with quotes, commas or line breaks and doubles the quotes', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('one\ntwo')).toBe('"one\ntwo"');
    expect(csvCell('cr\rlf')).toBe('"cr\rlf"');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(42)).toBe('42');
    expect(csvCell(['a', 'b'])).toBe('"[""a"",""b""]"');
    // A cell a spreadsheet would run as a formula is defused.
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(toCsv(['a', 'b'], [{ a: 'x,y', b: 1 }])).toBe('a,b\r\n"x,y",1\r\n');
  });
});
