import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiToken, Role } from '../../../core/cases/types.js';
import { SYSTEM_CLOCK, type Clock } from '../../../core/clock.js';
import { UserError } from '../../../core/errors.js';
import { hashSecret, randomId, randomSecret } from '../../../core/ids.js';
import { and, type FilterNode } from '../../../core/query/filter.js';
import type { CaseStore } from '../../../core/stores/case-store.js';
import { modify } from '../../../core/stores/modify.js';
import type { Principal } from '../../plugins/auth-guard.js';
import { hasRole, requireRole } from '../../plugins/require-role.js';
import { formatToken } from '../../plugins/token-auth.js';
import { recordAudit } from '../audit/record.js';
import { principalUserId } from '../users/principal.js';
import { RoleSchema, RolesSchema } from '../users/index.js';

/** Options of {@link tokensRoutes}. */
export interface TokensRouteOptions {
  /** Absent when this process has no case store: every route then answers 503. */
  readonly cases?: CaseStore | undefined;
  /** Creation times, expiry and status read it. @defaultValue the system clock */
  readonly clock?: Clock | undefined;
}

/** Unrevoked tokens one user may hold (expired ones count until revoked): a bound on what a stolen session can mint. */
export const MAX_ACTIVE_TOKENS_PER_USER = 50;

/** The largest page of tokens. */
export const MAX_TOKENS_PAGE = 200;

const DAY_MS = 86_400_000;

/** A token as the API shows it: never its hash. */
export const TokenView = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    userId: Type.String(),
    roles: Type.Array(RoleSchema),
    revoked: Type.Boolean(),
    status: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
    expiresAt: Type.Optional(Type.String()),
    lastUsedAt: Type.Optional(Type.String()),
    createdAt: Type.String(),
  },
  { additionalProperties: false },
);
export type TokenView = Static<typeof TokenView>;

/** The answer of a creation: the token and its bearer value, shown this once. */
export const CreatedTokenView = Type.Object(
  {
    token: TokenView,
    secret: Type.String({ description: 'The bearer value `wp_<id>_<secret>`. Only its hash is stored: it cannot be shown again.' }),
  },
  { additionalProperties: false },
);

/** The body of POST /api/v1/tokens. */
export const CreateTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, description: 'What the token is for, e.g. "web-01 agent".' }),
    roles: RolesSchema,
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: 'Default: never expires.' })),
    userId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Admins only: the user the token acts for. Default: yourself.' })),
  },
  { additionalProperties: false },
);

