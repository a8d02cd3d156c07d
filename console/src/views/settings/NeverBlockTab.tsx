import { Badge, Button, Group, Stack, Table, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { useAuth } from '../../app/auth';
import { EmptyState, ErrorState, QueryView } from '../../components/States';
import type { NeverBlockItem } from './types';

const NEVER_BLOCK_KEY = ['settings', 'never-block'] as const;

/** The effective never-block list; admins add and delete stored entries (the others come from config and the host). */
export function NeverBlockTab() {
  const auth = useAuth();
  const client = useQueryClient();
  const admin = auth.hasRole('admin');
  const [value, setValue] = useState('');
  const [note, setNote] = useState('');
  const list = useQuery({ queryKey: NEVER_BLOCK_KEY, queryFn: () => api<{ items: readonly NeverBlockItem[] }>('/api/v1/response/never-block') });
  const add = useMutation({
    mutationFn: () => api('/api/v1/response/never-block', { method: 'POST', body: { value: value.trim(), ...(note.trim() ? { note: note.trim() } : {}) } }),
    onSuccess: async () => {
      setValue('');
      setNote('');
      await client.invalidateQueries({ queryKey: NEVER_BLOCK_KEY });
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => api<void>(`/api/v1/response/never-block/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => client.invalidateQueries({ queryKey: NEVER_BLOCK_KEY }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate();
  };
  return (
    <Stack gap="xs">
      <Text size="sm" c="dimmed">
        Addresses and networks that automated response never blocks, checked when a job is queued and again when it runs.
      </Text>
      {admin ? (
        <form onSubmit={submit} aria-label="Add to the never-block list">
          <Group align="flex-end" gap="xs">
            <TextInput label="Address or CIDR" placeholder="192.0.2.10 or 198.51.100.0/24" required value={value} onChange={(e) => setValue(e.currentTarget.value)} />
            <TextInput label="Note" placeholder="Why: a gateway, a partner" value={note} onChange={(e) => setNote(e.currentTarget.value)} w={280} />
            <Button type="submit" loading={add.isPending} disabled={value.trim().length < 2}>
              Add
            </Button>
          </Group>
        </form>
      ) : null}
      {add.isError ? <ErrorState error={add.error} title="Not added" /> : null}
      {remove.isError ? <ErrorState error={remove.error} title="Not deleted" /> : null}
      <QueryView query={list} empty={<EmptyState title="The never-block list is empty">Add your gateways, DNS servers and admin networks.</EmptyState>}>
        {(data) => (
          <Table aria-label="Never-block list" striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Address or network</Table.Th>
                <Table.Th>Source</Table.Th>
                <Table.Th>Note</Table.Th>
                {admin ? <Table.Th>Actions</Table.Th> : null}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {data.items.map((item) => (
                <Table.Tr key={`${item.source}-${item.value}`}>
                  <Table.Td ff="monospace">{item.value}</Table.Td>
                  <Table.Td>
                    <Badge size="sm" variant="light" color={item.source === 'store' ? 'blue' : 'gray'}>
                      {item.source}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{item.note ?? ''}</Table.Td>
                  {admin ? (
                    <Table.Td>
                      {item.id ? (
                        <Button
                          size="compact-xs"
                          color="red"
                          variant="light"
                          loading={remove.isPending && remove.variables === item.id}
                          onClick={() => remove.mutate(item.id as string)}
                          aria-label={`Delete ${item.value}`}
                        >
                          Delete
                        </Button>
                      ) : (
                        <Text size="xs" c="dimmed">
                          from {item.source}
                        </Text>
                      )}
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
