/**
 * The figures suite, run against every store backend: the seeded week must give exactly the
 * hand-computed figures (expected.ts) whichever stores hold it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../core/cases/types.js';
import type { WeeklyFigures } from '../../../core/reports/types.js';
import type { CaseStore, Collection, ListQuery } from '../../../core/stores/case-store.js';
import type { EventStore } from '../../../core/stores/event-store.js';
import { renderWeeklyReport } from '../../render/index.js';
import { weekPeriod } from '../../week.js';
import { gatherWeeklyFigures, type GatherDependencies } from '../index.js';
import { EXPECTED, EXPECTED_LOOKUP } from './expected.js';
import { NOW_MS, PERIOD, SLA, SOURCES, fakeIpInfo, seedWeek } from './seed.js';

/** Stores for one run of the suite, and how to remove them. */
export interface FiguresStores {
  readonly cases: CaseStore;
  readonly events: EventStore;
  cleanup(): Promise<void>;
}

/** A case store whose collections answer at most `size` records a page, counting the pages read after the first. */
function smallPages(store: CaseStore, size: number): { store: CaseStore; followed: () => number } {
  let followed = 0;
  const wrap = <T extends { readonly id: string }>(collection: Collection<T>): Collection<T> =>
    new Proxy(collection, {
      get(target, property) {
        if (property === 'list') {
          return (query: ListQuery = {}) => {
            if (query.cursor !== undefined) followed += 1;
            return target.list({ ...query, limit: Math.min(query.limit ?? 100, size) });
          };
        }
        const value: unknown = Reflect.get(target, property);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  const wrapped = new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (typeof value === 'object' && value !== null && 'create' in value && 'replace' in value) return wrap(value as Collection<{ id: string }>);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: wrapped, followed: () => followed };
}

/** Every number in the figures, with its path: none may be NaN or infinite. */
function numbers(value: unknown, path = ''): [string, number][] {
  if (typeof value === 'number') return [[path, value]];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => numbers(child, `${path}.${key}`));
}

const zero = { informational: 0, low: 0, medium: 0, high: 0, critical: 0 };

/** Runs the figures suite on stores from `open` (fresh, empty stores each time it is called). */
export function describeFiguresSuite(name: string, open: () => Promise<FiguresStores>): void {
  describe(`weekly figures on ${name}`, () => {
    let stores: FiguresStores | undefined;

    beforeAll(async () => {
      stores = await open();
      await seedWeek(stores.cases, stores.events);
    });

    afterAll(async () => {
      await stores?.cleanup();
    });

    function deps(overrides: Partial<GatherDependencies> = {}): GatherDependencies {
      if (!stores) throw new Error('the stores did not open');
      return { cases: stores.cases, events: stores.events, sla: SLA, organization: 'Example GmbH', sources: SOURCES, nowMs: NOW_MS, ...overrides };
    }

    it('seeds the week weekPeriod gives', () => {
      expect(weekPeriod('2026-W46', 'Europe/Berlin')).toEqual(PERIOD);
    });

    it('gathers the seeded week exactly as computed by hand', async () => {
      const ipInfo = fakeIpInfo();
      const figures = await gatherWeeklyFigures(deps({ ipInfo: ipInfo.lookup }), PERIOD);
      expect(figures).toEqual(EXPECTED);
      expect(ipInfo.calls).toEqual([EXPECTED_LOOKUP]);
    });

    it('writes the hand-computed figures of the seeded week into the PDF, every page of which renders', async () => {
      const figures = await gatherWeeklyFigures(deps({ ipInfo: fakeIpInfo().lookup }), PERIOD);
      const { pdf, pages } = await renderWeeklyReport(figures);
      const dir = mkdtempSync(join(tmpdir(), 'watchpost-figures-pdf-'));
      try {
        const file = join(dir, 'week.pdf');
        writeFileSync(file, pdf);
        const run = promisify(execFile);
        const { stdout } = await run('pdftotext', ['-layout', file, '-'], { maxBuffer: 16 * 1024 * 1024 });
        const text = stdout.replace(/[ \t]+/g, ' ');
        // The numbers of expected.ts, written out: they must reach the reader, not just the object.
        expect(text).toContain('Watchpost raised 11 alerts this week, 83.3 % more than the week before');
        expect(text).toContain('Example GmbH');
        expect(text).toContain('2026-W46');
        expect(text).toContain('SSH brute force');
        expect(text).toMatch(/198\.51\.100\.23 .*US.*AS64501/);
        expect(text).toContain('Example Transit');
        expect(text).toContain('33.0 min');
        // Roboto has no arrows: the engine's status entries print with ASCII ones, not as empty boxes.
        expect(text).toContain('Status new -> acknowledged');
        expect(text).toContain(`Page 2 of ${pages}`);
        await run('pdftoppm', ['-png', '-r', '40', file, join(dir, 'page')]);
        expect(readdirSync(dir).filter((name) => name.endsWith('.png'))).toHaveLength(pages);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('reads every page: the same figures when the store answers two records a page', async () => {
      const paged = smallPages(deps().cases, 2);
      const figures = await gatherWeeklyFigures(deps({ cases: paged.store, ipInfo: fakeIpInfo().lookup }), PERIOD);
      expect(figures).toEqual(EXPECTED);
      // 11 alerts, 6 previous, 7 incidents opened, 6 closed, 8 blocks, 7 runs, 7 counters: many pages.
      expect(paged.followed()).toBeGreaterThan(20);
    });

    it('carries no country or AS without a lookup, and goes on when the lookup fails', async () => {
      const withoutLookup = await gatherWeeklyFigures(deps(), PERIOD);
      const failing = await gatherWeeklyFigures(deps({ ipInfo: () => Promise.reject(new Error('no data')) }), PERIOD);
      const bare = EXPECTED.topAttackers.map(({ ip, alerts, matches, blocked }) => ({ ip, alerts, matches, blocked }));
      expect(withoutLookup.topAttackers).toEqual(bare);
      expect(failing.topAttackers).toEqual(bare);
      expect({ ...failing, topAttackers: EXPECTED.topAttackers }).toEqual(EXPECTED);
    });

    it('gives zeros, empty lists and nulls for a week with nothing in it', async () => {
      const period = weekPeriod('2026-W30', 'Europe/Berlin');
      const figures = await gatherWeeklyFigures(deps(), period);
      const silent = (source: string) => ({ source, events: 0, parseFailures: 0, parseFailureRate: 0, dropped: 0, silent: true });
      const expected: WeeklyFigures = {
        // CEST: Monday 2026-07-20 00:00 local is 2026-07-19T22:00Z.
        period: { week: '2026-W30', timeZone: 'Europe/Berlin', from: '2026-07-19T22:00:00.000Z', to: '2026-07-26T22:00:00.000Z' },
        previous: { from: '2026-07-12T22:00:00.000Z', to: '2026-07-19T22:00:00.000Z' },
        organization: 'Example GmbH',
        generatedAt: '2026-11-16T05:00:00.000Z',
        alerts: {
          total: 0,
          previousTotal: 0,
          changePercent: null,
          bySeverity: zero,
          previousBySeverity: zero,
          byDay: ['2026-07-20', '2026-07-21', '2026-07-22', '2026-07-23', '2026-07-24', '2026-07-25', '2026-07-26'].map((date) => ({ date, counts: zero })),
        },
        topRules: [],
        topAttackers: [],
        topTargetHosts: [],
        topTargetUsers: [],
        response: { blocked: [], disabledAccounts: [], runs: { total: 0, succeeded: 0, failed: 0, pendingApproval: 0, rejected: 0, other: 0 } },
        incidents: { opened: 0, closed: 0, byVerdict: { true_positive: 0, false_positive: 0, benign: 0 }, noVerdict: 0, openAtEnd: 0 },
        responseTimes: { incidents: 0, acknowledged: 0, resolved: 0, mttaMinutes: null, mttrMinutes: null, acknowledgeBreaches: 0, resolveBreaches: 0 },
        // Every configured source, silent, by id.
        ingest: { sources: ['edge-udp', 'fw-syslog', 'linux-file', 'web-http'].map(silent), events: 0, parseFailures: 0, dropped: 0 },
        tactics: [],
        notableIncidents: [],
      };
      expect(figures).toEqual(expected);
      expect(numbers(figures).filter(([, n]) => !Number.isFinite(n))).toEqual([]);
      const noSources = await gatherWeeklyFigures(deps({ sources: [] }), period);
      expect(noSources.ingest.sources).toEqual([]);
    });

    it('caps the top lists at ten rows', async () => {
      // 2026-W10 (Monday 2026-03-02, CET): twelve alerts, each its own rule, address, host and user; counts 1–12.
      const base = Date.parse('2026-03-03T12:00:00.000Z');
      const alerts: Alert[] = Array.from({ length: 12 }, (_, i) => {
        const n = String(i + 1).padStart(2, '0');
        const at = new Date(base + i * 60_000).toISOString();
        return {
          id: `cap-${n}`,
          dedupKey: `cap-${n}`,
          ruleId: `rule-${n}`,
          ruleTitle: `Rule ${n}`,
          severity: 'low',
          riskScore: 10,
          status: 'new',
          count: i + 1,
          firstSeen: at,
          lastSeen: at,
          entities: { 'source.ip': `192.0.2.${i + 1}`, 'host.name': `h${n}`, 'user.name': `u${n}` },
          eventIds: [],
          explanation: { selections: [], matches: [] },
          tags: [],
          createdAt: at,
          updatedAt: at,
        };
      });
      const store = deps().cases;
      await Promise.all(alerts.map((alert) => store.alerts.create(alert)));
      const ipInfo = fakeIpInfo();
      const figures = await gatherWeeklyFigures(deps({ ipInfo: ipInfo.lookup }), weekPeriod('2026-W10', 'Europe/Berlin'));
      // Equal alerts: most matches first, so counts 12 down to 3.
      const kept = ['12', '11', '10', '09', '08', '07', '06', '05', '04', '03'];
      expect(figures.topRules.map((rule) => rule.ruleId)).toEqual(kept.map((n) => `rule-${n}`));
      expect(figures.topAttackers.map((attacker) => attacker.ip)).toEqual(kept.map((n) => `192.0.2.${Number(n)}`));
      expect(ipInfo.calls).toEqual([kept.map((n) => `192.0.2.${Number(n)}`)]);
      // Equal alerts and no matches for targets: by name.
      expect(figures.topTargetHosts.map((host) => host.name)).toEqual(['h01', 'h02', 'h03', 'h04', 'h05', 'h06', 'h07', 'h08', 'h09', 'h10']);
      expect(figures.topTargetUsers).toHaveLength(10);
      expect(figures.alerts.total).toBe(12);
    });
  });
}
