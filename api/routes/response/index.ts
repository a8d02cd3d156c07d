import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { NeverBlockEntry, ResponseControl } from '../../../core/cases/types.js';
import { SYSTEM_CLOCK, type Clock } from '../../../core/clock.js';
import { UserError } from '../../../core/errors.js';
import { deterministicId } from '../../../core/ids.js';
import type { CaseStore } from '../../../core/stores/case-store.js';
import { parseAddress } from '../../../playbooks/actions/address.js';
import type { Principal } from '../../plugins/auth-guard.js';
import { ErrorBody } from '../../plugins/openapi.js';
import { requireRole } from '../../plugins/require-role.js';
import { recordAudit } from '../audit/record.js';
import { actingUser, RESPONSE_ROLES, unavailable, withoutRev } from './common.js';
import type { ResponseOperations } from './operations.js';

/** Options of {@link responseRoutes}. */
export interface ResponseRouteOptions {
  /** Absent when this process has no case store: changes to the never-block list then answer 503. */
  readonly cases?: CaseStore | undefined;
  /** The safety layer's view (the effective list, the breaker); without it those routes answer 503. */
  readonly response?: ResponseOperations | undefined;
  /** @defaultValue the system clock */
  readonly clock?: Clock | undefined;
}

/** The most never-block entries the store keeps (the config's list has the same cap). */
export const MAX_STORED_NEVER_BLOCK = 10_000;

/** The longest note on a never-block entry. */
export const MAX_NEVER_BLOCK_NOTE = 500;

const TAGS = ['response'];

/** One entry of the effective never-block list. */
export const NeverBlockItemView = Type.Object(
  {
    value: Type.String({ description: 'An address or CIDR, canonical.' }),
    source: Type.String({ description: 'builtin, host, gateway, dns, config or store; only store entries can be deleted.' }),
    note: Type.Optional(Type.String()),
    id: Type.Optional(Type.String({ description: 'The id of a store entry (DELETE /api/v1/response/never-block/{id}).' })),
  },
  { additionalProperties: false },
);

/** A never-block entry kept in the store. */
export const NeverBlockEntryView = Type.Object(
  {
    id: Type.String(),
    value: Type.String(),
    note: Type.Optional(Type.String()),
    createdBy: Type.String(),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { additionalProperties: false },
);

/** The body of POST /api/v1/response/never-block. */
export const AddNeverBlockBody = Type.Object(
  {
    value: Type.String({ minLength: 2, maxLength: 64, description: 'An IPv4 or IPv6 address or CIDR prefix.' }),
    note: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_NEVER_BLOCK_NOTE, description: 'Why: a gateway, a partner, a VIP.' })),
  },
  { additionalProperties: false },
);

