import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Alert, AuditEntry, CustomRule, RuleState, Suppression, TimelineEntry } from '../../core/cases/types.js';
import type { FilterNode } from '../../core/query/filter.js';
import {
  MAX_LIST_LIMIT,
  type AppendOnlyLog,
  type CaseStore,
  type Collection,
  type ListQuery,
} from '../../core/stores/case-store.js';
import { modify } from '../../core/stores/modify.js';
import {
  at,
  makeAlert,
  makeApiToken,
  makeAuditEntry,
  makeBlockState,
  makeIncident,
  makeLoginLockout,
  makeNeverBlockEntry,
  makeResponseControl,
  makePlaybookRun,
  makeSession,
  makeTimelineEntry,
  makeUser,
  marker,
} from './case-fixtures.js';
import { randomId } from '../../core/ids.js';

/** A suppression of one address for the SSH brute-force rule, the way the API writes one. */
function makeSuppression(overrides: Partial<Suppression> = {}): Suppression {
  return {
    id: randomId(),
    rule: 'f9c2a7e1-ssh-bruteforce',
    fields: { 'source.ip': '192.0.2.10', 'user.name': 'scanner' },
    startsAt: at(0),
    expiresAt: at(24 * 60),
    author: 'alice',
    reason: 'authorised vulnerability scan, ticket SEC-1042',
    suppressedCount: 0,
    createdAt: at(0),
    updatedAt: at(0),
    ...overrides,
  };
}

/** A rule switched off from the API, the way the rules routes write one. */
function makeRuleState(overrides: Partial<RuleState> = {}): RuleState {
  return {
    id: randomId(),
    enabled: false,
    reason: 'noisy on the build servers, ticket SEC-1043',
    updatedBy: 'alice',
    createdAt: at(0),
    updatedAt: at(0),
    ...overrides,
  };
}

/** An uploaded rule file, the way the rules routes write one. */
function makeCustomRule(overrides: Partial<CustomRule> = {}): CustomRule {
  const id = randomId().toLowerCase();
  return {
    id,
    text: 'title: SSH login as root\nid: 6f9d1c52-1b7e-4a38-9d2a-3c1f0e8a7b10\nlogsource:\n  product: linux\n  service: sshd\ndetection:\n  sel:\n    user.name: root\n  condition: sel\n',
    keys: ['6f9d1c52-1b7e-4a38-9d2a-3c1f0e8a7b10'],
    title: 'SSH login as root',
    createdBy: 'alice',
    updatedBy: 'alice',
    createdAt: at(0),
    updatedAt: at(0),
    ...overrides,
  };
}

/** How a contract run gets a store, and gives it back. */
export type OpenCaseStore = () => Promise<{ store: CaseStore; cleanup: () => Promise<void> }>;

type Identified = { readonly id: string; readonly createdAt: string };

/**
 * How the generic tests drive one collection: a factory, a realistic change, and a string field
 * the test sets to its own marker so that its filters and totals see only its own records.
 */
interface CollectionCase {
  readonly name: 'alerts' | 'incidents' | 'users' | 'tokens' | 'sessions' | 'runs' | 'blocks' | 'suppressions' | 'ruleStates' | 'customRules' | 'neverBlock' | 'controls' | 'lockouts';
  readonly make: (overrides?: Record<string, unknown>) => Identified;
  readonly change: (record: Identified) => Identified;
  readonly markerField: string;
}

const COLLECTIONS: readonly CollectionCase[] = [
  {
    name: 'alerts',
    make: (o) => makeAlert(o),
    change: (r) => ({ ...(r as Alert), status: 'acknowledged', verdict: 'benign', updatedAt: at(3) }) as Identified,
    markerField: 'assignee',
  },
  {
    name: 'incidents',
    make: (o) => makeIncident(o),
    change: (r) => ({ ...r, status: 'contained', tags: ['ssh', 'external', 'contained'] }) as Identified,
    markerField: 'assignee',
  },
  { name: 'users', make: (o) => makeUser(o), change: (r) => ({ ...r, disabled: true, roles: ['viewer'] }) as Identified, markerField: 'displayName' },
  { name: 'tokens', make: (o) => makeApiToken(o), change: (r) => ({ ...r, revoked: true, lastUsedAt: at(7) }) as Identified, markerField: 'name' },
  { name: 'sessions', make: (o) => makeSession(o), change: (r) => ({ ...r, lastSeenAt: at(30) }) as Identified, markerField: 'userId' },
  { name: 'runs', make: (o) => makePlaybookRun(o), change: (r) => ({ ...r, status: 'succeeded', updatedAt: at(9) }) as Identified, markerField: 'playbookId' },
  { name: 'blocks', make: (o) => makeBlockState(o), change: (r) => ({ ...r, state: 'released', releasedAt: at(240) }) as Identified, markerField: 'driver' },
  {
    name: 'suppressions',
    make: (o) => makeSuppression(o),
    change: (r) => ({ ...r, suppressedCount: 3, lastSuppressedAt: at(5), updatedAt: at(5) }) as Identified,
    markerField: 'author',
  },
  {
    name: 'ruleStates',
    make: (o) => makeRuleState(o),
    change: (r) => ({ ...r, enabled: true, reason: 'fixed upstream', updatedAt: at(6) }) as Identified,
    markerField: 'updatedBy',
  },
  {
    name: 'customRules',
    make: (o) => makeCustomRule(o),
    change: (r) => ({ ...r, title: 'SSH login as root (tuned)', keys: ['a', 'b'], updatedAt: at(8) }) as Identified,
    markerField: 'createdBy',
  },
  { name: 'neverBlock', make: (o) => makeNeverBlockEntry(o), change: (r) => ({ ...r, value: '198.51.100.0/25', updatedAt: at(2) }) as Identified, markerField: 'createdBy' },
  { name: 'controls', make: (o) => makeResponseControl(o), change: (r) => ({ ...r, state: 'closed', closedBy: 'admin', updatedAt: at(4) }) as Identified, markerField: 'reason' },
  { name: 'lockouts', make: (o) => makeLoginLockout(o), change: (r) => ({ ...r, failures: 5, lockedUntil: at(15), updatedAt: at(1) }) as Identified, markerField: 'windowStartedAt' },
];

