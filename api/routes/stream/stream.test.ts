import { request as httpRequest, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createAlertingService } from '../../../engine/alerting/index.js';
import { SqliteJobQueue } from '../../../backends/sqlite/job-queue.js';
import { alertingApiHarness, type AlertingApiHarness } from '../../../test/api/alerting-harness.js';
import { alertingConfig, sshMatch } from '../../../test/integration/alerting-behaviour.js';
import type { AlertStreamOptions } from './index.js';

interface SseEvent {
  readonly event: string;
  readonly id?: string;
  readonly data: string;
}

/** A live SSE connection read by hand: the parsed events, the raw text, and when it ended. */
interface Stream {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly events: SseEvent[];
  text: string;
  ended: boolean;
  waitFor(predicate: (stream: Stream) => boolean, timeoutMs?: number): Promise<void>;
  close(): void;
}

function parse(block: string): SseEvent | undefined {
  const fields: Record<string, string> = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':') || line === '') continue;
    const at = line.indexOf(':');
    fields[line.slice(0, at)] = line.slice(at + 1).trimStart();
  }
  if (fields.event === undefined) return undefined;
  return { event: fields.event, data: fields.data ?? '', ...(fields.id !== undefined ? { id: fields.id } : {}) };
}

function connect(url: string, headers: Record<string, string>): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      let pending = '';
      const stream: Stream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events: [],
        text: '',
        ended: false,
        async waitFor(predicate, timeoutMs = 3000) {
          const until = Date.now() + timeoutMs;
          while (!predicate(stream)) {
            if (Date.now() > until) throw new Error(`timed out; received: ${stream.text.slice(-500)}`);
            await new Promise((r) => setTimeout(r, 10));
          }
        },
        close: () => req.destroy(),
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        stream.text += chunk;
        pending += chunk;
        let end: number;
        while ((end = pending.indexOf('\n\n')) >= 0) {
          const event = parse(pending.slice(0, end));
          pending = pending.slice(end + 2);
          if (event) stream.events.push(event);
        }
      });
      res.on('end', () => (stream.ended = true));
      res.on('close', () => (stream.ended = true));
      resolve(stream);
    });
    req.on('error', (error) => (error.message.includes('socket hang up') ? undefined : reject(error)));
    req.end();
  });
}

const alertEvents = (stream: Stream) =>
  stream.events.filter((e) => e.event.startsWith('alert.')).map((e) => ({ event: e.event, ...(JSON.parse(e.data) as { alert: { id: string; status: string } }) }));

