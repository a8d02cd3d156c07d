import { Anchor, Badge, Button, Group, MultiSelect, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { api } from '../../api/client';
import { PageHeader } from '../../components/PageHeader';
import { EmptyState, ErrorState, LoadingState } from '../../components/States';
import { formatTime, words } from './format';
import { SlaClocks, useNow } from './SlaClock';
import { SEVERITIES, SEVERITY_COLORS, STATUSES, type IncidentPage } from './types';
import { incidentKeys } from './useIncidentWrite';

const PAGE_SIZE = 50;
const ELLIPSIS = { overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' } as const;
const SLA_FILTERS = [
  { value: 'breached', label: 'SLA breached' },
  { value: 'warning', label: 'SLA warning' },
];
const SORTS = [
  { value: 'updatedAt', label: 'Last updated' },
  { value: 'createdAt', label: 'Created' },
];

/** The list filters as the URL holds them (shareable), and as GET /api/v1/incidents takes them. */
function filtersOf(params: URLSearchParams) {
  return {
    status: params.getAll('status'),
    severity: params.getAll('severity'),
    assignee: params.get('assignee') ?? '',
    entity: params.get('entity') ?? '',
    sla: params.get('sla') ?? '',
    sort: params.get('sort') ?? 'updatedAt',
  };
}

/** /incidents: every incident with its SLA state, filtered by status, severity, assignee, entity and SLA. */
export function IncidentsPage() {
  const [params, setParams] = useSearchParams();
  const filters = filtersOf(params);
  const now = useNow(15_000);
  const query = useInfiniteQuery({
    queryKey: incidentKeys.list(filters),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      api<IncidentPage>('/api/v1/incidents', {
        signal,
        query: {
          status: filters.status,
          severity: filters.severity,
          assignee: filters.assignee || undefined,
          entity: filters.entity || undefined,
          sla: filters.sla || undefined,
          sort: filters.sort,
          order: 'desc',
          limit: PAGE_SIZE,
          cursor: pageParam,
        },
      }),
    getNextPageParam: (last) => last.nextCursor,
  });

  const setFilter = (name: string, value: string | readonly string[]) => {
    setParams(
      (previous) => {
        const next = new URLSearchParams(previous);
        next.delete(name);
        for (const item of typeof value === 'string' ? [value] : value) if (item) next.append(name, item);
        return next;
      },
      { replace: true },
    );
  };

  const items = query.data?.pages.flatMap((page) => page.items) ?? [];
  const total = query.data?.pages[0]?.total;

  return (
    <Stack gap="sm">
      <PageHeader title="Incidents" description={total !== undefined ? `${total.toLocaleString()} in all` : undefined} />
      <Group gap="xs" align="flex-end" role="search" aria-label="Incident filters">
        <MultiSelect label="Status" data={STATUSES.map((s) => ({ value: s, label: s }))} value={filters.status} onChange={(v) => setFilter('status', v)} w={200} clearable size="xs" />
        <MultiSelect label="Severity" data={[...SEVERITIES]} value={filters.severity} onChange={(v) => setFilter('severity', v)} w={200} clearable size="xs" />
        <TextInput label="Assignee" value={filters.assignee} onChange={(e) => setFilter('assignee', e.currentTarget.value)} w={120} size="xs" />
        <TextInput label="Entity" placeholder="IP, user, host" value={filters.entity} onChange={(e) => setFilter('entity', e.currentTarget.value)} w={150} size="xs" />
        <Select label="SLA" data={SLA_FILTERS} value={filters.sla || null} onChange={(v) => setFilter('sla', v ?? '')} clearable w={130} size="xs" />
        <Select label="Sort by" data={SORTS} value={filters.sort} onChange={(v) => setFilter('sort', v ?? 'updatedAt')} w={130} size="xs" allowDeselect={false} />
      </Group>
      {query.isPending ? (
        <LoadingState label="Loading incidents…" />
      ) : query.isError ? (
        <ErrorState error={query.error} title="Could not load incidents" />
      ) : items.length === 0 ? (
        <EmptyState title="No incidents">No incident matches these filters. Incidents open when alerts are grouped, or by hand from the alert queue.</EmptyState>
      ) : (
        <>
          {/* Fixed layout: every column but the title has its width, so badges are never cut at 1280 px. */}
          <Table striped highlightOnHover stickyHeader horizontalSpacing={8} style={{ tableLayout: 'fixed', width: '100%' }}>
            <Table.Caption>Incidents, most recently {filters.sort === 'createdAt' ? 'created' : 'updated'} first</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th w={104}>Status</Table.Th>
                <Table.Th w={112}>Severity</Table.Th>
                <Table.Th>Title</Table.Th>
                <Table.Th w={180}>Entity</Table.Th>
                <Table.Th w={100}>Assignee</Table.Th>
                <Table.Th w={60} ta="right">
                  Alerts
                </Table.Th>
                <Table.Th w={160}>SLA</Table.Th>
                <Table.Th w={140}>Updated</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((incident) => (
                <Table.Tr key={incident.id} data-breached={incident.sla.breached || undefined}>
                  <Table.Td style={ELLIPSIS}>{words(incident.status)}</Table.Td>
                  <Table.Td>
                    <Badge size="sm" color={SEVERITY_COLORS[incident.severity]} variant="light" styles={{ root: { maxWidth: 'none' }, label: { textTransform: 'none', overflow: 'visible' } }}>
                      {incident.severity}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Anchor component={Link} to={`/incidents/${encodeURIComponent(incident.id)}`} size="sm">
                      {incident.title}
                    </Anchor>
                  </Table.Td>
                  <Table.Td ff="monospace" fz="xs" style={ELLIPSIS} title={incident.entity ? `${incident.entity.field}: ${incident.entity.value}` : undefined}>
                    {incident.entity ? `${incident.entity.field}: ${incident.entity.value}` : ''}
                  </Table.Td>
                  <Table.Td style={ELLIPSIS} title={incident.assignee}>
                    {incident.assignee ?? (
                      <Text span size="xs" c="dimmed">
                        unassigned
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td ta="right">{incident.alertIds.length}</Table.Td>
                  <Table.Td>
                    <SlaClocks sla={incident.sla} now={now} compact />
                  </Table.Td>
                  <Table.Td fz="xs" style={{ whiteSpace: 'nowrap' }}>
                    {formatTime(incident.updatedAt)}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {query.hasNextPage ? (
            <Button variant="default" onClick={() => void query.fetchNextPage()} loading={query.isFetchingNextPage} w={160}>
              Load more
            </Button>
          ) : null}
        </>
      )}
    </Stack>
  );
}
