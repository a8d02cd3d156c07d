import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../../../core/cases/types.js';
import { UserError } from '../../../core/errors.js';
import type { CatalogEntry, RuleCatalog } from '../../../engine/rules/index.js';
import type { Principal } from '../../plugins/auth-guard.js';

/** Reading rules. */
export const VIEWER: readonly Role[] = ['viewer'];
/** Trying rules on sample events costs CPU but changes nothing: the triage roles. */
export const ANALYST: readonly Role[] = ['analyst'];
/** Switching rules and uploading them changes what raises alerts: responders and above. */
export const RESPONDER: readonly Role[] = ['responder'];
export const TAGS = ['rules'];

/** Answers 503: this process lacks what the route needs. */
export function unavailable(reply: FastifyReply, what: string): FastifyReply {
  return reply.code(503).send({ error: 'unavailable', message: `this process has no ${what}` });
}

export function principalOf(request: FastifyRequest): Principal {
  // requireRole answered 401 before the handler for a request without one.
  return request.principal as Principal;
}

/** The entry of a key, or a 404. */
export function entryOf(catalog: RuleCatalog, key: string): CatalogEntry {
  const entry = catalog.entry(key);
  if (!entry) throw new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', `no loaded rule has the key ${JSON.stringify(key)}`);
  return entry;
}
