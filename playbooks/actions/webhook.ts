/**
 * The generic webhook driver: every action, delivered as a signed JSON POST to a receiver the
 * operator runs (an automation platform, a script behind a reverse proxy, a SOAR).
 *
 * It is also how Watchpost disables accounts at identity providers it has no driver for (Entra ID,
 * Okta, Google Workspace): point a webhook instance with `actions: [disable-account,
 * enable-account]` at a small receiver (an Azure Logic App or Function, an Okta Workflow with an
 * API endpoint card, an n8n or Tines flow) that checks the signature and calls the provider's own
 * API (Entra ID: PATCH /users/{id} `accountEnabled: false` and POST /users/{id}/revokeSignInSessions;
 * Okta: POST /api/v1/users/{id}/lifecycle/suspend and DELETE /api/v1/users/{id}/sessions). The
 * provider's credentials then stay with the receiver, and Watchpost keeps the BlockState, the TTL
 * and the undo (enable-account goes through the same webhook).
 *
 * The request: `POST <url>` with
 * ```json
 * { "action": "block-ip", "input": { "address": "192.0.2.7", "ttlSeconds": 14400, "reason": "..." },
 *   "idempotencyKey": "<runId>.<stepId>.<driver>", "sentAt": "2025-01-01T00:00:00.000Z" }
 * ```
 * and the headers `Idempotency-Key` (the same key: a retry of the step sends the same one, so the
 * receiver can drop duplicates), `Authorization: Bearer <token>` when a token is configured, and
 * when an HMAC secret is configured `X-Watchpost-Timestamp: <unix seconds>` and
 * `X-Watchpost-Signature: sha256=<hex>`, the HMAC-SHA256 under the secret of
 * `<timestamp>.<raw body>` (the scheme of Stripe and GitHub webhooks).
 *
 * Verifying on the receiver: take the raw body bytes as received (before any JSON parsing),
 * compute `hex(HMAC_SHA256(secret, timestamp + "." + body))`, compare with the header's hex in
 * constant time, and refuse timestamps more than 5 minutes away from the receiver's clock (a
 * replayed request); {@link verifyWebhookSignature} does exactly that.
 *
 * The receiver answers 2xx for done; it may answer JSON `{ "changed": false }` when the effect
 * already held (a duplicate) and `{ "detail": { ... } }` with a small object that is stored on the
 * run. 4xx means refused (no retry), 5xx or 429 means try again later. No verify: a webhook cannot
 * observe the effect.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { createHttpClient, HttpUrl, TimeoutSetting, TlsSettings } from './http.js';
import type { ActionId, Driver, DriverType, ExecuteResult } from './types.js';

const ALL_ACTIONS = ['block-ip', 'unblock-ip', 'disable-account', 'enable-account', 'notify', 'create-ticket'] as const satisfies readonly ActionId[];

/** Header names a configuration may not set: they carry the signature, the key or the credentials. */
const RESERVED_HEADERS = new Set(['authorization', 'idempotency-key', 'x-watchpost-signature', 'x-watchpost-timestamp', 'content-type', 'content-length', 'host']);

