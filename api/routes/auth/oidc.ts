import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { writeAudit } from '../../../core/auth/audit.js';
import { OIDC_FLOW_TTL_MS, type OidcClient } from '../../../core/auth/oidc.js';
import { signInWithOidc } from '../../../core/auth/oidc-users.js';
import { endSession, type SessionPolicy } from '../../../core/auth/sessions.js';
import type { Clock } from '../../../core/clock.js';
import type { OidcConfig } from '../../../core/config/schema.js';
import { UserError } from '../../../core/errors.js';
import type { Logger } from '../../../core/log.js';
import type { CaseStore } from '../../../core/stores/case-store.js';
import { servedOverTls, sessionSecretOf, setSessionCookie } from '../../plugins/session-auth.js';

/** The cookie that carries a sign-in under way over plain HTTP. */
export const OIDC_FLOW_COOKIE = 'wp_oidc';

/** The same over HTTPS; `__Host-` for the reasons given at SECURE_SESSION_COOKIE. */
export const SECURE_OIDC_FLOW_COOKIE = '__Host-wp_oidc';

/** Where a browser goes once signed in: the console. */
const AFTER_SIGN_IN = '/';

/** The longest callback URL read; real ones are well under 2 KiB. */
const MAX_CALLBACK_URL = 8192;

/** Options of {@link oidcRoutes}. */
export interface OidcRouteOptions {
  readonly cases: CaseStore;
  /** The provider and its `auth.oidc` configuration; absent, both routes answer 404. */
  readonly oidc?: { readonly client: OidcClient; readonly config: Readonly<OidcConfig> } | undefined;
  readonly clock: Clock;
  readonly sessions: SessionPolicy;
  /** `auth.secureTransport`: clients use HTTPS through a proxy. */
  readonly secureTransport: boolean;
  readonly logger: Logger;
}

const ErrorResponse = Type.Object({ error: Type.String(), code: Type.Optional(Type.String()), message: Type.String() });

const Redirect = Type.Null({ description: 'A redirect; the Location header says where.' });

/** What a provider puts on the callback (RFC 6749 4.1.2, RFC 9207 `iss`); other parameters pass through. */
const CallbackQuery = Type.Object(
  {
    code: Type.Optional(Type.String({ maxLength: 4096 })),
    state: Type.Optional(Type.String({ maxLength: 512 })),
    iss: Type.Optional(Type.String({ maxLength: 2048 })),
    error: Type.Optional(Type.String({ maxLength: 256 })),
    error_description: Type.Optional(Type.String({ maxLength: 2048 })),
  },
  { additionalProperties: true },
);

function flowCookieName(secure: boolean): string {
  return secure ? SECURE_OIDC_FLOW_COOKIE : OIDC_FLOW_COOKIE;
}

/**
 * SameSite=Lax, unlike the session cookie: the callback is a top-level navigation from the
 * provider's site, which a Strict cookie would not come back with.
 */
function flowCookieOptions(secure: boolean) {
  return { httpOnly: true, sameSite: 'lax', path: '/', secure } as const;
}

function notConfigured(reply: FastifyReply): FastifyReply {
  return reply.code(404).send({ error: 'not_found', code: 'WATCHPOST_ERR_AUTH_OIDC', message: 'OIDC sign-in is not configured (auth.oidc)' });
}

function userAgentOf(request: FastifyRequest): string | undefined {
  const agent = request.headers['user-agent'];
  return typeof agent === 'string' ? agent : undefined;
}

/**
 * Single sign-on through an OpenID Connect provider, under /api/v1/auth/oidc (docs/auth.md):
 * - GET login (public): sends the browser to the provider (authorization code flow, PKCE,
 *   state, nonce), with the flow sealed in a 10-minute HttpOnly cookie.
 * - GET callback (public): the provider sends the browser back here. The flow cookie is used
 *   once and cleared whatever happens; the code is exchanged and the ID token validated
 *   (core/auth/oidc.ts), the user created or updated with roles from their groups
 *   (core/auth/oidc-users.ts), and the same session as a password sign-in started (cookie; the
 *   console reads the CSRF token from GET /api/v1/auth/me); then a redirect to the console.
 *   400 (WATCHPOST_ERR_AUTH_OIDC) when the callback does not check out, 403
 *   (WATCHPOST_ERR_AUTH_OIDC_DENIED) when Watchpost refuses the person, 503 when the provider
 *   cannot be reached. Every refusal is audited as a failed `auth.login`.
 *
 * Both are public: a person signing in has no session yet. Neither changes anything before the
 * provider has vouched for the person and the state has matched this browser's cookie, so a
 * forged cross-site request can at most start a sign-in.
 */
export async function oidcRoutes(app: FastifyInstance, options: OidcRouteOptions): Promise<void> {
  const { cases, clock } = options;

  app.get(
    '/api/v1/auth/oidc/login',
    {
      config: { public: true },
      schema: {
        summary: 'Sign in through the OIDC provider: redirects there',
        tags: ['auth'],
        response: { 302: Redirect, 404: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      if (!options.oidc) return notConfigured(reply);
      const { url, sealedFlow } = await options.oidc.client.begin();
      const secure = servedOverTls(request, options.secureTransport);
      reply.setCookie(flowCookieName(secure), sealedFlow, { ...flowCookieOptions(secure), maxAge: OIDC_FLOW_TTL_MS / 1000 });
      return reply.redirect(url, 302);
    },
  );

  app.get(
    '/api/v1/auth/oidc/callback',
    {
      config: { public: true },
      schema: {
        summary: 'Where the OIDC provider sends the browser back: starts a session and redirects to the console',
        tags: ['auth'],
        querystring: CallbackQuery,
        response: { 302: Redirect, 400: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      if (!options.oidc) return notConfigured(reply);
      const { client, config } = options.oidc;
      const secure = servedOverTls(request, options.secureTransport);
      const cookies = request.cookies as Record<string, string | undefined> | undefined;
      const sealed = cookies?.[flowCookieName(secure)];
      // Used once: a second callback with the same cookie has nothing to match.
      reply.clearCookie(flowCookieName(secure), flowCookieOptions(secure));
      let identity;
      try {
        if (request.url.length > MAX_CALLBACK_URL) throw new UserError('WATCHPOST_ERR_AUTH_OIDC', 'OIDC sign-in failed: the callback URL is too long');
        identity = await client.finish(new URL(request.url, 'http://callback.invalid'), sealed);
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        await writeAudit(cases, clock, {
          actor: 'anonymous',
          action: 'auth.login',
          target: { type: 'oidc', id: config.issuer.slice(0, 256) },
          outcome: 'failure',
          details: { ip: request.ip, method: 'oidc', reason: 'callback_refused', message: error.message.slice(0, 200) },
        });
        return reply.code(400).send({ error: 'bad_request', code: error.code, message: error.message });
      }
      const userAgent = userAgentOf(request);
      const outcome = await signInWithOidc(cases, identity, {
        config,
        clock,
        sessions: options.sessions,
        logger: options.logger,
        ip: request.ip,
        ...(userAgent !== undefined ? { userAgent } : {}),
      });
      if (!outcome.ok) return reply.code(403).send({ error: 'forbidden', code: 'WATCHPOST_ERR_AUTH_OIDC_DENIED', message: outcome.message });
      // A new session on every sign-in (ASVS 7.2.4): whatever session the browser had ends.
      await endSession(cases, sessionSecretOf(request));
      setSessionCookie(reply, outcome.started.secret, secure);
      return reply.redirect(AFTER_SIGN_IN, 302);
    },
  );
}
