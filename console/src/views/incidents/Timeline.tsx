import { Badge, Button, Group, SegmentedControl, Stack, Table, Text, Title } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { api } from '../../api/client';
import { EmptyState, ErrorState, LoadingState } from '../../components/States';
import { CommentText } from './CommentText';
import { formatTime, words } from './format';
import type { TimelineEntry, TimelinePage } from './types';
import { incidentKeys } from './useIncidentWrite';

function shown(value: unknown): string {
  if (value === undefined || value === null) return '—';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** What an entry says beyond its kind: a comment's text, a field's from → to, or its data as key=value. */
function EntryBody({ entry }: { readonly entry: TimelineEntry }) {
  if (entry.kind === 'comment' && entry.body !== undefined) return <CommentText body={entry.body} />;
  const data = entry.data ?? {};
  if (typeof data.field === 'string' && 'to' in data) {
    return (
      <Text size="sm">
        {data.field}: {shown(data.from)} → {shown(data.to)}
      </Text>
    );
  }
  const parts = Object.entries(data).map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return (
    <Stack gap={2}>
      {entry.body !== undefined ? <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>{entry.body}</Text> : null}
      {parts.length > 0 ? (
        <Text size="xs" ff="monospace" c="dimmed" style={{ wordBreak: 'break-all' }}>
          {parts.join('  ')}
        </Text>
      ) : null}
    </Stack>
  );
}

/**
 * Everything that happened to the incident (status, comments, alerts, tasks, SLA warnings), each
 * with its actor, time and kind; oldest or newest first, the choice kept in the URL (`?order=`).
 */
export function Timeline({ incidentId }: { readonly incidentId: string }) {
  const [params, setParams] = useSearchParams();
  const order = params.get('order') === 'desc' ? 'desc' : 'asc';
  const query = useInfiniteQuery({
    queryKey: incidentKeys.timeline(incidentId, order),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      api<TimelinePage>(`/api/v1/incidents/${encodeURIComponent(incidentId)}/timeline`, { signal, query: { order, limit: 100, cursor: pageParam } }),
    getNextPageParam: (last) => last.nextCursor,
  });
  const entries = query.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <Title order={3} size="h5">
          Timeline
        </Title>
        <SegmentedControl
          size="xs"
          aria-label="Timeline order"
          value={order}
          onChange={(value) =>
            setParams(
              (previous) => {
                const next = new URLSearchParams(previous);
                next.set('order', value);
                return next;
              },
              { replace: true },
            )
          }
          data={[
            { value: 'asc', label: 'Oldest first' },
            { value: 'desc', label: 'Newest first' },
          ]}
        />
      </Group>
      {query.isPending ? (
        <LoadingState label="Loading the timeline…" />
      ) : query.isError ? (
        <ErrorState error={query.error} title="Could not load the timeline" />
      ) : entries.length === 0 ? (
        <EmptyState title="Nothing on the timeline yet" />
      ) : (
        <Table verticalSpacing={4}>
          <Table.Caption>Timeline, {order === 'asc' ? 'oldest' : 'newest'} first</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={160}>Time</Table.Th>
              <Table.Th w={140}>Actor</Table.Th>
              <Table.Th w={140}>Kind</Table.Th>
              <Table.Th>What</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {entries.map((entry) => (
              <Table.Tr key={entry.id}>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatTime(entry.at)}</Table.Td>
                <Table.Td>{entry.actor}</Table.Td>
                <Table.Td>
                  <Badge size="sm" variant="default">
                    {words(entry.kind)}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  <EntryBody entry={entry} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {query.hasNextPage ? (
        <Button variant="default" w={160} onClick={() => void query.fetchNextPage()} loading={query.isFetchingNextPage}>
          Load more
        </Button>
      ) : null}
    </Stack>
  );
}
