import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderView } from '../../test/render';
import type { RuleSummary } from './rulesApi';
import { RulesView } from './RulesView';
import { expectNoAxeViolations } from '../../test/axe';

const RULES: RuleSummary[] = [
  {
    key: 'ssh-brute-force',
    id: 'ssh-brute-force',
    title: 'SSH brute force',
    level: 'high',
    author: 'Watchpost',
    tags: ['attack.credential_access', 'attack.t1110'],
    kind: 'correlation',
    origin: 'shipped',
    enabled: true,
    active: true,
  },
  {
    key: 'port-scan',
    id: 'port-scan',
    title: 'Port scan',
    level: 'low',
    author: 'Watchpost',
    tags: ['attack.discovery'],
    kind: 'detection',
    origin: 'shipped',
    enabled: false,
    active: false,
  },
];

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function mockApi(rules: RuleSummary[] = RULES, roles: string[] = ['approver']) {
  const fetchMock = vi.fn(async (input: string, init?: RequestInit) => {
    const url = new URL(input, 'http://localhost');
    if (url.pathname === '/api/v1/auth/me') return json({ principal: 'user:u1', roles, csrfToken: 'csrf-1' });
    if (url.pathname === '/api/v1/rules') return json({ items: rules, total: rules.length });
    if (url.pathname === '/api/v1/rules/test') {
      const body = JSON.parse(init?.body as string) as { yaml: string };
      if (body.yaml.includes('nosuchmodifier')) {
        return json(
          {
            error: 'bad_request',
            code: 'WATCHPOST_ERR_RULE_INVALID',
            message: 'test/rule.yml:13:9: error unknown-modifier',
            problems: [{ message: 'error unknown-modifier: nosuchmodifier is not a Sigma modifier', location: { file: 'test/rule.yml', line: 13, col: 9 } }],
          },
          400,
        );
      }
      return json({ rules: ['x'], events: [{ index: 0, logsources: [], matches: [] }], correlations: [], problems: [] });
    }
    if (/^\/api\/v1\/rules\/[^/]+\/(enable|disable)$/.test(url.pathname)) return json({ key: 'port-scan', enabled: true, updatedBy: 'ana', updatedAt: '2026-02-01T10:00:00Z', note: 'x' });
    return json({ error: 'not_found', message: `unexpected ${url.pathname}` }, 404);
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

describe('RulesView', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('lists rules, filters by the URL, and counts coverage per tactic from enabled rules', async () => {
    mockApi();
    renderView(<RulesView />, '/rules?q=port');
    const table = await screen.findByRole('table', { name: 'Rules' });
    expect(within(table).getByText('Port scan')).toBeTruthy();
    expect(within(table).queryByText('SSH brute force')).toBeNull();
    const strip = screen.getByRole('list', { name: 'Enabled rules per ATT&CK tactic' });
    expect(within(strip).getByRole('listitem', { name: 'credential access: 1' })).toBeTruthy();
    // Port scan is disabled: discovery has no enabled rule.
    expect(within(strip).getByRole('listitem', { name: 'discovery: 0' })).toBeTruthy();
    await expectNoAxeViolations();
  });

  it('shows 120 rules 50 to a page, with the page in the URL', async () => {
    const many = Array.from({ length: 120 }, (_, i): RuleSummary => ({ ...RULES[1]!, key: `r${i}`, id: `r${i}`, title: `Rule ${String(i).padStart(3, '0')}` }));
    mockApi(many);
    renderView(<RulesView />, '/rules?page=3');
    const table = await screen.findByRole('table', { name: 'Rules' });
    // Page 3: rules 101..120, a header row plus 20 rows.
    expect(within(table).getAllByRole('row')).toHaveLength(21);
    expect(within(table).getByText('Rule 100')).toBeTruthy();
    expect(within(table).queryByText('Rule 099')).toBeNull();
    expect(screen.getByText('101–120 of 120 rules')).toBeTruthy();
    await userEvent.setup().click(within(screen.getByRole('navigation', { name: 'Rule pages' })).getByRole('button', { name: 'Page 1' }));
    expect(await within(table).findByText('Rule 000')).toBeTruthy();
    expect(within(table).getAllByRole('row')).toHaveLength(51);
    expect(within(table).queryByText('Rule 050')).toBeNull();
    // Tiles name their tactic in full.
    expect(within(screen.getByRole('list', { name: 'Enabled rules per ATT&CK tactic' })).getByText('command and control')).toBeTruthy();
  });

  it('enables a rule with a reason through POST /rules/{key}/enable', async () => {
    const fetchMock = mockApi();
    const user = userEvent.setup();
    renderView(<RulesView />, '/rules');
    await user.click(await screen.findByRole('switch', { name: 'Enable Port scan' }));
    await user.type(await screen.findByLabelText(/Reason/), 'needed for the audit');
    await user.click(screen.getByRole('button', { name: 'Enable' }));
    await vi.waitFor(() => {
      const call = fetchMock.mock.calls.find(([u]) => String(u) === '/api/v1/rules/port-scan/enable');
      expect(call?.[1]?.method).toBe('POST');
      expect(JSON.parse(call?.[1]?.body as string)).toEqual({ reason: 'needed for the audit' });
    });
  });

  it('is read-only for a viewer: no switches, no editor, no upload', async () => {
    const fetchMock = mockApi(RULES, ['viewer']);
    renderView(<RulesView />, '/rules');
    const table = await screen.findByRole('table', { name: 'Rules' });
    expect(await screen.findByText(/Read-only: analysts and above write and test rules/)).toBeTruthy();
    expect(within(table).queryByRole('switch')).toBeNull();
    expect(within(table).getByText('on')).toBeTruthy();
    expect(within(table).getByText('off')).toBeTruthy();
    expect(screen.queryByRole('textbox', { name: 'Rule YAML' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Upload rule' })).toBeNull();
    // No validation request a viewer would be refused.
    expect(fetchMock.mock.calls.some(([u]) => String(u).startsWith('/api/v1/rules/test'))).toBe(false);
  });

  it('lets an analyst write and test but not switch or upload; an approver does all', async () => {
    mockApi(RULES, ['analyst']);
    const view = renderView(<RulesView />, '/rules');
    expect(await screen.findByRole('textbox', { name: 'Rule YAML' })).toBeTruthy();
    expect(screen.getByText('Responders and above upload rules.')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Upload rule' })).toBeNull();
    expect(within(screen.getByRole('table', { name: 'Rules' })).queryByRole('switch')).toBeNull();
    view.unmount();
    vi.unstubAllGlobals();
    mockApi(RULES, ['approver']);
    renderView(<RulesView />, '/rules');
    expect(await screen.findByRole('button', { name: 'Upload rule' })).toBeTruthy();
    expect(await screen.findByRole('switch', { name: 'Enable Port scan' })).toBeTruthy();
  });

  it('shows a validation problem at line:col from a 400 of the test route', async () => {
    mockApi();
    renderView(<RulesView />, '/rules');
    const editor = await screen.findByRole('textbox', { name: 'Rule YAML' });
    await vi.waitFor(() => expect(screen.getByText('valid')).toBeTruthy(), { timeout: 3000 });
    const user = userEvent.setup();
    await user.clear(editor);
    await user.click(editor);
    await user.paste('title: x\ndetection:\n    selection:\n        user.name|nosuchmodifier: root\n    condition: selection\n');
    const problems = await screen.findByRole('list', { name: 'Problems' }, { timeout: 3000 });
    expect(within(problems).getByText('13:9')).toBeTruthy();
    expect(within(problems).getByText(/nosuchmodifier is not a Sigma modifier/)).toBeTruthy();
    expect(screen.getByText('1 problem(s)')).toBeTruthy();
  });

  it('sends pasted raw lines as `lines` (parsed by the server) and JSON lines as `events`, and numbers results in that order', async () => {
    const fetchMock = mockApi();
    renderView(<RulesView />, '/rules');
    await screen.findByRole('textbox', { name: 'Rule YAML' });
    const user = userEvent.setup();
    await user.click(screen.getByRole('textbox', { name: /Sample lines/ }));
    await user.paste('<38>Feb  1 10:00:00 bastion sshd[42]: Failed password for root from 203.0.113.9 port 4242 ssh2\n\n{"message":"as ECS"}\n');
    await user.click(screen.getByRole('button', { name: 'Run test' }));
    await screen.findByLabelText('Test results');
    const sent = fetchMock.mock.calls
      .filter(([u]) => String(u).startsWith('/api/v1/rules/test'))
      .map(([, init]) => JSON.parse((init as RequestInit).body as string) as { events?: unknown[]; lines?: string[] })
      .find((body) => body.lines !== undefined);
    expect(sent?.lines).toEqual(['<38>Feb  1 10:00:00 bastion sshd[42]: Failed password for root from 203.0.113.9 port 4242 ssh2']);
    expect(sent?.events).toEqual([{ message: 'as ECS' }]);
    // The first result is the JSON event: the route takes events before lines.
    expect(screen.getByText(/Sample 1:/).getAttribute('title')).toBe('{"message":"as ECS"}');
  });
});
