import { Anchor, Paper, Stack, Table, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { EmptyState, QueryView } from '../../../components/States';
import { SeverityBadge, STATUS_LABEL, TimeAgo } from '../AlertBits';
import { listAlerts } from '../api';
import { KEY_ENTITIES, type AlertView } from '../types';

/** Related alerts fetched per entity. */
const PER_ENTITY = 10;

/** Other alerts on the same source IP, user or host (newest first). */
export function RelatedAlerts({ alert }: { readonly alert: AlertView }) {
  const pairs = KEY_ENTITIES.flatMap((field) => (alert.entities[field] !== undefined ? [[field, alert.entities[field]] as const] : []));
  const query = useQuery({
    queryKey: ['alert', alert.id, 'related', pairs],
    queryFn: async () => {
      const pages = await Promise.all(pairs.map(([field, value]) => listAlerts({ entity: [`${field}=${value}`], limit: PER_ENTITY, sort: 'lastSeen', order: 'desc' })));
      const rows: { via: string; alert: AlertView }[] = [];
      const seen = new Set([alert.id]);
      pages.forEach((page, index) => {
        for (const item of page.items) {
          if (seen.has(item.id)) continue;
          seen.add(item.id);
          rows.push({ via: `${pairs[index]?.[0]} = ${pairs[index]?.[1]}`, alert: item });
        }
      });
      return rows;
    },
    enabled: pairs.length > 0,
  });
  return (
    <Paper withBorder p="sm">
      <Stack gap={6}>
        <Title order={2} size="h5">
          Related alerts
        </Title>
        {pairs.length === 0 ? (
          <EmptyState title="No entity to relate by" />
        ) : (
          <QueryView query={query} loadingLabel="Loading related alerts…" empty={(rows) => (rows.length === 0 ? <EmptyState title="No other alert on these entities" /> : null)}>
            {(rows) => (
              <Table striped layout="fixed">
                <caption style={{ captionSide: 'top', textAlign: 'left' }}>Other alerts with the same {pairs.map(([field]) => field).join(', ')}</caption>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th w={100}>Severity</Table.Th>
                    <Table.Th>Rule</Table.Th>
                    <Table.Th>Same</Table.Th>
                    <Table.Th w={100}>Status</Table.Th>
                    <Table.Th w={100}>Last seen</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {rows.map(({ via, alert: related }) => (
                    <Table.Tr key={related.id}>
                      <Table.Td>
                        <SeverityBadge severity={related.severity} />
                      </Table.Td>
                      <Table.Td>
                        <Anchor component={Link} to={`/alerts/${encodeURIComponent(related.id)}`} size="sm">
                          {related.ruleTitle}
                        </Anchor>
                      </Table.Td>
                      <Table.Td ff="monospace" fz="xs">
                        {via}
                      </Table.Td>
                      <Table.Td>{STATUS_LABEL[related.status]}</Table.Td>
                      <Table.Td>
                        <TimeAgo iso={related.lastSeen} />
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            )}
          </QueryView>
        )}
      </Stack>
    </Paper>
  );
}
