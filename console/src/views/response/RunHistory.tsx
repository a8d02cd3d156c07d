import { Badge, Code, Group, Stack, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { EmptyState, QueryView } from '../../components/States';
import { fetchRuns, pollInterval, type RunStatus, type RunStep } from './responseApi';

const STATUS_COLOUR: Record<RunStatus, string> = {
  pending_approval: 'orange',
  queued: 'gray',
  running: 'blue',
  succeeded: 'green',
  failed: 'red',
  rejected: 'red',
  skipped: 'gray',
  cancelled: 'gray',
};

function StepLine({ step }: { readonly step: RunStep }) {
  return (
    <Group gap={4} wrap="wrap">
      <Code>{step.action}</Code>
      <Badge size="xs" variant="light" color={STATUS_COLOUR[step.status]}>
        {step.status}
      </Badge>
      {(step.outcomes ?? []).map((o) => (
        <Badge key={`${o.driver}-${o.at}`} size="xs" variant="outline" color={o.status === 'succeeded' ? (o.verified ? 'green' : 'yellow') : o.status === 'failed' ? 'red' : 'gray'} title={o.error}>
          {o.driver}: {o.status}
          {o.status === 'succeeded' ? (o.verified ? ', verified' : ', unverified') : ''}
        </Badge>
      ))}
      {step.error ? (
        <Text size="xs" c="red">
          {step.error}
        </Text>
      ) : null}
    </Group>
  );
}

/** The newest playbook runs with their steps and what each driver really did. */
export function RunHistory() {
  const runs = useQuery({ queryKey: ['runs', 'all'], queryFn: () => fetchRuns(), refetchInterval: (query) => pollInterval(query.state.data) });
  return (
    <QueryView query={runs} loadingLabel="Loading runs…" empty={(page) => page.items.length === 0 && <EmptyState title="No playbook runs yet" />}>
      {(page) => (
        <Table aria-label="Run history">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Started</Table.Th>
              <Table.Th>Playbook</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Steps and driver outcomes</Table.Th>
              <Table.Th>Decision</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {page.items.map((run) => (
              <Table.Tr key={run.id}>
                <Table.Td>{new Date(run.createdAt).toLocaleString()}</Table.Td>
                <Table.Td>
                  {run.playbookId}
                  {run.dryRun ? <Badge size="xs" ml={4}>dry run</Badge> : null}
                </Table.Td>
                <Table.Td>
                  <Badge size="sm" variant="light" color={STATUS_COLOUR[run.status]}>
                    {run.status}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  <Stack gap={2}>
                    {run.steps.map((step) => (
                      <StepLine key={step.id} step={step} />
                    ))}
                  </Stack>
                </Table.Td>
                <Table.Td>
                  <Text size="xs">{run.decidedBy ? `${run.decidedBy}${run.decisionReason ? `: ${run.decisionReason}` : ''}` : '—'}</Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </QueryView>
  );
}
