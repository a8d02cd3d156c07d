import { Anchor, Group, Paper, SegmentedControl, SimpleGrid, Stack, Table, Text, Title, useComputedColorScheme } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { Chart } from '../../components/Chart';
import { PageHeader } from '../../components/PageHeader';
import { EmptyState, ErrorState, LoadingState, QueryView } from '../../components/States';
import { IngestHealth } from './IngestHealth';
import { fetchSlaBreaches, fetchStats, OPEN_INCIDENT_STATUSES, RANGES, type AlertStatsResponse, type Range } from './overviewApi';
import { severityBarsOption } from './overviewCharts';
import { countryLabel, loadWorld, worldMapOption, type World } from './worldMap';

const OPEN_QUERY = OPEN_INCIDENT_STATUSES.map((s) => `status=${s}`).join('&');

function Counter({ label, value, to, alert }: { readonly label: string; readonly value: number | string | undefined; readonly to: string; readonly alert?: boolean }) {
  return (
    <Paper withBorder p="sm">
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Anchor component={Link} to={to} fz={26} fw={600} c={alert && value !== undefined && value !== 0 && value !== '0' ? 'red' : undefined} aria-label={`${label}: ${value ?? 'unknown'}`}>
        {value ?? '—'}
      </Anchor>
    </Paper>
  );
}

const count = (n: number) => n.toLocaleString('en');

/** What the figures are computed from: "Based on the 1 most recent alert", capped scans say so. */
export function basisOf(stats: Pick<AlertStatsResponse, 'scanned' | 'total' | 'truncated'>): string {
  if (stats.total === 0) return 'No alerts in this range';
  if (stats.truncated) return `Based on the ${count(stats.scanned)} most recent of ${count(stats.total)} alerts (capped)`;
  return stats.scanned === 1 ? 'Based on the 1 most recent alert' : `Based on the ${count(stats.scanned)} most recent alerts`;
}

