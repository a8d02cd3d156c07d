import { createHash } from 'node:crypto';
import type { Session, User } from '../cases/types.js';
import type { Clock } from '../clock.js';
import { digestsEqual, hashSecret, randomSecret } from '../ids.js';
import type { Logger } from '../log.js';
import type { CaseStore, Stored } from '../stores/case-store.js';

/** How long sessions live. */
export interface SessionPolicy {
  /** A session ends after this long without a request. */
  readonly idleTimeoutMs: number;
  /** A session ends this long after sign-in. */
  readonly absoluteTimeoutMs: number;
}

/** A session secret as {@link randomSecret} writes it: 32 bytes in base64url. */
const SECRET = /^[A-Za-z0-9_-]{43}$/;

/** A CSRF token as {@link csrfTokenFor} writes it. */
const CSRF = /^[A-Za-z0-9_-]{43}$/;

const MAX_USER_AGENT = 256;

/** A started session: the secret for the cookie and the CSRF token for the client, both shown once. */
export interface StartedSession {
  readonly session: Session;
  readonly secret: string;
  readonly csrfToken: string;
}

/** A live session and its user, as {@link resolveSession} finds them. */
export interface ResolvedSession {
  readonly session: Stored<Session>;
  readonly user: Stored<User>;
}

/**
 * The session's CSRF token, derived from its secret: SHA-256 over a label and the secret. The
 * server can give it again (GET /api/v1/auth/me after a page reload) without storing it, and it
 * reveals nothing about the secret. The store keeps only its hash, in `Session.csrfHash`.
 */
export function csrfTokenFor(secret: string): string {
  return createHash('sha256').update('watchpost-csrf\u0000').update(secret).digest('base64url');
}

/** True when `presented` is the session's CSRF token, compared in constant time. */
export function csrfTokenMatches(session: Pick<Session, 'csrfHash'>, presented: string | undefined): boolean {
  return presented !== undefined && CSRF.test(presented) && digestsEqual(hashSecret(presented), session.csrfHash);
}

/** The store id of a session secret (its SHA-256), or undefined when it is not shaped like one. */
export function sessionIdOf(secret: string | undefined): string | undefined {
  return secret !== undefined && SECRET.test(secret) ? hashSecret(secret) : undefined;
}

/** When a session seen last at `lastSeenAt` and created at `createdAt` ends, ms. */
function endOf(policy: SessionPolicy, createdAt: number, lastSeenAt: number): number {
  return Math.min(lastSeenAt + policy.idleTimeoutMs, createdAt + policy.absoluteTimeoutMs);
}

/**
 * How often `lastSeenAt` is written: a tenth of the idle timeout, at most once a minute, so an
 * active console costs a write a minute, not one per request. The idle timeout is measured
 * from the stored time, so it may bite up to this much early, never late.
 */
export function touchIntervalMs(policy: SessionPolicy): number {
  return Math.min(60_000, Math.floor(policy.idleTimeoutMs / 10));
}

/**
 * Starts a session for a user who just proved who they are: a fresh 256-bit secret from the
 * CSPRNG (ASVS 7.2.3), stored only as its SHA-256, with `expiresAt` at the nearer of the idle
 * and absolute ends (retention deletes sessions past it).
 */
export async function startSession(
  cases: CaseStore,
  user: Pick<User, 'id'>,
  options: { readonly clock: Clock; readonly policy: SessionPolicy; readonly ip?: string; readonly userAgent?: string },
): Promise<StartedSession> {
  const now = options.clock.now();
  const secret = randomSecret();
  const csrfToken = csrfTokenFor(secret);
  const at = new Date(now).toISOString();
  const session: Session = {
    id: hashSecret(secret),
    userId: user.id,
    csrfHash: hashSecret(csrfToken),
    createdAt: at,
    lastSeenAt: at,
    expiresAt: new Date(endOf(options.policy, now, now)).toISOString(),
    ...(options.ip !== undefined ? { ip: options.ip } : {}),
    ...(options.userAgent !== undefined ? { userAgent: options.userAgent.slice(0, MAX_USER_AGENT) } : {}),
  };
  await cases.sessions.create(session);
  return { session, secret, csrfToken };
}

/**
 * The live session of a secret and its user, or undefined. A session past its idle or absolute
 * end (by the current policy, which may be shorter than when it started), of a missing or
 * disabled user, is deleted and refused. A live one has `lastSeenAt` moved forward, at most
 * every {@link touchIntervalMs}; a failed write is logged and does not fail the request.
 */
export async function resolveSession(
  cases: CaseStore,
  secret: string | undefined,
  options: { readonly clock: Clock; readonly policy: SessionPolicy; readonly logger: Logger },
): Promise<ResolvedSession | undefined> {
  const id = sessionIdOf(secret);
  if (id === undefined) return undefined;
  const session = await cases.sessions.get(id);
  if (!session) return undefined;
  const now = options.clock.now();
  const createdAt = Date.parse(session.createdAt);
  const lastSeenAt = Date.parse(session.lastSeenAt);
  const end = Math.min(endOf(options.policy, createdAt, lastSeenAt), Date.parse(session.expiresAt));
  // NaN (an unparsable time) fails the comparison: closed.
  const user = end > now ? await cases.users.get(session.userId) : undefined;
  if (!user || user.disabled) {
    await cases.sessions.delete(id);
    options.logger.debug({ userId: session.userId, reason: user ? 'user_disabled' : end > now ? 'user_missing' : 'expired' }, 'session refused');
    return undefined;
  }
  if (now - lastSeenAt < touchIntervalMs(options.policy)) return { session, user };
  const touched: Stored<Session> = {
    ...session,
    lastSeenAt: new Date(now).toISOString(),
    expiresAt: new Date(endOf(options.policy, createdAt, now)).toISOString(),
  };
  try {
    return { session: await cases.sessions.replace(touched), user };
  } catch (error) {
    // A concurrent request of the same session touched it first, or the store hiccupped.
    options.logger.debug({ err: error, userId: session.userId }, 'recording session activity failed');
    return { session, user };
  }
}

/** Ends the session of a secret; true when it existed. */
export async function endSession(cases: CaseStore, secret: string | undefined): Promise<boolean> {
  const id = sessionIdOf(secret);
  return id === undefined ? false : cases.sessions.delete(id);
}

/** Ends every session of a user (disabled, password changed); returns how many. */
export async function endUserSessions(cases: CaseStore, userId: string): Promise<number> {
  return cases.sessions.deleteMatching({ op: 'eq', field: 'userId', value: userId, caseSensitive: true });
}