function eq(field: string, value: string | number | boolean): FilterNode {
  return { op: 'eq', field, value };
}

function withoutRev<T extends object>(record: T): Omit<T, 'rev'> {
  const { rev: _rev, ...rest } = record as T & { rev?: string };
  return rest;
}

/** Ascending (field, id) order, as the contract defines it; a missing value sorts first. */
function byFieldThenId(field: string) {
  return (a: object, b: object): number => {
    const x = (a as Record<string, unknown>)[field] as string | undefined;
    const y = (b as Record<string, unknown>)[field] as string | undefined;
    if (x !== y) {
      if (x === undefined) return -1;
      if (y === undefined) return 1;
      return x < y ? -1 : 1;
    }
    const i = (a as { id: string }).id;
    const j = (b as { id: string }).id;
    return i < j ? -1 : i > j ? 1 : 0;
  };
}

/** Pages through a whole list with the given page size, checking every page on the way. */
async function listAll<T extends { id: string }>(
  source: { list(query?: ListQuery): Promise<{ items: T[]; total: number; nextCursor?: string }> },
  query: ListQuery,
): Promise<{ items: T[]; pages: number; totals: number[] }> {
  const items: T[] = [];
  const totals: number[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await source.list({ ...query, ...(cursor ? { cursor } : {}) });
    pages += 1;
    totals.push(page.total);
    expect(page.items.length).toBeLessThanOrEqual(query.limit ?? 100);
    if (page.nextCursor) expect(page.items.length).toBe(query.limit ?? 100);
    items.push(...page.items);
    cursor = page.nextCursor;
    if (pages > 1_000) throw new Error('paging does not end');
  } while (cursor);
  return { items, pages, totals };
}

/**
 * The CaseStore contract (core/stores/case-store.ts): every promise of its TSDoc, for every
 * collection and both logs. One store serves the whole suite; each test scopes its filters and
 * totals to records it made, so the tests do not depend on each other.
 */