function TopRules({ stats }: { readonly stats: AlertStatsResponse }) {
  if (stats.topRules.length === 0) return <EmptyState title="No rules fired in this range" />;
  return (
    <Table aria-label="Top rules by alerts" striped>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Rule</Table.Th>
          <Table.Th ta="right">Alerts</Table.Th>
          <Table.Th ta="right">Matches</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {stats.topRules.map((rule) => (
          <Table.Tr key={rule.ruleId}>
            <Table.Td>
              <Anchor component={Link} to={`/alerts?rule=${encodeURIComponent(rule.ruleId)}`} size="sm">
                {rule.ruleTitle}
              </Anchor>
            </Table.Td>
            <Table.Td ta="right">{rule.alerts}</Table.Td>
            <Table.Td ta="right">{rule.matches}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** The map of the top sources, drawn once the country outlines (their own chunk) have loaded. */
function SourcesMap({ stats, world }: { readonly stats: AlertStatsResponse; readonly world: World }) {
  const scheme = useComputedColorScheme('light');
  const option = useMemo(() => worldMapOption(stats, scheme, world), [stats, scheme, world]);
  const located = stats.topSources.filter((s) => s.lat !== undefined).length;
  return <Chart option={option} label={`World map of the top source addresses: ${located} of ${stats.topSources.length} located`} height={260} />;
}

function TopSources({ stats }: { readonly stats: AlertStatsResponse }) {
  const world = useQuery({ queryKey: ['world-map'], queryFn: loadWorld, staleTime: Infinity, gcTime: Infinity, retry: 1 });
  if (stats.topSources.length === 0) return <EmptyState title="No source addresses in this range" />;
  const located = stats.topSources.filter((s) => s.lat !== undefined).length;
  return (
    <Stack gap="xs">
      {world.isPending ? (
        <LoadingState label="Loading the map…" />
      ) : world.isError ? (
        <ErrorState error={world.error} title="Could not load the map" />
      ) : (
        <SourcesMap stats={stats} world={world.data} />
      )}
      {located === 0 ? (
        <Text size="xs" c="dimmed">
          None of the top sources has a location: private, loopback and documentation addresses have none.
        </Text>
      ) : null}
      <Table aria-label="Top source addresses by alerts" striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Source address</Table.Th>
            <Table.Th>Country</Table.Th>
            <Table.Th ta="right">Alerts</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {stats.topSources.map((source) => (
            <Table.Tr key={source.ip}>
              <Table.Td ff="monospace">
                <Anchor component={Link} to={`/alerts?entity=${encodeURIComponent(`source.ip=${source.ip}`)}`} size="sm">
                  {source.ip}
                </Anchor>
              </Table.Td>
              <Table.Td>{source.country ? countryLabel(source.country) : '—'}</Table.Td>
              <Table.Td ta="right">{source.alerts}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

/** The overview (`/`): alerts by severity over time, top rules and sources, incidents, ingest health. */
export function OverviewView() {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const range: Range = (Object.keys(RANGES) as Range[]).find((r) => r === params.get('range')) ?? '24h';
  const stats = useQuery({ queryKey: ['alert-stats', range], queryFn: () => fetchStats(range, Date.now()), refetchInterval: 60_000 });
  const breaches = useQuery({ queryKey: ['incidents', 'sla-breached-count'], queryFn: fetchSlaBreaches, refetchInterval: 60_000 });
  const barsOption = useMemo(() => (stats.data ? severityBarsOption(stats.data) : undefined), [stats.data]);

  return (
    <Stack p="md" gap="sm">
      <PageHeader
        title="Overview"
        actions={
          <SegmentedControl
            size="xs"
            aria-label="Time range"
            value={range}
            onChange={(value) => setParams((prev) => ({ ...Object.fromEntries(prev), range: value }))}
            data={Object.keys(RANGES)}
          />
        }
      />
      <SimpleGrid cols={4} spacing="sm">
        <Counter label="Alerts in range" value={stats.data?.total} to={`/alerts`} />
        <Counter label="Open incidents" value={stats.data?.incidents.open} to={`/incidents?${OPEN_QUERY}`} />
        <Counter label="SLA breaches (open incidents)" value={breaches.data ? `${breaches.data.count}${breaches.data.more ? '+' : ''}` : undefined} to={`/incidents?${OPEN_QUERY}&sla=breached`} alert />
        <Paper withBorder p="sm">
          <Text size="xs" c="dimmed">
            Figures on this page
          </Text>
          <Text size="sm">{stats.data ? basisOf(stats.data) : '—'}</Text>
          {breaches.isError ? <Text size="xs" c="red">SLA count: {breaches.error.message}</Text> : null}
        </Paper>
      </SimpleGrid>
      <Paper withBorder p="sm">
        <Title order={2} size="h5" mb={4}>
          Alerts over time by severity
        </Title>
        <QueryView query={stats} loadingLabel="Loading alert figures…" empty={(data) => data.total === 0 && <EmptyState title="No alerts in this range">Nothing fired in the last {range}.</EmptyState>}>
          {() =>
            barsOption ? (
              <Chart
                option={barsOption}
                label={`Alerts per ${stats.data?.bucket ?? ''} bucket by severity`}
                onItemClick={(item) => {
                  if (item.seriesName) void navigate(`/alerts?severity=${encodeURIComponent(item.seriesName)}`);
                }}
              />
            ) : null
          }
        </QueryView>
      </Paper>
      <SimpleGrid cols={2} spacing="sm">
        <Paper withBorder p="sm">
          <Title order={2} size="h5" mb={4}>
            Top rules
          </Title>
          {stats.isPending ? <LoadingState /> : stats.isError ? <ErrorState error={stats.error} /> : <TopRules stats={stats.data} />}
        </Paper>
        <Paper withBorder p="sm">
          <Title order={2} size="h5" mb={4}>
            Top sources
          </Title>
          {stats.isPending ? <LoadingState /> : stats.isError ? <ErrorState error={stats.error} /> : <TopSources stats={stats.data} />}
        </Paper>
      </SimpleGrid>
      <Paper withBorder p="sm">
        <Group justify="space-between" mb={4}>
          <Title order={2} size="h5">
            Ingest health
          </Title>
        </Group>
        <IngestHealth />
      </Paper>
    </Stack>
  );
}