export const WebhookSettings = Type.Object(
  {
    url: HttpUrl,
    method: Type.Union([Type.Literal('POST'), Type.Literal('PUT')], { default: 'POST' }),
    /** Extra headers, not secret (they are shown by the API); put secrets in credentials. */
    headers: Type.Record(Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' }), Type.String({ maxLength: 1000 }), { default: {}, maxProperties: 20 }),
    timeoutMs: TimeoutSetting,
    /** The actions this instance serves. @defaultValue every action */
    actions: Type.Array(Type.Union(ALL_ACTIONS.map((action) => Type.Literal(action))), { minItems: 1, uniqueItems: true, default: [...ALL_ACTIONS] }),
    tls: TlsSettings,
  },
  { additionalProperties: false },
);
export type WebhookSettings = Static<typeof WebhookSettings>;

export const WebhookCredentials = Type.Object(
  {
    /** Sent as `Authorization: Bearer <token>`. */
    token: Type.Optional(Type.String({ minLength: 1, maxLength: 8192 })),
    /** Signs each request (X-Watchpost-Signature). */
    hmacSecret: Type.Optional(Type.String({ minLength: 16, maxLength: 8192 })),
  },
  { additionalProperties: false },
);
export type WebhookCredentials = Static<typeof WebhookCredentials>;

/** The signature header value for a body sent at `timestamp` (unix seconds). */
export function signWebhook(secret: string, timestamp: number | string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${String(timestamp)}.${body}`, 'utf8').digest('hex')}`;
}

/**
 * Checks a received webhook (for receivers written in TypeScript, and the tests): the signature
 * over the raw body, in constant time, and the timestamp within `toleranceSeconds` of `nowMs`.
 */
export function verifyWebhookSignature(secret: string, headers: { readonly timestamp: string | undefined; readonly signature: string | undefined }, rawBody: string, nowMs = Date.now(), toleranceSeconds = 300): boolean {
  if (headers.timestamp === undefined || headers.signature === undefined || !/^\d{1,12}$/.test(headers.timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(headers.timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, headers.timestamp, rawBody), 'utf8');
  const given = Buffer.from(headers.signature, 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The largest `detail` object of a receiver's answer kept on the run. */
const MAX_DETAIL_CHARS = 2000;

function receiverResult(status: number, text: string): ExecuteResult {
  let answer: unknown;
  try {
    answer = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    answer = undefined;
  }
  const body = typeof answer === 'object' && answer !== null ? (answer as { changed?: unknown; detail?: unknown }) : {};
  const detail: Record<string, unknown> = { status };
  if (typeof body.detail === 'object' && body.detail !== null && JSON.stringify(body.detail).length <= MAX_DETAIL_CHARS) detail.receiver = body.detail;
  return { changed: body.changed === false ? false : true, detail };
}

export const webhookDriver: DriverType<typeof WebhookSettings, typeof WebhookCredentials> = {
  type: 'webhook',
  description: 'POSTs each action as signed JSON to a URL you run (automation platforms, identity providers such as Entra ID or Okta through a small receiver).',
  actions: ALL_ACTIONS,
  settings: WebhookSettings,
  credentials: WebhookCredentials,
  create(config, dependencies): Driver {
    const { settings, credentials } = config;
    const secrets = [credentials.token, credentials.hmacSecret].filter((value): value is string => value !== undefined);
    const http = createHttpClient({ timeoutMs: settings.timeoutMs, tls: settings.tls, secrets });
    const extraHeaders = Object.fromEntries(Object.entries(settings.headers).filter(([name]) => !RESERVED_HEADERS.has(name.toLowerCase())));
    return {
      id: config.id,
      type: 'webhook',
      actions: settings.actions,
      async execute(action, input, context) {
        const sentAt = new Date(context.clock.now());
        const body = JSON.stringify({ action, input, idempotencyKey: context.idempotencyKey, sentAt: sentAt.toISOString() });
        const headers: Record<string, string> = { ...extraHeaders, 'content-type': 'application/json', 'idempotency-key': context.idempotencyKey };
        if (credentials.token !== undefined) headers.authorization = `Bearer ${credentials.token}`;
        if (credentials.hmacSecret !== undefined) {
          const timestamp = String(Math.floor(sentAt.getTime() / 1000));
          headers['x-watchpost-timestamp'] = timestamp;
          headers['x-watchpost-signature'] = signWebhook(credentials.hmacSecret, timestamp, body);
        }
        const response = await http.request({ method: settings.method, url: settings.url, headers, body, signal: context.signal });
        dependencies.logger.debug({ driver: config.id, action, status: response.status }, 'webhook delivered');
        return receiverResult(response.status, response.text);
      },
      async close() {
        http.close();
      },
    };
  },
};
