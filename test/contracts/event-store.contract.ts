import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EcsEvent, StoredEvent } from '../../core/ecs/event.js';
import type { FilterNode } from '../../core/query/filter.js';
import { MAX_EXACT_TOTAL, MAX_PAGE_SIZE, type EventStore } from '../../core/stores/event-store.js';
import { FILTER_CASES, type FilterCase } from '../conformance/filter-cases.js';
import { ALL, CORPUS, CORPUS_ASC, DAY, ev, HOUR, MINUTE, T0 } from './event-store-fixtures.js';

/** Opens a fresh, empty store; `cleanup` removes everything it created. */
export type OpenEventStore = () => Promise<{ store: EventStore; cleanup: () => Promise<void> }>;

const ids = (events: readonly StoredEvent[]): string[] => events.map((event) => event.event.id);
const sorted = (values: readonly string[]): string[] => [...values].sort();
const invalidQuery = expect.objectContaining({ code: 'WATCHPOST_ERR_STORE_INVALID_QUERY', intent: 'user' });

/**
 * One store per block: opened before its tests, cleaned up after. A store that cannot be opened
 * (the server is down) fails every test of the block with that error, rather than letting the
 * runner report them as skipped.
 */
function useStore(open: OpenEventStore, seed: readonly EcsEvent[] = []): () => EventStore {
  let opened: Awaited<ReturnType<OpenEventStore>> | undefined;
  let failure: Error | undefined;
  beforeAll(async () => {
    try {
      opened = await open();
      if (seed.length > 0) {
        const result = await opened.store.append(seed);
        expect(result).toEqual({ written: seed.length, duplicates: 0, rejected: [] });
        await opened.store.refresh();
      }
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
  });
  afterAll(async () => {
    await opened?.store.close();
    await opened?.cleanup();
  });
  return () => {
    if (failure !== undefined) throw failure;
    if (!opened) throw new Error('store not opened');
    return opened.store;
  };
}

/**
 * The EventStore contract (core/stores/event-store.ts) as tests: every implementation runs it.
 * Expected results are exact, written out by hand from the corpus in event-store-fixtures.ts.
 */
export function describeEventStoreContract(name: string, open: OpenEventStore): void {
  describe(`EventStore contract: ${name}`, () => {
    describe('append', () => {
      const store = useStore(open);

      it('is idempotent by event.id: the same batch twice is all duplicates', async () => {
        const batch = [ev('a1', T0), ev('a2', T0 + 1), ev('a3', T0 + DAY)];
        expect(await store().append(batch)).toEqual({ written: 3, duplicates: 0, rejected: [] });
        expect(await store().append(batch)).toEqual({ written: 0, duplicates: 3, rejected: [] });
        await store().refresh();
        expect(await store().count({ ...ALL, filter: { op: 'startswith', field: 'event.id', value: 'a' } })).toBe(3);
      });

      it('keeps the first content of an id, within a batch and across batches', async () => {
        const first = ev('b1', T0, { message: 'first' });
        expect(await store().append([first, ev('b1', T0, { message: 'second' })])).toEqual({ written: 1, duplicates: 1, rejected: [] });
        expect(await store().append([ev('b1', T0, { message: 'third' })])).toEqual({ written: 0, duplicates: 1, rejected: [] });
        await store().refresh();
        expect(await store().get('b1')).toEqual(first);
      });

      it('rejects invalid events alone, with invalid_event, and writes the rest', async () => {
        const noId = { '@timestamp': new Date(T0).toISOString(), message: 'no id' } as EcsEvent;
        const badTs = { ...ev('c2', T0), '@timestamp': 'yesterday' };
        const noOffset = { ...ev('c3', T0), '@timestamp': '2024-03-01T10:00:00' };
        const noTs = { event: { id: 'c4' } } as unknown as EcsEvent;
        const result = await store().append([ev('c1', T0), noId, badTs, noOffset, noTs, ev('c5', T0 + 5)]);
        expect(result.written).toBe(2);
        expect(result.duplicates).toBe(0);
        expect(result.rejected.map((r) => [r.id, r.reason])).toEqual([
          ['', 'invalid_event'],
          ['c2', 'invalid_event'],
          ['c3', 'invalid_event'],
          ['c4', 'invalid_event'],
        ]);
        await store().refresh();
        expect(await store().get('c1')).toEqual(ev('c1', T0));
        expect(await store().get('c5')).toEqual(ev('c5', T0 + 5));
        expect(await store().get('c2')).toBeUndefined();
      });

      it('accepts an empty batch', async () => {
        expect(await store().append([])).toEqual({ written: 0, duplicates: 0, rejected: [] });
      });

      it('get returns the stored event, or undefined for an unknown id', async () => {
        const event = ev('g1', T0 + 3, { message: 'hello', source: { ip: '10.0.0.1', port: 53 }, tags: ['x', 'y'] });
        await store().append([event]);
        await store().refresh();
        expect(await store().get('g1')).toEqual(event);
        expect(await store().get('nope')).toBeUndefined();
      });

      it('reports up', async () => {
        expect(await store().health()).toEqual({ state: 'up' });
      });
    });

    describe('queries over a fixed corpus', () => {
      const store = useStore(open, CORPUS);
      const match = async (filter: FilterNode): Promise<string[]> =>
        sorted(ids((await store().search({ ...ALL, filter, order: 'asc', size: 100 })).events));

      it('searches newest first by default, ties broken by id', async () => {
        const page = await store().search(ALL);
        expect(ids(page.events)).toEqual([...CORPUS_ASC].reverse());
        expect(page.total).toBe(8);
        expect(page.nextCursor).toBeUndefined();
        expect(page.events[page.events.length - 1]).toEqual(CORPUS[0]);
      });

      it('searches oldest first on request', async () => {
        expect(ids((await store().search({ ...ALL, order: 'asc' })).events)).toEqual([...CORPUS_ASC]);
      });

      it('treats the time range as half-open', async () => {
        const page = await store().search({ from: new Date(T0 + 2 * MINUTE), to: new Date(T0 + HOUR), order: 'asc' });
        expect(ids(page.events)).toEqual(['e03', 'e04']);
        expect(await store().count({ from: new Date(T0), to: new Date(T0) })).toBe(0);
        expect(await store().count({ from: new Date(T0), to: new Date(T0 + 1) })).toBe(1);
      });

      it.each<FilterCase>(FILTER_CASES)('filter: %s', async (_name, filter, expected) => {
        expect(await match(filter)).toEqual(expected);
        expect(await store().count({ ...ALL, filter })).toBe(expected.length);
      });

      it('refuses malformed queries with a UserError', async () => {
        await expect(store().search({ ...ALL, filter: { op: 'eq', field: 'bad field', value: 1 } })).rejects.toEqual(invalidQuery);
        await expect(store().search({ ...ALL, filter: { op: 'regex', field: 'message', pattern: '(?<=a)b' } })).rejects.toEqual(invalidQuery);
        await expect(store().search({ ...ALL, filter: { op: 'cidr', field: 'source.ip', cidr: '10/8' } })).rejects.toEqual(invalidQuery);
        await expect(store().search({ ...ALL, size: MAX_PAGE_SIZE + 1 })).rejects.toEqual(invalidQuery);
        await expect(store().search({ ...ALL, cursor: 'not-a-cursor' })).rejects.toEqual(invalidQuery);
        await expect(store().terms({ ...ALL, field: 'tags', size: 0 })).rejects.toEqual(invalidQuery);
      });

      it('counts', async () => {
        expect(await store().count(ALL)).toBe(8);
        expect(await store().count({ from: new Date(T0 + DAY), to: new Date(T0 + 3 * DAY) })).toBe(3);
      });

      it('terms: most frequent first, ties by value, each array element once per event', async () => {
        expect(await store().terms({ ...ALL, field: 'tags' })).toEqual([
          { value: 'ssh', count: 3 },
          { value: 'Auth', count: 1 },
          { value: 'Blocked', count: 1 },
          { value: 'auth', count: 1 },
          { value: 'dup', count: 1 },
          { value: 'fw', count: 1 },
          { value: 'web', count: 1 },
        ]);
      });

      it('terms: size limits the buckets', async () => {
        expect(await store().terms({ ...ALL, field: 'tags', size: 2 })).toEqual([
          { value: 'ssh', count: 3 },
          { value: 'Auth', count: 1 },
        ]);
      });

      it('terms: numbers stay numbers', async () => {
        expect(await store().terms({ ...ALL, field: 'event.severity' })).toEqual([
          { value: 3, count: 2 },
          { value: 5, count: 2 },
          { value: 1, count: 1 },
          { value: 7, count: 1 },
          { value: 9, count: 1 },
        ]);
      });

      it('terms: values as stored, with the filter and the time range applied', async () => {
        expect(await store().terms({ ...ALL, field: 'source.ip', filter: { op: 'exists', field: 'source.port' } })).toEqual([
          { value: '2001:db8::7', count: 1 },
          { value: '203.0.113.7', count: 1 },
        ]);
        expect(await store().terms({ from: new Date(T0 + DAY), to: ALL.to, field: 'user.name' })).toEqual([
          { value: 'admin', count: 1 },
          { value: 'Über', count: 1 },
        ]);
        expect(await store().terms({ ...ALL, field: 'no.such.field' })).toEqual([]);
      });

      it('dateHistogram: epoch-aligned buckets with zero-filled gaps, none outside', async () => {
        expect(await store().dateHistogram({ ...ALL, intervalMs: 12 * HOUR })).toEqual([
          { start: Date.UTC(2024, 2, 1), count: 5 },
          { start: Date.UTC(2024, 2, 1, 12), count: 0 },
          { start: Date.UTC(2024, 2, 2), count: 1 },
          { start: Date.UTC(2024, 2, 2, 12), count: 0 },
          { start: Date.UTC(2024, 2, 3), count: 2 },
        ]);
        expect(await store().dateHistogram({ ...ALL, intervalMs: 30 * MINUTE, filter: { op: 'exists', field: 'host.name' }, to: new Date(T0 + DAY) })).toEqual([
          { start: T0, count: 4 },
          { start: T0 + 30 * MINUTE, count: 0 },
          { start: T0 + HOUR, count: 1 },
        ]);
      });

      it('dateHistogram: empty when nothing matches; a UserError beyond MAX_HISTOGRAM_BUCKETS', async () => {
        expect(await store().dateHistogram({ ...ALL, intervalMs: HOUR, filter: { op: 'or', children: [] } })).toEqual([]);
        await expect(store().dateHistogram({ ...ALL, intervalMs: 1000 })).rejects.toEqual(invalidQuery);
        await expect(store().dateHistogram({ ...ALL, intervalMs: 0 })).rejects.toEqual(invalidQuery);
      });
    });

    describe('paging', () => {
      // 23 events on 6 distinct timestamps, in shuffled order: every page boundary falls inside a tie.
      const events = Array.from({ length: 23 }, (_, i) => ev(`p${String((i * 7) % 23).padStart(2, '0')}`, T0 + Math.floor(((i * 7) % 23) / 4) * 1000));
      const expectedAsc = [...events]
        .sort((a, b) => a['@timestamp'].localeCompare(b['@timestamp']) || (a.event?.id ?? '').localeCompare(b.event?.id ?? ''))
        .map((event) => event.event?.id as string);
      const store = useStore(open, events);

      it.each(['asc', 'desc'] as const)('%s pages cover every event once, in total order', async (order) => {
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store().search({ ...ALL, order, size: 4, ...(cursor === undefined ? {} : { cursor }) });
          expect(page.total).toBe(23);
          expect(page.events.length).toBe(pages < 5 ? 4 : 3);
          seen.push(...ids(page.events));
          cursor = page.nextCursor;
          pages += 1;
        } while (cursor !== undefined && pages < 10);
        expect(pages).toBe(6);
        expect(seen).toEqual(order === 'asc' ? expectedAsc : [...expectedAsc].reverse());
      });

      it('a page that ends exactly at the last event has no cursor', async () => {
        const page = await store().search({ ...ALL, size: 23 });
        expect(page.events.length).toBe(23);
        expect(page.nextCursor).toBeUndefined();
      });
    });

    describe('totals', () => {
      const many = Array.from({ length: MAX_EXACT_TOTAL + 5 }, (_, i) => ev(`m${String(i).padStart(5, '0')}`, T0 + i));
      const store = useStore(open, many);

      it('reports the total exactly up to MAX_EXACT_TOTAL, then as that lower bound; count stays exact', async () => {
        const page = await store().search({ ...ALL, size: 1 });
        expect(page.total).toBe(MAX_EXACT_TOTAL);
        expect(ids(page.events)).toEqual([`m${String(MAX_EXACT_TOTAL + 4).padStart(5, '0')}`]);
        expect(await store().count(ALL)).toBe(MAX_EXACT_TOTAL + 5);
        expect((await store().search({ ...ALL, size: 1, filter: { op: 'startswith', field: 'event.id', value: 'm0000' } })).total).toBe(10);
      });
    });

    describe('retention', () => {
      const dayStart = (d: number): number => Date.UTC(2024, 2, d);
      const seed = [
        ev('r1', dayStart(1) + 10 * HOUR),
        ev('r2', dayStart(1) + 23 * HOUR + 59 * MINUTE),
        ev('r3', dayStart(2)),
        ev('r4', dayStart(2) + 10 * HOUR),
        ev('r5', dayStart(3) + 10 * HOUR),
      ];
      const store = useStore(open, seed);

      it('deletes the days before the cutoff, never an event of the cutoff day or later', async () => {
        expect(await store().deleteOlderThan(new Date(dayStart(2) + 12 * HOUR))).toBe(2);
        await store().refresh();
        expect(ids((await store().search({ ...ALL, order: 'asc' })).events)).toEqual(['r3', 'r4', 'r5']);
        expect(await store().get('r1')).toBeUndefined();
      });

      it('deletes nothing when nothing is old enough', async () => {
        expect(await store().deleteOlderThan(new Date(dayStart(2)))).toBe(0);
        await store().refresh();
        expect(await store().count(ALL)).toBe(3);
      });
    });
  });
}
