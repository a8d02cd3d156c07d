import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Role } from '../../core/cases/types.js';

/** Who made a request, once authenticated. */
export interface Principal {
  /** A user id, or `token:<id>`. */
  readonly id: string;
  readonly roles: readonly Role[];
}

/** Resolves a request's credentials (session cookie, API token) to a principal, or undefined. */
export type Authenticator = (request: FastifyRequest) => Promise<Principal | undefined>;

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** The route answers without authentication (health and metrics only). */
    public?: boolean;
  }
}

/**
 * Deny by default: a route is protected unless it declares `config.public`. Written as a plain
 * function registered at the root (not encapsulated) so it covers routes registered later,
 * including the 404 handler, which answers 401 to strangers so the route map is not disclosed.
 */
export async function authGuard(app: FastifyInstance, options: { authenticate?: Authenticator | undefined }): Promise<void> {
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.public === true) return;
    const principal = options.authenticate ? await options.authenticate(request) : undefined;
    if (!principal) {
      return reply.code(401).send({ error: 'unauthorized', message: 'authentication required' });
    }
    request.principal = principal;
  });
}
// Not encapsulated: the hook must apply to every route of the app.
(authGuard as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
