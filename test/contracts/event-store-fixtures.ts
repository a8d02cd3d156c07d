import type { EcsEvent } from '../../core/ecs/event.js';

/** 2024-03-01T10:00:00Z: the corpus's first event. */
export const T0 = Date.UTC(2024, 2, 1, 10, 0, 0);
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** An event with the given id and time, plus fields. */
export function ev(id: string, ms: number, fields: Omit<EcsEvent, '@timestamp'> = {}): EcsEvent {
  return { ...fields, '@timestamp': new Date(ms).toISOString(), event: { ...fields.event, id } };
}

/**
 * The query corpus: eight events over three days, chosen so every filter op has hits and
 * misses, with ties on `@timestamp` (e03/e04 and e07/e08) and typed fields (numbers, arrays, IPs).
 */
export const CORPUS: readonly EcsEvent[] = [
  ev('e01', T0, {
    message: 'Failed password for root from 203.0.113.7 port 22 ssh2',
    source: { ip: '203.0.113.7', port: 22 },
    user: { name: 'Root' },
    tags: ['ssh', 'Auth'],
    host: { name: 'web-01' },
    event: { severity: 3, code: '4625', outcome: 'failure', category: ['authentication'] },
  }),
  ev('e02', T0 + MINUTE, {
    message: 'Accepted publickey for jdoe from 2001:db8::7',
    source: { ip: '2001:db8::7', port: 2222 },
    user: { name: 'jdoe' },
    tags: ['ssh'],
    host: { name: 'web-02' },
    related: { ip: ['2001:db8::7', '10.1.2.3'] },
    event: { severity: 5, original: '<34>sshd[42]: Accepted publickey for JDOE', outcome: 'success', category: ['authentication'] },
  }),
  ev('e03', T0 + 2 * MINUTE, {
    message: 'GET /admin/login.php?id=1 HTTP/1.1 404',
    source: { ip: '198.51.100.23' },
    url: { path: '/admin/login.php' },
    http: { response: { status_code: 404 } },
    tags: ['web'],
    host: { name: 'web-01' },
    event: { severity: 5 },
  }),
  ev('e04', T0 + 2 * MINUTE, {
    message: 'Blocked connection 10.1.2.3 -> 192.0.2.10:443',
    source: { ip: '10.1.2.3' },
    destination: { ip: '192.0.2.10', port: 443 },
    network: { transport: 'tcp' },
    tags: ['fw', 'Blocked'],
    labels: { zone: 'dmz' },
    host: { name: 'fw-1' },
    event: { severity: 7 },
  }),
  ev('e05', T0 + HOUR, {
    message: 'Process started: C:\\Windows\\System32\\cmd.exe /c whoami',
    process: { command_line: 'C:\\Windows\\System32\\cmd.exe /c whoami', name: 'cmd.exe', pid: 4242 },
    user: { name: 'ADMINISTRATOR' },
    host: { name: 'WS-7' },
    event: { severity: 9 },
  }),
  ev('e06', T0 + DAY, {
    message: 'Failed password for invalid user admin from 203.0.113.7',
    source: { ip: '203.0.113.7' },
    user: { name: 'admin' },
    tags: ['ssh', 'auth'],
    event: { severity: 3 },
  }),
  ev('e07', T0 + 2 * DAY - HOUR, {
    message: 'Ünïcödé ÜBER straße',
    user: { name: 'Über' },
    host: { name: 'web-01' },
    event: { severity: 1 },
  }),
  ev('e08', T0 + 2 * DAY - HOUR, { tags: ['dup', 'dup'], message: 'heartbeat foo日本' }),
];

/** A time range holding the whole corpus. */
export const ALL = { from: new Date(T0 - DAY), to: new Date(T0 + 3 * DAY) } as const;

/** The ids of the corpus in ascending (`@timestamp`, id) order. */
export const CORPUS_ASC = ['e01', 'e02', 'e03', 'e04', 'e05', 'e06', 'e07', 'e08'] as const;
