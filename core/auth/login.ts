import type { User } from '../cases/types.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { CaseStore, Stored } from '../stores/case-store.js';
import { modify } from '../stores/modify.js';
import { writeAudit } from './audit.js';
import { lockedUntilOf, LoginThrottle, purgeLockouts, type ThrottlePolicy } from './login-throttle.js';
import type { PasswordHasher } from './password.js';
import { startSession, type SessionPolicy, type StartedSession } from './sessions.js';
import { userIdOf } from './users.js';

/** One sign-in attempt as the login route received it. */
export interface LoginAttempt {
  readonly username: string;
  readonly password: string;
  /** The client address, for the per-address throttle and the audit log. */
  readonly ip: string;
  readonly userAgent?: string;
}

/** What came of an attempt. The reasons are for the server; the client sees one message for all failures. */
export type LoginOutcome =
  | { readonly ok: true; readonly user: Stored<User>; readonly started: StartedSession }
  | { readonly ok: false; readonly reason: 'invalid' }
  | { readonly ok: false; readonly reason: 'locked'; readonly retryAfterMs: number }
  /** Too many password checks running at once: refuse rather than queue 32 MiB hashes. */
  | { readonly ok: false; readonly reason: 'busy' };

/** What {@link loginService} needs. */
export interface LoginServiceOptions {
  readonly cases: CaseStore;
  readonly hasher: PasswordHasher;
  readonly clock: Clock;
  readonly sessions: SessionPolicy;
  /** Failures per username. */
  readonly userThrottle: ThrottlePolicy;
  /** Failures per client address. */
  readonly ipThrottle: ThrottlePolicy;
  readonly logger: Logger;
  /** Password checks running at once; beyond it attempts are refused as busy. @defaultValue 8 */
  readonly maxConcurrent?: number;
  /**
   * How often, at most, a failed attempt also deletes the lockout records that hold nothing any
   * more (see purgeLockouts); 0 never (maintenance does it). @defaultValue 10 minutes
   */
  readonly purgeIntervalMs?: number;
}

/** Signs users in; one per API process (the throttles' state is in the case store, shared by all). */
export interface LoginService {
  login(attempt: LoginAttempt): Promise<LoginOutcome>;
}

/** The throttle key of a username: its user id when it is a valid one, else the raw text. */
function userKey(username: string): string {
  try {
    return `user:${userIdOf(username)}`;
  } catch {
    return `user:${username.toLowerCase()}`;
  }
}

/**
 * Local sign-in. Every attempt that is not locked out costs one password verification, whether
 * the user exists, is disabled or has no password (a dummy hash stands in), so neither the time
 * nor the answer tells which usernames exist. Failures count against the username and the client
 * address; enough of either locks that key out (see {@link LoginThrottle}: the counts and lockouts
 * are in the case store, so they hold across API processes and restarts), and attempts during a
 * lockout are refused without checking the password. Failed attempts also delete, at most once
 * per `purgeIntervalMs` per process, the lockout records that hold nothing any more. A success starts a fresh session (the old
 * one, if any, is the route's to end), records `lastLoginAt` and upgrades a hash made with
 * weaker parameters.
 *
 * Audit: `auth.login` for every checked attempt (success or failure, with the username tried,
 * the address and the reason) and `auth.lockout` when a lockout starts. Attempts refused during a
 * lockout are logged at debug but not audited, so a flood cannot grow the audit log without bound.
 * The password is never logged, audited or kept.
 */
