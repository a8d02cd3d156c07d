import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CorrelationStore } from '../../core/stores/correlation-store.js';

/** What a backend's test file gives the suite: a store on a fresh, empty backend. */
export interface CorrelationStoreHarness {
  readonly store: CorrelationStore;
  /**
   * Another store on the same backend, as a second ingest process would open it. The memory
   * backend is one process's state, so it answers with the same store.
   */
  readonly peer: () => Promise<CorrelationStore>;
  /** Closes everything the harness opened and deletes what it wrote. */
  readonly cleanup: () => Promise<void>;
}

/**
 * The CorrelationStore contract (core/stores/correlation-store.ts, docs/specs/storage.md) as one
 * suite, run by every implementation's test file. Each test gets a fresh harness. Event times are
 * "now" plus offsets, with windows long enough (a minute) that the wall-clock expiry of a key
 * never interferes, except in the test of expiry itself.
 */
export function describeCorrelationStoreContract(name: string, open: () => Promise<CorrelationStoreHarness>): void {
  describe(`CorrelationStore contract: ${name}`, () => {
    let harness: CorrelationStoreHarness;
    const WINDOW = 60_000;

    beforeEach(async () => {
      harness = await open();
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    it('counts distinct members in a sliding window, forgetting those seen at or before at - window', async () => {
      const { store } = harness;
      const t = Date.now();
      expect(await store.observe('failed-logins', 'e1', t, WINDOW)).toEqual({ count: 1, oldestMs: t });
      expect(await store.observe('failed-logins', 'e2', t + 20_000, WINDOW)).toEqual({ count: 2, oldestMs: t });
      // e1 (at t) is at exactly at - window: forgotten.
      expect(await store.observe('failed-logins', 'e3', t + 60_000, WINDOW)).toEqual({ count: 2, oldestMs: t + 20_000 });
      expect(await store.observe('failed-logins', 'e4', t + 79_999, WINDOW)).toEqual({ count: 3, oldestMs: t + 20_000 });
      expect(await store.observe('failed-logins', 'e5', t + 80_000, WINDOW)).toEqual({ count: 3, oldestMs: t + 60_000 });
      expect((await store.members('failed-logins', 0)).map((m) => m.member)).toEqual(['e3', 'e4', 'e5']);
    });

    it('keeps the latest time of a member seen again, whatever order the sightings arrive in', async () => {
      const { store } = harness;
      const t = Date.now();
      expect(await store.observe('distinct-users', 'alice', t, WINDOW)).toEqual({ count: 1, oldestMs: t });
      expect(await store.observe('distinct-users', 'alice', t + 10, WINDOW)).toEqual({ count: 1, oldestMs: t + 10 });
      expect(await store.observe('distinct-users', 'bob', t + 20, WINDOW)).toEqual({ count: 2, oldestMs: t + 10 });
      // A late sighting of alice does not move her back in time.
      expect(await store.observe('distinct-users', 'alice', t + 5, WINDOW)).toEqual({ count: 2, oldestMs: t + 10 });
      expect(await store.members('distinct-users', 0)).toEqual([
        { member: 'alice', atMs: t + 10 },
        { member: 'bob', atMs: t + 20 },
      ]);
    });

    it('lists members seen after `since`, oldest first, ties by member', async () => {
      const { store } = harness;
      const t = Date.now();
      await store.observe('seq', 'step-c', t + 30, WINDOW);
      await store.observe('seq', 'step-a', t + 10, WINDOW);
      await store.observe('seq', 'step-z', t + 20, WINDOW);
      await store.observe('seq', 'step-b', t + 20, WINDOW);
      expect(await store.members('seq', t + 10)).toEqual([
        { member: 'step-b', atMs: t + 20 },
        { member: 'step-z', atMs: t + 20 },
        { member: 'step-c', atMs: t + 30 },
      ]);
      expect(await store.members('seq', t + 30)).toEqual([]);
      expect(await store.members('never-seen', 0)).toEqual([]);
    });

    it('keeps keys apart', async () => {
      const { store } = harness;
      const t = Date.now();
      await store.observe('rule-1|10.0.0.1', 'x', t, WINDOW);
      expect(await store.observe('rule-1|10.0.0.2', 'x', t, WINDOW)).toEqual({ count: 1, oldestMs: t });
      expect(await store.observe('rule-1|10.0.0.1', 'y', t + 1, WINDOW)).toEqual({ count: 2, oldestMs: t });
    });

    it('forgets a window on reset', async () => {
      const { store } = harness;
      const t = Date.now();
      await store.observe('to-reset', 'a', t, WINDOW);
      await store.observe('to-reset', 'b', t + 1, WINDOW);
      await store.reset('to-reset');
      expect(await store.members('to-reset', 0)).toEqual([]);
      expect(await store.observe('to-reset', 'c', t + 2, WINDOW)).toEqual({ count: 1, oldestMs: t + 2 });
      await store.reset('never-seen');
    });

    it('lets a key expire a window after its newest member', async () => {
      const { store } = harness;
      const t = Date.now();
      await store.observe('short', 'a', t, 300);
      expect(await store.members('short', 0)).toHaveLength(1);
      await sleep(450);
      expect(await store.members('short', 0)).toEqual([]);
      expect(await store.observe('short', 'b', Date.now(), 300)).toMatchObject({ count: 1 });
    });

    it('applies concurrent observations of one key atomically, from every process', async () => {
      const { store } = harness;
      const other = await harness.peer();
      const t = Date.now();
      const states = await Promise.all(
        Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? store : other).observe('burst', `event-${i}`, t + i, WINDOW)),
      );
      // Each observation saw the window right after its own write: the counts are 1..100, each once.
      expect(states.map((s) => s.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect((await other.members('burst', 0)).length).toBe(100);
    });

    it('grants a claim to exactly one caller among processes until it expires', async () => {
      const { store } = harness;
      const other = await harness.peer();
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? store : other).claim('fired|rule-7|10.0.0.9', 300)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.claim('fired|rule-7|10.0.0.10', 300)).toBe(true);
      await sleep(450);
      const again = await Promise.all([store.claim('fired|rule-7|10.0.0.9', 300), other.claim('fired|rule-7|10.0.0.9', 300)]);
      expect(again.filter(Boolean)).toHaveLength(1);
    });

    it('reports up in health, and close is idempotent', async () => {
      expect((await harness.store.health()).state).toBe('up');
      await harness.store.close();
      await harness.store.close();
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
