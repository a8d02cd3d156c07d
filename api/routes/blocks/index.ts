import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { BlockState } from '../../../core/cases/types.js';
import { SYSTEM_CLOCK, type Clock } from '../../../core/clock.js';
import { UserError, WatchpostError } from '../../../core/errors.js';
import { and, type FilterNode } from '../../../core/query/filter.js';
import type { CaseStore } from '../../../core/stores/case-store.js';
import { parseAddress } from '../../../playbooks/actions/address.js';
import type { Principal } from '../../plugins/auth-guard.js';
import { ErrorBody } from '../../plugins/openapi.js';
import { requireRole } from '../../plugins/require-role.js';
import { recordAudit } from '../audit/record.js';
import { actingUser, RESPONSE_ROLES, unavailable, withoutRev } from '../response/common.js';
import type { ResponseOperations } from '../response/operations.js';

/** Options of {@link blocksRoutes}. */
export interface BlocksRouteOptions {
  /** Absent when this process has no case store: every route then answers 503. */
  readonly cases?: CaseStore | undefined;
  /** Undoes blocks; without it release answers 503. */
  readonly response?: ResponseOperations | undefined;
  /** secondsLeft is counted from it. @defaultValue the system clock */
  readonly clock?: Clock | undefined;
}

/** The largest page of blocks. */
export const MAX_BLOCKS_PAGE = 200;

/** The longest release reason. */
export const MAX_RELEASE_REASON = 2000;

const TAGS = ['blocks'];

/** A block (or a disabled account) on one enforcement point, with the time it has left. */
export const BlockView = Type.Object(
  {
    id: Type.String({ description: '`<driver>:<target>`' }),
    kind: Type.Union([Type.Literal('ip'), Type.Literal('account')]),
    target: Type.String(),
    driver: Type.String(),
    state: Type.Union([Type.Literal('active'), Type.Literal('released'), Type.Literal('failed')]),
    reason: Type.String(),
    createdBy: Type.String(),
    offense: Type.Integer({ description: 'How many times this target was blocked here, this one included: the TTL doubles per repeat.' }),
    runId: Type.Optional(Type.String()),
    alertIds: Type.Optional(Type.Array(Type.String())),
    createdAt: Type.String(),
    updatedAt: Type.String(),
    expiresAt: Type.Optional(Type.String()),
    secondsLeft: Type.Optional(Type.Integer({ description: 'Until expiresAt (0 once past it, until the undo is done); only on an active block that expires.' })),
    verifiedAt: Type.Optional(Type.String({ description: 'When the block was last seen in force on the device.' })),
    lastError: Type.Optional(Type.String()),
    releasedAt: Type.Optional(Type.String()),
    releasedBy: Type.Optional(Type.String({ description: '`expiry`, `reconcile`, or the user who released it.' })),
  },
  { additionalProperties: false },
);
export type BlockView = Static<typeof BlockView>;

/** The query of GET /api/v1/blocks. */
export const BlocksQuery = Type.Object(
  {
    state: Type.Union([Type.Literal('active'), Type.Literal('released'), Type.Literal('failed'), Type.Literal('all')], { default: 'active' }),
    kind: Type.Optional(Type.Union([Type.Literal('ip'), Type.Literal('account')])),
    driver: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    target: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'An address or CIDR (compared in canonical form), or an account name.' })),
    limit: Type.Integer({ minimum: 1, maximum: MAX_BLOCKS_PAGE, default: 50 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  },
  { additionalProperties: false },
);

/** The body of POST /api/v1/blocks/{id}/release. */
export const ReleaseBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: MAX_RELEASE_REASON }) }, { additionalProperties: false });

const BlockPage = Type.Object({ items: Type.Array(BlockView), total: Type.Integer(), nextCursor: Type.Optional(Type.String()) });
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 400 }) }, { additionalProperties: false });

/** The block without its revision, with the whole seconds left until it expires (active blocks only). */
export function toBlockView(block: BlockState, now: number): BlockView {
  const { alertIds, ...rest } = withoutRev(block);
  const view: BlockView = { ...rest, ...(alertIds !== undefined ? { alertIds: [...alertIds] } : {}) };
  if (block.state !== 'active' || block.expiresAt === undefined) return view;
  return { ...view, secondsLeft: Math.max(0, Math.ceil((Date.parse(block.expiresAt) - now) / 1000)) };
}

