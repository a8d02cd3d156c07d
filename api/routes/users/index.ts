import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PasswordHasher } from '../../../core/auth/password.js';
import { ROLES, type Role, type User } from '../../../core/cases/types.js';
import { SYSTEM_CLOCK, type Clock } from '../../../core/clock.js';
import { UserError } from '../../../core/errors.js';
import { and, type FilterNode } from '../../../core/query/filter.js';
import type { CaseStore, Stored } from '../../../core/stores/case-store.js';
import { modify } from '../../../core/stores/modify.js';
import type { Principal } from '../../plugins/auth-guard.js';
import { requireRole } from '../../plugins/require-role.js';
import { recordAudit } from '../audit/record.js';
import { assignableUsersRoute } from './assignable.js';
import { principalUserId } from './principal.js';

/** Options of {@link usersRoutes}. */
export interface UsersRouteOptions {
  /** Absent when this process has no case store: every route then answers 503. */
  readonly cases?: CaseStore | undefined;
  /** Hashes a password given at creation; without one, a request with a password is refused. */
  readonly passwords?: PasswordHasher | undefined;
  /** Stamps createdAt, updatedAt and the audit entries. @defaultValue the system clock */
  readonly clock?: Clock | undefined;
}

/** The largest page of users. */
export const MAX_USERS_PAGE = 200;

/** A role name. */
export const RoleSchema = Type.Union(
  ROLES.map((role) => Type.Literal(role)),
  { description: 'viewer < analyst < responder < approver < admin; ingest is the machine role.' },
);

/** A non-empty set of roles. */
export const RolesSchema = Type.Array(RoleSchema, { minItems: 1, maxItems: ROLES.length, uniqueItems: true });

