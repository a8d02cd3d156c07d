import { Anchor, Stack, Table, Text, Tooltip } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { EmptyState, ErrorState, LoadingState } from '../../components/States';
import { fetchSilentSources, fetchSourceCounters, type SourceCounters } from './overviewApi';

/** How often the counters are read; events/s is the difference between two readings. */
const POLL_MS = 15_000;
/** The second reading follows the first this soon, so events/s shows within seconds of opening the page. */
export const FIRST_RATE_MS = 2_000;

const MEASURING_HELP =
  'Events per second is the change of the received counter between two readings of /metrics; the second reading follows in a few seconds.';

type Sample = { readonly at: number; readonly sources: readonly SourceCounters[] };

function rate(now: Sample, before: Sample | undefined, source: string): number | undefined {
  if (!before || now.at <= before.at) return undefined;
  const a = before.sources.find((s) => s.source === source);
  const b = now.sources.find((s) => s.source === source);
  if (!a || !b || b.received < a.received) return undefined;
  return (b.received - a.received) / ((now.at - before.at) / 1000);
}

/**
 * Ingest health per source, from the public Prometheus counters of GET /metrics (received, parse
 * failures, drops) and the open availability alerts (silent sources). Counters are those of the
 * process serving the API: with ingest in another process, /metrics here shows none of them.
 */
export function IngestHealth() {
  const previous = useRef<Sample | undefined>(undefined);
  const [pair, setPair] = useState<{ now: Sample; before: Sample | undefined } | undefined>(undefined);
  const counters = useQuery({ queryKey: ['metrics', 'sources'], queryFn: fetchSourceCounters, refetchInterval: pair?.before ? POLL_MS : FIRST_RATE_MS, staleTime: 0 });
  const silent = useQuery({ queryKey: ['alerts', 'silent-sources'], queryFn: fetchSilentSources, refetchInterval: 60_000 });

  useEffect(() => {
    if (!counters.data) return;
    setPair({ now: counters.data, before: previous.current });
    previous.current = counters.data;
  }, [counters.data]);

  return (
    <Stack gap="xs">
      {counters.isPending ? (
        <LoadingState label="Reading ingest counters…" />
      ) : counters.isError ? (
        <ErrorState error={counters.error} title="Could not read /metrics" />
      ) : counters.data.sources.length === 0 ? (
        <EmptyState title="No source counters">This process exposes no ingest counters: no source has received anything yet, or ingest runs in another process.</EmptyState>
      ) : (
        <Table aria-label="Ingest health per source" striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Source</Table.Th>
              <Table.Th ta="right">
                <Tooltip label={MEASURING_HELP} multiline w={300}>
                  <span>Events/s</span>
                </Tooltip>
              </Table.Th>
              <Table.Th ta="right">Received</Table.Th>
              <Table.Th ta="right">Parse failures</Table.Th>
              <Table.Th ta="right">Drops</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {counters.data.sources.map((s) => {
              const perSecond = pair ? rate(pair.now, pair.before, s.source) : undefined;
              return (
                <Table.Tr key={s.source}>
                  <Table.Td ff="monospace">{s.source}</Table.Td>
                  <Table.Td ta="right">
                    {perSecond === undefined ? (
                      <Tooltip label={MEASURING_HELP} multiline w={300}>
                        <Text span size="sm" c="dimmed" tabIndex={0} title={MEASURING_HELP}>
                          measuring…
                        </Text>
                      </Tooltip>
                    ) : (
                      perSecond.toFixed(1)
                    )}
                  </Table.Td>
                  <Table.Td ta="right">{s.received}</Table.Td>
                  <Table.Td ta="right" c={s.failed > 0 ? 'orange' : undefined}>
                    {s.failed}
                  </Table.Td>
                  <Table.Td ta="right" c={s.dropped > 0 ? 'red' : undefined}>
                    {s.dropped}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      )}
      <Text size="xs" fw={600}>
        Silent sources
      </Text>
      {silent.isPending ? (
        <LoadingState label="Loading silent sources…" />
      ) : silent.isError ? (
        <ErrorState error={silent.error} />
      ) : silent.data.length === 0 ? (
        <Text size="xs" c="dimmed">
          None: every watched source has sent within its window.
        </Text>
      ) : (
        <Table aria-label="Silent sources">
          <Table.Tbody>
            {silent.data.map((s) => (
              <Table.Tr key={s.alertId}>
                <Table.Td>
                  <Anchor component={Link} to={`/alerts/${encodeURIComponent(s.alertId)}`} size="sm">
                    {s.entity || s.title}
                  </Anchor>
                </Table.Td>
                <Table.Td>silent since {new Date(s.since).toLocaleString()}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
