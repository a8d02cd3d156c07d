/**
 * Test support for the HTTP drivers (imported by their tests only): a local HTTP server on
 * 127.0.0.1 and an ephemeral port that records every request and answers with what the test's
 * handler says, and a DriverContext for calling drivers.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SYSTEM_CLOCK } from '../../core/clock.js';
import { silentLogger } from '../../core/log.js';
import type { DriverContext } from './types.js';

/** One request as the server saw it. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

/** What the handler answers. */
export interface TestAnswer {
  readonly status?: number;
  readonly json?: unknown;
  readonly text?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Wait this long before answering (to provoke timeouts). */
  readonly delayMs?: number;
}

/** A running test server. */
export interface TestHttpServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Replaces the handler. */
  handle(handler: (request: RecordedRequest) => TestAnswer | Promise<TestAnswer>): void;
  close(): Promise<void>;
}

/** Starts a server bound to 127.0.0.1 on a free port. */
export async function startTestServer(handler: (request: RecordedRequest) => TestAnswer | Promise<TestAnswer> = () => ({ status: 200, json: {} })): Promise<TestHttpServer> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(incoming.url ?? '/', 'http://127.0.0.1');
      let json: unknown;
      try {
        json = body.length > 0 ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      const recorded: RecordedRequest = { method: incoming.method ?? '', url: incoming.url ?? '', path: url.pathname, query: url.searchParams, headers: incoming.headers, body, json };
      requests.push(recorded);
      void Promise.resolve(current(recorded)).then((answer) => {
        const send = (): void => {
          if (outgoing.destroyed) return;
          const payload = answer.json !== undefined ? JSON.stringify(answer.json) : (answer.text ?? '');
          outgoing.writeHead(answer.status ?? 200, { 'content-type': answer.json !== undefined ? 'application/json' : 'text/plain', ...answer.headers });
          outgoing.end(payload);
        };
        if (answer.delayMs) {
          const timer = setTimeout(() => {
            timers.delete(timer);
            send();
          }, answer.delayMs);
          timers.add(timer);
        } else {
          send();
        }
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle(next) {
      current = next;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A DriverContext with a silent logger, the system clock and the given idempotency key. */
export function driverContext(idempotencyKey = 'run-1.step-1.driver-1', signal: AbortSignal = new AbortController().signal): DriverContext {
  return { signal, logger: silentLogger(), clock: SYSTEM_CLOCK, idempotencyKey };
}

/** Runs `action` and returns what it threw (fails the test when it does not throw). */
export async function thrown(action: () => Promise<unknown>): Promise<Error & { code?: string; intent?: string; details?: unknown }> {
  try {
    await action();
  } catch (error) {
    return error as Error & { code?: string; intent?: string; details?: unknown };
  }
  throw new Error('expected the call to throw');
}

/** Everything an error exposes as text: message, JSON (own enumerable properties) and details. */
export function errorText(error: Error & { details?: unknown }): string {
  return `${error.message}\n${JSON.stringify(error)}\n${JSON.stringify(error.details ?? {})}\n${String(error.stack)}`;
}
