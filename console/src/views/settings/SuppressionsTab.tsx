import { Badge, Button, Code, Group, SegmentedControl, Stack, Table, Text } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { api } from '../../api/client';
import { useAuth } from '../../app/auth';
import { EmptyState, ErrorState, QueryView } from '../../components/States';
import { formatTime, type Page, type SuppressionView } from './types';

const STATES = ['in_force', 'scheduled', 'expired', 'all'] as const;
type StateFilter = (typeof STATES)[number];
const STATE_LABELS: Record<StateFilter, string> = { in_force: 'In force', scheduled: 'Scheduled', expired: 'Expired', all: 'All' };

/** Suppressions with their expiry; analysts delete them. The state filter lives in the URL. */
export function SuppressionsTab() {
  const auth = useAuth();
  const client = useQueryClient();
  const [params, setParams] = useSearchParams();
  const raw = params.get('state');
  const state: StateFilter = STATES.includes(raw as StateFilter) ? (raw as StateFilter) : 'in_force';
  const suppressions = useQuery({
    queryKey: ['settings', 'suppressions', state],
    queryFn: () => api<Page<SuppressionView>>('/api/v1/suppressions', { query: { state, limit: 200 } }),
  });
  const remove = useMutation({
    mutationFn: (id: string) => api<void>(`/api/v1/suppressions/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['settings', 'suppressions'] }),
  });
  const canDelete = auth.hasRole('analyst');
  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <SegmentedControl
          size="xs"
          aria-label="Suppression state"
          value={state}
          onChange={(value) =>
            setParams((old) => {
              const copy = new URLSearchParams(old);
              copy.set('state', value);
              return copy;
            })
          }
          data={STATES.map((value) => ({ value, label: STATE_LABELS[value] }))}
        />
        <Text size="xs" c="dimmed">
          Create a suppression from an alert.
        </Text>
      </Group>
      {remove.isError ? <ErrorState error={remove.error} title="Not deleted" /> : null}
      <QueryView query={suppressions} empty={<EmptyState title="No suppressions">Nothing is being hidden from the alert queue.</EmptyState>}>
        {(page) => (
          <Table aria-label="Suppressions" striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Rule</Table.Th>
                <Table.Th>Fields</Table.Th>
                <Table.Th>Reason</Table.Th>
                <Table.Th>Author</Table.Th>
                <Table.Th>Expires</Table.Th>
                <Table.Th>Suppressed</Table.Th>
                <Table.Th>State</Table.Th>
                {canDelete ? <Table.Th>Actions</Table.Th> : null}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {page.items.map((suppression) => (
                <Table.Tr key={suppression.id}>
                  <Table.Td>{suppression.rule ?? 'every rule'}</Table.Td>
                  <Table.Td>
                    {Object.entries(suppression.fields).map(([field, value]) => (
                      <Code key={field} mr={4}>
                        {field}={value}
                      </Code>
                    ))}
                  </Table.Td>
                  <Table.Td>{suppression.reason}</Table.Td>
                  <Table.Td>{suppression.author}</Table.Td>
                  <Table.Td>{formatTime(suppression.expiresAt)}</Table.Td>
                  <Table.Td>{suppression.suppressedCount}</Table.Td>
                  <Table.Td>
                    <Badge size="sm" variant="light" color={suppression.state === 'in_force' ? 'yellow' : 'gray'}>
                      {STATE_LABELS[suppression.state]}
                    </Badge>
                  </Table.Td>
                  {canDelete ? (
                    <Table.Td>
                      <Button
                        size="compact-xs"
                        color="red"
                        variant="light"
                        loading={remove.isPending && remove.variables === suppression.id}
                        onClick={() => remove.mutate(suppression.id)}
                        aria-label={`Delete suppression ${suppression.id}`}
                      >
                        Delete
                      </Button>
                    </Table.Td>
                  ) : null}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </QueryView>
    </Stack>
  );
}
