import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CONSOLE_CSP } from './security-headers.js';

/** Options of {@link consoleRoutes}. */
export interface ConsoleOptions {
  /** The console's build (Vite's outDir: index.html and assets/), an absolute path. */
  readonly dir: string;
}

/** The answer when the console was not built (a fresh clone started without `npm run build`). */
export const CONSOLE_NOT_BUILT = 'console not built: run npm run build';

/** Vite names every asset after its content hash, so a year's cache is safe. */
const ASSET_MAX_AGE_MS = 365 * 24 * 3600 * 1000;

/** The last path segment has an extension: a request for a file, never a console URL. */
const FILE_LIKE = /\/[^/]*\.[^/]+$/;

/**
 * Serves the analysts' console (a single-page app) at `/`: files under /assets/ with a year's
 * immutable cache, index.html for `/` and for every other GET outside /api that is no file (the
 * SPA fallback, so a reload of /alerts/123 works) with `no-cache` so a new build is picked up at
 * once. The routes are public: the SPA holds no data, every call it makes goes through the
 * guarded API. They carry the console's CSP ({@link CONSOLE_CSP}) instead of the API's.
 *
 * Unknown paths under /api are left to a protected catch-all that answers the router's 404 once
 * the guard let the request in, so a stranger still gets 401 for every /api path and learns
 * nothing of the route map. Register this before the OpenAPI plugin: the routes are hidden from
 * the document (they are not API operations and the authorization matrix is about the API), and
 * the OpenAPI plugin refuses hidden routes registered after it.
 */
export async function consoleRoutes(app: FastifyInstance, options: ConsoleOptions): Promise<void> {
  const dir = options.dir;
  const built = (): boolean => existsSync(join(dir, 'index.html'));
  if (existsSync(dir)) {
    // Only for reply.sendFile (path traversal checks, ranges, ETags); the routes are ours.
    await app.register(fastifyStatic, { root: dir, serve: false });
  }

  await app.register(async (spa) => {
    // Public, like the docs pages: only these routes, hence encapsulated.
    spa.addHook('onRoute', (route) => {
      route.config = { ...route.config, public: true };
    });
    // After helmet's onRequest hook set the API's policy: this one replaces it.
    spa.addHook('onSend', async (_request, reply, payload) => {
      reply.header('content-security-policy', CONSOLE_CSP);
      return payload;
    });

    const notBuilt = (reply: FastifyReply) => reply.code(404).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(CONSOLE_NOT_BUILT);
    const index = (reply: FastifyReply) => {
      if (!built()) return notBuilt(reply);
      return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
    };

    spa.get('/', { schema: { hide: true } }, async (_request, reply) => index(reply));
    spa.get('/assets/*', { schema: { hide: true } }, async (request, reply) => {
      if (!built()) return notBuilt(reply);
      const file = (request.params as { '*': string })['*'];
      return reply.sendFile(`assets/${file}`, { maxAge: ASSET_MAX_AGE_MS, immutable: true });
    });
    spa.get('/*', { schema: { hide: true } }, async (request, reply) => {
      if (!built()) return notBuilt(reply);
      const path = request.url.split('?')[0] ?? '/';
      // A file at the root of the build (favicon, robots.txt), or a missing one: never index.html,
      // which would hand a script tag HTML and hide the mistake.
      if (FILE_LIKE.test(path)) return reply.sendFile(path.slice(1), { maxAge: 3600 * 1000 });
      return index(reply);
    });
  });

  // Protected (not public): the guard answers 401 to strangers first, as for any /api path.
  app.get('/api/*', { schema: { hide: true } }, async (_request, reply) => reply.callNotFound());
}
