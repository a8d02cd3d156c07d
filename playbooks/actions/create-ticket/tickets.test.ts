import { Value } from '@sinclair/typebox/value';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CLOCK } from '../../../core/clock.js';
import { silentLogger } from '../../../core/log.js';
import { basicAuth } from '../http.js';
import { closedPort, driverContext, errorText, startTestServer, thrown, type RecordedRequest, type TestAnswer, type TestHttpServer } from '../http-test-server.js';
import type { Driver } from '../types.js';
import { freshserviceDriver, FreshserviceSettings, freshserviceTag } from './freshservice.js';
import { correlationKey } from './reference.js';
import { serviceNowDriver, ServiceNowSettings } from './servicenow.js';

const deps = { logger: silentLogger(), clock: SYSTEM_CLOCK };
const SN_PASSWORD = 'servicenow-password-123';
const FS_KEY = 'freshservice-api-key-456';

let server: TestHttpServer;
let driver: Driver;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
afterEach(() => driver?.close?.());

const ticket = { title: 'Critical incident: ransomware on host-7', description: 'Alerts: 3\n<b>user</b> & co', severity: 'critical', reference: 'inc-0123abcd', link: 'https://watchpost.example/incidents/inc-0123abcd' } as const;

/** A ServiceNow Table API stand-in for the incident table. */
function serviceNow(records: Record<string, string>[], failNext?: { answer?: TestAnswer }): (request: RecordedRequest) => TestAnswer {
  return (request) => {
    if (failNext?.answer) {
      const answer = failNext.answer;
      failNext.answer = undefined;
      return answer;
    }
    if (request.headers.authorization !== basicAuth('watchpost', SN_PASSWORD)) return { status: 401, json: { error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' }, status: 'failure' } };
    if (request.path !== '/api/now/table/incident') return { status: 400, json: { error: { message: 'Invalid table' } } };
    if (request.method === 'GET') {
      const query = request.query.get('sysparm_query') ?? '';
      const [field, value] = query.split('=');
      return { json: { result: records.filter((record) => record[field ?? ''] === value).slice(0, Number(request.query.get('sysparm_limit') ?? 10)).map(({ sys_id, number }) => ({ sys_id, number })) } };
    }
    if (request.method === 'POST') {
      const record = { ...(request.json as Record<string, string>), sys_id: `sys${records.length + 1}`, number: `INC00100${records.length + 1}` };
      records.push(record);
      return { status: 201, json: { result: { sys_id: record.sys_id, number: record.number } } };
    }
    return { status: 405, json: {} };
  };
}

function buildServiceNow(extra: Record<string, unknown> = {}, credentials: Record<string, string> = { user: 'watchpost', password: SN_PASSWORD }): Driver {
  const settings = Value.Default(ServiceNowSettings, { instanceUrl: server.url, assignmentGroup: 'SOC', callerId: 'watchpost', category: 'security', ...extra }) as ServiceNowSettings;
  expect(Value.Check(ServiceNowSettings, settings)).toBe(true);
  return serviceNowDriver.create({ id: 'snow', settings, credentials }, deps);
}

describe('serviceNowDriver', () => {
  it('searches by correlation id, then creates the incident with impact/urgency from the severity', async () => {
    const records: Record<string, string>[] = [];
    server.handle(serviceNow(records));
    driver = buildServiceNow();
    const result = await driver.execute('create-ticket', ticket, driverContext());
    expect(result).toEqual({ changed: true, detail: { number: 'INC001001', sys_id: 'sys1', url: `${server.url}/nav_to.do?uri=incident.do%3Fsys_id%3Dsys1` } });
    const [search, create] = server.requests.slice(-2) as [RecordedRequest, RecordedRequest];
    expect(search.method).toBe('GET');
    expect(search.query.get('sysparm_query')).toBe('correlation_id=inc-0123abcd');
    expect(search.query.get('sysparm_limit')).toBe('1');
    expect(create.method).toBe('POST');
    expect(create.json).toEqual({
      short_description: ticket.title,
      description: `${ticket.description}\n\n${ticket.link}`,
      impact: '1',
      urgency: '1',
      correlation_id: 'inc-0123abcd',
      correlation_display: 'Watchpost',
      assignment_group: 'SOC',
      caller_id: 'watchpost',
      category: 'security',
    });
  });

  it('finds the ticket of an earlier attempt instead of opening a second one', async () => {
    const records: Record<string, string>[] = [];
    server.handle(serviceNow(records));
    driver = buildServiceNow();
    await driver.execute('create-ticket', ticket, driverContext());
    const again = await driver.execute('create-ticket', ticket, driverContext());
    expect(again).toMatchObject({ changed: false, detail: { number: 'INC001001', sys_id: 'sys1' } });
    expect(records).toHaveLength(1);
  });

  it('never puts a reference with query syntax into the encoded query', async () => {
    const records: Record<string, string>[] = [];
    server.handle(serviceNow(records));
    driver = buildServiceNow();
    await driver.execute('create-ticket', { ...ticket, reference: 'x^ORactive=true' }, driverContext());
    const search = server.requests.find((request) => request.method === 'GET' && request.query.get('sysparm_query')?.includes('sha256-'));
    expect(search?.query.get('sysparm_query')).toBe(`correlation_id=${correlationKey('x^ORactive=true')}`);
    expect(search?.query.get('sysparm_query')).not.toContain('^');
  });

  it('uses a Bearer token when configured, and refuses both or neither', async () => {
    server.handle(() => ({ json: { result: [{ sys_id: 's', number: 'INC1' }] } }));
    driver = buildServiceNow({}, { token: 'oauth-token-abcdef' });
    await driver.execute('create-ticket', ticket, driverContext());
    expect(server.requests.at(-1)?.headers.authorization).toBe('Bearer oauth-token-abcdef');
    expect(() => buildServiceNow({}, {})).toThrow(/credentials/);
    expect(() => buildServiceNow({}, { user: 'a', password: 'b', token: 'oauth-token-abcdef' })).toThrow(/credentials/);
  });

  it('maps 401 to REJECTED and 503, timeouts and refused connections to UNAVAILABLE, without the password', async () => {
    server.handle(serviceNow([]));
    driver = buildServiceNow({}, { user: 'watchpost', password: 'wrong-password-xyz' });
    const denied = await thrown(() => driver.execute('create-ticket', ticket, driverContext()));
    expect(denied.code).toBe('WATCHPOST_ERR_DRIVER_REJECTED');
    expect(errorText(denied)).not.toContain('wrong-password-xyz');
    expect(errorText(denied)).not.toContain(basicAuth('watchpost', 'wrong-password-xyz').slice(6));
    await driver.close?.();

    const fail = { answer: { status: 503, text: `maintenance ${SN_PASSWORD}` } as TestAnswer | undefined };
    server.handle(serviceNow([], fail));
    driver = buildServiceNow();
    const down = await thrown(() => driver.execute('create-ticket', ticket, driverContext()));
    expect(down.code).toBe('WATCHPOST_ERR_DRIVER_UNAVAILABLE');
    expect(errorText(down)).not.toContain(SN_PASSWORD);
    await driver.close?.();

    server.handle(() => ({ json: { result: [] }, delayMs: 3000 }));
    driver = buildServiceNow({ timeoutMs: 200 });
    expect((await thrown(() => driver.execute('create-ticket', ticket, driverContext()))).code).toBe('WATCHPOST_ERR_DRIVER_UNAVAILABLE');
    await driver.close?.();

    driver = serviceNowDriver.create(
      { id: 'snow', settings: Value.Default(ServiceNowSettings, { instanceUrl: `http://127.0.0.1:${await closedPort()}` }) as ServiceNowSettings, credentials: { user: 'watchpost', password: SN_PASSWORD } },
      deps,
    );
    expect((await thrown(() => driver.execute('create-ticket', ticket, driverContext()))).code).toBe('WATCHPOST_ERR_DRIVER_UNAVAILABLE');
  });
});

/** A Freshservice API v2 stand-in: tickets/filter by tag and ticket creation. */
function freshservice(tickets: { id: number; tags: string[]; body: Record<string, unknown> }[]): (request: RecordedRequest) => TestAnswer {
  return (request) => {
    if (request.headers.authorization !== basicAuth(FS_KEY, 'X')) return { status: 401, json: { code: 'access_denied', message: 'You are not authorized to perform this action.' } };
    if (request.method === 'GET' && request.path === '/api/v2/tickets/filter') {
      const match = /^"tag:'([^']+)'"$/.exec(request.query.get('query') ?? '');
      if (!match) return { status: 400, json: { description: 'Validation failed', errors: [{ field: 'query', message: 'invalid' }] } };
      const found = tickets.filter((candidate) => candidate.tags.includes(match[1] as string));
      return { json: { tickets: found.map(({ id }) => ({ id })), total: found.length } };
    }
    if (request.method === 'POST' && request.path === '/api/v2/tickets') {
      const body = request.json as Record<string, unknown>;
      if (typeof body.email !== 'string') return { status: 400, json: { description: 'Validation failed', errors: [{ field: 'requester_id', message: 'required' }] } };
      const created = { id: 1000 + tickets.length, tags: body.tags as string[], body };
      tickets.push(created);
      return { status: 201, json: { ticket: { id: created.id, ...body } } };
    }
    return { status: 404, json: {} };
  };
}

function buildFreshservice(extra: Record<string, unknown> = {}, apiKey = FS_KEY): Driver {
  const settings = Value.Default(FreshserviceSettings, { url: server.url, requesterEmail: 'watchpost@example.net', groupId: 7, ...extra }) as FreshserviceSettings;
  expect(Value.Check(FreshserviceSettings, settings)).toBe(true);
  return freshserviceDriver.create({ id: 'fresh', settings, credentials: { apiKey } }, deps);
}

describe('freshserviceDriver', () => {
  it('filters by the reference tag, then creates an open ticket with escaped HTML, the priority and the tag', async () => {
    const tickets: { id: number; tags: string[]; body: Record<string, unknown> }[] = [];
    server.handle(freshservice(tickets));
    driver = buildFreshservice();
    const result = await driver.execute('create-ticket', ticket, driverContext());
    expect(result).toEqual({ changed: true, detail: { id: 1000, url: `${server.url}/a/tickets/1000` } });
    const [search, create] = server.requests.slice(-2) as [RecordedRequest, RecordedRequest];
    expect(search.query.get('query')).toBe(`"tag:'watchpost:inc-0123abcd'"`);
    expect(create.headers.authorization).toBe(basicAuth(FS_KEY, 'X'));
    expect(create.json).toEqual({
      subject: ticket.title,
      description: 'Alerts: 3<br>&lt;b&gt;user&lt;/b&gt; &amp; co<br><br><a href="https://watchpost.example/incidents/inc-0123abcd">Open in Watchpost</a>',
      email: 'watchpost@example.net',
      priority: 4,
      status: 2,
      tags: ['watchpost', 'watchpost:inc-0123abcd'],
      group_id: 7,
    });
  });

  it('finds the ticket of an earlier attempt', async () => {
    const tickets: { id: number; tags: string[]; body: Record<string, unknown> }[] = [];
    server.handle(freshservice(tickets));
    driver = buildFreshservice();
    await driver.execute('create-ticket', { ...ticket, severity: 'low' }, driverContext());
    expect(tickets[0]?.body.priority).toBe(1);
    expect(await driver.execute('create-ticket', { ...ticket, severity: 'low' }, driverContext())).toEqual({ changed: false, detail: { id: 1000, url: `${server.url}/a/tickets/1000` } });
    expect(tickets).toHaveLength(1);
  });

  it('hashes references that would break the filter syntax', () => {
    expect(freshserviceTag("it's \"quoted\"")).toMatch(/^watchpost:sha256-[0-9a-f]{32}$/);
    expect(freshserviceTag('inc-1')).toBe('watchpost:inc-1');
  });

  it('maps 401 to REJECTED without the key, and 500 and refused connections to UNAVAILABLE', async () => {
    server.handle(freshservice([]));
    driver = buildFreshservice({}, 'wrong-api-key-000');
    const denied = await thrown(() => driver.execute('create-ticket', ticket, driverContext()));
    expect(denied.code).toBe('WATCHPOST_ERR_DRIVER_REJECTED');
    expect(errorText(denied)).not.toContain('wrong-api-key-000');
    await driver.close?.();

    server.handle(() => ({ status: 500, text: `oops ${FS_KEY}` }));
    driver = buildFreshservice();
    const failed = await thrown(() => driver.execute('create-ticket', ticket, driverContext()));
    expect(failed.code).toBe('WATCHPOST_ERR_DRIVER_UNAVAILABLE');
    expect(errorText(failed)).not.toContain(FS_KEY);
    await driver.close?.();

    driver = buildFreshservice({ url: `http://127.0.0.1:${await closedPort()}` });
    expect((await thrown(() => driver.execute('create-ticket', ticket, driverContext()))).code).toBe('WATCHPOST_ERR_DRIVER_UNAVAILABLE');
  });
});
