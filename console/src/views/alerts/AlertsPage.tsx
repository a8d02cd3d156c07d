import { Alert, Badge, Button, Group, Text } from '@mantine/core';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { PageHeader } from '../../components/PageHeader';
import { useHasShortcutsHelp, useOpenShortcutsHelp, useShortcutHelp } from '../../components/Shortcuts';
import { EmptyState, ErrorState, LoadingState } from '../../components/States';
import { useMe } from './access';
import { AlertFilterBar } from './AlertFilterBar';
import { AlertTable, ROW_HEIGHT } from './AlertTable';
import { BulkBar } from './BulkBar';
import { readFilters, writeFilters } from './filters';
import { KeyboardHelp, QUEUE_SHORTCUTS } from './KeyboardHelp';
import { SavedViews } from './SavedViews';
import { TriageDialogs, type TriageDialog } from './TriageDialogs';
import type { AlertSort } from './types';
import { QUEUE_CAP, useAlertQueue } from './useAlertQueue';
import { useAlertStream, type StreamState } from './useAlertStream';
import { useQueueKeyboard } from './useQueueKeyboard';
import { useTriage } from './useTriage';

const STREAM_LABEL: Record<StreamState, { text: string; color: string }> = {
  connecting: { text: 'Connecting…', color: 'gray' },
  live: { text: 'Live', color: 'green' },
  reconnecting: { text: 'Reconnecting…', color: 'yellow' },
  offline: { text: 'Offline, retrying', color: 'red' },
};

/** Rows from the end of the loaded ones at which the next page is fetched. */
const PREFETCH_ROWS = 50;

/** The queue's shortcuts as the console's help dialog lists them (`?` itself is listed there already). */
const HELP_ENTRIES = QUEUE_SHORTCUTS.filter((shortcut) => shortcut.keys !== '?').map((shortcut) => ({ key: shortcut.keys, description: shortcut.does, group: 'Alert queue' }));

