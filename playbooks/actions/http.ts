/**
 * The HTTP client of the drivers that talk to REST APIs and webhooks (pfSense, OPNsense,
 * ServiceNow, Freshservice, Slack, Teams, the generic webhook).
 *
 * Built on node:http/node:https rather than the global fetch: a per-driver CA file and
 * `rejectUnauthorized` need an agent with TLS options, which fetch only takes through undici's own
 * Agent class (undici is not a direct dependency). What is written by hand here is only what no
 * library does for us: the mapping of answers to the driver error contract, the response size cap
 * and keeping secrets out of errors.
 *
 * The contract every driver relies on:
 * - a connection error, a timeout, an abort, a 5xx or a 429 is an OperationalError
 *   WATCHPOST_ERR_DRIVER_UNAVAILABLE (the runner retries with backoff);
 * - any other 4xx, a redirect (never followed: it would carry the credentials elsewhere) or an
 *   oversized answer is a UserError WATCHPOST_ERR_DRIVER_REJECTED;
 * - error messages and details name the request by a label (method and origin + path, or what the
 *   driver chose when the URL itself is secret, as a Slack webhook is) and never carry a header,
 *   a query string or a credential: every string given as a secret is masked in whatever part of
 *   the server's answer is quoted.
 */
import { readFile } from 'node:fs/promises';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { Type, type Static } from '@sinclair/typebox';
import { OperationalError, UserError } from '../../core/errors.js';

/** TLS settings shared by the HTTP drivers. */
export const TlsSettings = Type.Object(
  {
    /** A PEM file of CA certificates trusted in addition to the system ones (a firewall's self-signed CA). */
    caFile: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    /** Check the server's certificate. Turn off only on a lab device. @defaultValue true */
    rejectUnauthorized: Type.Boolean({ default: true }),
  },
  { additionalProperties: false, default: {} },
);
export type TlsSettings = Static<typeof TlsSettings>;

/** Per-request timeout setting shared by the HTTP drivers. */
export const TimeoutSetting = Type.Integer({ minimum: 100, maximum: 120_000, default: 10_000, description: 'Milliseconds per HTTP request.' });

/** An http(s) URL setting. */
export const HttpUrl = Type.String({ minLength: 8, maxLength: 2000, pattern: '^https?://[^\\s]+$' });

/** Options of {@link createHttpClient}. */
export interface HttpClientOptions {
  /** @defaultValue 10 000 */
  readonly timeoutMs?: number;
  /** The largest answer read; a larger one is refused. @defaultValue 1 MiB */
  readonly maxResponseBytes?: number;
  readonly tls?: Partial<TlsSettings>;
  /** Masked wherever text from the server is quoted in an error (a server may echo a header). */
  readonly secrets?: readonly string[];
}

/** One request. */
export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: string | URL;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as `application/json`. */
  readonly json?: unknown;
  /** Sent as is (with the content-type given in `headers`). */
  readonly body?: string;
  /** Statuses returned instead of thrown (e.g. 404 when absence is an answer). */
  readonly accept?: readonly number[];
  /** Names the request in errors instead of `METHOD origin/path` (when the URL is itself a secret). */
  readonly label?: string;
  readonly signal?: AbortSignal;
}

/** An answer with a 2xx status or one listed in `accept`. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** The body parsed as JSON; a body that is not JSON is a WATCHPOST_ERR_DRIVER_REJECTED. */
  json<T = unknown>(): T;
}

