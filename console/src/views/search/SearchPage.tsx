import { Box, Button, Group, Stack, Text } from '@mantine/core';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { PageHeader } from '../../components/PageHeader';
import { EmptyState, ErrorState, LoadingState } from '../../components/States';
import { getEvents, QueryError, type EventsPage, type HistogramAnswer } from './api';
import { CSV_ROW_CAP, download, toCsv } from './csv';
import { fieldsOf, flatten, textOf } from './fields';
import { FieldStats } from './FieldStats';
import { Histogram } from './Histogram';
import { QueryBar } from './QueryBar';
import { ResultsTable } from './ResultsTable';
import { kqlValue } from './suggest';
import { DEFAULT_PRESET, presetRange, TimePicker } from './TimePicker';

/** Events fetched per page (the API allows 1000). */
export const SEARCH_PAGE_SIZE = 200;

/**
 * /search: KQL over the event store. The query, the time range (`from`, `to`, and the preset it
 * came from in `range`) and the field of the statistics live in the URL, so a search is a link.
 */
export function SearchPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const preset = params.get('range') ?? (params.has('from') ? 'custom' : DEFAULT_PRESET);
  const statsField = params.get('field') ?? 'source.ip';
  // The box follows the URL (back, a histogram click, a filter) unless typed in since.
  const [typed, setTyped] = useState({ base: q, text: q });
  const draft = typed.base === q ? typed.text : q;
  const setDraft = (text: string) => setTyped({ base: q, text });

  const update = (changes: Record<string, string | undefined>) =>
    setParams(
      (previous) => {
        const next = new URLSearchParams(previous);
        for (const [key, value] of Object.entries(changes)) {
          if (value === undefined || value === '') next.delete(key);
          else next.set(key, value);
        }
        return next;
      },
      { replace: false },
    );

  // A link without a range gets the preset's, written to the URL so the page can be shared as seen.
  useEffect(() => {
    if (!from || !to) setParams((previous) => { const next = new URLSearchParams(previous); const range = presetRange(preset === 'custom' ? DEFAULT_PRESET : preset); next.set('from', range.from); next.set('to', range.to); next.set('range', preset === 'custom' ? DEFAULT_PRESET : preset); return next; }, { replace: true });
  }, [from, to, preset, setParams]);

  const ready = from !== '' && to !== '';
  const events = useInfiniteQuery({
    queryKey: ['events', 'search', q, from, to],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) => getEvents<EventsPage>('/api/v1/events', { q, from, to, size: SEARCH_PAGE_SIZE, cursor: pageParam }, signal),
    getNextPageParam: (last) => last.nextCursor,
    enabled: ready,
  });
  const histogram = useQuery({
    queryKey: ['events', 'histogram', q, from, to],
    queryFn: ({ signal }) => getEvents<HistogramAnswer>('/api/v1/events/histogram', { q, from, to }, signal),
    enabled: ready,
  });

  const rows = useMemo(() => events.data?.pages.flatMap((page) => page.events.map((event) => flatten(event))) ?? [], [events.data]);
  const fields = useMemo(() => fieldsOf(rows), [rows]);
  const total = events.data?.pages[0]?.total ?? 0;

  const search = (query = draft) => {
    const range = preset === 'custom' ? { from, to } : presetRange(preset);
    update({ q: query.trim(), from: range.from, to: range.to, range: preset });
  };
  const addFilter = (field: string, value: unknown) => {
    const term = `${field}:${kqlValue(typeof value === 'number' || typeof value === 'boolean' ? value : textOf(value))}`;
    const next = q.trim() ? `${q.trim()} and ${term}` : term;
    update({ q: next });
  };
  const exportCsv = () => {
    const columns = ['@timestamp', 'message', ...fields.filter((f) => f !== '@timestamp' && f !== 'message')];
    download(`watchpost-events-${new Date().toISOString().replace(/[:.]/g, '-')}.csv`, toCsv(columns, rows));
  };
  const syntaxError = events.error instanceof QueryError && events.error.column !== undefined;

  return (
    <Stack gap="sm">
      <PageHeader title="Search" />
      <form
        role="search"
        aria-label="Event search"
        onSubmit={(event) => {
          event.preventDefault();
          search();
        }}
      >
        <Group gap="xs" align="flex-start" wrap="nowrap">
          <QueryBar value={draft} submitted={q} onChange={setDraft} resultFields={fields} from={from} to={to} error={events.error} />
          <TimePicker preset={preset} from={from} to={to} onChange={(range) => update({ range: range.preset, from: range.from, to: range.to, q: draft.trim() })} />
          <Button type="submit" mt={20}>
            Search
          </Button>
        </Group>
      </form>
      {!ready ? (
        <LoadingState />
      ) : events.isError && !syntaxError ? (
        <ErrorState error={events.error} title="The search failed" />
      ) : syntaxError ? null : (
        <>
          {histogram.isPending ? (
            <LoadingState label="Counting events over time…" />
          ) : histogram.isError ? (
            <ErrorState error={histogram.error} title="Could not draw the histogram" />
          ) : (
            <Histogram data={histogram.data} onRange={(f, t) => update({ from: f, to: t, range: 'custom', q: draft.trim() })} />
          )}
          {/* The statistics keep a fixed width; the results take the rest and never widen the page. */}
          <Group gap="md" align="flex-start" wrap="nowrap">
            <Box w={200} style={{ flexShrink: 0 }}>
              <FieldStats fields={[...new Set([statsField, ...fields])]} field={statsField} onField={(field) => update({ field })} q={q} from={from} to={to} onFilter={addFilter} />
            </Box>
            <Box style={{ flex: 1, minWidth: 0 }}>
              {events.isPending ? (
                <LoadingState label="Searching…" />
              ) : rows.length === 0 ? (
                <EmptyState title="No events match">Widen the time range or loosen the query.</EmptyState>
              ) : (
                <Stack gap={4}>
                  <Group justify="space-between" wrap="nowrap">
                    <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
                      {rows.length.toLocaleString()} of {total.toLocaleString()}
                      {total >= 10_000 ? '+' : ''} events loaded
                    </Text>
                    <Group gap="xs" wrap="nowrap">
                      <Text size="xs" c="dimmed" ta="right">
                        The CSV holds the rows loaded here (at most {CSV_ROW_CAP.toLocaleString()}).
                      </Text>
                      <Button variant="default" onClick={exportCsv}>
                        Export CSV
                      </Button>
                    </Group>
                  </Group>
                  <ResultsTable rows={rows} caption={`Events matching the query, newest first`} onFilter={addFilter} />
                  {events.hasNextPage ? (
                    <Button variant="default" w={160} onClick={() => void events.fetchNextPage()} loading={events.isFetchingNextPage}>
                      Load more
                    </Button>
                  ) : null}
                </Stack>
              )}
            </Box>
          </Group>
        </>
      )}
    </Stack>
  );
}
