import { Anchor, Badge, Breadcrumbs, Code, Grid, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { PageHeader } from '../../../components/PageHeader';
import { QueryView } from '../../../components/States';
import { useMe } from '../access';
import { SeverityBadge, STATUS_LABEL, TimeAgo, VERDICT_LABEL } from '../AlertBits';
import { getAlert } from '../api';
import type { AlertDetail } from '../types';
import { AlertActions } from './AlertActions';
import { EventsPanel } from './EventsPanel';
import { RelatedAlerts } from './RelatedAlerts';
import { WhyItFired } from './WhyItFired';

/** The alert's state: status, assignee, counts, entities, and the incident it belongs to. */
function Facts({ detail }: { readonly detail: AlertDetail }) {
  const { alert, incident } = detail;
  return (
    <Paper withBorder p="sm">
      <Stack gap={6}>
        <Title order={2} size="h5">
          Alert
        </Title>
        <Table variant="vertical" withRowBorders={false}>
          <Table.Tbody>
            <Table.Tr>
              <Table.Th w={110}>Status</Table.Th>
              <Table.Td>
                {STATUS_LABEL[alert.status]}
                {alert.verdict ? ` · ${VERDICT_LABEL[alert.verdict]}` : ''}
              </Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Assignee</Table.Th>
              <Table.Td>{alert.assignee ?? 'Unassigned'}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Count</Table.Th>
              <Table.Td>{alert.count}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>First seen</Table.Th>
              <Table.Td>
                <TimeAgo iso={alert.firstSeen} /> <Text span size="xs" c="dimmed">({alert.firstSeen})</Text>
              </Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Last seen</Table.Th>
              <Table.Td>
                <TimeAgo iso={alert.lastSeen} /> <Text span size="xs" c="dimmed">({alert.lastSeen})</Text>
              </Table.Td>
            </Table.Tr>
            {Object.entries(alert.entities).map(([field, value]) => (
              <Table.Tr key={field}>
                <Table.Th>
                  <Code>{field}</Code>
                </Table.Th>
                <Table.Td>
                  <Anchor component={Link} to={`/alerts?entity=${encodeURIComponent(`${field}=${value}`)}`} ff="monospace" size="sm">
                    {value}
                  </Anchor>
                </Table.Td>
              </Table.Tr>
            ))}
            <Table.Tr>
              <Table.Th>Incident</Table.Th>
              <Table.Td>
                {incident ? (
                  <Group gap={6}>
                    <Anchor component={Link} to={`/incidents/${encodeURIComponent(incident.id)}`} size="sm">
                      {incident.title}
                    </Anchor>
                    <Badge size="sm" variant="default">
                      {incident.status}
                    </Badge>
                    <SeverityBadge severity={incident.severity} />
                  </Group>
                ) : (
                  'Not in an incident'
                )}
              </Table.Td>
            </Table.Tr>
          </Table.Tbody>
        </Table>
      </Stack>
    </Paper>
  );
}

/** /alerts/:id: why the alert fired, its events, related alerts and what may be done. */
export function AlertDetailPage() {
  const id = useParams().id ?? '';
  const query = useQuery({ queryKey: ['alert', id], queryFn: () => getAlert(id) });
  const { userId, can } = useMe();
  const client = useQueryClient();
  return (
    <>
      <Breadcrumbs mb={4} fz="sm">
        <Anchor component={Link} to="/alerts" size="sm">
          Alerts
        </Anchor>
        <Text size="sm">{id}</Text>
      </Breadcrumbs>
      <QueryView query={query} loadingLabel="Loading the alert…">
        {(detail) => (
          <>
            <PageHeader
              title={detail.alert.ruleTitle}
              description={
                <>
                  <SeverityBadge severity={detail.alert.severity} /> {STATUS_LABEL[detail.alert.status]} · {detail.alert.count} match{detail.alert.count === 1 ? '' : 'es'} · rule by{' '}
                  {detail.explanation.rule.author ?? 'an unnamed author'}
                </>
              }
            />
            <Grid gap="sm">
              <Grid.Col span={7}>
                <Stack gap="sm">
                  <WhyItFired detail={detail} />
                  <EventsPanel alertId={detail.alert.id} matches={detail.explanation.matches} />
                </Stack>
              </Grid.Col>
              <Grid.Col span={5}>
                <Stack gap="sm">
                  <AlertActions
                    alert={detail.alert}
                    canTriage={can('analyst')}
                    canRespond={can('responder')}
                    me={userId}
                    onChanged={() => void client.invalidateQueries({ queryKey: ['alert', id] })}
                  />
                  <Facts detail={detail} />
                  <RelatedAlerts alert={detail.alert} />
                </Stack>
              </Grid.Col>
            </Grid>
          </>
        )}
      </QueryView>
    </>
  );
}
