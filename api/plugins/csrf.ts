import type { FastifyInstance } from 'fastify';
import { csrfTokenMatches } from '../../core/auth/sessions.js';

/** The header the console sends the session's CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';

/** Methods that change nothing (RFC 9110 safe methods); no route may change state on them (ASVS 3.5.3). */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF protection for cookie sessions (ASVS 3.5.1): a request authenticated by a session cookie
 * with an unsafe method must carry the session's CSRF token in `x-csrf-token`, compared with the
 * stored hash in constant time; otherwise it is answered 403 before any handler runs. A cross-site
 * page can make a browser send the cookie (SameSite=Strict already stops most of that) but cannot
 * read the token, nor set a custom header without a CORS preflight we never grant. Requests with
 * an API token carry no ambient credential and need no CSRF token.
 *
 * Register after the auth guard: it reads the session the guard's authenticator found.
 */
export async function csrfProtection(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', async (request, reply) => {
    const session = request.authSession;
    if (!session || SAFE_METHODS.has(request.method)) return;
    const header = request.headers[CSRF_HEADER];
    if (csrfTokenMatches(session, typeof header === 'string' ? header : undefined)) return;
    request.log.debug({ userId: session.userId, method: request.method, url: request.routeOptions.url }, 'csrf token missing or wrong');
    return reply.code(403).send({ error: 'forbidden', code: 'WATCHPOST_ERR_AUTH_CSRF', message: 'missing or invalid CSRF token' });
  });
}
// Not encapsulated: the check applies to every route of the app.
(csrfProtection as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
