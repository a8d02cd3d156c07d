import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Role, User } from '../../../core/cases/types.js';
import type { Clock } from '../../../core/clock.js';
import { writeAudit } from '../../../core/auth/audit.js';
import type { LoginService } from '../../../core/auth/login.js';
import { MAX_PASSWORD_LENGTH } from '../../../core/auth/password.js';
import { csrfTokenFor, endSession } from '../../../core/auth/sessions.js';
import type { CaseStore } from '../../../core/stores/case-store.js';
import { requireRole } from '../../plugins/require-role.js';
import { clearSessionCookie, servedOverTls, sessionSecretOf, setSessionCookie } from '../../plugins/session-auth.js';

/** Options of {@link authRoutes}. */
export interface AuthRouteOptions {
  readonly cases: CaseStore;
  readonly login: LoginService;
  readonly clock: Clock;
  /** `auth.secureTransport`: clients use HTTPS through a proxy. */
  readonly secureTransport: boolean;
  /** `auth.oidc` is configured, so the console offers single sign-on. @defaultValue false */
  readonly oidc?: boolean;
}

/** Every authenticated principal may see itself and sign out: all human roles (via viewer) and ingest. */
const ANY_ROLE: Role[] = ['viewer', 'ingest'];

const RoleName = Type.Union(['viewer', 'analyst', 'responder', 'approver', 'admin', 'ingest'].map((role) => Type.Literal(role)));

/** The body of POST /api/v1/auth/login. */
export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH * 4, description: `At most ${MAX_PASSWORD_LENGTH} characters.` }),
  },
  { additionalProperties: false },
);

