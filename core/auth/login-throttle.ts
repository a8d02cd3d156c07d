import type { LoginLockout } from '../cases/types.js';
import type { Clock } from '../clock.js';
import { hasCode } from '../errors.js';
import type { Collection, Stored } from '../stores/case-store.js';

/** How many failures lock a key, for how long. */
export interface ThrottlePolicy {
  /** Failures within `failureWindowMs` that lock the key. */
  readonly maxFailures: number;
  /** Failures older than this are forgotten. */
  readonly failureWindowMs: number;
  /** The first lockout; each further one (without a quiet period of `maxLockoutMs` in between) doubles it. */
  readonly lockoutMs: number;
  /** The longest lockout. */
  readonly maxLockoutMs: number;
}

/** What one failure does to a key's record: nothing (it is locked), or the record to write. */
export type FailureStep =
  | { readonly changed: false }
  | { readonly changed: true; readonly record: LoginLockout; /** Set when this failure started a lockout (ms). */ readonly lockedUntil?: number };

/** Attempts of one read-modify-write before a conflict is given up on (as modify() does). */
const MAX_ATTEMPTS = 10;

function ms(iso: string | undefined): number {
  if (iso === undefined) return 0;
  const parsed = Date.parse(iso);
  return Number.isFinite(parsed) ? parsed : 0;
}

/**
 * The policy as a pure function: a failure at `now` on the key whose record is `current`. During
 * a lockout it changes nothing. Strikes are forgotten after `maxLockoutMs` without a lockout,
 * failures after `failureWindowMs`; reaching `maxFailures` locks the key for lockoutMs · 2^strikes
 * (at most `maxLockoutMs`), as fail2ban's `bantime.increment` does.
 */
export function failureStep(id: string, current: LoginLockout | undefined, policy: ThrottlePolicy, now: number): FailureStep {
  const lockedUntil = ms(current?.lockedUntil);
  if (lockedUntil > now) return { changed: false };
  const nowIso = new Date(now).toISOString();
  let strikes = current?.strikes ?? 0;
  if (strikes > 0 && now - lockedUntil >= policy.maxLockoutMs) strikes = 0;
  let failures = current?.failures ?? 0;
  let windowStart = current ? ms(current.windowStartedAt) : now;
  if (now - windowStart >= policy.failureWindowMs) {
    failures = 0;
    windowStart = now;
  }
  failures += 1;
  const base = { id, createdAt: current?.createdAt ?? nowIso, updatedAt: nowIso };
  if (failures < policy.maxFailures) {
    return {
      changed: true,
      record: { ...base, failures, windowStartedAt: new Date(windowStart).toISOString(), strikes, ...(current?.lockedUntil !== undefined ? { lockedUntil: current.lockedUntil } : {}) },
    };
  }
  const until = now + Math.min(policy.lockoutMs * 2 ** strikes, policy.maxLockoutMs);
  return {
    changed: true,
    record: { ...base, failures: 0, windowStartedAt: nowIso, strikes: strikes + 1, lockedUntil: new Date(until).toISOString() },
    lockedUntil: until,
  };
}

/**
 * How long after its last write a record can hold nothing any policy still needs: its window
 * has passed, its lockout has ended (a lockout ends at most `maxLockoutMs` after the write that
 * started it) and its strikes are forgotten (`maxLockoutMs` after that).
 */
export function lockoutRetentionMs(policies: readonly ThrottlePolicy[]): number {
  return Math.max(...policies.map((policy) => Math.max(policy.failureWindowMs, 2 * policy.maxLockoutMs)));
}

/**
 * Deletes the lockout records that hold nothing any more (see {@link lockoutRetentionMs}); returns
 * how many. Safe to run at any time from any process: a writer that loses its record to it
 * starts the key afresh, which is what the record would have said anyway.
 */
export function purgeLockouts(lockouts: Collection<LoginLockout>, policies: readonly ThrottlePolicy[], clock: Clock): Promise<number> {
  const cutoff = new Date(clock.now() - lockoutRetentionMs(policies)).toISOString();
  return lockouts.deleteMatching({ op: 'range', field: 'updatedAt', lt: cutoff });
}

/**
 * Counts failed sign-ins per key (`user:<name>`, `ip:<address>`) and locks a key out for a while
 * after `maxFailures` of them within the window (see {@link failureStep}); {@link succeeded}
 * forgets a key at once.
 *
 * The state lives in the case store's `lockouts` collection, so every API process counts into
 * the same record and a lockout holds whichever process the next attempt reaches, and after a
 * restart. Every failure is a compare-and-set on the record's revision, retried on a conflict
 * (a create that finds the record made meanwhile reads it and goes on), so failures arriving at
 * several processes at once are all counted and exactly one of them starts the lockout. Unknown
 * usernames are counted exactly like known ones, so a lockout does not tell whether a user
 * exists. Records are deleted by {@link purgeLockouts} once they hold nothing.
 * Written by hand: the rate limiters at hand count requests, not failures with escalation.
 */
export class LoginThrottle {
  constructor(
    private readonly lockouts: Collection<LoginLockout>,
    private readonly policy: ThrottlePolicy,
    private readonly clock: Clock,
  ) {}

  /** The key's record, if it has one (a reader that only checks the lockout should use {@link lockedUntil}). */
  state(key: string): Promise<Stored<LoginLockout> | undefined> {
    return this.lockouts.get(key);
  }

  /** When the key's lockout ends (ms), or undefined when it is not locked. */
  async lockedUntil(key: string): Promise<number | undefined> {
    return lockedUntilOf(await this.lockouts.get(key), this.clock.now());
  }

  /** Counts a failure; returns when the lockout this failure started ends, if it started one. */
  async failed(key: string): Promise<number | undefined> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.lockouts.get(key);
      const step = failureStep(key, current, this.policy, this.clock.now());
      if (!step.changed) return undefined;
      try {
        if (current) await this.lockouts.replace({ ...step.record, rev: current.rev });
        else await this.lockouts.create(step.record);
        return step.lockedUntil;
      } catch (error) {
        // CONFLICT: another process wrote (or created) it first; NOT_FOUND: purged meanwhile.
        const retry = hasCode(error, 'WATCHPOST_ERR_STORE_CONFLICT') || hasCode(error, 'WATCHPOST_ERR_STORE_NOT_FOUND');
        if (!retry || attempt >= MAX_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 5 * 2 ** attempt)));
      }
    }
  }

  /** Forgets the key's failures and strikes (a username after a successful sign-in). */
  async succeeded(key: string): Promise<void> {
    await this.lockouts.delete(key);
  }
}

/** When the record's lockout ends (ms), or undefined when it is not locked at `now`. */
export function lockedUntilOf(record: LoginLockout | undefined, now: number): number | undefined {
  const until = ms(record?.lockedUntil);
  return until > now ? until : undefined;
}