export function loginService(options: LoginServiceOptions): LoginService {
  const { cases, hasher, clock, logger } = options;
  const users = new LoginThrottle(cases.lockouts, options.userThrottle, clock);
  const ips = new LoginThrottle(cases.lockouts, options.ipThrottle, clock);
  const maxConcurrent = options.maxConcurrent ?? 8;
  const purgeIntervalMs = options.purgeIntervalMs ?? 10 * 60_000;
  let inFlight = 0;
  let lastPurge = Number.NEGATIVE_INFINITY;

  const purgeNow = (): void => {
    const now = clock.now();
    if (purgeIntervalMs <= 0 || now - lastPurge < purgeIntervalMs) return;
    lastPurge = now;
    // Not awaited: housekeeping must not slow the answer, and its failure is no reason to fail the attempt.
    purgeLockouts(cases.lockouts, [options.userThrottle, options.ipThrottle], clock)
      .then((deleted) => {
        if (deleted > 0) logger.debug({ deleted }, 'expired sign-in lockout records deleted');
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'cannot delete expired sign-in lockout records; retried later'));
  };

  const lockout = async (scope: 'user' | 'ip', id: string, until: number, attempt: LoginAttempt): Promise<void> => {
    const untilIso = new Date(until).toISOString();
    logger.warn({ scope, id, until: untilIso }, 'sign-in locked out after repeated failures');
    await writeAudit(cases, clock, {
      actor: 'system',
      action: 'auth.lockout',
      target: { type: scope, id },
      outcome: 'success',
      details: { until: untilIso, ip: attempt.ip },
    });
  };

  const check = async (attempt: LoginAttempt, uKey: string, ipKey: string, userRecorded: boolean): Promise<LoginOutcome> => {
    let id: string | undefined;
    try {
      id = userIdOf(attempt.username);
    } catch {
      id = undefined;
    }
    const user = id === undefined ? undefined : await cases.users.get(id);
    const matches = await hasher.verify(attempt.password, user?.passwordHash);
    if (user && matches && !user.disabled) {
      // Only when there is a record: a delete is a write, and most sign-ins follow no failure.
      if (userRecorded) await users.succeeded(uKey);
      const started = await startSession(cases, user, {
        clock,
        policy: options.sessions,
        ip: attempt.ip,
        ...(attempt.userAgent !== undefined ? { userAgent: attempt.userAgent } : {}),
      });
      const at = new Date(clock.now()).toISOString();
      const rehashed = user.passwordHash !== undefined && hasher.needsRehash(user.passwordHash) ? await hasher.hash(attempt.password) : undefined;
      const updated = await modify(cases.users, user.id, (current) => ({
        ...current,
        lastLoginAt: at,
        ...(rehashed !== undefined && current.passwordHash === user.passwordHash ? { passwordHash: rehashed } : {}),
      }));
      await writeAudit(cases, clock, {
        actor: user.id,
        action: 'auth.login',
        target: { type: 'user', id: user.id },
        outcome: 'success',
        details: { ip: attempt.ip, method: 'password' },
      });
      logger.debug({ userId: user.id, ip: attempt.ip }, 'signed in');
      return { ok: true, user: updated, started };
    }
    const reason = !user ? 'unknown_user' : !matches ? 'bad_password' : 'disabled';
    await writeAudit(cases, clock, {
      actor: 'anonymous',
      action: 'auth.login',
      target: { type: 'user', id: id ?? attempt.username.slice(0, 64) },
      outcome: 'failure',
      details: { ip: attempt.ip, method: 'password', reason },
    });
    logger.debug({ username: attempt.username.slice(0, 64), ip: attempt.ip, reason }, 'sign-in refused');
    const [userLock, ipLock] = await Promise.all([users.failed(uKey), ips.failed(ipKey)]);
    purgeNow();
    if (userLock !== undefined) await lockout('user', id ?? attempt.username.slice(0, 64), userLock, attempt);
    if (ipLock !== undefined) await lockout('ip', attempt.ip, ipLock, attempt);
    return { ok: false, reason: 'invalid' };
  };

  return {
    async login(attempt) {
      const uKey = userKey(attempt.username);
      const ipKey = `ip:${attempt.ip}`;
      const [userState, ipState] = await Promise.all([users.state(uKey), ips.state(ipKey)]);
      const now = clock.now();
      const lockedUntil = Math.max(lockedUntilOf(userState, now) ?? 0, lockedUntilOf(ipState, now) ?? 0);
      if (lockedUntil > 0) {
        logger.debug({ username: attempt.username.slice(0, 64), ip: attempt.ip }, 'sign-in refused during a lockout');
        return { ok: false, reason: 'locked', retryAfterMs: lockedUntil - now };
      }
      if (inFlight >= maxConcurrent) return { ok: false, reason: 'busy' };
      inFlight++;
      try {
        return await check(attempt, uKey, ipKey, userState !== undefined);
      } finally {
        inFlight--;
      }
    },
  };
}
