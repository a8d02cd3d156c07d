import { ActionIcon, Group, NativeSelect, Progress, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { EmptyState, ErrorState, LoadingState } from '../../components/States';
import { getEvents, type TermsAnswer } from './api';
import { FIELD_NAME } from './suggest';

/** Props of {@link FieldStats}. */
export interface FieldStatsProps {
  readonly fields: readonly string[];
  readonly field: string;
  readonly onField: (field: string) => void;
  readonly q: string;
  readonly from: string;
  readonly to: string;
  readonly onFilter: (field: string, value: unknown) => void;
}

/** The top values of a chosen field among all matching events (GET /api/v1/events/terms). */
export function FieldStats({ fields, field, onField, q, from, to, onFilter }: FieldStatsProps) {
  const enabled = FIELD_NAME.test(field);
  const terms = useQuery({
    queryKey: ['events', 'terms', field, from, to, 10, q],
    queryFn: ({ signal }) => getEvents<TermsAnswer>('/api/v1/events/terms', { field, q, from, to, size: 10 }, signal),
    enabled,
  });
  const top = terms.data?.buckets[0]?.count ?? 1;
  return (
    <Stack gap={4}>
      <Title order={3} size="h6">
        Field statistics
      </Title>
      <NativeSelect label="Field" size="xs" value={field} data={fields.filter((f) => FIELD_NAME.test(f))} onChange={(e) => onField(e.currentTarget.value)} />
      {!enabled ? null : terms.isPending ? (
        <LoadingState label="Counting values…" />
      ) : terms.isError ? (
        <ErrorState error={terms.error} title="Could not count values" />
      ) : terms.data.buckets.length === 0 ? (
        <EmptyState title="No values">No matching event has this field.</EmptyState>
      ) : (
        <Table verticalSpacing={2} aria-label={`Top values of ${field}`}>
          <Table.Tbody>
            {terms.data.buckets.map((bucket) => (
              <Table.Tr key={String(bucket.value)}>
                <Table.Td>
                  <Group gap={4} wrap="nowrap" justify="space-between">
                    <Text size="xs" ff="monospace" style={{ wordBreak: 'break-all' }}>
                      {String(bucket.value)}
                    </Text>
                    <ActionIcon variant="subtle" size="xs" aria-label={`Filter for ${field} ${String(bucket.value)}`} onClick={() => onFilter(field, bucket.value)}>
                      +
                    </ActionIcon>
                  </Group>
                  <Progress value={(bucket.count / top) * 100} size="xs" aria-hidden />
                </Table.Td>
                <Table.Td ta="right" w={60} fz="xs">
                  {bucket.count}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
