import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CLOCK } from '../../../core/clock.js';
import { silentLogger } from '../../../core/log.js';
import { closedPort, driverContext, errorText, startTestServer, thrown, type TestHttpServer } from '../http-test-server.js';
import type { Driver } from '../types.js';
import { slackDriver } from './slack.js';
import { teamsDriver } from './teams.js';

const deps = { logger: silentLogger(), clock: SYSTEM_CLOCK };
const SLACK_PATH = '/services/T0001/B0002/slacksecretXYZ123';
const TEAMS_PATH = '/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=teamsSignatureSecret987';

let server: TestHttpServer;
let driver: Driver;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
afterEach(() => driver?.close?.());

const notify = { subject: 'Port scan from 192.0.2.7', message: 'user <!channel> & friends', severity: 'critical', link: 'https://watchpost.example/alerts/1' };

describe('slackDriver', () => {
  it('posts blocks with the severity colour to the webhook URL, escaping mentions', async () => {
    server.handle(() => ({ status: 200, text: 'ok' }));
    driver = slackDriver.create({ id: 'slack', settings: { timeoutMs: 2000 }, credentials: { webhookUrl: `${server.url}${SLACK_PATH}` } }, deps);
    expect(await driver.execute('notify', notify, driverContext())).toEqual({ changed: true, detail: { status: 200 } });
    const request = server.requests.at(-1);
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(SLACK_PATH);
    const body = request?.json as { text: string; attachments: { color: string; blocks: { type: string; text?: { text: string }; elements?: { url?: string }[] }[] }[] };
    expect(body.text).toBe('[critical] Port scan from 192.0.2.7');
    expect(body.attachments[0]?.color).toBe('#7f1d1d');
    const blocks = body.attachments[0]?.blocks ?? [];
    expect(blocks[0]).toMatchObject({ type: 'header', text: { text: 'Port scan from 192.0.2.7' } });
    expect(blocks[1]?.text?.text).toBe('user &lt;!channel&gt; &amp; friends');
    expect(blocks.find((block) => block.type === 'actions')?.elements?.[0]?.url).toBe('https://watchpost.example/alerts/1');
  });

  it('maps Slack errors: 404 no_service is REJECTED, 500 and a refused connection UNAVAILABLE; the URL never shows', async () => {
    driver = slackDriver.create({ id: 'slack', settings: { timeoutMs: 2000 }, credentials: { webhookUrl: `${server.url}${SLACK_PATH}` } }, deps);
    server.handle(() => ({ status: 404, text: 'no_service' }));
    const rejected = await thrown(() => driver.execute('notify', notify, driverContext()));
    expect(rejected.code).toBe('WATCHPOST_ERR_DRIVER_REJECTED');
    expect(rejected.message).toBe('POST Slack webhook: HTTP 404: no_service');
    server.handle(() => ({ status: 500, text: `error at ${SLACK_PATH}` }));
    const failed = await thrown(() => driver.execute('notify', notify, driverContext()));
    expect(failed.code).toBe('WATCHPOST_ERR_DRIVER_UNAVAILABLE');
    expect(errorText(failed)).not.toContain('slacksecretXYZ123');
    await driver.close?.();
    driver = slackDriver.create({ id: 'slack', settings: { timeoutMs: 2000 }, credentials: { webhookUrl: `http://127.0.0.1:${await closedPort()}${SLACK_PATH}` } }, deps);
    const refused = await thrown(() => driver.execute('notify', notify, driverContext()));
    expect(refused.code).toBe('WATCHPOST_ERR_DRIVER_UNAVAILABLE');
    expect(errorText(refused)).not.toContain('slacksecretXYZ123');
  });

  it('drops links that are not http(s)', async () => {
    server.handle(() => ({ status: 200, text: 'ok' }));
    driver = slackDriver.create({ id: 'slack', settings: { timeoutMs: 2000 }, credentials: { webhookUrl: `${server.url}${SLACK_PATH}` } }, deps);
    await driver.execute('notify', { ...notify, link: 'javascript:alert(1)' }, driverContext());
    expect(server.requests.at(-1)?.body).not.toContain('javascript:');
  });
});

describe('teamsDriver', () => {
  it('posts an Adaptive Card message to the Workflows URL', async () => {
    server.handle(() => ({ status: 202, text: '' }));
    driver = teamsDriver.create({ id: 'teams', settings: { timeoutMs: 2000 }, credentials: { webhookUrl: `${server.url}${TEAMS_PATH}` } }, deps);
    expect(await driver.execute('notify', notify, driverContext())).toEqual({ changed: true, detail: { status: 202 } });
    const request = server.requests.at(-1);
    expect(request?.url).toBe(TEAMS_PATH);
    const body = request?.json as { type: string; attachments: { contentType: string; content: { type: string; version: string; body: { type: string; text?: string; color?: string }[]; actions?: { url: string }[] } }[] };
    expect(body.type).toBe('message');
    expect(body.attachments[0]?.contentType).toBe('application/vnd.microsoft.card.adaptive');
    const card = body.attachments[0]?.content;
    expect(card?.type).toBe('AdaptiveCard');
    expect(card?.version).toBe('1.4');
    expect(card?.body[0]).toMatchObject({ type: 'TextBlock', text: 'Port scan from 192.0.2.7', color: 'Attention' });
    expect(card?.body.some((block) => block.text === 'user <!channel> & friends')).toBe(true);
    expect(card?.actions?.[0]?.url).toBe('https://watchpost.example/alerts/1');
  });

  it('maps 400 to REJECTED and 429 to UNAVAILABLE without showing the signature', async () => {
    driver = teamsDriver.create({ id: 'teams', settings: { timeoutMs: 2000 }, credentials: { webhookUrl: `${server.url}${TEAMS_PATH}` } }, deps);
    server.handle((request) => ({ status: 400, text: `bad request for ${request.url}` }));
    const rejected = await thrown(() => driver.execute('notify', notify, driverContext()));
    expect(rejected.code).toBe('WATCHPOST_ERR_DRIVER_REJECTED');
    expect(errorText(rejected)).not.toContain('teamsSignatureSecret987');
    server.handle(() => ({ status: 429, text: 'slow down', headers: { 'retry-after': '30' } }));
    const throttled = await thrown(() => driver.execute('notify', notify, driverContext()));
    expect(throttled.code).toBe('WATCHPOST_ERR_DRIVER_UNAVAILABLE');
    expect(throttled.details).toMatchObject({ status: 429, retryAfter: '30' });
  });

  it('gives up after its timeout', async () => {
    server.handle(() => ({ status: 202, text: '', delayMs: 3000 }));
    driver = teamsDriver.create({ id: 'teams', settings: { timeoutMs: 200 }, credentials: { webhookUrl: `${server.url}${TEAMS_PATH}` } }, deps);
    expect((await thrown(() => driver.execute('notify', notify, driverContext()))).code).toBe('WATCHPOST_ERR_DRIVER_UNAVAILABLE');
  });
});
