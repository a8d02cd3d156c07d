import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Session } from '../../core/cases/types.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import { resolveSession, type SessionPolicy } from '../../core/auth/sessions.js';
import type { CaseStore } from '../../core/stores/case-store.js';
import type { Authenticator } from './auth-guard.js';

/** The session cookie over plain HTTP (a workstation, a lab). */
export const SESSION_COOKIE = 'wp_session';

/**
 * The session cookie over HTTPS. The `__Host-` prefix makes browsers refuse it unless it is
 * Secure, has Path=/ and no Domain, so a sibling subdomain cannot set or shadow it (ASVS 3.3.1).
 */
export const SECURE_SESSION_COOKIE = '__Host-wp_session';

declare module 'fastify' {
  interface FastifyRequest {
    /** The session that authenticated this request; absent for API tokens and public routes. */
    authSession?: Readonly<Session>;
  }
}

/**
 * True when the client reached us over HTTPS: a TLS socket of our own, or the operator says a
 * TLS-terminating proxy is in front (`auth.secureTransport`; X-Forwarded-Proto is not trusted).
 */
export function servedOverTls(request: Pick<FastifyRequest, 'protocol'>, secureTransport: boolean): boolean {
  return secureTransport || request.protocol === 'https';
}

/**
 * Sets the session cookie: httpOnly (scripts cannot read it), SameSite=Strict (no cross-site
 * request carries it), Path=/, Secure with the `__Host-` name over HTTPS. No Max-Age: it ends
 * with the browser session, and the server's idle and absolute timeouts bound it anyway.
 */
export function setSessionCookie(reply: FastifyReply, secret: string, secure: boolean): void {
  reply.setCookie(secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE, secret, { httpOnly: true, sameSite: 'strict', path: '/', secure });
}

/** Clears the session cookie. */
export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  reply.clearCookie(secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', path: '/', secure });
}

/** The session secret a request presents, if any (the `__Host-` cookie first). */
export function sessionSecretOf(request: FastifyRequest): string | undefined {
  const cookies = request.cookies as Record<string, string | undefined> | undefined;
  return cookies?.[SECURE_SESSION_COOKIE] ?? cookies?.[SESSION_COOKIE];
}

/**
 * Registers cookie parsing and the `authSession` request slot. Register it before the auth guard:
 * cookies are parsed in an onRequest hook, and hooks run in the order they were added.
 */
export async function sessionSupport(app: FastifyInstance): Promise<void> {
  await app.register(fastifyCookie);
  app.decorateRequest('authSession', undefined);
}
// Not encapsulated: the cookie parser and the decoration serve every route.
(sessionSupport as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;

/** Options of {@link sessionAuthenticator}. */
export interface SessionAuthenticatorOptions {
  readonly policy: SessionPolicy;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * An {@link Authenticator} for console sessions: the cookie's secret must hash to a live session
 * of an enabled user (see resolveSession). The store is read on every request, with no cache, so
 * logout, expiry and disabling a user bite at once. The principal is the user with their current
 * roles; the session is put on `request.authSession` so the CSRF check and logout can find it.
 */
export function sessionAuthenticator(cases: CaseStore, options: SessionAuthenticatorOptions): Authenticator {
  return async (request) => {
    const found = await resolveSession(cases, sessionSecretOf(request), options);
    if (!found) return undefined;
    request.authSession = found.session;
    return Object.freeze({ id: found.user.id, roles: Object.freeze([...found.user.roles]) });
  };
}

/**
 * API tokens and sessions side by side: a request with an Authorization header is judged by the
 * token alone (a bad token is not rescued by a cookie), any other by its session cookie. Only
 * session-authenticated requests need a CSRF token, as a browser attaches cookies by itself but
 * never an Authorization header.
 */
export function tokenOrSession(token: Authenticator, session: Authenticator): Authenticator {
  return (request) => (request.headers.authorization !== undefined ? token(request) : session(request));
}