/** /alerts: the alert queue. Filters and sort are the URL's; focus and selection are the page's. */
export function AlertsPage() {
  const [params, setParams] = useSearchParams();
  const search = params.toString();
  const filters = useMemo(() => readFilters(params), [params]);
  const { userId, can } = useMe();
  const queue = useAlertQueue(filters, userId, search);
  const streamState = useAlertStream(queue.onStreamEvent);
  const navigate = useNavigate();
  const rows = queue.rows;

  const [focusedId, setFocusedId] = useState<string | undefined>();
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [anchor, setAnchor] = useState<number | undefined>();
  const [dialog, setDialog] = useState<TriageDialog>();
  const [help, setHelp] = useState(false);

  const focusedIndex = useMemo(() => {
    const index = focusedId === undefined ? -1 : rows.findIndex((row) => row.id === focusedId);
    return index >= 0 ? index : rows.length > 0 ? 0 : -1;
  }, [rows, focusedId]);

  const scrollRef = useRef<HTMLDivElement>(null);
  // The virtualizer's functions change identity on every render by design (the console does not use the React Compiler).
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    getItemKey: (index) => rows[index]?.id ?? index,
  });

  const lastVisible = virtualizer.getVirtualItems().at(-1)?.index ?? 0;
  const { loadMore, hasMore } = queue;
  useEffect(() => {
    if (hasMore && lastVisible >= rows.length - PREFETCH_ROWS) loadMore();
  }, [lastVisible, rows.length, hasMore, loadMore]);

  // Rows put above the others (live alerts shown on request) must not push the analyst's rows
  // down: the scroll offset grows by their height, unless the analyst is at the very top.
  const compensate = useRef(0);
  useLayoutEffect(() => {
    const added = compensate.current;
    compensate.current = 0;
    const element = scrollRef.current;
    if (added > 0 && element && element.scrollTop > 0) element.scrollTop += added * ROW_HEIGHT;
  }, [rows]);

  const targets = useMemo(() => {
    if (selected.size > 0) return rows.filter((row) => selected.has(row.id));
    const focused = rows[focusedIndex];
    return focused ? [focused] : [];
  }, [rows, selected, focusedIndex]);

  const triage = useTriage((changed) => {
    queue.patch(changed);
    setDialog(undefined);
  });
  const canTriage = can('analyst');

  const toggle = useCallback(
    (index: number, range: boolean) => {
      const row = rows[index];
      if (!row) return;
      setSelected((prev) => {
        const next = new Set(prev);
        if (range && anchor !== undefined) {
          const on = !prev.has(row.id);
          for (let i = Math.min(anchor, index); i <= Math.max(anchor, index); i++) {
            const id = rows[i]?.id;
            if (id !== undefined) {
              if (on) next.add(id);
              else next.delete(id);
            }
          }
        } else if (next.has(row.id)) next.delete(row.id);
        else next.add(row.id);
        return next;
      });
      setAnchor(index);
      setFocusedId(row.id);
    },
    [rows, anchor],
  );

  const focus = (index: number): void => {
    const row = rows[index];
    if (!row) return;
    setFocusedId(row.id);
    virtualizer.scrollToIndex(index, { align: 'auto' });
  };

  // Inside the console's frame the queue's keys are listed in its one help dialog (`?`, the header
  // button); rendered alone (tests) the queue shows its own.
  const sharedHelp = useHasShortcutsHelp();
  const openSharedHelp = useOpenShortcutsHelp();
  useShortcutHelp(HELP_ENTRIES);
  const openHelp = sharedHelp ? openSharedHelp : () => setHelp(true);

  useQueueKeyboard(
    {
      move: (delta) => focus(Math.max(0, Math.min(rows.length - 1, focusedIndex + delta))),
      toggle: () => toggle(focusedIndex, false),
      acknowledge: () => {
        if (canTriage && targets.length > 0) void triage.run({ kind: 'status', status: 'acknowledged' }, targets.map((row) => row.id));
      },
      close: () => {
        if (canTriage && targets.length > 0) setDialog('close');
      },
      open: () => {
        const row = rows[focusedIndex];
        if (row) void navigate(`/alerts/${encodeURIComponent(row.id)}`);
      },
      help: sharedHelp ? undefined : () => setHelp(true),
    },
    dialog === undefined && !help,
  );

  const onSort = (sort: AlertSort): void => {
    const order = filters.sort === sort && filters.order === 'desc' ? 'asc' : 'desc';
    setParams(writeFilters({ ...filters, sort, order }));
  };

  const showPending = (): void => {
    compensate.current = queue.showPending();
  };

  const stream = STREAM_LABEL[streamState];
  const caption = `Alerts, ${rows.length} loaded${queue.total !== undefined ? ` of ${queue.total}` : ''}, sorted by ${filters.sort} ${filters.order === 'asc' ? 'ascending' : 'descending'}. Keys: j and k move, x selects, a acknowledges, c closes, Enter opens; ? lists them all`;

  return (
    <>
      <PageHeader
        title="Alerts"
        description={
          queue.total !== undefined ? `${queue.total.toLocaleString()} matching · ${rows.length.toLocaleString()} loaded${queue.capped ? ` (the first ${QUEUE_CAP.toLocaleString()}: narrow the filters)` : ''}` : undefined
        }
        actions={
          <>
            <Badge color={stream.color} variant="dot" role="status" aria-label={`Live updates: ${stream.text}`}>
              {stream.text}
            </Badge>
            <SavedViews query={search} onApply={(query) => setParams(new URLSearchParams(query))} />
            <Button variant="default" onClick={openHelp} aria-label="Keyboard shortcuts (?)">
              ?
            </Button>
          </>
        }
      />
      <AlertFilterBar filters={filters} onChange={(next) => setParams(writeFilters(next))} />
      <BulkBar
        targets={targets.length}
        selected={selected.size}
        canTriage={canTriage}
        busy={triage.busy}
        onAction={(action) => void triage.run(action, targets.map((row) => row.id))}
        onDialog={setDialog}
        onClearSelection={() => setSelected(new Set())}
      >
        {triage.message ? (
          <Text size="sm" c="dimmed" role="status">
            {triage.message}
          </Text>
        ) : null}
      </BulkBar>
      {triage.error ? <ErrorState error={triage.error} title="The action failed" /> : null}
      {queue.pending.length > 0 ? (
        <Alert variant="light" color="blue" py={6} mb="xs" role="status">
          <Group justify="space-between">
            <Text size="sm">
              {queue.pending.length === 1 ? '1 new alert' : `${queue.pending.length} new alerts`} since you opened the queue.
            </Text>
            <Button onClick={showPending}>Show {queue.pending.length === 1 ? 'it' : 'them'}</Button>
          </Group>
        </Alert>
      ) : null}
      {queue.stale ? (
        <Alert variant="light" color="yellow" py={6} mb="xs" role="status">
          <Group justify="space-between">
            <Text size="sm">More changed than the live feed could send: the list may be out of date.</Text>
            <Button onClick={queue.reload}>Reload</Button>
          </Group>
        </Alert>
      ) : null}
      {queue.isPending ? (
        <LoadingState label="Loading alerts…" />
      ) : queue.error ? (
        <ErrorState error={queue.error} title="Could not load the alerts" />
      ) : rows.length === 0 ? (
        <EmptyState title="No alerts match these filters">Clear or widen the filters; new alerts appear here live.</EmptyState>
      ) : (
        <AlertTable
          rows={rows}
          virtualizer={virtualizer}
          scrollRef={scrollRef}
          focusedIndex={focusedIndex}
          selected={selected}
          sort={filters.sort}
          order={filters.order}
          caption={caption}
          onFocusRow={(index) => setFocusedId(rows[index]?.id)}
          onToggle={toggle}
          onToggleAll={() => setSelected((prev) => (prev.size >= rows.length ? new Set() : new Set(rows.map((row) => row.id))))}
          onSort={onSort}
        />
      )}
      {queue.isFetchingMore ? <LoadingState label="Loading more alerts…" /> : null}
      <TriageDialogs
        dialog={dialog}
        alerts={targets}
        busy={triage.busy}
        me={userId}
        onSubmit={(request) => void triage.run(request, targets.map((row) => row.id))}
        onClose={() => setDialog(undefined)}
      />
      {sharedHelp ? null : <KeyboardHelp opened={help} onClose={() => setHelp(false)} />}
    </>
  );
}
