/**
 * The safety layer against a real case store: never-block entries from the store, TTL escalation
 * from block records, the rate limit, the active cap and the circuit breaker. Run on SQLite by
 * safety.test.ts and on Elasticsearch (which several workers share) by safety.int.test.ts.
 * Lives under testdata/ so that the build leaves it out.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlockState } from '../../../core/cases/types.js';
import { ManualClock } from '../../../core/clock.js';
import { loadConfig } from '../../../core/config/load.js';
import type { CaseStore } from '../../../core/stores/case-store.js';
import { BREAKER_RULE_ID } from '../breaker.js';
import type { SafetyConfig } from '../never-block.js';
import { createSafety, STORE_LIST_CACHE_MS, type Safety } from '../safety.js';

/** A store for one test, and how to throw it away. */
export interface SuiteStore {
  readonly cases: CaseStore;
  close(): Promise<void>;
}

const DEFAULTS: SafetyConfig = loadConfig({ text: '', env: {} }).response.safety;
const HOST = { addresses: ['198.51.100.10'], gateways: ['203.0.113.1'], dnsServers: ['2001:db8::53'] };
const START = Date.parse('2025-03-01T12:00:00.000Z');
const HOUR_MS = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** The reason of a refused admission; fails the test when it was admitted. */
function refusal(admission: Awaited<ReturnType<Safety['admitAutomaticBlock']>>): string {
  expect(admission.admitted).toBe(false);
  return admission.admitted ? '' : admission.reason;
}