/** A client with its connection pool and TLS settings. */
export interface HttpClient {
  request(request: HttpRequest): Promise<HttpResponse>;
  /** Closes pooled connections. Idempotent. */
  close(): void;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
/** How much of an error answer is quoted in the message. */
const QUOTED_BODY_CHARS = 300;

/** `METHOD https://host:port/path` without query string or user info. */
function defaultLabel(method: string, url: URL): string {
  return `${method} ${url.origin}${url.pathname}`;
}

/** Replaces every secret (of 4+ characters, so that masking cannot itself reveal much) by `***`. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let masked = text;
  for (const secret of secrets) {
    if (secret.length >= 4) masked = masked.split(secret).join('***');
  }
  return masked;
}

/** A short, single-line, secret-free quote of an answer body. */
function quote(text: string, secrets: readonly string[]): string {
  const line = maskSecrets(text, secrets).replace(/\s+/g, ' ').trim();
  return line.length > QUOTED_BODY_CHARS ? `${line.slice(0, QUOTED_BODY_CHARS)}…` : line;
}

/** Builds a client. Nothing is opened or read until the first request. */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const secrets = (options.secrets ?? []).filter((secret) => secret.length > 0);
  const rejectUnauthorized = options.tls?.rejectUnauthorized ?? true;
  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 8 });
  let httpsAgent: Promise<HttpsAgent> | undefined;

  // Read on first use, not at construction: `watchpost validate` builds drivers offline.
  function tlsAgent(): Promise<HttpsAgent> {
    httpsAgent ??= (async () => {
      let ca: string | undefined;
      if (options.tls?.caFile !== undefined) {
        try {
          ca = await readFile(options.tls.caFile, 'utf8');
        } catch (error) {
          throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `cannot read the CA file ${options.tls.caFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
        }
      }
      // A configured CA is trusted besides the system store, as NODE_EXTRA_CA_CERTS would be.
      return new HttpsAgent({ keepAlive: true, maxSockets: 8, rejectUnauthorized, ...(ca !== undefined ? { ca: [...rootCertificates, ca] } : {}) });
    })();
    httpsAgent.catch(() => {
      httpsAgent = undefined;
    });
    return httpsAgent;
  }

  async function request(spec: HttpRequest): Promise<HttpResponse> {
    const url = typeof spec.url === 'string' ? configuredUrl(spec.url, spec.label ?? `the URL of ${spec.method}`) : spec.url;
    const label = spec.label ?? defaultLabel(spec.method, url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `${label}: only http and https URLs are supported`);
    }
    const headers: Record<string, string> = { accept: 'application/json, text/plain;q=0.9, */*;q=0.5', 'user-agent': 'Watchpost', ...spec.headers };
    let body: Buffer | undefined;
    if (spec.json !== undefined) {
      body = Buffer.from(JSON.stringify(spec.json), 'utf8');
      headers['content-type'] ??= 'application/json';
    } else if (spec.body !== undefined) {
      body = Buffer.from(spec.body, 'utf8');
    }
    if (body) headers['content-length'] = String(body.length);
    const agent = url.protocol === 'https:' ? await tlsAgent() : httpAgent;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;

    const answer = await new Promise<{ response: IncomingMessage; text: string }>((resolve, reject) => {
      const fail = (error: unknown): void => {
        const reason = timeout.aborted ? `no answer within ${timeoutMs} ms` : signal.aborted ? 'aborted' : describeNetworkError(error);
        // A certificate that does not verify stays so on a retry: the CA file or URL needs fixing.
        if (!signal.aborted && isCertificateError(error)) {
          reject(new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `${label}: ${reason}: the server's certificate does not verify (set tls.caFile)`, { details: { request: label } }));
          return;
        }
        reject(new OperationalError('WATCHPOST_ERR_DRIVER_UNAVAILABLE', `${label}: ${reason}`, { details: { request: label } }));
      };
      if (signal.aborted) {
        fail(signal.reason);
        return;
      }
      const outgoing = send(url, { method: spec.method, headers, agent, signal }, (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            response.destroy();
            reject(new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `${label}: answer larger than ${maxBytes} bytes (HTTP ${response.statusCode ?? 0})`, { details: { request: label, status: response.statusCode } }));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => resolve({ response, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', fail);
        response.on('close', () => {
          if (!response.complete) fail(new Error('connection closed mid-answer'));
        });
      });
      outgoing.on('error', fail);
      outgoing.end(body);
    });

    const status = answer.response.statusCode ?? 0;
    if ((status >= 200 && status < 300) || spec.accept?.includes(status)) {
      return {
        status,
        headers: answer.response.headers,
        text: answer.text,
        json<T>(): T {
          try {
            return JSON.parse(answer.text) as T;
          } catch {
            throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `${label}: HTTP ${status} answer is not JSON: ${quote(answer.text, secrets)}`, { details: { request: label, status } });
          }
        },
      };
    }
    const details: Record<string, unknown> = { request: label, status };
    const retryAfter = answer.response.headers['retry-after'];
    if (typeof retryAfter === 'string') details.retryAfter = retryAfter.slice(0, 40);
    const message = `${label}: HTTP ${status}${answer.text.length > 0 ? `: ${quote(answer.text, secrets)}` : ''}`;
    if (status >= 500 || status === 429 || status === 408) {
      throw new OperationalError('WATCHPOST_ERR_DRIVER_UNAVAILABLE', message, { details });
    }
    if (status >= 300 && status < 400) {
      throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `${label}: HTTP ${status} redirect not followed (check the URL)`, { details });
    }
    throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', message, { details });
  }

  return {
    request,
    close() {
      httpAgent.destroy();
      void httpsAgent?.then((agent) => agent.destroy()).catch(() => undefined);
    },
  };
}

/** `connect ECONNREFUSED`, `getaddrinfo ENOTFOUND`, a TLS verification failure: codes, not addresses with credentials. */
function describeNetworkError(error: unknown): string {
  const failure = error as NodeJS.ErrnoException | undefined;
  const code = failure?.code;
  if (typeof code === 'string') return `connection failed (${code})`;
  return `connection failed (${failure?.name ?? 'error'})`;
}

const CERTIFICATE_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

function isCertificateError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && CERTIFICATE_ERROR.test(code);
}

/** Parses a configured URL; a bad one is a WATCHPOST_ERR_DRIVER_CONFIG naming the setting, never quoting it (it may be secret). */
export function configuredUrl(text: string, setting: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `${setting} is not a valid URL`);
  }
}

/** `Basic base64(user:password)`. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/** Joins a base URL (with or without a trailing slash or a path prefix) and an absolute API path. */
export function joinUrl(base: string, path: string, query?: Readonly<Record<string, string>>): URL {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  url.search = '';
  for (const [key, value] of Object.entries(query ?? {})) url.searchParams.set(key, value);
  return url;
}
