import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import { servedOverTls } from './session-auth.js';

/** HSTS for a year and every subdomain (ASVS 3.4.1 asks for at least a year). */
export const HSTS_VALUE = 'max-age=31536000; includeSubDomains';

/**
 * The Content-Security-Policy of every response, for the React console we serve from our own
 * origin: scripts, styles, fonts and API calls from 'self' only, images also as data: URLs; no
 * plugins, no <base> (ASVS 3.4.3 asks for base-uri 'none'; a Vite build needs no <base>), no
 * framing by anyone (clickjacking), forms post only to us. No 'unsafe-inline' anywhere: the
 * console must not inject <script> or <style> elements. Helmet's defaults are not used because
 * they add upgrade-insecure-requests, which breaks a console served over plain HTTP on a LAN.
 * A route that needs another policy (the OpenAPI browser) sets its own with the `helmet` route
 * option.
 */
export const CSP_DIRECTIVES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'frame-ancestors': ["'none'"],
  'form-action': ["'self'"],
});

/**
 * The Content-Security-Policy of the console's pages and files (api/plugins/console.ts): the API's
 * policy above but for one relaxation, `style-src 'unsafe-inline'`. Mantine (the console's
 * component library) injects <style> elements at run time for its CSS variables and colour
 * scheme, and sets style attributes on components; these cannot carry a nonce from a static
 * index.html. Scripts stay 'self' only, so an injected <script> or inline handler still cannot
 * run; inline styles alone cannot execute code. The JSON API keeps the strict policy.
 */
export const CONSOLE_CSP = Object.entries({ ...CSP_DIRECTIVES, 'style-src': ["'self'", "'unsafe-inline'"] })
  .map(([name, values]) => `${name} ${values.join(' ')}`)
  .join('; ');

/** Options of {@link securityHeaders}. */
export interface SecurityHeadersOptions {
  /** Clients use HTTPS through a proxy (`auth.secureTransport`): send HSTS. @defaultValue false */
  readonly secureTransport?: boolean;
}

/**
 * Security headers on every response, including 401s from the auth guard and 404s (helmet's
 * onRequest hook runs first when this is registered first): the CSP above, X-Frame-Options DENY,
 * X-Content-Type-Options nosniff, Referrer-Policy no-referrer, Cross-Origin-Opener-Policy and
 * -Resource-Policy same-origin. HSTS only over HTTPS: sent over plain HTTP it is ignored at best
 * and, on a name later moved to HTTPS, a promise nobody made.
 */
export async function securityHeaders(app: FastifyInstance, options: SecurityHeadersOptions = {}): Promise<void> {
  await app.register(fastifyHelmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: Object.fromEntries(Object.entries(CSP_DIRECTIVES).map(([name, values]) => [name, [...values]])) },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: false,
  });
  const secureTransport = options.secureTransport ?? false;
  app.addHook('onRequest', async (request, reply) => {
    if (servedOverTls(request, secureTransport)) reply.header('strict-transport-security', HSTS_VALUE);
  });
}
// Not encapsulated: the headers apply to every route of the app.
(securityHeaders as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
