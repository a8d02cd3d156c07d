import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { LoginThrottle } from './login-throttle.js';

const MIN = 60_000;
const POLICY = { maxFailures: 3, failureWindowMs: 15 * MIN, lockoutMs: 15 * MIN, maxLockoutMs: 60 * MIN };

describe('LoginThrottle', () => {
  it('locks a key after maxFailures within the window, and unlocks it when the lockout ends', () => {
    const clock = new ManualClock(1_000_000);
    const throttle = new LoginThrottle(POLICY, clock);
    expect(throttle.failed('alice')).toBeUndefined();
    expect(throttle.failed('alice')).toBeUndefined();
    expect(throttle.lockedUntil('alice')).toBeUndefined();
    expect(throttle.failed('alice')).toBe(1_000_000 + 15 * MIN);
    expect(throttle.lockedUntil('alice')).toBe(1_000_000 + 15 * MIN);
    expect(throttle.lockedUntil('bob')).toBeUndefined();
    // Failures during a lockout change nothing.
    expect(throttle.failed('alice')).toBeUndefined();
    clock.advance(15 * MIN);
    expect(throttle.lockedUntil('alice')).toBeUndefined();
  });

  it('forgets failures older than the window', () => {
    const clock = new ManualClock(0);
    const throttle = new LoginThrottle(POLICY, clock);
    throttle.failed('k');
    throttle.failed('k');
    clock.advance(15 * MIN);
    expect(throttle.failed('k')).toBeUndefined();
    expect(throttle.failed('k')).toBeUndefined();
    expect(throttle.failed('k')).toBeDefined();
  });

  it('doubles each further lockout up to the maximum, and forgets strikes after a quiet maximum', () => {
    const clock = new ManualClock(0);
    const throttle = new LoginThrottle(POLICY, clock);
    const lock = (): number => {
      let until: number | undefined;
      for (let i = 0; i < 3; i++) until = throttle.failed('k') ?? until;
      return (until as number) - clock.now();
    };
    expect(lock()).toBe(15 * MIN);
    clock.advance(15 * MIN);
    expect(lock()).toBe(30 * MIN);
    clock.advance(30 * MIN);
    expect(lock()).toBe(60 * MIN);
    clock.advance(60 * MIN);
    expect(lock()).toBe(60 * MIN);
    clock.advance(60 * MIN + 60 * MIN);
    expect(lock()).toBe(15 * MIN);
  });

  it('forgets a key on success', () => {
    const clock = new ManualClock(0);
    const throttle = new LoginThrottle(POLICY, clock);
    throttle.failed('k');
    throttle.failed('k');
    throttle.succeeded('k');
    expect(throttle.failed('k')).toBeUndefined();
    expect(throttle.failed('k')).toBeUndefined();
    expect(throttle.failed('k')).toBeDefined();
  });

  it('stays within its bound, dropping idle keys before a locked one even when that is the oldest', () => {
    const clock = new ManualClock(0);
    const throttle = new LoginThrottle({ ...POLICY, lockoutMs: 10 * 60 * MIN, maxLockoutMs: 10 * 60 * MIN }, clock, 10);
    for (let i = 0; i < 3; i++) throttle.failed('locked');
    for (let i = 0; i < 20; i++) {
      throttle.failed(`spray-${i}`);
      clock.advance(16 * MIN);
    }
    expect(throttle.size).toBeLessThanOrEqual(10);
    expect(throttle.lockedUntil('locked')).toBeDefined();
  });
});
