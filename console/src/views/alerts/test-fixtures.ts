import { vi } from 'vitest';
import type { AlertView } from './types';

/** An alert shaped as AlertView in api/routes/alerts/schemas.ts. */
export function makeAlert(n: number, patch: Partial<AlertView> = {}): AlertView {
  const at = new Date(Date.parse('2026-03-01T12:00:00Z') - n * 60_000).toISOString();
  return {
    id: `al-${n}`,
    dedupKey: `ssh-bruteforce|203.0.113.${n % 250}`,
    ruleId: 'watchpost/ssh-bruteforce',
    ruleTitle: `SSH brute force ${n}`,
    ruleAuthor: 'Watchpost team',
    severity: (['low', 'medium', 'high', 'critical'] as const)[n % 4]!,
    riskScore: 47,
    status: 'new',
    count: 3,
    firstSeen: at,
    lastSeen: at,
    entities: { 'source.ip': `203.0.113.${n % 250}`, 'user.name': 'root', 'host.name': 'web-1' },
    eventIds: [`ev-${n}`],
    explanation: { selections: ['selection'], matches: [{ field: 'source.ip', value: `203.0.113.${n % 250}` }] },
    tags: ['attack.credential_access', 'attack.t1110'],
    createdAt: at,
    updatedAt: at,
    ...patch,
  };
}

/** The signed-in analyst, as GET /api/v1/auth/me answers. */
export function meAs(roles: string[]) {
  return { principal: 'u-ana', roles, user: { id: 'u-ana', username: 'ana', roles }, csrfToken: 'csrf-1' };
}

export interface Call {
  readonly method: string;
  readonly url: URL;
  readonly body: unknown;
  readonly headers: Record<string, string>;
}

/**
 * Stubs fetch at the network boundary: `handle` answers each request (JSON, status 200 unless it
 * returns `[status, body]`); every request is recorded in `calls`.
 */
export function stubFetch(handle: (call: Call) => unknown): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string, init: RequestInit = {}) => {
      const call: Call = {
        method: init.method ?? 'GET',
        url: new URL(input, 'http://localhost'),
        body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
        headers: (init.headers ?? {}) as Record<string, string>,
      };
      calls.push(call);
      const answer = handle(call);
      const [status, body] = Array.isArray(answer) && typeof answer[0] === 'number' ? (answer as [number, unknown]) : [200, answer];
      return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    }),
  );
  return calls;
}

/** An EventSource that tests drive: `emit(name, data)` delivers a server-sent event. */
export class MockEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static instances: MockEventSource[] = [];
  readyState = MockEventSource.CONNECTING;
  private readonly listeners = new Map<string, ((event: MessageEvent) => void)[]>();
  constructor(readonly url: string) {
    MockEventSource.instances.push(this);
  }
  addEventListener(name: string, listener: (event: MessageEvent) => void): void {
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), listener]);
  }
  close(): void {
    this.readyState = MockEventSource.CLOSED;
  }
  emit(name: string, data?: unknown): void {
    if (name === 'open') this.readyState = MockEventSource.OPEN;
    const event = new MessageEvent(name, { data: data === undefined ? '' : JSON.stringify(data) });
    for (const listener of this.listeners.get(name) ?? []) listener(event);
  }
}