/** Registers the suite for one backend; `open` gives a fresh, empty store per test. */
export function describeSafetyStoreSuite(name: string, open: () => Promise<SuiteStore>): void {
  describe(`safety on the ${name} case store`, () => {
    let store: SuiteStore;
    let cases: CaseStore;
    let clock: ManualClock;

    beforeEach(async () => {
      store = await open();
      cases = store.cases;
      clock = new ManualClock(START);
    });

    afterEach(async () => {
      await store.close();
    });

    const safetyWith = (overrides: Partial<SafetyConfig> = {}, ownClock: ManualClock = clock): Safety =>
      createSafety({ config: { ...DEFAULTS, neverBlock: ['192.0.2.0/24'], ...overrides }, cases, clock: ownClock, host: HOST });

    /** A block record as the runner writes it. */
    const block = (target: string, overrides: Partial<BlockState> = {}): BlockState => {
      const driver = overrides.driver ?? 'nft';
      return {
        id: `${driver}:${target}`,
        kind: 'ip',
        target,
        driver,
        state: 'active',
        reason: 'suite',
        createdBy: 'run:suite',
        offense: 1,
        createdAt: iso(clock.now()),
        updatedAt: iso(clock.now()),
        expiresAt: iso(clock.now() + 4 * HOUR_MS),
        ...overrides,
      };
    };

    /** Writes a block record, replacing the one of the same driver and target as the runner's upsert does. */
    const upsert = async (record: BlockState): Promise<void> => {
      const existing = await cases.blocks.get(record.id);
      if (existing) await cases.blocks.replace({ ...record, rev: existing.rev });
      else await cases.blocks.create(record);
    };

    const breakerAlerts = async () => (await cases.alerts.list({ filter: { op: 'eq', field: 'ruleId', value: BREAKER_RULE_ID } })).items;
    const auditOf = async (action: string) => (await cases.audit.list({ filter: { op: 'eq', field: 'action', value: action } })).items;

    describe('never-block', () => {
      it('refuses the config, host and built-in entries and an overlapping prefix; never refuses an unblock', async () => {
        const safety = safetyWith();
        await expect(safety.checkTarget('block-ip', { address: '192.0.2.1' })).resolves.toMatchObject({
          refused: true,
          reason: 'never-block: 192.0.2.1 is in 192.0.2.0/24 (config)',
        });
        await expect(safety.checkTarget('block-ip', { address: '203.0.0.0/16' })).resolves.toMatchObject({
          refused: true,
          reason: 'never-block: 203.0.0.0/16 contains 203.0.113.1 (gateway)',
        });
        await expect(safety.checkTarget('block-ip', { address: '169.254.169.254' })).resolves.toMatchObject({ refused: true });
        await expect(safety.checkTarget('block-ip', { address: '203.0.113.9' })).resolves.toEqual({ refused: false });
        await expect(safety.checkTarget('unblock-ip', { address: '127.0.0.1' })).resolves.toEqual({ refused: false });
      });

      it('applies entries added to the store within the cache time, and lists every source', async () => {
        const safety = safetyWith();
        await expect(safety.checkTarget('block-ip', { address: '45.1.2.3' })).resolves.toEqual({ refused: false });
        await cases.neverBlock.create({ id: 'partner', value: '45.1.2.0/24', note: 'partner VPN', createdBy: 'admin', createdAt: iso(clock.now()), updatedAt: iso(clock.now()) });
        await cases.neverBlock.create({ id: 'broken', value: 'not-an-address', createdBy: 'admin', createdAt: iso(clock.now()), updatedAt: iso(clock.now()) });
        clock.advance(STORE_LIST_CACHE_MS);
        const check = await safety.checkTarget('block-ip', { address: '45.1.2.3' });
        expect(check).toEqual({
          refused: true,
          reason: 'never-block: 45.1.2.3 is in 45.1.2.0/24 (store)',
          entry: { value: '45.1.2.0/24', source: 'store', id: 'partner', note: 'partner VPN' },
        });
        const sources = new Set((await safety.neverBlockList()).map((item) => item.source));
        expect([...sources]).toEqual(['builtin', 'host', 'gateway', 'dns', 'config', 'store']);
        expect((await safety.neverBlockList()).filter((item) => item.source === 'store').map((item) => item.value)).toEqual(['45.1.2.0/24']);
      });

      it('refuses protected accounts in any of their forms', async () => {
        const safety = safetyWith();
        await expect(safety.checkTarget('disable-account', { account: 'CORP\\Administrator' })).resolves.toMatchObject({ refused: true });
        await expect(safety.checkTarget('disable-account', { account: 'alice' })).resolves.toEqual({ refused: false });
        await expect(safety.checkTarget('enable-account', { account: 'root' })).resolves.toEqual({ refused: false });
      });
    });

    describe('block TTL', () => {
      it('escalates 4 h → 8 h → 16 h … up to the 7-day cap per target across drivers, and forgets after the window', async () => {
        const safety = safetyWith();
        const target = '203.0.113.9';
        const seen: number[] = [];
        for (let round = 1; round <= 8; round++) {
          const first = await safety.blockTtl('ip', target, 'nft');
          expect(first.offense).toBe(round);
          seen.push(first.ttlSeconds / 3600);
          // The runner writes the block on both drivers of the step; the second driver asks too.
          await upsert(block(target, { driver: 'nft', offense: first.offense, expiresAt: iso(clock.now() + first.ttlSeconds * 1000) }));
          await expect(safety.blockTtl('ip', target, 'feed')).resolves.toEqual(first);
          await upsert(block(target, { driver: 'feed', offense: first.offense, expiresAt: iso(clock.now() + first.ttlSeconds * 1000) }));
          // A retried step sees its own block and keeps the same TTL.
          await expect(safety.blockTtl('ip', target, 'nft')).resolves.toEqual(first);
          // The block runs out and is released.
          clock.advance(first.ttlSeconds * 1000);
          for (const driver of ['nft', 'feed']) {
            const stored = (await cases.blocks.get(`${driver}:${target}`))!;
            await cases.blocks.replace({ ...stored, state: 'released', releasedAt: iso(clock.now()), releasedBy: 'expiry', updatedAt: iso(clock.now()) });
          }
        }
        expect(seen).toEqual([4, 8, 16, 32, 64, 128, 168, 168]);
        // Other targets and kinds start afresh.
        await expect(safety.blockTtl('ip', '203.0.113.10', 'nft')).resolves.toEqual({ ttlSeconds: 4 * 3600, offense: 1 });
        await expect(safety.blockTtl('account', target, 'ldap')).resolves.toEqual({ ttlSeconds: 4 * 3600, offense: 1 });
        // A playbook asking for less gets less, escalated.
        await expect(safety.blockTtl('ip', target, 'nft', 600)).resolves.toEqual({ ttlSeconds: 600 * 2 ** 8, offense: 9 });
        // Past the repeat window (counted from when the last blocks were made) the slate is clean.
        clock.advance(DEFAULTS.repeatWindowMs);
        await expect(safety.blockTtl('ip', target, 'nft')).resolves.toEqual({ ttlSeconds: 4 * 3600, offense: 1 });
      });
    });

    describe('circuit breaker', () => {
      it('admits 20 automatic blocks a minute, opens at the 21st, stays open, alerts and audits once, then closes', async () => {
        const safety = safetyWith();
        // Blocks made by people, and a second driver of an admitted target, do not count.
        for (let i = 0; i < 5; i++) await cases.blocks.create(block(`198.51.100.${100 + i}`, { createdBy: 'alice' }));
        for (let i = 0; i < 20; i++) {
          await expect(safety.admitAutomaticBlock()).resolves.toEqual({ admitted: true });
          await cases.blocks.create(block(`203.0.113.${i + 1}`));
          if (i === 0) await cases.blocks.create(block('203.0.113.1', { driver: 'feed' }));
          clock.advance(1_000);
        }
        const refused = await safety.admitAutomaticBlock();
        expect(refusal(refused)).toMatch(/^breaker-open: .*rate-limit: 20 automatic blocks in the last minute/);
        const breaker = await safety.breaker();
        expect(breaker).toMatchObject({ id: 'breaker', state: 'open', openedAt: iso(clock.now()) });
        expect(breaker?.closedBy).toBeUndefined();

        const alerts = await breakerAlerts();
        expect(alerts).toHaveLength(1);
        expect(alerts[0]).toMatchObject({
          id: `breaker-${clock.now()}`,
          ruleId: BREAKER_RULE_ID,
          ruleTitle: 'Automated response circuit breaker opened',
          severity: 'high',
          status: 'new',
          count: 1,
          tags: ['watchpost.response'],
          explanation: { selections: [], matches: [], correlation: { blocksLastMinute: 20, activeBlocks: 25 } },
        });
        expect((await auditOf('response.breaker.open')).map((entry) => entry.actor)).toEqual(['system']);

        // Open until closed, however long: no new alert, no new audit entry.
        clock.advance(10 * 60_000);
        expect(refusal(await safety.admitAutomaticBlock())).toMatch(/^breaker-open: /);
        await expect(safety.admitAutomaticBlock()).resolves.toMatchObject({ admitted: false });
        expect(await breakerAlerts()).toHaveLength(1);
        expect(await auditOf('response.breaker.open')).toHaveLength(1);

        const closed = await safety.closeBreaker('admin-1');
        expect(closed).toMatchObject({ state: 'closed', closedBy: 'admin-1' });
        await expect(safety.closeBreaker('admin-2')).resolves.toMatchObject({ state: 'closed', closedBy: 'admin-1' });
        const closes = await auditOf('response.breaker.close');
        expect(closes.map((entry) => entry.actor)).toEqual(['admin-1']);
        await expect(safety.admitAutomaticBlock()).resolves.toEqual({ admitted: true });
      });

      it('does not count blocks made before the breaker was closed, and a new flood opens it again with a new alert', async () => {
        const safety = safetyWith({ maxBlocksPerMinute: 3 });
        for (let i = 0; i < 3; i++) await cases.blocks.create(block(`203.0.113.${i + 1}`));
        await expect(safety.admitAutomaticBlock()).resolves.toMatchObject({ admitted: false });
        const firstOpening = (await safety.breaker())!.openedAt;
        clock.advance(5_000);
        await safety.closeBreaker('admin-1');
        // The three blocks are still within the minute, but were made before the close.
        for (let i = 0; i < 3; i++) {
          clock.advance(1_000);
          await expect(safety.admitAutomaticBlock()).resolves.toEqual({ admitted: true });
          await cases.blocks.create(block(`203.0.113.${i + 11}`));
        }
        clock.advance(1_000);
        await expect(safety.admitAutomaticBlock()).resolves.toMatchObject({ admitted: false });
        const second = (await safety.breaker())!;
        expect(second.openedAt).not.toBe(firstOpening);
        expect(second.closedBy).toBeUndefined();
        expect((await breakerAlerts()).map((alert) => alert.id).sort()).toEqual([`breaker-${Date.parse(firstOpening!)}`, `breaker-${clock.now()}`].sort());
        expect(await auditOf('response.breaker.open')).toHaveLength(2);
      });

      it('opens when one more block would pass maxActiveBlocks; expired and released blocks do not count', async () => {
        const safety = safetyWith({ maxActiveBlocks: 5, maxBlocksPerMinute: 1000 });
        clock.advance(-2 * HOUR_MS);
        for (let i = 0; i < 4; i++) await cases.blocks.create(block(`203.0.113.${i + 1}`, { createdBy: 'alice' }));
        await cases.blocks.create(block('203.0.113.50', { expiresAt: iso(clock.now() + HOUR_MS) }));
        await cases.blocks.create(block('203.0.113.51', { state: 'released' }));
        await cases.blocks.create(block('203.0.113.52', { expiresAt: undefined, createdBy: 'alice' }));
        clock.advance(2 * HOUR_MS);
        // Four active plus one permanent: five; 203.0.113.50 expired an hour ago, .51 was released.
        expect(refusal(await safety.admitAutomaticBlock())).toMatch(/active-cap: 5 active blocks; one more exceeds maxActiveBlocks 5/);
        expect((await breakerAlerts())[0]?.explanation.correlation).toMatchObject({ activeBlocks: 5 });
      });

      it('admits up to the active cap', async () => {
        const safety = safetyWith({ maxActiveBlocks: 5, maxBlocksPerMinute: 1000 });
        for (let i = 0; i < 4; i++) await cases.blocks.create(block(`203.0.113.${i + 1}`));
        await cases.blocks.create(block('203.0.113.1', { driver: 'feed' }));
        await expect(safety.admitAutomaticBlock()).resolves.toEqual({ admitted: true });
        expect(await safety.breaker()).toBeUndefined();
      });

      it('opens once when several workers trip it at the same moment', async () => {
        for (let i = 0; i < 20; i++) await cases.blocks.create(block(`203.0.113.${i + 1}`));
        // Each worker has its own clock a millisecond apart: two openings would be two alerts.
        const workers = Array.from({ length: 4 }, (_, i) => safetyWith({}, new ManualClock(START + i)));
        const answers = await Promise.all(workers.map((worker) => worker.admitAutomaticBlock()));
        expect(answers.every((answer) => !answer.admitted)).toBe(true);
        expect(await breakerAlerts()).toHaveLength(1);
        expect(await auditOf('response.breaker.open')).toHaveLength(1);
      });

      it('admits exactly maxBlocksPerMinute when many workers admit at the same moment', async () => {
        // Six workers, two admissions each, at once: the rate limit of 5 holds exactly.
        const workers = Array.from({ length: 6 }, () => safetyWith({ maxBlocksPerMinute: 5 }));
        const answers = await Promise.all(workers.flatMap((worker) => [worker.admitAutomaticBlock(), worker.admitAutomaticBlock()]));
        expect(answers.filter((answer) => answer.admitted)).toHaveLength(5);
        expect((await safetyWith().breaker())?.state).toBe('open');
        expect(await breakerAlerts()).toHaveLength(1);
      });

      it('writes the alert of an opening whose worker died before alerting', async () => {
        await cases.controls.create({ id: 'breaker', state: 'open', reason: 'rate-limit: test', openedAt: iso(START), createdAt: iso(START), updatedAt: iso(START) });
        const safety = safetyWith();
        await expect(safety.admitAutomaticBlock()).resolves.toMatchObject({ admitted: false });
        await expect(safety.admitAutomaticBlock()).resolves.toMatchObject({ admitted: false });
        const alerts = await breakerAlerts();
        expect(alerts.map((alert) => alert.id)).toEqual([`breaker-${START}`]);
        expect(alerts[0]?.explanation.correlation).toMatchObject({ reason: 'rate-limit: test' });
        expect(await auditOf('response.breaker.open')).toHaveLength(1);
      });
    });
  });
}
