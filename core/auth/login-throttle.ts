import type { Clock } from '../clock.js';

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

interface Entry {
  failures: number;
  windowStart: number;
  lockedUntil: number;
  /** Lockouts so far; the next lasts lockoutMs · 2^strikes. */
  strikes: number;
}

/** The default bound on remembered keys. */
export const DEFAULT_MAX_THROTTLE_ENTRIES = 100_000;

/**
 * Counts failed sign-ins per key (a username, a client address) and locks a key out for a while
 * after `maxFailures` of them within the window: 15 minutes, then 30, 60, ... up to the maximum,
 * as fail2ban's `bantime.increment` does. Strikes are forgotten after `maxLockoutMs` without a
 * lockout, and {@link succeeded} forgets a key at once.
 *
 * In memory, per process: locks do not survive a restart and several API processes count apart
 * (each allows its own `maxFailures`). Unknown usernames are counted exactly like known ones, so
 * a lockout does not tell whether a user exists. At most `maxEntries` keys are remembered; when
 * full, entries that are neither locked nor counting are dropped first, then the oldest.
 * Written by hand: the rate limiters at hand count requests, not failures with escalation.
 */
export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly policy: ThrottlePolicy,
    private readonly clock: Clock,
    private readonly maxEntries = DEFAULT_MAX_THROTTLE_ENTRIES,
  ) {}

  /** When the key's lockout ends (ms), or undefined when it is not locked. */
  lockedUntil(key: string): number | undefined {
    const entry = this.entries.get(key);
    return entry && entry.lockedUntil > this.clock.now() ? entry.lockedUntil : undefined;
  }

  /** Counts a failure; returns when the lockout this failure started ends, if it started one. */
  failed(key: string): number | undefined {
    const now = this.clock.now();
    let entry = this.entries.get(key);
    if (!entry) {
      this.makeRoom(now);
      entry = { failures: 0, windowStart: now, lockedUntil: 0, strikes: 0 };
    }
    // Re-inserted so the map's order stays oldest activity first.
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (entry.lockedUntil > now) return undefined;
    if (entry.strikes > 0 && now - entry.lockedUntil >= this.policy.maxLockoutMs) entry.strikes = 0;
    if (now - entry.windowStart >= this.policy.failureWindowMs) {
      entry.failures = 0;
      entry.windowStart = now;
    }
    entry.failures++;
    if (entry.failures < this.policy.maxFailures) return undefined;
    const duration = Math.min(this.policy.lockoutMs * 2 ** entry.strikes, this.policy.maxLockoutMs);
    entry.strikes++;
    entry.failures = 0;
    entry.windowStart = now;
    entry.lockedUntil = now + duration;
    return entry.lockedUntil;
  }

  /** Forgets the key's failures and strikes (a username after a successful sign-in). */
  succeeded(key: string): void {
    this.entries.delete(key);
  }

  /** Keys remembered now. */
  get size(): number {
    return this.entries.size;
  }

  private makeRoom(now: number): void {
    if (this.entries.size < this.maxEntries) return;
    for (const [key, entry] of this.entries) {
      const idle = entry.lockedUntil <= now && now - entry.windowStart >= this.policy.failureWindowMs;
      const strikesForgotten = entry.strikes === 0 || now - entry.lockedUntil >= this.policy.maxLockoutMs;
      if (idle && strikesForgotten) this.entries.delete(key);
    }
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }
}
