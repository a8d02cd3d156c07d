import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { feedDriver } from '../../../playbooks/actions/block-ip/feed.js';
import { ACTIONS, DRIVER_TYPES } from '../../../playbooks/actions/index.js';
import { webhookDriver } from '../../../playbooks/actions/webhook.js';
import { responseHarness, TEST_DRIVER_CONFIGS, type ResponseHarness } from '../../../test/api/response-harness.js';
import { actionCatalogue, type ActionCatalogue } from './catalogue.js';

describe('actionCatalogue', () => {
  it('lists every action with its input fields and the driver types serving it', () => {
    const catalogue = actionCatalogue([feedDriver, webhookDriver]);
    expect(catalogue.actions.map((a) => a.id)).toEqual(Object.keys(ACTIONS));
    const block = catalogue.actions.find((a) => a.id === 'block-ip');
    expect(block).toMatchObject({ undoneBy: 'unblock-ip', blockKind: 'ip', driverTypes: ['feed', 'webhook'] });
    expect(block?.fields.map((f) => [f.name, f.required, f.type])).toEqual([
      ['address', true, 'string'],
      ['ttlSeconds', true, 'integer'],
      ['reason', true, 'string'],
    ]);
    // The input schema as plain JSON: what a client validates against.
    expect(block?.input).toMatchObject({ type: 'object', required: ['address', 'ttlSeconds', 'reason'], additionalProperties: false });
    expect(catalogue.actions.find((a) => a.id === 'notify')?.fields.find((f) => f.name === 'severity')).toMatchObject({ required: false, type: 'enum' });
    expect(catalogue.actions.find((a) => a.id === 'disable-account')?.driverTypes).toEqual(['webhook']);
  });

  it('shows a driver type’s actions, settings and only the names of its credentials', () => {
    const [feed, webhook] = actionCatalogue([feedDriver, webhookDriver]).driverTypes;
    expect(feed).toMatchObject({ type: 'feed', actions: ['block-ip', 'unblock-ip'] });
    expect(feed?.credentials.map((c) => [c.name, c.required])).toEqual([['token', true]]);
    expect(webhook?.credentials.map((c) => [c.name, c.required])).toEqual([
      ['token', false],
      ['hmacSecret', false],
    ]);
    expect(webhook?.settingFields.map((f) => f.name)).toEqual(expect.arrayContaining(['url', 'method', 'headers', 'actions']));
    expect(webhook?.settings).toMatchObject({ type: 'object', properties: { url: expect.any(Object) } });
  });

  it('defaults to the registry', () => {
    const catalogue = actionCatalogue();
    expect(catalogue.driverTypes.map((t) => t.type)).toEqual(DRIVER_TYPES.map((t) => t.type));
    expect(catalogue.actions).toHaveLength(Object.keys(ACTIONS).length);
  });
});

describe('GET /api/v1/actions', () => {
  let h: ResponseHarness;
  beforeEach(async () => {
    h = await responseHarness('sqlite');
  });
  afterEach(async () => {
    await h.close();
  });

  it('answers a viewer with the actions, the driver types and the configured instances, never a secret', async () => {
    const response = await h.call(await h.bearer('vera', ['viewer']), { method: 'GET', url: '/api/v1/actions' });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json<ActionCatalogue & { drivers: { id: string; type: string; actions: string[]; enabled: boolean }[] }>();
    expect(body.actions.map((a) => a.id)).toEqual(Object.keys(ACTIONS));
    expect(body.actions[0]?.input).toMatchObject({ properties: { address: { type: 'string' } } });
    expect(body.driverTypes.map((t) => t.type)).toEqual(DRIVER_TYPES.map((t) => t.type));
    expect(body.drivers).toEqual([
      { id: 'edge', type: 'feed', actions: ['block-ip', 'unblock-ip'], enabled: true },
      { id: 'idp', type: 'webhook', actions: ['disable-account', 'enable-account', 'notify'], enabled: true },
    ]);
    // Neither the feed's token nor any setting of an instance is part of the answer.
    const token = (TEST_DRIVER_CONFIGS[0]?.credentials as { token: string }).token;
    expect(response.body).not.toContain(token);
    expect(response.body).not.toContain('never-called');
    expect((await h.call(undefined, { method: 'GET', url: '/api/v1/actions' })).statusCode).toBe(401);
  });
});