const Username = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]*$',
  description: 'Letters, digits, `.`, `_`, `@`, `-`; unique without regard to case (the id is it lower-cased).',
});
const DisplayName = Type.String({ minLength: 1, maxLength: 200 });
const Email = Type.String({ minLength: 3, maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+$' });

/** A user as the API shows it: never the password hash. */
export const UserView = Type.Object(
  {
    id: Type.String(),
    username: Type.String(),
    displayName: Type.Optional(Type.String()),
    email: Type.Optional(Type.String()),
    roles: Type.Array(RoleSchema),
    disabled: Type.Boolean(),
    hasPassword: Type.Boolean({ description: 'False for users who sign in only through OIDC (or not yet at all).' }),
    lastLoginAt: Type.Optional(Type.String()),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { additionalProperties: false },
);
export type UserView = Static<typeof UserView>;

const UserPage = Type.Object({ items: Type.Array(UserView), total: Type.Integer(), nextCursor: Type.Optional(Type.String()) });

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

/** The query of GET /api/v1/users. */
export const UsersQuery = Type.Object(
  {
    role: Type.Optional(RoleSchema),
    disabled: Type.Optional(Type.Boolean()),
    prefix: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Users whose id starts with this (case-insensitive).' })),
    limit: Type.Integer({ minimum: 1, maximum: MAX_USERS_PAGE, default: 50 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  },
  { additionalProperties: false },
);

/** The body of POST /api/v1/users. */
export const CreateUserBody = Type.Object(
  {
    username: Username,
    roles: RolesSchema,
    displayName: Type.Optional(DisplayName),
    email: Type.Optional(Email),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'Optional; users without one sign in through OIDC.' })),
  },
  { additionalProperties: false },
);

/** The body of PATCH /api/v1/users/:id: what may change besides the enabled state. */
export const UpdateUserBody = Type.Object(
  { roles: Type.Optional(RolesSchema), displayName: Type.Optional(DisplayName), email: Type.Optional(Email) },
  { additionalProperties: false, minProperties: 1 },
);

/** The user without its password hash, and with whether it has one. */
export function toUserView(user: User): UserView {
  return {
    id: user.id,
    username: user.username,
    ...(user.displayName !== undefined ? { displayName: user.displayName } : {}),
    ...(user.email !== undefined ? { email: user.email } : {}),
    roles: [...user.roles],
    disabled: user.disabled,
    hasPassword: user.passwordHash !== undefined,
    ...(user.lastLoginAt !== undefined ? { lastLoginAt: user.lastLoginAt } : {}),
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  };
}

const ADMIN_ONLY = ['admin'] as const satisfies readonly Role[];
const TAGS = ['users'];

function storeOf(options: UsersRouteOptions, reply: FastifyReply): CaseStore | undefined {
  if (!options.cases) void reply.code(503).send({ error: 'unavailable', message: 'this process has no case store' });
  return options.cases;
}

function isEnabledAdmin(user: User): boolean {
  return !user.disabled && user.roles.includes('admin');
}

/**
 * Refuses a change that turns `before` from an enabled admin into something else when no other
 * enabled admin exists: with none left, nobody could manage users from the API.
 */
async function keepAnAdmin(cases: CaseStore, before: User, after: User): Promise<void> {
  if (!isEnabledAdmin(before) || isEnabledAdmin(after)) return;
  const admins = await cases.users.list({
    filter: and({ op: 'eq', field: 'roles', value: 'admin', caseSensitive: true }, { op: 'eq', field: 'disabled', value: false }),
    limit: 2,
  });
  if (!admins.items.some((user) => user.id !== before.id)) {
    throw new UserError('WATCHPOST_ERR_AUTH_LAST_ADMIN', `${before.id} is the last enabled admin; make another admin first`);
  }
}

function principalOf(request: FastifyRequest): Principal {
  // requireRole answered 401 before the handler for a request without one.
  return request.principal as Principal;
}

async function notFound(id: string): Promise<never> {
  throw new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', `no user ${id}`);
}

/**
 * Users under /api/v1/users, for admins only: list (filter by role, state, id prefix; paged),
 * get, create with roles (and optionally a password), change roles, display name or email, and
 * disable or enable. The password hash never leaves the server. Disabling a user ends its
 * sessions at once (its API tokens stop working within the token cache period); a change that
 * would leave no enabled admin is refused. Every change is written to the audit log with the
 * record before and after. Analysts and up get the assignable users (ids and names only) at
 * /api/v1/users/assignable, for the assignee picker.
 */
export async function usersRoutes(app: FastifyInstance, options: UsersRouteOptions): Promise<void> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  assignableUsersRoute(app, options.cases);
  app.get<{ Querystring: Static<typeof UsersQuery> }>(
    '/api/v1/users',
    {
      config: { roles: ADMIN_ONLY },
      onRequest: requireRole(...ADMIN_ONLY),
      schema: { summary: 'List users', tags: TAGS, querystring: UsersQuery, response: { 200: UserPage } },
    },
    async (request, reply) => {
      const cases = storeOf(options, reply);
      if (!cases) return reply;
      const { role, disabled, prefix, limit, cursor } = request.query;
      const filters: FilterNode[] = [];
      if (role !== undefined) filters.push({ op: 'eq', field: 'roles', value: role, caseSensitive: true });
      if (disabled !== undefined) filters.push({ op: 'eq', field: 'disabled', value: disabled });
      if (prefix !== undefined) filters.push({ op: 'startswith', field: 'id', value: prefix.toLowerCase() });
      const page = await cases.users.list({
        ...(filters.length > 0 ? { filter: and(...filters) } : {}),
        sort: 'id',
        order: 'asc',
        limit,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      return { items: page.items.map(toUserView), total: page.total, ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}) };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/v1/users/:id',
    {
      config: { roles: ADMIN_ONLY },
      onRequest: requireRole(...ADMIN_ONLY),
      schema: { summary: 'Get a user', tags: TAGS, params: IdParams, response: { 200: UserView } },
    },
    async (request, reply) => {
      const cases = storeOf(options, reply);
      if (!cases) return reply;
      const user = await cases.users.get(request.params.id.toLowerCase());
      return user ? toUserView(user) : notFound(request.params.id);
    },
  );

  app.post<{ Body: Static<typeof CreateUserBody> }>(
    '/api/v1/users',
    {
      config: { roles: ADMIN_ONLY },
      onRequest: requireRole(...ADMIN_ONLY),
      schema: { summary: 'Create a user', tags: TAGS, body: CreateUserBody, response: { 201: UserView } },
    },
    async (request, reply) => {
      const cases = storeOf(options, reply);
      if (!cases) return reply;
      const body = request.body;
      let passwordHash: string | undefined;
      if (body.password !== undefined) {
        if (!options.passwords) throw new UserError('WATCHPOST_ERR_AUTH_USER', 'this process sets no passwords; create the user without one');
        passwordHash = await options.passwords.hash(body.password);
      }
      const now = new Date(clock.now()).toISOString();
      const user: User = {
        id: body.username.toLowerCase(),
        username: body.username,
        ...(body.displayName !== undefined ? { displayName: body.displayName } : {}),
        ...(body.email !== undefined ? { email: body.email } : {}),
        roles: body.roles,
        ...(passwordHash !== undefined ? { passwordHash } : {}),
        disabled: false,
        createdAt: now,
        updatedAt: now,
      };
      // A taken username is WATCHPOST_ERR_STORE_CONFLICT from the store: 409.
      const created = await cases.users.create(user);
      await recordAudit(cases, { actor: principalOf(request).id, action: 'user.create', target: { type: 'user', id: created.id }, after: toUserView(created), at: clock.now() });
      return reply.code(201).send(toUserView(created));
    },
  );

  /** Applies `change` to a user with optimistic concurrency, refusing to lose the last admin, and audits it. */
  const change = async (
    request: FastifyRequest<{ Params: Static<typeof IdParams> }>,
    reply: FastifyReply,
    action: string,
    apply: (user: Stored<User>) => User,
  ): Promise<FastifyReply | UserView> => {
    const cases = storeOf(options, reply);
    if (!cases) return reply;
    const id = request.params.id.toLowerCase();
    const before = await cases.users.get(id);
    if (!before) return notFound(request.params.id);
    // Checked on the record as read: two admins demoting each other in the same instant could
    // both pass; that needs two admins acting at once, and the CLI can always make a new one.
    await keepAnAdmin(cases, before, apply(before));
    let previous: User = before;
    const after = await modify(cases.users, id, (current) => {
      previous = current;
      return { ...apply(current), updatedAt: new Date(clock.now()).toISOString() };
    });
    if (after.disabled && !previous.disabled) {
      // Signed-in browsers of a disabled user lose their session now, not at its timeout.
      await cases.sessions.deleteMatching({ op: 'eq', field: 'userId', value: id, caseSensitive: true });
    }
    await recordAudit(cases, { actor: principalOf(request).id, action, target: { type: 'user', id }, before: toUserView(previous), after: toUserView(after), at: clock.now() });
    return toUserView(after);
  };

  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof UpdateUserBody> }>(
    '/api/v1/users/:id',
    {
      config: { roles: ADMIN_ONLY },
      onRequest: requireRole(...ADMIN_ONLY),
      schema: { summary: 'Change a user’s roles, display name or email', tags: TAGS, params: IdParams, body: UpdateUserBody, response: { 200: UserView } },
    },
    async (request, reply) =>
      change(request, reply, 'user.update', (user) => ({
        ...user,
        ...(request.body.roles !== undefined ? { roles: request.body.roles } : {}),
        ...(request.body.displayName !== undefined ? { displayName: request.body.displayName } : {}),
        ...(request.body.email !== undefined ? { email: request.body.email } : {}),
      })),
  );

  for (const [verb, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    app.post<{ Params: Static<typeof IdParams> }>(
      `/api/v1/users/:id/${verb}`,
      {
        config: { roles: ADMIN_ONLY },
        onRequest: requireRole(...ADMIN_ONLY),
        schema: {
          summary: disabled ? 'Disable a user (ends its sessions; its tokens stop working)' : 'Enable a user',
          tags: TAGS,
          params: IdParams,
          response: { 200: UserView },
        },
      },
      async (request, reply) => {
        if (disabled && options.cases) {
          const self = await principalUserId(principalOf(request), options.cases);
          if (self === request.params.id.toLowerCase()) throw new UserError('WATCHPOST_ERR_AUTH_USER', 'you cannot disable yourself');
        }
        return change(request, reply, `user.${verb}`, (user) => ({ ...user, disabled }));
      },
    );
  }
}
