import { describe, expect, it } from 'vitest';
import { actionCatalogue } from '../../api/routes/actions/catalogue.js';
import { feedDriver } from '../../playbooks/actions/block-ip/feed.js';
import { ACTIONS, DRIVER_TYPES } from '../../playbooks/actions/index.js';
import { webhookDriver } from '../../playbooks/actions/webhook.js';
import { runWatchpost } from '../../test/helpers/cli.js';
import { actionsText } from './actions.js';

describe('watchpost actions list', () => {
  it('prints every action and every registered driver type as NDJSON with --json', async () => {
    const { code, stdout, stderr } = await runWatchpost(['actions', 'list', '--json']);
    expect(code, stderr).toBe(0);
    const rows = stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { kind: string; id?: string; type?: string; fields?: { name: string }[]; credentials?: { name: string }[] });
    expect(rows.filter((r) => r.kind === 'action').map((r) => r.id)).toEqual(Object.keys(ACTIONS));
    expect(rows.filter((r) => r.kind === 'driver').map((r) => r.type)).toEqual(DRIVER_TYPES.map((t) => t.type));
    expect(rows.find((r) => r.id === 'block-ip')?.fields?.map((f) => f.name)).toEqual(['address', 'ttlSeconds', 'reason']);
  }, 120_000);

  it('prints the actions with their input fields, then the driver types', async () => {
    const { code, stdout } = await runWatchpost(['actions', 'list']);
    expect(code).toBe(0);
    expect(stdout).toBe(actionsText(actionCatalogue()));
    expect(stdout).toMatch(/^ACTIONS\nblock-ip +Block an address/);
    expect(stdout).toContain('\n  input: address* (string), ttlSeconds* (integer), reason* (string)\n  undone by: unblock-ip');
    expect(stdout).toContain('\nDRIVER TYPES\n');
  }, 120_000);

  it('shows each driver type’s actions, settings and credential names, and which drivers serve an action', () => {
    const text = actionsText(actionCatalogue([feedDriver, webhookDriver]));
    expect(text).toContain('\nblock-ip         Block an address or prefix');
    expect(text).toMatch(/\nblock-ip .*\n {2}input: .*\n {2}undone by: unblock-ip .*\n {2}drivers: feed, webhook\n/);
    expect(text).toMatch(/\nfeed +Serves blocked addresses.*\n {2}actions: block-ip, unblock-ip\n {2}settings: description \(string\)\n {2}credentials: token\* \(string\)\n/);
    expect(text).toMatch(/\nwebhook +POSTs each action.*\n {2}actions: block-ip, unblock-ip, disable-account, enable-account, notify, create-ticket\n {2}settings: url\* \(string\), method/);
    expect(text).toContain('  credentials: token (string), hmacSecret (string)\n');
    // Without driver types, the section says so instead of being empty.
    expect(actionsText(actionCatalogue([]))).toMatch(/\nDRIVER TYPES\n\(none registered\)\n$/);
  });
});
