import type { FastifyReply } from 'fastify';
import type { Role } from '../../../core/cases/types.js';
import type { CaseStore } from '../../../core/stores/case-store.js';
import type { Principal } from '../../plugins/auth-guard.js';
import { principalUserId } from '../users/principal.js';

/** Who may do what in automated response (DESIGN.md, Security). */
export const RESPONSE_ROLES = {
  /** Read playbooks, actions, blocks, the never-block list and the breaker. */
  read: ['viewer'],
  /** Request a playbook run, release a block. */
  act: ['responder'],
  /** Edit the never-block list, close the circuit breaker. */
  administer: ['admin'],
} as const satisfies Record<string, readonly Role[]>;

/** The answer of a route whose dependency this process lacks. */
export function unavailable(reply: FastifyReply, what: string): FastifyReply {
  return reply.code(503).send({ error: 'unavailable', message: `this process has no ${what}` });
}

/** The user a request acts for (a token's owner), for `requestedBy`, `createdBy` and `releasedBy`. */
export async function actingUser(principal: Principal, cases: CaseStore | undefined): Promise<string> {
  return (cases ? await principalUserId(principal, cases) : undefined) ?? principal.id;
}

/** The record without its store revision. */
export function withoutRev<T extends object>(record: T): Omit<T, 'rev'> {
  const { rev: _rev, ...rest } = record as T & { rev?: string };
  return rest;
}