describe('GET /api/v1/stream/alerts', () => {
  let h: AlertingApiHarness;
  let base: string;
  const streams: Stream[] = [];

  async function start(stream: Partial<AlertStreamOptions> & { pollIntervalMs?: number } = {}): Promise<void> {
    h = await alertingApiHarness({ alertStream: { pollIntervalMs: 60_000, ...stream } });
    base = await h.app.listen({ host: '127.0.0.1', port: 0 });
  }
  async function open(authorization: string, headers: Record<string, string> = {}): Promise<Stream> {
    const stream = await connect(`${base}/api/v1/stream/alerts`, { authorization, ...headers });
    streams.push(stream);
    return stream;
  }

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await h.close();
  });

  it('pushes alerts the engine raises in this process at once, and triage changes made through the API', async () => {
    await start();
    const viewer = await h.bearer('vera', ['viewer']);
    const analyst = await h.bearer('ana', ['analyst']);
    const stream = await open(viewer);
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(stream.headers['x-content-type-options']).toBe('nosniff');
    await stream.waitFor((s) => s.events.some((e) => e.event === 'ready'));

    const { newAlerts } = await h.alerting.handle([sshMatch('192.0.2.1', new Date(h.clock.now()).toISOString())]);
    const alert = newAlerts[0] as { id: string };
    // The poll runs every minute here: only the engine's hook can deliver this in time.
    await stream.waitFor((s) => alertEvents(s).length === 1);
    expect(alertEvents(stream)[0]).toMatchObject({ event: 'alert.created', type: 'created', alert: { id: alert.id, status: 'new' } });

    h.clock.advance(1000);
    const closed = await h.call(analyst, { method: 'POST', url: '/api/v1/alerts/bulk/status', payload: { ids: [alert.id], status: 'acknowledged' } });
    expect(closed.statusCode).toBe(200);
    await stream.waitFor((s) => alertEvents(s).length === 2);
    expect(alertEvents(stream)[1]).toMatchObject({ event: 'alert.updated', alert: { id: alert.id, status: 'acknowledged' } });
    expect(stream.events.at(-1)?.id).toBe(new Date(h.clock.now()).toISOString());
  });

  it('polls the store for alerts other processes wrote, delivering each version once', async () => {
    await start({ pollIntervalMs: 50 });
    const viewer = await h.bearer('vera', ['viewer']);
    const stream = await open(viewer);
    await stream.waitFor((s) => s.events.some((e) => e.event === 'ready'));
    // Another process: its own engine over the same store, whose hook this API never hears.
    const queue = new SqliteJobQueue(h.db, { pollIntervalMs: 1000 });
    const elsewhere = createAlertingService({ store: h.cases, queue, clock: h.clock, config: alertingConfig() });
    const { newAlerts } = await elsewhere.handle([sshMatch('192.0.2.7', new Date(h.clock.now()).toISOString())]);
    await stream.waitFor((s) => alertEvents(s).length >= 1);
    expect(alertEvents(stream)[0]).toMatchObject({ event: 'alert.created', alert: { id: newAlerts[0]?.id } });
    // Also through the local hook: the poll sees it again and must not repeat it.
    await h.alerting.handle([sshMatch('192.0.2.8', new Date(h.clock.now()).toISOString())]);
    await new Promise((r) => setTimeout(r, 300));
    const ids = alertEvents(stream).map((e) => e.alert.id);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    await queue.close();
  });

  it('sends heartbeats, replays what changed since Last-Event-ID, and ends streams when the server closes', async () => {
    await start({ heartbeatMs: 30 });
    const viewer = await h.bearer('vera', ['viewer']);
    const since = new Date(h.clock.now()).toISOString();
    await h.alerting.handle([sshMatch('192.0.2.1', since), sshMatch('192.0.2.2', since)]);
    const stream = await open(viewer, { 'last-event-id': since });
    await stream.waitFor((s) => s.text.includes(': heartbeat'));
    await stream.waitFor((s) => alertEvents(s).length === 2);
    const stale = await open(viewer, { 'last-event-id': '2001-01-01T00:00:00.000Z' });
    await stale.waitFor((s) => s.events.some((e) => e.event === 'resync'));
    await h.app.close();
    await stream.waitFor((s) => s.ended);
    await stale.waitFor((s) => s.ended);
  });

  it('caps streams per principal and per process, and frees a slot when a client goes away', async () => {
    await start({ maxStreams: 2, maxStreamsPerPrincipal: 1 });
    const vera = await h.bearer('vera', ['viewer']);
    const bob = await h.bearer('bob', ['viewer']);
    const carl = await h.bearer('carl', ['viewer']);
    const first = await open(vera);
    expect(first.status).toBe(200);
    expect((await open(vera)).status).toBe(429);
    expect((await open(bob)).status).toBe(200);
    expect((await open(carl)).status).toBe(429);
    first.close();
    const started = Date.now();
    let again = await open(carl);
    while (again.status === 429 && Date.now() - started < 2000) {
      await new Promise((r) => setTimeout(r, 20));
      again = await open(carl);
    }
    expect(again.status).toBe(200);
  });

  it('refuses strangers and the ingest role', async () => {
    await start();
    expect((await open('Bearer nope')).status).toBe(401);
    expect((await open(await h.bearer('agent', ['ingest']))).status).toBe(403);
    // A client that does not ask for a stream gets an answer, not a stream that never ends.
    const viewer = await h.bearer('vera', ['viewer']);
    expect((await h.call(viewer, { method: 'GET', url: '/api/v1/stream/alerts' })).statusCode).toBe(406);
    expect((await h.call(viewer, { method: 'GET', url: '/api/v1/stream/alerts', headers: { accept: 'application/json' } })).statusCode).toBe(406);
  });
});
