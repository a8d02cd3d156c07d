import { useInfiniteQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { listAlerts } from './api';
import { matchesFilters, toApiQuery, type AlertFilters } from './filters';
import type { AlertView } from './types';
import type { StreamEvent } from './useAlertStream';

/** The most alerts the queue holds in the browser; past it the analyst narrows the filters. */
export const QUEUE_CAP = 10_000;

/** The alert queue: pages loaded on demand, live changes patched in without moving rows. */
export interface AlertQueue {
  readonly rows: readonly AlertView[];
  readonly total: number | undefined;
  readonly isPending: boolean;
  readonly error: unknown;
  readonly hasMore: boolean;
  readonly isFetchingMore: boolean;
  readonly capped: boolean;
  loadMore: () => void;
  /** Live alerts waiting for the analyst to show them. */
  readonly pending: readonly AlertView[];
  /** Puts the waiting alerts at the top; answers how many rows were added above the others. */
  showPending: () => number;
  /** The server said the feed skipped changes: the list may be out of date. */
  readonly stale: boolean;
  reload: () => void;
  onStreamEvent: (event: StreamEvent) => void;
  /** Patches changed alerts in place (after a bulk action). */
  patch: (alerts: readonly AlertView[]) => void;
}

const newer = (a: AlertView, b: AlertView | undefined): AlertView => (b && b.updatedAt > a.updatedAt ? b : a);

/**
 * Loads the queue a page (200) at a time as the analyst scrolls, up to {@link QUEUE_CAP}: the
 * first rows show after one request, and a queue of thousands costs requests only when read.
 * Live alerts wait in `pending` (a banner) instead of shifting rows under the analyst; changed
 * alerts already shown are replaced in place.
 */
export function useAlertQueue(filters: AlertFilters, me: string | undefined, search: string): AlertQueue {
  // Relative ranges are resolved once per filter change, so the key is stable between renders.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const query = useMemo(() => toApiQuery(filters, me), [search, me]);
  const [overlay, setOverlay] = useState<ReadonlyMap<string, AlertView>>(new Map());
  const [inserted, setInserted] = useState<readonly AlertView[]>([]);
  const [pending, setPending] = useState<readonly AlertView[]>([]);
  const [stale, setStale] = useState(false);
  const [seenSearch, setSeenSearch] = useState(search);
  if (seenSearch !== search) {
    setSeenSearch(search);
    setOverlay(new Map());
    setInserted([]);
    setPending([]);
    setStale(false);
  }

  const result = useInfiniteQuery({
    queryKey: ['alerts', 'queue', query],
    queryFn: ({ pageParam, signal }) => listAlerts(query, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last, pages) => (pages.length * (query.limit as number) >= QUEUE_CAP ? undefined : last.nextCursor),
    staleTime: Infinity,
  });

  // `live`: the shown live alerts the server's pages do not hold, so they count on top of its total.
  const { rows, live } = useMemo(() => {
    const seen = new Set<string>();
    const out: AlertView[] = [];
    const add = (alert: AlertView): void => {
      if (seen.has(alert.id)) return;
      seen.add(alert.id);
      out.push(newer(alert, overlay.get(alert.id)));
    };
    const pages = result.data?.pages ?? [];
    const fromServer = new Set(pages.flatMap((page) => page.items.map((item) => item.id)));
    inserted.forEach(add);
    for (const page of pages) page.items.forEach(add);
    return { rows: out, live: new Set(inserted.map((alert) => alert.id).filter((id) => !fromServer.has(id))).size };
  }, [result.data, inserted, overlay]);

  const ids = useRef(new Set<string>());
  useEffect(() => {
    ids.current = new Set(rows.map((row) => row.id));
  }, [rows]);

  const onStreamEvent = useCallback(
    (event: StreamEvent) => {
      if (event.type === 'resync') {
        setStale(true);
        return;
      }
      const alert = event.alert;
      if (ids.current.has(alert.id)) {
        setOverlay((prev) => new Map(prev).set(alert.id, newer(alert, prev.get(alert.id))));
        return;
      }
      if (!matchesFilters(alert, filters, me)) {
        setPending((prev) => prev.filter((item) => item.id !== alert.id));
        return;
      }
      setPending((prev) => [alert, ...prev.filter((item) => item.id !== alert.id)]);
    },
    [filters, me],
  );

  const showPending = useCallback((): number => {
    const count = pending.length;
    setInserted((prev) => [...pending, ...prev.filter((row) => !pending.some((item) => item.id === row.id))]);
    setPending([]);
    return count;
  }, [pending]);

  const patch = useCallback((alerts: readonly AlertView[]) => {
    setOverlay((prev) => {
      const next = new Map(prev);
      for (const alert of alerts) next.set(alert.id, newer(alert, prev.get(alert.id)));
      return next;
    });
  }, []);

  const { refetch, fetchNextPage, hasNextPage, isFetchingNextPage } = result;
  const reload = useCallback(() => {
    setOverlay(new Map());
    setInserted([]);
    setPending([]);
    setStale(false);
    void refetch();
  }, [refetch]);
  const loadMore = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [fetchNextPage, hasNextPage, isFetchingNextPage]);

  const loaded = result.data?.pages.length ?? 0;
  return {
    rows,
    // The count the server gave when the queue loaded, plus the live alerts shown since.
    total: result.data?.pages[0] === undefined ? undefined : result.data.pages[0].total + live,
    isPending: result.isPending,
    error: result.error,
    hasMore: hasNextPage,
    isFetchingMore: isFetchingNextPage,
    capped: loaded * (query.limit as number) >= QUEUE_CAP && result.data?.pages[loaded - 1]?.nextCursor !== undefined,
    loadMore,
    pending,
    showPending,
    stale,
    reload,
    onStreamEvent,
    patch,
  };
}
