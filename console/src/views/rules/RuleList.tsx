import { Badge, Button, Group, Modal, Stack, Switch, Table, Text, Textarea, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { EmptyState, ErrorState } from '../../components/States';
import { switchRule, type RuleSummary } from './rulesApi';

function SwitchDialog({ rule, onClose }: { readonly rule: RuleSummary; readonly onClose: () => void }) {
  const client = useQueryClient();
  const [reason, setReason] = useState('');
  const next = !rule.enabled;
  const mutation = useMutation({
    mutationFn: () => switchRule(rule.key, next, reason.trim() || undefined),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['rules'] });
      onClose();
    },
  });
  return (
    <Modal opened onClose={onClose} title={`${next ? 'Enable' : 'Disable'} ${rule.title}`}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          mutation.mutate();
        }}
      >
        <Stack gap="xs">
          <Textarea label="Reason (kept in the audit log)" rows={3} maxLength={1000} value={reason} onChange={(e) => setReason(e.currentTarget.value)} data-autofocus />
          <Text size="xs" c="dimmed">
            Ingest applies it at its next poll of the case store (about 10 s).
          </Text>
          {mutation.isError ? <ErrorState error={mutation.error} title="Refused" /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={mutation.isPending} color={next ? 'blue' : 'red'}>
              {next ? 'Enable' : 'Disable'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** The rule list with a text filter (`q` in the URL) and a switch per rule, each asking for a reason. */
export function RuleList({ rules, total }: { readonly rules: readonly RuleSummary[]; readonly total: number }) {
  const [params, setParams] = useSearchParams();
  const [switching, setSwitching] = useState<RuleSummary | undefined>(undefined);
  const q = params.get('q') ?? '';
  return (
    <Stack gap="xs">
      <Group>
        <TextInput
          label="Filter rules"
          placeholder="title, id, author or tag"
          size="xs"
          w={320}
          value={q}
          onChange={(e) => {
            const value = e.currentTarget.value;
            setParams((prev) => {
              const next = new URLSearchParams(prev);
              if (value) next.set('q', value);
              else next.delete('q');
              return next;
            });
          }}
        />
        <Text size="xs" c="dimmed" mt="lg">
          {rules.length} of {total} rules
        </Text>
      </Group>
      {rules.length === 0 ? (
        <EmptyState title="No rules match">Change the filter.</EmptyState>
      ) : (
        <Table aria-label="Rules" striped stickyHeader>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Title</Table.Th>
              <Table.Th>Id</Table.Th>
              <Table.Th>Level</Table.Th>
              <Table.Th>Author</Table.Th>
              <Table.Th>Tags</Table.Th>
              <Table.Th>Enabled</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rules.map((rule) => (
              <Table.Tr key={rule.key}>
                <Table.Td>
                  <Text size="sm">{rule.title}</Text>
                  {rule.enabled && !rule.active ? <Text size="xs" c="orange">enabled but inactive (a rule it needs is off)</Text> : null}
                </Table.Td>
                <Table.Td ff="monospace" fz="xs">
                  {rule.id ?? rule.key}
                </Table.Td>
                <Table.Td>{rule.level}</Table.Td>
                <Table.Td>
                  <Text size="xs">{rule.author ?? '—'}</Text>
                </Table.Td>
                <Table.Td>
                  <Group gap={2}>
                    {rule.tags.map((tag) => (
                      <Badge key={tag} size="xs" variant="light" tt="none">
                        {tag}
                      </Badge>
                    ))}
                  </Group>
                </Table.Td>
                <Table.Td>
                  <Switch checked={rule.enabled} onChange={() => setSwitching(rule)} aria-label={`${rule.enabled ? 'Disable' : 'Enable'} ${rule.title}`} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {switching ? <SwitchDialog rule={switching} onClose={() => setSwitching(undefined)} /> : null}
    </Stack>
  );
}