/** The query of GET /api/v1/tokens. */
export const TokensQuery = Type.Object(
  {
    userId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Admins only (others see their own tokens).' })),
    revoked: Type.Optional(Type.Boolean()),
    limit: Type.Integer({ minimum: 1, maximum: MAX_TOKENS_PAGE, default: 50 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  },
  { additionalProperties: false },
);

const TokenPage = Type.Object({ items: Type.Array(TokenView), total: Type.Integer(), nextCursor: Type.Optional(Type.String()) });
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

/** The token without its hash, with its status at `now`. */
export function toTokenView(token: ApiToken, now: number): TokenView {
  const expired = token.expiresAt !== undefined && !(Date.parse(token.expiresAt) > now);
  return {
    id: token.id,
    name: token.name,
    userId: token.userId,
    roles: [...token.roles],
    revoked: token.revoked,
    status: token.revoked ? 'revoked' : expired ? 'expired' : 'active',
    ...(token.expiresAt !== undefined ? { expiresAt: token.expiresAt } : {}),
    ...(token.lastUsedAt !== undefined ? { lastUsedAt: token.lastUsedAt } : {}),
    createdAt: token.createdAt,
  };
}

/** Anyone who works cases may hold tokens for scripts; viewers read through the console. */
const TOKEN_USERS = ['analyst'] as const satisfies readonly Role[];
const TAGS = ['tokens'];

interface Caller {
  readonly principal: Principal;
  /** The user the principal acts for. */
  readonly userId: string;
  readonly admin: boolean;
}

/** The principal, its user and whether it is an admin; undefined when its token has just been deleted. */
async function callerOf(request: FastifyRequest, cases: CaseStore): Promise<Caller | undefined> {
  // requireRole answered 401 before the handler for a request without a principal.
  const principal = request.principal as Principal;
  const userId = await principalUserId(principal, cases);
  return userId === undefined ? undefined : { principal, userId, admin: hasRole(principal, ['admin']) };
}

function forbidden(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(403).send({ error: 'forbidden', message });
}

function notFound(id: string): never {
  throw new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', `no token ${id}`);
}

/**
 * API tokens under /api/v1/tokens, for analysts and above: create (the bearer value is in the
 * answer once; only its SHA-256 is stored), list, get and revoke. Non-admins see and revoke only
 * their own tokens (another's answers 404, so ids are not probed) and may give a token only roles
 * they hold themselves in this request (a narrow token cannot mint a wider one); admins manage
 * every user's tokens, within that user's roles. Creation and revocation are audited, never with
 * the secret or its hash.
 */
export async function tokensRoutes(app: FastifyInstance, options: TokensRouteOptions): Promise<void> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const storeAndCaller = async (request: FastifyRequest, reply: FastifyReply): Promise<{ cases: CaseStore; caller: Caller } | undefined> => {
    const cases = options.cases;
    if (!cases) {
      await reply.code(503).send({ error: 'unavailable', message: 'this process has no case store' });
      return undefined;
    }
    const caller = await callerOf(request, cases);
    if (!caller) {
      await reply.code(401).send({ error: 'unauthorized', message: 'authentication required' });
      return undefined;
    }
    return { cases, caller };
  };

  app.post<{ Body: Static<typeof CreateTokenBody> }>(
    '/api/v1/tokens',
    {
      config: { roles: TOKEN_USERS },
      onRequest: requireRole(...TOKEN_USERS),
      schema: { summary: 'Create an API token (its secret is shown once)', tags: TAGS, body: CreateTokenBody, response: { 201: CreatedTokenView } },
    },
    async (request, reply) => {
      const context = await storeAndCaller(request, reply);
      if (!context) return reply;
      const { cases, caller } = context;
      const body = request.body;
      const ownerId = (body.userId ?? caller.userId).toLowerCase();
      if (ownerId !== caller.userId && !caller.admin) return forbidden(reply, 'only an admin may create a token for another user');
      if (!caller.admin) {
        const beyond = body.roles.filter((role) => !caller.principal.roles.includes(role));
        if (beyond.length > 0) return forbidden(reply, `you do not hold the role${beyond.length > 1 ? 's' : ''} ${beyond.join(', ')} in this request`);
      }
      const owner = await cases.users.get(ownerId);
      if (!owner) throw new UserError('WATCHPOST_ERR_AUTH_TOKEN', `user ${ownerId} does not exist`);
      if (owner.disabled) throw new UserError('WATCHPOST_ERR_AUTH_TOKEN', `user ${ownerId} is disabled`);
      // A token never outranks its user: token-auth grants only roles the user still holds.
      const missing = body.roles.filter((role) => !owner.roles.includes(role));
      if (missing.length > 0) throw new UserError('WATCHPOST_ERR_AUTH_TOKEN', `user ${ownerId} does not hold the role${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
      const active = await cases.tokens.list({
        filter: and({ op: 'eq', field: 'userId', value: ownerId, caseSensitive: true }, { op: 'eq', field: 'revoked', value: false }),
        limit: 1,
      });
      if (active.total >= MAX_ACTIVE_TOKENS_PER_USER) {
        throw new UserError('WATCHPOST_ERR_AUTH_TOKEN', `user ${ownerId} already holds ${active.total} unrevoked tokens; revoke some first`);
      }

      const now = clock.now();
      const secret = randomSecret();
      const token: ApiToken = {
        id: randomId(),
        name: body.name,
        userId: ownerId,
        secretHash: hashSecret(secret),
        roles: body.roles,
        revoked: false,
        ...(body.expiresInDays !== undefined ? { expiresAt: new Date(now + body.expiresInDays * DAY_MS).toISOString() } : {}),
        createdAt: new Date(now).toISOString(),
      };
      await cases.tokens.create(token);
      const view = toTokenView(token, now);
      await recordAudit(cases, { actor: caller.principal.id, action: 'token.create', target: { type: 'token', id: token.id }, after: view, at: now });
      return reply.code(201).header('cache-control', 'no-store').send({ token: view, secret: formatToken(token.id, secret) });
    },
  );

  app.get<{ Querystring: Static<typeof TokensQuery> }>(
    '/api/v1/tokens',
    {
      config: { roles: TOKEN_USERS },
      onRequest: requireRole(...TOKEN_USERS),
      schema: { summary: 'List API tokens (your own; admins: everyone’s)', tags: TAGS, querystring: TokensQuery, response: { 200: TokenPage } },
    },
    async (request, reply) => {
      const context = await storeAndCaller(request, reply);
      if (!context) return reply;
      const { cases, caller } = context;
      const { userId, revoked, limit, cursor } = request.query;
      if (userId !== undefined && userId.toLowerCase() !== caller.userId && !caller.admin) return forbidden(reply, 'only an admin may list another user’s tokens');
      const owner = caller.admin ? userId?.toLowerCase() : caller.userId;
      const filters: FilterNode[] = [];
      if (owner !== undefined) filters.push({ op: 'eq', field: 'userId', value: owner, caseSensitive: true });
      if (revoked !== undefined) filters.push({ op: 'eq', field: 'revoked', value: revoked });
      const page = await cases.tokens.list({
        ...(filters.length > 0 ? { filter: and(...filters) } : {}),
        sort: 'createdAt',
        order: 'desc',
        limit,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      const now = clock.now();
      return { items: page.items.map((token) => toTokenView(token, now)), total: page.total, ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}) };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/v1/tokens/:id',
    {
      config: { roles: TOKEN_USERS },
      onRequest: requireRole(...TOKEN_USERS),
      schema: { summary: 'Get an API token', tags: TAGS, params: IdParams, response: { 200: TokenView } },
    },
    async (request, reply) => {
      const context = await storeAndCaller(request, reply);
      if (!context) return reply;
      const token = await context.cases.tokens.get(request.params.id);
      if (!token || (token.userId !== context.caller.userId && !context.caller.admin)) return notFound(request.params.id);
      return toTokenView(token, clock.now());
    },
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/api/v1/tokens/:id/revoke',
    {
      config: { roles: TOKEN_USERS },
      onRequest: requireRole(...TOKEN_USERS),
      schema: {
        summary: 'Revoke an API token (idempotent; it stops working within 30 s)',
        tags: TAGS,
        params: IdParams,
        response: { 200: TokenView },
      },
    },
    async (request, reply) => {
      const context = await storeAndCaller(request, reply);
      if (!context) return reply;
      const { cases, caller } = context;
      const id = request.params.id;
      const before = await cases.tokens.get(id);
      if (!before || (before.userId !== caller.userId && !caller.admin)) return notFound(id);
      if (before.revoked) return toTokenView(before, clock.now());
      const after = await modify(cases.tokens, id, (current) => ({ ...current, revoked: true }));
      const now = clock.now();
      await recordAudit(cases, {
        actor: caller.principal.id,
        action: 'token.revoke',
        target: { type: 'token', id },
        before: toTokenView(before, now),
        after: toTokenView(after, now),
        at: now,
      });
      return toTokenView(after, now);
    },
  );
}