/** The signed-in user as the console needs it (never the password hash). */
export const SignedInUser = Type.Object(
  {
    id: Type.String(),
    username: Type.String(),
    displayName: Type.Optional(Type.String()),
    email: Type.Optional(Type.String()),
    roles: Type.Array(RoleName),
    lastLoginAt: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** The body of a successful sign-in. */
export const LoginResponse = Type.Object(
  {
    user: SignedInUser,
    roles: Type.Array(RoleName),
    csrfToken: Type.String({ description: 'Send it in the x-csrf-token header of every POST, PUT, PATCH and DELETE made with the session cookie.' }),
  },
  { additionalProperties: false },
);

/** The body of GET /api/v1/auth/methods. */
export const MethodsResponse = Type.Object(
  {
    password: Type.Boolean({ description: 'Local accounts sign in with POST /api/v1/auth/login.' }),
    oidc: Type.Boolean({ description: 'Single sign-on through GET /api/v1/auth/oidc/login is configured.' }),
    firstRun: Type.Boolean({
      description: 'No user has signed in yet, so the sign-in page points to the admin password printed once at first start.',
    }),
  },
  { additionalProperties: false },
);

/** The body of GET /api/v1/auth/me. */
export const MeResponse = Type.Object(
  {
    principal: Type.String({ description: 'The user id, or token:<id> for an API token.' }),
    roles: Type.Array(RoleName),
    user: Type.Optional(SignedInUser),
    csrfToken: Type.Optional(Type.String({ description: 'The session\u2019s CSRF token (cookie sessions only), so a reloaded console can carry on.' })),
    session: Type.Optional(Type.Object({ createdAt: Type.String(), lastSeenAt: Type.String(), expiresAt: Type.String() }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

const ErrorResponse = Type.Object({ error: Type.String(), code: Type.Optional(Type.String()), message: Type.String() });

function signedIn(user: User): Static<typeof SignedInUser> {
  return {
    id: user.id,
    username: user.username,
    ...(user.displayName !== undefined ? { displayName: user.displayName } : {}),
    ...(user.email !== undefined ? { email: user.email } : {}),
    roles: [...user.roles],
    ...(user.lastLoginAt !== undefined ? { lastLoginAt: user.lastLoginAt } : {}),
  };
}

/** Nothing about a sign-in may be cached by a browser or proxy (the body holds the CSRF token). */
function noStore(reply: FastifyReply): void {
  reply.header('cache-control', 'no-store');
}

/**
 * The sign-in routes under /api/v1/auth:
 * - POST login (public): `{ username, password }`; on success a fresh session cookie (any
 *   session the request carried ends: a new token on every sign-in, ASVS 7.2.4) and
 *   `{ user, roles, csrfToken }`; 401 with one message for every failure; 429 with Retry-After
 *   during a lockout.
 * - POST logout: ends the request's session and clears the cookie (204); nothing for an API token.
 * - GET me: who the request is, and for a session its CSRF token and times.
 * - GET methods (public): which ways of signing in the sign-in page offers (the OIDC route
 *   itself cannot be probed without starting a flow), and whether nobody has signed in yet
 *   (`firstRun`), so the page shows where the first admin password is only then.
 *
 * A login body must be JSON (Fastify answers 415 to anything else), which a cross-site form
 * cannot send, so the login itself cannot be forged from another site.
 */
export async function authRoutes(app: FastifyInstance, options: AuthRouteOptions): Promise<void> {
  const { cases, clock } = options;

  app.post<{ Body: Static<typeof LoginBody> }>(
    '/api/v1/auth/login',
    {
      config: { public: true },
      schema: {
        summary: 'Sign in with a username and password',
        tags: ['auth'],
        body: LoginBody,
        response: { 200: LoginResponse, 401: ErrorResponse, 429: ErrorResponse },
      },
    },
    async (request, reply) => {
      noStore(reply);
      const userAgent = request.headers['user-agent'];
      const outcome = await options.login.login({
        username: request.body.username,
        password: request.body.password,
        ip: request.ip,
        ...(typeof userAgent === 'string' ? { userAgent } : {}),
      });
      if (!outcome.ok) {
        if (outcome.reason === 'invalid') {
          return reply.code(401).send({ error: 'unauthorized', code: 'WATCHPOST_ERR_AUTH_FAILED', message: 'invalid username or password' });
        }
        const retryAfterMs = outcome.reason === 'locked' ? outcome.retryAfterMs : 1000;
        reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
        return reply.code(429).send({ error: 'too_many_requests', code: 'WATCHPOST_ERR_AUTH_LOCKED', message: 'too many sign-in attempts; try again later' });
      }
      await endSession(cases, sessionSecretOf(request));
      setSessionCookie(reply, outcome.started.secret, servedOverTls(request, options.secureTransport));
      return { user: signedIn(outcome.user), roles: [...outcome.user.roles], csrfToken: outcome.started.csrfToken };
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      config: { roles: ANY_ROLE },
      onRequest: requireRole(...ANY_ROLE),
      schema: { summary: 'Sign out: end this session', tags: ['auth'], response: { 204: Type.Null() } },
    },
    async (request, reply) => {
      const session = request.authSession;
      if (session) {
        await cases.sessions.delete(session.id);
        clearSessionCookie(reply, servedOverTls(request, options.secureTransport));
        await writeAudit(cases, clock, { actor: session.userId, action: 'auth.logout', target: { type: 'user', id: session.userId }, outcome: 'success' });
      }
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/v1/auth/methods',
    {
      config: { public: true },
      schema: { summary: 'The ways of signing in: local password, single sign-on', tags: ['auth'], response: { 200: MethodsResponse } },
    },
    async (request) => {
      let firstRun = false;
      try {
        const signedInBefore = await cases.users.list({ filter: { op: 'exists', field: 'lastLoginAt' }, limit: 1 });
        firstRun = signedInBefore.items.length === 0;
      } catch (error) {
        // Only a hint: a store that cannot answer must not take single sign-on off the page.
        request.log.warn({ err: error }, 'cannot tell whether anyone has signed in; no first-run hint');
      }
      return { password: true, oidc: options.oidc ?? false, firstRun };
    },
  );

  app.get(
    '/api/v1/auth/me',
    {
      config: { roles: ANY_ROLE },
      onRequest: requireRole(...ANY_ROLE),
      schema: { summary: 'Who am I: the principal, its roles and the session\u2019s CSRF token', tags: ['auth'], response: { 200: MeResponse } },
    },
    async (request, reply) => {
      noStore(reply);
      const principal = request.principal as NonNullable<typeof request.principal>;
      const session = request.authSession;
      const secret = sessionSecretOf(request);
      if (!session || secret === undefined) return { principal: principal.id, roles: [...principal.roles] };
      const user = await cases.users.get(session.userId);
      return {
        principal: principal.id,
        roles: [...principal.roles],
        ...(user ? { user: signedIn(user) } : {}),
        csrfToken: csrfTokenFor(secret),
        session: { createdAt: session.createdAt, lastSeenAt: session.lastSeenAt, expiresAt: session.expiresAt },
      };
    },
  );
}