/** The circuit breaker: `open` means automatic blocks wait for approval. */
export const BreakerView = Type.Object(
  {
    id: Type.Literal('breaker'),
    state: Type.Union([Type.Literal('closed'), Type.Literal('open')]),
    reason: Type.Optional(Type.String()),
    openedAt: Type.Optional(Type.String()),
    closedBy: Type.Optional(Type.String()),
    createdAt: Type.Optional(Type.String()),
    updatedAt: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type BreakerView = Static<typeof BreakerView>;

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

/** The breaker as the API shows it; one that never opened is closed. */
export function toBreakerView(control: ResponseControl | undefined): BreakerView {
  if (!control) return { id: 'breaker', state: 'closed' };
  return { ...withoutRev(control), id: 'breaker' };
}

/**
 * The id of a stored never-block entry: derived from the canonical address, so adding the same
 * address twice (in any spelling) is one entry and the second try answers 409.
 */
export function neverBlockId(canonical: string): string {
  return `nb-${deterministicId('never-block', canonical).slice(0, 16)}`;
}

function toEntryView(entry: NeverBlockEntry): Static<typeof NeverBlockEntryView> {
  return withoutRev(entry);
}

/**
 * The safety controls of automated response under /api/v1/response, as an operator sees them:
 * the effective never-block list (built-in, this host's, configured and stored entries; viewers
 * read it, admins add and delete store entries, audited as `never-block.add` /
 * `never-block.delete`), and the circuit breaker (viewers read it, admins close it, audited by
 * the safety layer as `response.breaker.close`). An added value must parse as an address or CIDR and is stored in
 * canonical form; the runner checks the list when a step is queued and again when it runs.
 */
export async function responseRoutes(app: FastifyInstance, options: ResponseRouteOptions): Promise<void> {
  const clock = options.clock ?? SYSTEM_CLOCK;

  app.get(
    '/api/v1/response/never-block',
    {
      config: { roles: RESPONSE_ROLES.read },
      onRequest: requireRole(...RESPONSE_ROLES.read),
      schema: {
        summary: 'The effective never-block list: built-in, host, configured and stored entries',
        tags: TAGS,
        response: { 200: Type.Object({ items: Type.Array(NeverBlockItemView) }), 503: ErrorBody },
      },
    },
    async (_request, reply) => {
      if (!options.response) return unavailable(reply, 'response service');
      const items = await options.response.neverBlockList();
      return {
        items: items.map((item) => ({
          value: item.value,
          source: item.source,
          ...(item.note !== undefined ? { note: item.note } : {}),
          ...(item.id !== undefined ? { id: item.id } : {}),
        })),
      };
    },
  );

  app.post<{ Body: Static<typeof AddNeverBlockBody> }>(
    '/api/v1/response/never-block',
    {
      config: { roles: RESPONSE_ROLES.administer },
      onRequest: requireRole(...RESPONSE_ROLES.administer),
      schema: {
        summary: 'Add an address or CIDR to the never-block list',
        tags: TAGS,
        body: AddNeverBlockBody,
        response: { 201: NeverBlockEntryView, 409: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const cases = options.cases;
      if (!cases) return unavailable(reply, 'case store');
      // Throws WATCHPOST_ERR_ACTION_INPUT (400) for anything but an address or prefix.
      const value = parseAddress(request.body.value).text;
      const stored = await cases.neverBlock.list({ limit: 1 });
      if (stored.total >= MAX_STORED_NEVER_BLOCK) {
        throw new UserError('WATCHPOST_ERR_STORE_CONFLICT', `the never-block list already holds ${stored.total} entries (at most ${MAX_STORED_NEVER_BLOCK}): use a wider prefix`);
      }
      const principal = request.principal as Principal;
      const now = clock.now();
      const at = new Date(now).toISOString();
      const entry: NeverBlockEntry = {
        id: neverBlockId(value),
        value,
        ...(request.body.note !== undefined ? { note: request.body.note } : {}),
        createdBy: await actingUser(principal, cases),
        createdAt: at,
        updatedAt: at,
      };
      // An entry for the same address exists: WATCHPOST_ERR_STORE_CONFLICT (409).
      const created = await cases.neverBlock.create(entry);
      await recordAudit(cases, { actor: principal.id, action: 'never-block.add', target: { type: 'never-block', id: created.id }, after: toEntryView(created), at: now });
      return reply.code(201).send(toEntryView(created));
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/api/v1/response/never-block/:id',
    {
      config: { roles: RESPONSE_ROLES.administer },
      onRequest: requireRole(...RESPONSE_ROLES.administer),
      schema: {
        summary: 'Delete a stored never-block entry (built-in, host and configured entries cannot be)',
        tags: TAGS,
        params: IdParams,
        response: { 200: NeverBlockEntryView, 404: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const cases = options.cases;
      if (!cases) return unavailable(reply, 'case store');
      const id = request.params.id;
      const before = await cases.neverBlock.get(id);
      if (!before || !(await cases.neverBlock.delete(id))) throw new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', `no stored never-block entry ${id}`);
      const principal = request.principal as Principal;
      await recordAudit(cases, { actor: principal.id, action: 'never-block.delete', target: { type: 'never-block', id }, before: toEntryView(before), at: clock.now() });
      return toEntryView(before);
    },
  );

  app.get(
    '/api/v1/response/breaker',
    {
      config: { roles: RESPONSE_ROLES.read },
      onRequest: requireRole(...RESPONSE_ROLES.read),
      schema: { summary: 'The circuit breaker of automatic blocks', tags: TAGS, response: { 200: BreakerView, 503: ErrorBody } },
    },
    async (_request, reply) => {
      if (!options.response) return unavailable(reply, 'response service');
      return toBreakerView(await options.response.breaker());
    },
  );

  app.post(
    '/api/v1/response/breaker/close',
    {
      config: { roles: RESPONSE_ROLES.administer },
      onRequest: requireRole(...RESPONSE_ROLES.administer),
      schema: {
        summary: 'Close the circuit breaker: automatic blocks are admitted again',
        tags: TAGS,
        response: { 200: BreakerView, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const { response, cases } = options;
      if (!response) return unavailable(reply, 'response service');
      if (!cases) return unavailable(reply, 'case store');
      const principal = request.principal as Principal;
      // The safety layer audits a real close (`response.breaker.close`, actor the user) and
      // changes nothing for a closed breaker, so this route adds no entry of its own.
      return toBreakerView(await response.closeBreaker(await actingUser(principal, cases)));
    },
  );
}