function exact(field: string, value: string): FilterNode {
  return { op: 'eq', field, value, caseSensitive: true };
}

/** Addresses are stored as `parseAddress` writes them: `192.0.2.7/32` finds `192.0.2.7`. */
function canonicalTarget(target: string): string {
  try {
    return parseAddress(target).text;
  } catch (error) {
    if (error instanceof WatchpostError) return target;
    throw error;
  }
}

/**
 * Blocks under /api/v1/blocks: the desired state of every block and disabled account per
 * enforcement point. Viewers list them (active ones by default, filtered by state, kind, driver
 * and target, newest first) with the seconds each has left; responders release one before its
 * expiry (the driver undoes it now, and the record keeps who released it and why). Releasing is
 * audited (`block.release`) with the record before and after.
 */
export async function blocksRoutes(app: FastifyInstance, options: BlocksRouteOptions): Promise<void> {
  const clock = options.clock ?? SYSTEM_CLOCK;

  app.get<{ Querystring: Static<typeof BlocksQuery> }>(
    '/api/v1/blocks',
    {
      config: { roles: RESPONSE_ROLES.read },
      onRequest: requireRole(...RESPONSE_ROLES.read),
      schema: { summary: 'List blocks and disabled accounts', tags: TAGS, querystring: BlocksQuery, response: { 200: BlockPage, 503: ErrorBody } },
    },
    async (request, reply) => {
      const cases = options.cases;
      if (!cases) return unavailable(reply, 'case store');
      const { state, kind, driver, target, limit, cursor } = request.query;
      const filters: FilterNode[] = [];
      if (state !== 'all') filters.push(exact('state', state));
      if (kind !== undefined) filters.push(exact('kind', kind));
      if (driver !== undefined) filters.push(exact('driver', driver));
      if (target !== undefined) filters.push(exact('target', canonicalTarget(target)));
      const page = await cases.blocks.list({
        ...(filters.length > 0 ? { filter: and(...filters) } : {}),
        sort: 'createdAt',
        order: 'desc',
        limit,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      const now = clock.now();
      return { items: page.items.map((block) => toBlockView(block, now)), total: page.total, ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}) };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/v1/blocks/:id',
    {
      config: { roles: RESPONSE_ROLES.read },
      onRequest: requireRole(...RESPONSE_ROLES.read),
      schema: { summary: 'Get a block', tags: TAGS, params: IdParams, response: { 200: BlockView, 404: ErrorBody, 503: ErrorBody } },
    },
    async (request, reply) => {
      const cases = options.cases;
      if (!cases) return unavailable(reply, 'case store');
      const block = await cases.blocks.get(request.params.id);
      if (!block) throw new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', `no block ${request.params.id}`);
      return toBlockView(block, clock.now());
    },
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof ReleaseBody> }>(
    '/api/v1/blocks/:id/release',
    {
      config: { roles: RESPONSE_ROLES.act },
      onRequest: requireRole(...RESPONSE_ROLES.act),
      schema: {
        summary: 'Release a block now (the driver undoes it)',
        tags: TAGS,
        params: IdParams,
        body: ReleaseBody,
        response: { 200: BlockView, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const cases = options.cases;
      if (!cases) return unavailable(reply, 'case store');
      const before = await cases.blocks.get(request.params.id);
      if (!before) throw new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', `no block ${request.params.id}`);
      if (before.state !== 'active') throw new UserError('WATCHPOST_ERR_STORE_CONFLICT', `block ${before.id} is ${before.state}: only an active block can be released`);
      const response = options.response;
      if (!response) return unavailable(reply, 'response service');
      const principal = request.principal as Principal;
      const user = await actingUser(principal, cases);
      const after = await response.releaseBlock(before.id, user, request.body.reason);
      const now = clock.now();
      await recordAudit(cases, {
        actor: principal.id,
        action: 'block.release',
        target: { type: 'block', id: before.id },
        before: withoutRev(before),
        // The block record has no field for why it was released; the audit entry keeps it.
        after: { ...withoutRev(after), releaseReason: request.body.reason },
        at: now,
      });
      return toBlockView(after, now);
    },
  );
}
