import { describe, expect, it } from 'vitest';
import type { BlockState } from '../../core/cases/types.js';
import { loadConfig } from '../../core/config/load.js';
import type { SafetyConfig } from './never-block.js';
import { MAX_TTL_SECONDS, nextOffense, policyTtlMs, ttlSeconds } from './ttl.js';

const DEFAULTS: SafetyConfig = loadConfig({ text: '', env: {} }).response.safety;
const HOUR = 3600;
const NOW = Date.parse('2025-03-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

function record(overrides: Partial<BlockState>): BlockState {
  return {
    id: 'nft:203.0.113.9',
    kind: 'ip',
    target: '203.0.113.9',
    driver: 'nft',
    state: 'released',
    reason: 'test',
    createdBy: 'run:r1',
    offense: 1,
    createdAt: iso(NOW - 10 * HOUR * 1000),
    updatedAt: iso(NOW - 6 * HOUR * 1000),
    expiresAt: iso(NOW - 6 * HOUR * 1000),
    ...overrides,
  };
}

describe('ttlSeconds', () => {
  it('doubles per offence from 4 h up to the 7-day cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((offense) => ttlSeconds(DEFAULTS, offense))).toEqual([
      4 * HOUR,
      8 * HOUR,
      16 * HOUR,
      32 * HOUR,
      64 * HOUR,
      128 * HOUR,
      168 * HOUR,
      168 * HOUR,
    ]);
  });

  it('lets a playbook shorten a block, escalates the shorter one, never lengthens past the policy', () => {
    expect(ttlSeconds(DEFAULTS, 1, 600)).toBe(600);
    expect(ttlSeconds(DEFAULTS, 3, 600)).toBe(2400);
    expect(ttlSeconds(DEFAULTS, 1, 30 * 24 * HOUR)).toBe(4 * HOUR);
    expect(ttlSeconds(DEFAULTS, 2, 5 * HOUR)).toBe(8 * HOUR);
    expect(ttlSeconds(DEFAULTS, 1, 0)).toBe(4 * HOUR);
    expect(ttlSeconds(DEFAULTS, 1, Number.NaN)).toBe(4 * HOUR);
  });

  it('follows the configured multiplier, rounding down to whole seconds, at least 1 s, at most 366 days', () => {
    const config = { ...DEFAULTS, blockTtlMs: 60_000, repeatMultiplier: 1.5, maxBlockTtlMs: 400 * 24 * HOUR * 1000 };
    expect(ttlSeconds(config, 2)).toBe(90);
    expect(policyTtlMs(config, 3)).toBe(135_000);
    expect(ttlSeconds(config, 60)).toBe(MAX_TTL_SECONDS);
    expect(ttlSeconds(DEFAULTS, 1, 1.9)).toBe(1);
  });
});

describe('nextOffense', () => {
  const window = DEFAULTS.repeatWindowMs;

  it('is 1 for a target never blocked', () => {
    expect(nextOffense([], NOW, window)).toBe(1);
  });

  it('is one more than the highest ended offence within the window, on any driver', () => {
    expect(nextOffense([record({ offense: 1 }), record({ id: 'feed:203.0.113.9', driver: 'feed', offense: 3 })], NOW, window)).toBe(4);
  });

  it('keeps the number of a block still in force (another driver, a retry, a new alert)', () => {
    const active = record({ state: 'active', offense: 2, expiresAt: iso(NOW + HOUR * 1000) });
    expect(nextOffense([active], NOW, window)).toBe(2);
    expect(nextOffense([active, record({ id: 'feed:x', driver: 'feed', offense: 1 })], NOW, window)).toBe(2);
    expect(nextOffense([record({ state: 'active', offense: 2, expiresAt: undefined })], NOW, window)).toBe(2);
  });

  it('counts an active block past its expiry as ended', () => {
    expect(nextOffense([record({ state: 'active', offense: 2, expiresAt: iso(NOW - 1) })], NOW, window)).toBe(3);
  });

  it('does not count the refused attempt of a failed record', () => {
    expect(nextOffense([record({ state: 'failed', offense: 3 })], NOW, window)).toBe(3);
    expect(nextOffense([record({ state: 'failed', offense: 1 })], NOW, window)).toBe(1);
  });

  it('forgets blocks made before the repeat window', () => {
    const old = record({ offense: 5, createdAt: iso(NOW - window - 1) });
    expect(nextOffense([old], NOW, window)).toBe(1);
    expect(nextOffense([record({ offense: 5, createdAt: iso(NOW - window) })], NOW, window)).toBe(6);
    expect(nextOffense([record({ offense: 5 })], NOW, 0)).toBe(1);
  });
});