export function describeCaseStoreContract(name: string, open: OpenCaseStore): void {
  describe(`CaseStore contract: ${name}`, () => {
    let store: CaseStore;
    let cleanup: () => Promise<void>;
    let openError: unknown;

    // A store that cannot be opened (its server is down) must fail every test, not skip them,
    // which is what vitest does to the tests of a failed beforeAll.
    beforeAll(async () => {
      try {
        ({ store, cleanup } = await open());
      } catch (error) {
        openError = error;
      }
    });

    beforeEach(() => {
      if (openError !== undefined) throw openError instanceof Error ? openError : new Error('opening the store failed', { cause: openError });
    });

    afterAll(async () => {
      if (!store) return;
      await store.close();
      await store.close();
      await cleanup();
    });

    const collection = (c: CollectionCase): Collection<Identified> => store[c.name];

    it('names its technology and reports itself up', async () => {
      expect(store.kind).toMatch(/^[a-z]+$/);
      await expect(store.health()).resolves.toMatchObject({ state: 'up' });
    });

    describe.each(COLLECTIONS)('collection $name', (c) => {
      it('creates a record and gets it back equal, with an opaque revision', async () => {
        const record = c.make();
        const created = await collection(c).create(record);
        expect(typeof created.rev).toBe('string');
        expect(created.rev).not.toBe('');
        expect(withoutRev(created)).toEqual(record);
        const got = await collection(c).get(record.id);
        expect(got).toEqual({ ...record, rev: created.rev });
      });

      it('gets undefined for an id never stored', async () => {
        await expect(collection(c).get(`missing-${marker()}`)).resolves.toBeUndefined();
      });

      it('refuses to create an id that exists, and keeps the first record', async () => {
        const record = c.make();
        const created = await collection(c).create(record);
        const twin = c.change(c.make({ id: record.id }));
        await expect(collection(c).create(twin)).rejects.toMatchObject({ code: 'WATCHPOST_ERR_STORE_CONFLICT' });
        await expect(collection(c).get(record.id)).resolves.toEqual(created);
      });

      it('replaces with the revision read, giving a new revision', async () => {
        const created = await collection(c).create(c.make());
        const changed = c.change(created);
        const replaced = await collection(c).replace({ ...changed, rev: created.rev });
        expect(replaced.rev).not.toBe(created.rev);
        expect(withoutRev(replaced)).toEqual(withoutRev(changed));
        await expect(collection(c).get(created.id)).resolves.toEqual(replaced);
      });

      it('lets one of two writers holding the same revision win; the other gets a conflict', async () => {
        const created = await collection(c).create(c.make());
        const [first, second] = [await collection(c).get(created.id), await collection(c).get(created.id)];
        const winner = await collection(c).replace({ ...c.change(first!), rev: first!.rev });
        await expect(collection(c).replace({ ...second!, rev: second!.rev })).rejects.toMatchObject({
          code: 'WATCHPOST_ERR_STORE_CONFLICT',
        });
        await expect(collection(c).get(created.id)).resolves.toEqual(winner);
        // An old revision stays stale after further writes too.
        const again = await collection(c).replace({ ...winner, rev: winner.rev });
        await expect(collection(c).replace({ ...again, rev: created.rev })).rejects.toMatchObject({ code: 'WATCHPOST_ERR_STORE_CONFLICT' });
      });

      it('deletes: true when it existed, false after, and replace of a deleted record is NOT_FOUND', async () => {
        const created = await collection(c).create(c.make());
        await expect(collection(c).delete(created.id)).resolves.toBe(true);
        await expect(collection(c).get(created.id)).resolves.toBeUndefined();
        await expect(collection(c).delete(created.id)).resolves.toBe(false);
        await expect(collection(c).replace({ ...created })).rejects.toMatchObject({ code: 'WATCHPOST_ERR_STORE_NOT_FOUND' });
        const listed = await collection(c).list({ filter: eq('id', created.id) });
        expect(listed).toEqual({ items: [], total: 0 });
      });

      it('never accepts a revision from before a delete for the record created again', async () => {
        const created = await collection(c).create(c.make());
        await collection(c).delete(created.id);
        const reborn = await collection(c).create(withoutRev(created));
        expect(reborn.rev).not.toBe(created.rev);
        await expect(collection(c).replace({ ...c.change(reborn), rev: created.rev })).rejects.toMatchObject({
          code: 'WATCHPOST_ERR_STORE_CONFLICT',
        });
      });

      it('lists what it just wrote (read-your-writes), with the current revision', async () => {
        const m = marker();
        const created = await collection(c).create(c.make({ [c.markerField]: m }));
        const first = await collection(c).list({ filter: eq(c.markerField, m) });
        expect(first).toEqual({ items: [created], total: 1 });
        const replaced = await collection(c).replace({ ...c.change(created), rev: created.rev });
        const second = await collection(c).list({ filter: eq(c.markerField, m) });
        expect(second.items).toEqual([replaced]);
        await collection(c).delete(created.id);
        await expect(collection(c).list({ filter: eq(c.markerField, m) })).resolves.toEqual({ items: [], total: 0 });
      });

      it('lists by createdAt ascending by default and descending on request, ties broken by id', async () => {
        const m = marker();
        const stamps = [at(30), at(10), at(20), at(10), at(10), at(-5)];
        const records = stamps.map((createdAt) => c.make({ [c.markerField]: m, createdAt }));
        await Promise.all(records.map((record) => collection(c).create(record)));
        const expected = [...records].sort(byFieldThenId('createdAt')).map((r) => r.id);
        const asc = await collection(c).list({ filter: eq(c.markerField, m) });
        expect(asc.items.map((r) => r.id)).toEqual(expected);
        expect(asc.total).toBe(records.length);
        expect(asc.nextCursor).toBeUndefined();
        const desc = await collection(c).list({ filter: eq(c.markerField, m), order: 'desc' });
        expect(desc.items.map((r) => r.id)).toEqual([...expected].reverse());
        const paged = await listAll(collection(c), { filter: eq(c.markerField, m), order: 'desc', limit: 4 });
        expect(paged.items.map((r) => r.id)).toEqual([...expected].reverse());
        expect(paged.pages).toBe(2);
        expect(paged.totals).toEqual([6, 6]);
      });

      it('deletes every record matching a filter and counts them', async () => {
        const m = marker();
        const doomed = [c.make({ [c.markerField]: m }), c.make({ [c.markerField]: m })];
        const kept = c.make({ [c.markerField]: `${m}-kept` });
        await Promise.all([...doomed, kept].map((record) => collection(c).create(record)));
        await expect(collection(c).deleteMatching(eq(c.markerField, m))).resolves.toBe(2);
        await expect(collection(c).list({ filter: eq(c.markerField, m) })).resolves.toEqual({ items: [], total: 0 });
        await expect(collection(c).get(kept.id)).resolves.toBeDefined();
        await expect(collection(c).deleteMatching(eq(c.markerField, m))).resolves.toBe(0);
      });
    });

    describe('optimistic concurrency under load', () => {
      it('modify() retries concurrent increments to an exact result', async () => {
        const alert = await store.alerts.create(makeAlert({ count: 5 }));
        const writers = 10;
        // Every writer reads before any writes; modify's jittered retries with its default
        // attempts must still land every increment.
        await Promise.all(
          Array.from({ length: writers }, (_, i) =>
            modify(store.alerts, alert.id, (current) => ({ ...current, count: current.count + 1, lastSeen: at(i + 1) })),
          ),
        );
        const final = await store.alerts.get(alert.id);
        expect(final?.count).toBe(5 + writers);
      });

      it('modify() rejects with NOT_FOUND for a record that does not exist', async () => {
        await expect(modify(store.alerts, `missing-${marker()}`, (a) => a)).rejects.toMatchObject({ code: 'WATCHPOST_ERR_STORE_NOT_FOUND' });
      });
    });

    describe('list queries', () => {
      it('filters alerts by any of several statuses (or) and counts them', async () => {
        const m = marker();
        const statuses = ['new', 'acknowledged', 'in_progress', 'closed', 'new', 'closed'] as const;
        await Promise.all(statuses.map((status, i) => store.alerts.create(makeAlert({ assignee: m, status, createdAt: at(i) }))));
        const open = await store.alerts.list({
          filter: { op: 'and', children: [eq('assignee', m), { op: 'or', children: [eq('status', 'new'), eq('status', 'acknowledged')] }] },
        });
        expect(open.total).toBe(3);
        expect(open.items.map((a) => a.status).sort()).toEqual(['acknowledged', 'new', 'new']);
        const notClosed = await store.alerts.list({ filter: { op: 'and', children: [eq('assignee', m), { op: 'not', child: eq('status', 'closed') }] } });
        expect(notClosed.total).toBe(4);
      });

      it('filters alerts by a numeric range and by an entity field', async () => {
        const m = marker();
        await Promise.all(
          [10, 50, 73, 99].map((riskScore, i) =>
            store.alerts.create(makeAlert({ assignee: m, riskScore, entities: { 'source.ip': `198.51.100.${i}`, 'host.name': 'web-01' } })),
          ),
        );
        const risky = await store.alerts.list({ filter: { op: 'and', children: [eq('assignee', m), { op: 'range', field: 'riskScore', gte: 50 }] } });
        expect(risky.items.map((a) => a.riskScore).sort((x, y) => x - y)).toEqual([50, 73, 99]);
        const byIp = await store.alerts.list({ filter: { op: 'and', children: [eq('assignee', m), eq('entities.source.ip', '198.51.100.2')] } });
        expect(byIp.items.map((a) => a.riskScore)).toEqual([73]);
      });

      it('sorts alerts by lastSeen both ways with id breaking ties, and pages without skip or repeat', async () => {
        const m = marker();
        const seen = [3, 1, 2, 2, 2, 5, 4, 1, 3, 2, 0];
        const alerts = seen.map((minute) => makeAlert({ assignee: m, lastSeen: at(minute) }));
        await Promise.all(alerts.map((a) => store.alerts.create(a)));
        const expected = [...alerts].sort(byFieldThenId('lastSeen')).map((a) => a.id);
        for (const limit of [1, 3, 5, 11, 12]) {
          const asc = await listAll(store.alerts, { filter: eq('assignee', m), sort: 'lastSeen', limit });
          expect(asc.items.map((a) => a.id)).toEqual(expected);
          expect(new Set(asc.totals)).toEqual(new Set([alerts.length]));
          expect(asc.pages).toBe(Math.max(1, Math.ceil(alerts.length / limit)));
          const desc = await listAll(store.alerts, { filter: eq('assignee', m), sort: 'lastSeen', order: 'desc', limit });
          expect(desc.items.map((a) => a.id)).toEqual([...expected].reverse());
        }
      });

      it('sorts on a field some records lack: first ascending, last descending, paging through them', async () => {
        const m = marker();
        const resolved = [undefined, at(50), undefined, at(40), at(50), undefined];
        const incidents = resolved.map((resolvedAt) => makeIncident({ assignee: m, ...(resolvedAt ? { resolvedAt } : {}) }));
        await Promise.all(incidents.map((i) => store.incidents.create(i)));
        const expected = [...incidents].sort(byFieldThenId('resolvedAt')).map((i) => i.id);
        const asc = await listAll(store.incidents, { filter: eq('assignee', m), sort: 'resolvedAt', limit: 2 });
        expect(asc.items.map((i) => i.id)).toEqual(expected);
        const desc = await listAll(store.incidents, { filter: eq('assignee', m), sort: 'resolvedAt', order: 'desc', limit: 1 });
        expect(desc.items.map((i) => i.id)).toEqual([...expected].reverse());
      });

      it('sorts by id alone and by a dotted field', async () => {
        const m = marker();
        const incidents = ['10.0.0.3', '10.0.0.1', '10.0.0.2'].map((value) => makeIncident({ assignee: m, entity: { field: 'source.ip', value } }));
        await Promise.all(incidents.map((i) => store.incidents.create(i)));
        const byId = await store.incidents.list({ filter: eq('assignee', m), sort: 'id', order: 'desc' });
        expect(byId.items.map((i) => i.id)).toEqual(incidents.map((i) => i.id).sort().reverse());
        const byEntity = await store.incidents.list({ filter: eq('assignee', m), sort: 'entity.value' });
        expect(byEntity.items.map((i) => i.entity?.value)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
      });

      it('filters incidents by tag, by observable value and by the nested entity (array fields match any element)', async () => {
        const m = marker();
        const a = makeIncident({ assignee: m, tags: ['ssh', 'external'] });
        const b = makeIncident({
          assignee: m,
          tags: ['phishing'],
          entity: { field: 'user.name', value: 'jdoe' },
          tasks: [{ id: 'reset', title: 'Reset the password of jdoe', done: false }],
          observables: [
            { type: 'domain', value: 'login-examp1e.com' },
            { type: 'user', value: 'jdoe' },
          ],
        });
        const cc = makeIncident({ assignee: m, title: 'Überwachung umgangen', tags: [], observables: [], tasks: [], verdict: 'benign' });
        await Promise.all([a, b, cc].map((i) => store.incidents.create(i)));
        const scoped = (filter: FilterNode): Promise<string[]> =>
          store.incidents.list({ filter: { op: 'and', children: [eq('assignee', m), filter] } }).then((p) => p.items.map((i) => i.id).sort());
        await expect(scoped(eq('tags', 'ssh'))).resolves.toEqual([a.id]);
        // eq folds case unless asked not to, beyond ASCII too.
        await expect(scoped(eq('tags', 'SSH'))).resolves.toEqual([a.id]);
        await expect(scoped({ op: 'eq', field: 'tags', value: 'SSH', caseSensitive: true })).resolves.toEqual([]);
        await expect(scoped(eq('observables.value', 'LOGIN-EXAMP1E.COM'))).resolves.toEqual([b.id]);
        await expect(scoped(eq('title', 'ÜBERWACHUNG UMGANGEN'))).resolves.toEqual([cc.id]);
        await expect(scoped(eq('tags', 'phishing'))).resolves.toEqual([b.id]);
        await expect(scoped(eq('observables.value', 'jdoe'))).resolves.toEqual([b.id]);
        await expect(scoped(eq('observables.value', '203.0.113.7'))).resolves.toEqual([a.id]);
        await expect(scoped(eq('entity.value', 'jdoe'))).resolves.toEqual([b.id]);
        await expect(scoped(eq('tasks.done', true))).resolves.toEqual([a.id]);
        await expect(scoped({ op: 'exists', field: 'verdict' })).resolves.toEqual([cc.id]);
      });

      it('finds users by role, live tokens of a user, runs waiting for approval and blocks due for release', async () => {
        const m = marker();
        const admin = makeUser({ displayName: m, roles: ['viewer', 'admin'] });
        const viewer = makeUser({ displayName: m, roles: ['viewer'] });
        await Promise.all([admin, viewer].map((u) => store.users.create(u)));
        const admins = await store.users.list({ filter: { op: 'and', children: [eq('displayName', m), eq('roles', 'admin')] } });
        expect(admins.items.map((u) => u.id)).toEqual([admin.id]);

        const live = makeApiToken({ userId: m });
        const revoked = makeApiToken({ userId: m, revoked: true });
        await Promise.all([live, revoked].map((t) => store.tokens.create(t)));
        const tokens = await store.tokens.list({ filter: { op: 'and', children: [eq('userId', m), eq('revoked', false)] } });
        expect(tokens.items.map((t) => t.id)).toEqual([live.id]);

        const waiting = makePlaybookRun({ playbookId: m });
        const done = makePlaybookRun({
          playbookId: m,
          status: 'succeeded',
          steps: [{ id: 'block', action: 'block-ip', status: 'succeeded', dryRun: true, attempts: 2 }],
        });
        await Promise.all([waiting, done].map((r) => store.runs.create(r)));
        const pending = await store.runs.list({ filter: { op: 'and', children: [eq('playbookId', m), eq('steps.status', 'pending_approval')] } });
        expect(pending.items.map((r) => r.id)).toEqual([waiting.id]);

        const now = at(300);
        const due = makeBlockState({ driver: m, expiresAt: at(240) });
        const later = makeBlockState({ driver: m, expiresAt: at(600) });
        const released = makeBlockState({ driver: m, state: 'released', expiresAt: at(100), releasedAt: at(100) });
        const permanent = makeBlockState({ driver: m, expiresAt: undefined });
        delete (permanent as { expiresAt?: string }).expiresAt;
        await Promise.all([due, later, released, permanent].map((b) => store.blocks.create(b)));
        const toRelease = await store.blocks.list({
          filter: { op: 'and', children: [eq('driver', m), eq('state', 'active'), { op: 'range', field: 'expiresAt', lte: now }] },
        });
        expect(toRelease.items.map((b) => b.id)).toEqual([due.id]);
      });

      it('finds the suppressions in force for an entity value, and counts suppressed matches on them', async () => {
        const m = marker();
        const now = at(60);
        const active = makeSuppression({ author: m });
        const everyRule = makeSuppression({ author: m, rule: undefined, fields: { 'host.name': 'Bastion-01' } });
        delete (everyRule as { rule?: string }).rule;
        const expired = makeSuppression({ author: m, expiresAt: at(59) });
        const future = makeSuppression({ author: m, startsAt: at(61) });
        await Promise.all([active, everyRule, expired, future].map((x) => store.suppressions.create(x)));
        const inForce: FilterNode = {
          op: 'and',
          children: [eq('author', m), { op: 'range', field: 'startsAt', lte: now }, { op: 'range', field: 'expiresAt', gt: now }],
        };
        const listed = await store.suppressions.list({ filter: inForce, sort: 'expiresAt' });
        expect(listed.items.map((x) => x.id).sort()).toEqual([active.id, everyRule.id].sort());
        const byField = await store.suppressions.list({ filter: { op: 'and', children: [inForce, eq('fields.source.ip', '192.0.2.10')] } });
        expect(byField.items.map((x) => x.id)).toEqual([active.id]);
        const forRule = await store.suppressions.list({
          filter: { op: 'and', children: [inForce, { op: 'or', children: [{ op: 'not', child: { op: 'exists', field: 'rule' } }, eq('rule', active.rule!)] }] },
        });
        expect(forRule.items.map((x) => x.id).sort()).toEqual([active.id, everyRule.id].sort());
        const counted = await modify(store.suppressions, active.id, (x) => ({ ...x, suppressedCount: x.suppressedCount + 1, lastSuppressedAt: now }));
        expect(counted).toMatchObject({ suppressedCount: 1, lastSuppressedAt: now });
        const busiest = await store.suppressions.list({ filter: eq('author', m), sort: 'suppressedCount', order: 'desc', limit: 1 });
        expect(busiest.items.map((x) => x.id)).toEqual([active.id]);
      });

      it('tells a rule change by the newest updatedAt and the total, and lists the rules switched off', async () => {
        const m = marker();
        const states = [
          makeRuleState({ updatedBy: m, updatedAt: at(3) }),
          makeRuleState({ updatedBy: m, enabled: true, updatedAt: at(9) }),
          makeRuleState({ updatedBy: m, updatedAt: at(5) }),
        ];
        await Promise.all(states.map((x) => store.ruleStates.create(x)));
        const newest = await store.ruleStates.list({ filter: eq('updatedBy', m), sort: 'updatedAt', order: 'desc', limit: 1 });
        expect(newest).toMatchObject({ total: 3, items: [{ id: states[1]!.id, updatedAt: at(9) }] });
        const off = await store.ruleStates.list({ filter: { op: 'and', children: [eq('updatedBy', m), eq('enabled', false)] } });
        expect(off.items.map((x) => x.id).sort()).toEqual([states[0]!.id, states[2]!.id].sort());
        await store.ruleStates.delete(states[1]!.id);
        const after = await store.ruleStates.list({ filter: eq('updatedBy', m), sort: 'updatedAt', order: 'desc', limit: 1 });
        expect(after).toMatchObject({ total: 2, items: [{ id: states[2]!.id }] });
        // An uploaded file of 256 KiB is stored and read back whole, though too long to index.
        const big = makeCustomRule({ createdBy: m, text: `# ${'x'.repeat(256 * 1024 - 10)}\n` });
        await store.customRules.create(big);
        await expect(store.customRules.get(big.id)).resolves.toMatchObject({ text: big.text });
        await expect(store.customRules.list({ filter: eq('createdBy', m) })).resolves.toMatchObject({ total: 1 });
      });

      it('expires sessions: a range on expiresAt lists them and deleteMatching removes exactly them', async () => {
        const m = marker();
        const now = at(60);
        const expired = [makeSession({ userId: m, expiresAt: at(59) }), makeSession({ userId: m, expiresAt: at(-600) })];
        const boundary = makeSession({ userId: m, expiresAt: now });
        const valid = makeSession({ userId: m, expiresAt: at(61) });
        await Promise.all([...expired, boundary, valid].map((s) => store.sessions.create(s)));
        const expiredFilter: FilterNode = { op: 'and', children: [eq('userId', m), { op: 'range', field: 'expiresAt', lt: now }] };
        const listed = await store.sessions.list({ filter: expiredFilter, sort: 'expiresAt' });
        expect(listed.items.map((s) => s.id)).toEqual([expired[1]!.id, expired[0]!.id]);
        await expect(store.sessions.deleteMatching(expiredFilter)).resolves.toBe(2);
        const left = await store.sessions.list({ filter: eq('userId', m), sort: 'expiresAt' });
        expect(left.items.map((s) => s.id)).toEqual([boundary.id, valid.id]);
      });

      it('pages 100 records at a time by default', async () => {
        const m = marker();
        await Promise.all(Array.from({ length: 101 }, (_, i) => store.sessions.create(makeSession({ userId: m, createdAt: at(i % 7) }))));
        const first = await store.sessions.list({ filter: eq('userId', m) });
        expect(first.items).toHaveLength(100);
        expect(first.total).toBe(101);
        const second = await store.sessions.list({ filter: eq('userId', m), cursor: first.nextCursor });
        expect(second.items).toHaveLength(1);
        expect(second.nextCursor).toBeUndefined();
        expect(new Set([...first.items, ...second.items].map((s) => s.id)).size).toBe(101);
      });

      it('returns the total with a page smaller than it, and an empty page with limit 0', async () => {
        const m = marker();
        await Promise.all(Array.from({ length: 5 }, (_, i) => store.alerts.create(makeAlert({ assignee: m, createdAt: at(i) }))));
        const page = await store.alerts.list({ filter: eq('assignee', m), limit: 2 });
        expect(page.items).toHaveLength(2);
        expect(page.total).toBe(5);
        expect(page.nextCursor).toEqual(expect.any(String));
        const none = await store.alerts.list({ filter: eq('assignee', m), limit: 0 });
        expect(none.items).toEqual([]);
        expect(none.total).toBe(5);
      });

      it('refuses limits above MAX_LIST_LIMIT, bad sort fields and foreign cursors as invalid queries', async () => {
        const invalid = { code: 'WATCHPOST_ERR_STORE_INVALID_QUERY' };
        await expect(store.alerts.list({ limit: MAX_LIST_LIMIT + 1 })).rejects.toMatchObject(invalid);
        await expect(store.alerts.list({ limit: -1 })).rejects.toMatchObject(invalid);
        await expect(store.alerts.list({ limit: 2.5 })).rejects.toMatchObject(invalid);
        await expect(store.audit.list({ limit: MAX_LIST_LIMIT + 1 })).rejects.toMatchObject(invalid);
        await expect(store.alerts.list({ sort: "createdAt'); DROP TABLE x; --" })).rejects.toMatchObject(invalid);
        await expect(store.alerts.list({ sort: 'a..b' })).rejects.toMatchObject(invalid);
        await expect(store.alerts.list({ cursor: 'not a cursor' })).rejects.toMatchObject(invalid);
        await expect(store.alerts.list({ limit: MAX_LIST_LIMIT })).resolves.toMatchObject({ total: expect.any(Number) });
        const m = marker();
        await Promise.all([0, 1].map((i) => store.alerts.create(makeAlert({ assignee: m, createdAt: at(i) }))));
        const first = await store.alerts.list({ filter: eq('assignee', m), limit: 1 });
        await expect(store.alerts.list({ filter: eq('assignee', m), limit: 1, sort: 'lastSeen', cursor: first.nextCursor })).rejects.toMatchObject(invalid);
      });
    });

    const LOGS = [
      {
        name: 'timeline' as const,
        make: (o: Partial<TimelineEntry> = {}) => makeTimelineEntry(o),
        other: (e: TimelineEntry) => ({ ...e, body: 'a different body', kind: 'status' as const }),
      },
      {
        name: 'audit' as const,
        make: (o: Partial<AuditEntry> = {}) => makeAuditEntry(o),
        other: (e: AuditEntry) => ({ ...e, outcome: 'failure' as const, action: 'rule.enable' }),
      },
    ];

    describe.each(LOGS)('log $name', (l) => {
      const log = (): AppendOnlyLog<TimelineEntry | AuditEntry> => store[l.name];
      const scopeField = l.name === 'timeline' ? 'incidentId' : 'actor';

      it('appends an entry and lists it at once', async () => {
        const m = marker();
        const entry = l.make({ [scopeField]: m });
        await expect(log().append(entry)).resolves.toEqual(entry);
        await expect(log().list({ filter: eq(scopeField, m) })).resolves.toEqual({ items: [entry], total: 1 });
      });

      it('appends idempotently by id: a repeat writes nothing and returns the stored entry', async () => {
        const m = marker();
        const entry = l.make({ [scopeField]: m });
        await log().append(entry);
        const repeat = l.other(entry as never);
        await expect(log().append(repeat)).resolves.toEqual(entry);
        await expect(Promise.all([log().append(entry), log().append(entry)])).resolves.toEqual([entry, entry]);
        await expect(log().list({ filter: eq(scopeField, m) })).resolves.toEqual({ items: [entry], total: 1 });
      });

      it('lists by at ascending by default, descending on request, ties by id, paging by cursor', async () => {
        const m = marker();
        const minutes = [5, 1, 3, 3, 3, 0, 9, 1];
        const entries = minutes.map((minute) => l.make({ [scopeField]: m, at: at(minute) }));
        // Appended out of order, as concurrent jobs do.
        await Promise.all(entries.map((e) => log().append(e)));
        const expected = [...entries].sort(byFieldThenId('at')).map((e) => e.id);
        const all = await log().list({ filter: eq(scopeField, m) });
        expect(all.items.map((e) => e.id)).toEqual(expected);
        expect(all.total).toBe(entries.length);
        const desc = await listAll(log(), { filter: eq(scopeField, m), order: 'desc', limit: 3 });
        expect(desc.items.map((e) => e.id)).toEqual([...expected].reverse());
        expect(desc.totals).toEqual([8, 8, 8]);
        const asc = await listAll(log(), { filter: eq(scopeField, m), limit: 2 });
        expect(asc.items.map((e) => e.id)).toEqual(expected);
      });

      it('offers no way to change or delete one entry', () => {
        const methods = log() as unknown as Record<string, unknown>;
        for (const method of ['replace', 'update', 'delete', 'deleteMatching']) expect(methods[method]).toBeUndefined();
      });
    });

    it('lists one incident timeline by incidentId, oldest first', async () => {
      const incident = makeIncident();
      const other = makeIncident();
      const kinds = ['created', 'alert_linked', 'assignment', 'comment', 'status'] as const;
      const entries = kinds.map((kind, i) => makeTimelineEntry({ incidentId: incident.id, kind, at: at(i * 2), actor: i === 0 ? 'system' : 'alice' }));
      await Promise.all([...entries, makeTimelineEntry({ incidentId: other.id })].map((e) => store.timeline.append(e)));
      const timeline = await store.timeline.list({ filter: eq('incidentId', incident.id) });
      expect(timeline.items.map((e) => e.kind)).toEqual([...kinds]);
      expect(timeline.total).toBe(kinds.length);
      const comments = await store.timeline.list({ filter: { op: 'and', children: [eq('incidentId', incident.id), eq('kind', 'comment')] } });
      expect(comments.items).toEqual([entries[3]]);
    });

    it('lists audit entries by action and target', async () => {
      const target = { type: 'rule', id: marker() };
      const entries = [
        makeAuditEntry({ action: 'rule.enable', target, at: at(1) }),
        makeAuditEntry({ action: 'rule.disable', target, at: at(2), actor: 'token:ci' }),
        makeAuditEntry({ action: 'rule.enable', target, at: at(3), outcome: 'failure' }),
      ];
      await Promise.all(entries.map((e) => store.audit.append(e)));
      const enables = await store.audit.list({ filter: { op: 'and', children: [eq('target.id', target.id), eq('action', 'rule.enable')] }, order: 'desc' });
      expect(enables.items).toEqual([entries[2], entries[0]]);
    });

    describe('retention', () => {
      // Entries before 2010 belong to this block alone: no other test writes them.
      it.each(['timeline', 'audit'] as const)('%s: deleteOlderThan removes exactly the entries before the cutoff', async (name) => {
        const log = store[name] as AppendOnlyLog<TimelineEntry | AuditEntry>;
        const make = name === 'timeline' ? makeTimelineEntry : makeAuditEntry;
        const cutoff = new Date('2003-01-01T00:00:00.000Z');
        const before = ['2001-03-04T05:06:07.000Z', '2002-12-31T23:59:59.999Z', '2001-01-01T00:00:00.000Z'].map((t) => make({ at: t }));
        const kept = [make({ at: cutoff.toISOString() }), make({ at: '2003-01-01T00:00:00.001Z' })];
        await Promise.all([...before, ...kept].map((e) => log.append(e)));
        const ancient: FilterNode = { op: 'range', field: 'at', lt: '2010-01-01T00:00:00.000Z' };
        await expect(log.list({ filter: ancient })).resolves.toMatchObject({ total: 5 });
        await expect(log.deleteOlderThan(cutoff)).resolves.toBe(3);
        const left = await log.list({ filter: ancient });
        expect(left.items.map((e) => e.id)).toEqual(kept.map((e) => e.id));
        await expect(log.deleteOlderThan(cutoff)).resolves.toBe(0);
        // An id that retention removed is unknown again: appending it stores a new entry.
        await expect(log.append(before[0]!)).resolves.toEqual(before[0]);
        await expect(log.deleteOlderThan(new Date('2010-01-01T00:00:00.000Z'))).resolves.toBe(3);
      });
    });
  });
}
