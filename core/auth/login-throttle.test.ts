import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteCaseStore } from '../../backends/sqlite/case-store.js';
import { openSqliteDatabase, type SqliteDatabase } from '../../backends/sqlite/database.js';
import { ManualClock } from '../clock.js';
import { failureStep, LoginThrottle, lockoutRetentionMs, purgeLockouts } from './login-throttle.js';

const MIN = 60_000;
const POLICY = { maxFailures: 3, failureWindowMs: 15 * MIN, lockoutMs: 15 * MIN, maxLockoutMs: 60 * MIN };

describe('LoginThrottle over the case store', () => {
  let db: SqliteDatabase;
  let cases: SqliteCaseStore;
  beforeEach(() => {
    db = openSqliteDatabase(':memory:');
    cases = new SqliteCaseStore(db);
  });
  afterEach(() => {
    db.close();
  });

  it('locks a key after maxFailures within the window, and unlocks it when the lockout ends', async () => {
    const clock = new ManualClock(1_000_000);
    const throttle = new LoginThrottle(cases.lockouts, POLICY, clock);
    expect(await throttle.failed('user:alice')).toBeUndefined();
    expect(await throttle.failed('user:alice')).toBeUndefined();
    expect(await throttle.lockedUntil('user:alice')).toBeUndefined();
    expect(await throttle.failed('user:alice')).toBe(1_000_000 + 15 * MIN);
    expect(await throttle.lockedUntil('user:alice')).toBe(1_000_000 + 15 * MIN);
    expect(await throttle.lockedUntil('user:bob')).toBeUndefined();
    expect(await cases.lockouts.get('user:alice')).toMatchObject({ strikes: 1, lockedUntil: new Date(1_000_000 + 15 * MIN).toISOString() });
    // Failures during a lockout change nothing, not even the record.
    const rev = (await cases.lockouts.get('user:alice'))?.rev;
    expect(await throttle.failed('user:alice')).toBeUndefined();
    expect((await cases.lockouts.get('user:alice'))?.rev).toBe(rev);
    clock.advance(15 * MIN);
    expect(await throttle.lockedUntil('user:alice')).toBeUndefined();
  });

  it('counts failures that two throttles (two API processes) write at once, and starts exactly one lockout', async () => {
    const clock = new ManualClock(0);
    const a = new LoginThrottle(cases.lockouts, { ...POLICY, maxFailures: 10 }, clock);
    const b = new LoginThrottle(cases.lockouts, { ...POLICY, maxFailures: 10 }, clock);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).failed('ip:192.0.2.1')));
    expect(results.filter((until) => until !== undefined)).toEqual([15 * MIN]);
    expect(await b.lockedUntil('ip:192.0.2.1')).toBe(15 * MIN);
  });

  it('forgets failures older than the window', async () => {
    const clock = new ManualClock(0);
    const throttle = new LoginThrottle(cases.lockouts, POLICY, clock);
    await throttle.failed('k');
    await throttle.failed('k');
    clock.advance(15 * MIN);
    expect(await throttle.failed('k')).toBeUndefined();
    expect(await throttle.failed('k')).toBeUndefined();
    expect(await throttle.failed('k')).toBeDefined();
  });

  it('doubles each further lockout up to the maximum, and forgets strikes after a quiet maximum', async () => {
    const clock = new ManualClock(0);
    const throttle = new LoginThrottle(cases.lockouts, POLICY, clock);
    const lock = async (): Promise<number> => {
      let until: number | undefined;
      for (let i = 0; i < 3; i++) until = (await throttle.failed('k')) ?? until;
      return (until as number) - clock.now();
    };
    expect(await lock()).toBe(15 * MIN);
    clock.advance(15 * MIN);
    expect(await lock()).toBe(30 * MIN);
    clock.advance(30 * MIN);
    expect(await lock()).toBe(60 * MIN);
    clock.advance(60 * MIN);
    expect(await lock()).toBe(60 * MIN);
    clock.advance(60 * MIN + 60 * MIN);
    expect(await lock()).toBe(15 * MIN);
  });

  it('forgets a key on success', async () => {
    const clock = new ManualClock(0);
    const throttle = new LoginThrottle(cases.lockouts, POLICY, clock);
    await throttle.failed('k');
    await throttle.failed('k');
    await throttle.succeeded('k');
    expect(await cases.lockouts.get('k')).toBeUndefined();
    expect(await throttle.failed('k')).toBeUndefined();
    expect(await throttle.failed('k')).toBeUndefined();
    expect(await throttle.failed('k')).toBeDefined();
  });

  it('purges only records that hold nothing any more, and a purged key starts afresh', async () => {
    const clock = new ManualClock(0);
    const throttle = new LoginThrottle(cases.lockouts, POLICY, clock);
    for (let i = 0; i < 3; i++) await throttle.failed('user:old');
    clock.advance(lockoutRetentionMs([POLICY]));
    await throttle.failed('user:recent');
    expect(await purgeLockouts(cases.lockouts, [POLICY], clock)).toBe(0);
    clock.advance(1);
    expect(await purgeLockouts(cases.lockouts, [POLICY], clock)).toBe(1);
    expect((await cases.lockouts.list()).items.map((record) => record.id)).toEqual(['user:recent']);
    // Its strikes went with it: the next lockout is a first one again.
    for (let i = 0; i < 2; i++) await throttle.failed('user:old');
    expect(await throttle.failed('user:old')).toBe(clock.now() + 15 * MIN);
  });

  it('is a pure policy: a failure during a lockout changes nothing', () => {
    const step = failureStep('k', { id: 'k', failures: 0, windowStartedAt: new Date(0).toISOString(), lockedUntil: new Date(10).toISOString(), strikes: 1, createdAt: '', updatedAt: '' }, POLICY, 5);
    expect(step.changed).toBe(false);
  });
});
