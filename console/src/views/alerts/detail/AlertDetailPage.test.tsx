import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderRoutes } from '../../../test/render';
import { makeAlert, meAs, stubFetch, type Call } from '../test-fixtures';
import type { AlertDetail } from '../types';
import { AlertDetailPage } from './AlertDetailPage';
import { splitOnValues } from './highlight';
import { expectNoAxeViolations } from '../../../test/axe';

const RAW = 'Mar  1 12:00:00 web-1 sshd[811]: Failed password for ROOT from 203.0.113.7 port 50022 ssh2 <img src=x onerror=alert(1)>';

function detail(author: string | undefined): AlertDetail {
  const alert = makeAlert(7, {
    id: 'al-7',
    ruleTitle: 'SSH brute force',
    entities: { 'source.ip': '203.0.113.7', 'user.name': 'root' },
    explanation: { selections: ['selection_failed'], matches: [{ field: 'source.ip', value: '203.0.113.7' }, { field: 'user.name', value: 'root' }] },
    incidentId: 'inc-1',
  });
  return {
    alert,
    explanation: {
      rule: { id: 'watchpost/ssh-bruteforce', title: 'SSH brute force', ...(author ? { author } : {}) },
      selections: ['selection_failed'],
      matches: alert.explanation.matches,
      entities: alert.entities,
      eventIds: ['ev-7'],
      eventIdsTruncated: false,
    },
    incident: { id: 'inc-1', title: 'Brute force from 203.0.113.7', status: 'investigating', severity: 'high' },
  };
}

const EVENT = {
  '@timestamp': '2026-03-01T12:00:00.000Z',
  event: { id: 'ev-7', original: RAW, kind: 'event', category: ['authentication'], outcome: 'failure' },
  source: { ip: '203.0.113.7', geo: { country_name: 'Netherlands', country_iso_code: 'NL', city_name: 'Amsterdam', location: { lat: 52.37, lon: 4.89 } } },
  user: { name: 'root' },
  host: { name: 'web-1' },
};

function serve(roles: string[], author: string | null = 'Florian Roth (Nextron Systems)'): Call[] {
  return stubFetch((call) => {
    const path = call.url.pathname;
    if (path === '/api/v1/auth/me') return meAs(roles);
    if (path === '/api/v1/alerts/al-7') return detail(author ?? undefined);
    if (path === '/api/v1/alerts/al-7/events') return { events: [EVENT], missing: [], eventIdsTruncated: false };
    if (path === '/api/v1/alerts') return { items: [makeAlert(7, { id: 'al-7' }), makeAlert(8, { id: 'al-8', ruleTitle: 'Sudo to root' })], total: 2 };
    if (path === '/api/v1/playbooks') {
      return {
        items: [
          { id: 'block-attacker', title: 'Block the attacker', enabled: true, dryRun: false, trigger: { on: 'alert' }, steps: [], source: { file: 'b.yml', line: 1 } },
          { id: 'incident-notify', title: 'Notify on incident', enabled: true, dryRun: false, trigger: { on: 'incident' }, steps: [], source: { file: 'n.yml', line: 1 } },
        ],
      };
    }
    if (path === '/api/v1/playbooks/block-attacker/run') {
      return [202, { id: 'run-1', playbookId: 'block-attacker', trigger: { alertId: 'al-7' }, status: 'pending', steps: [], createdAt: 'x', updatedAt: 'x' }];
    }
    return [404, { error: 'not_found', message: `no route ${path}` }];
  });
}

const renderDetail = () => renderRoutes([{ path: '/alerts/:id', element: <AlertDetailPage /> }], '/alerts/al-7');

afterEach(() => vi.unstubAllGlobals());

describe('AlertDetailPage', () => {
  it('explains why it fired, with the rule author, and marks the matched values in the raw line as text', async () => {
    serve(['viewer']);
    renderDetail();
    expect((await screen.findByTestId('rule-author')).textContent).toBe('Florian Roth (Nextron Systems)');
    expect(screen.getByText('watchpost/ssh-bruteforce')).toBeTruthy();
    expect(screen.getByText('T1110')).toBeTruthy();
    const raw = await screen.findByTestId('raw-line');
    const marks = [...raw.querySelectorAll('mark')].map((mark) => mark.textContent);
    expect(marks).toEqual(['ROOT', '203.0.113.7']);
    expect(raw.textContent).toBe(RAW);
    // The API's text is never HTML.
    expect(raw.querySelector('img')).toBeNull();
    expect(screen.getByText('Netherlands (NL)')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Brute force from 203.0.113.7' }).getAttribute('href')).toBe('/incidents/inc-1');
    expect(await screen.findByRole('link', { name: 'Sudo to root' })).toBeTruthy();
    // A viewer reads only.
    expect(screen.queryByRole('button', { name: 'Acknowledge' })).toBeNull();
    expect(screen.getByText(/triage needs the analyst role/)).toBeTruthy();
    await expectNoAxeViolations();
  });

  it('says when the rule names no author', async () => {
    serve(['viewer'], null);
    renderDetail();
    expect((await screen.findByTestId('rule-author')).textContent).toBe('Not stated by the rule');
  });

  it('filters the ECS fields', async () => {
    serve(['viewer']);
    renderDetail();
    const user = userEvent.setup();
    await user.type(await screen.findByRole('textbox', { name: 'Filter fields' }), 'geo.city');
    const table = screen.getByRole('table', { name: /ECS fields/ });
    expect(within(table).getByText('source.geo.city_name')).toBeTruthy();
    expect(within(table).queryByText('host.name')).toBeNull();
  });

  it('lets a responder run a playbook triggered on alerts and shows the run', async () => {
    const calls = serve(['responder']);
    renderDetail();
    const user = userEvent.setup();
    const chooser = await screen.findByRole('combobox', { name: 'Playbook' });
    await waitFor(() => expect(within(chooser).getByRole('option', { name: 'Block the attacker' })).toBeTruthy());
    expect(within(chooser).queryByRole('option', { name: 'Notify on incident' })).toBeNull();
    await user.selectOptions(chooser, 'block-attacker');
    await user.click(screen.getByRole('button', { name: 'Run playbook' }));
    expect((await screen.findByRole('link', { name: 'run-1' })).getAttribute('href')).toBe('/response?run=run-1');
    const run = calls.find((call) => call.url.pathname === '/api/v1/playbooks/block-attacker/run')!;
    expect(run.body).toEqual({ alertId: 'al-7' });
    await waitFor(() => expect(screen.getByRole('button', { name: 'Acknowledge' })).toBeTruthy());
  });

  it('shows the API error for an unknown alert', async () => {
    stubFetch((call) => (call.url.pathname === '/api/v1/auth/me' ? meAs(['viewer']) : [404, { error: 'not_found', code: 'WATCHPOST_ERR_STORE_NOT_FOUND', message: 'no alert al-7' }]));
    renderDetail();
    expect(await screen.findByText('no alert al-7')).toBeTruthy();
  });
});

describe('splitOnValues', () => {
  it('splits on every value, case-insensitively, longest first, and keeps the text whole', () => {
    const parts = splitOnValues('user root from 10.0.0.1 and 10.0.0.12', ['10.0.0.1', '10.0.0.12', 'ROOT', '']);
    expect(parts.filter((part) => part.match).map((part) => part.text)).toEqual(['root', '10.0.0.1', '10.0.0.12']);
    expect(parts.map((part) => part.text).join('')).toBe('user root from 10.0.0.1 and 10.0.0.12');
    expect(splitOnValues('nothing here', ['x.y'])).toEqual([{ text: 'nothing here', match: false }]);
  });
});
