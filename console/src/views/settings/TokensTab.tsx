import { Alert, Badge, Button, Code, CopyButton, Group, Modal, MultiSelect, NumberInput, Stack, Table, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { ROLE_ORDER, rolesAdmit, useAuth, type Role } from '../../app/auth';
import { EmptyState, ErrorState, QueryView } from '../../components/States';
import { formatTime, type Page, type TokenView } from './types';

const TOKENS_KEY = ['settings', 'tokens'] as const;

/** Creates a token; its secret is shown once, here, and never again. */
function CreateToken({ onClose }: { readonly onClose: () => void }) {
  const auth = useAuth();
  const client = useQueryClient();
  const [name, setName] = useState('');
  // A token can hold at most what its creator holds (the server enforces it too).
  const grantable = [...ROLE_ORDER, 'ingest'].filter((role) => auth.hasRole('admin') || rolesAdmit(auth.roles, role as Role));
  const [roles, setRoles] = useState<string[]>(['viewer']);
  const [days, setDays] = useState<number | string>(90);
  const create = useMutation({
    mutationFn: () =>
      api<{ token: TokenView; secret: string }>('/api/v1/tokens', {
        method: 'POST',
        body: { name, roles, ...(typeof days === 'number' && days > 0 ? { expiresInDays: days } : {}) },
      }),
    onSuccess: () => client.invalidateQueries({ queryKey: TOKENS_KEY }),
  });
  if (create.data) {
    return (
      <Stack gap="xs">
        <Alert color="yellow" variant="light" title="Copy the token now">
          This is the only time it is shown: only its hash is kept.
        </Alert>
        <Code block aria-label="New token secret">
          {create.data.secret}
        </Code>
        <Group justify="flex-end">
          <CopyButton value={create.data.secret}>
            {({ copied, copy }) => (
              <Button variant="default" onClick={copy}>
                {copied ? 'Copied' : 'Copy'}
              </Button>
            )}
          </CopyButton>
          <Button onClick={onClose}>Done</Button>
        </Group>
      </Stack>
    );
  }
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <form onSubmit={submit}>
      <Stack gap="xs">
        {create.isError ? <ErrorState error={create.error} title="Token not created" /> : null}
        <TextInput label="Name" description='What it is for, e.g. "web-01 agent".' required value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <MultiSelect label="Roles" required data={grantable} value={roles} onChange={setRoles} />
        <NumberInput label="Expires in (days)" description="Empty: never expires." min={1} max={3650} value={days} onChange={setDays} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" loading={create.isPending} disabled={!name || roles.length === 0}>
            Create token
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** API tokens (one's own; an admin's list shows everyone's), create and revoke. */
export function TokensTab() {
  const auth = useAuth();
  const client = useQueryClient();
  const [creating, setCreating] = useState(false);
  const canUse = auth.hasRole('analyst');
  const tokens = useQuery({ queryKey: TOKENS_KEY, queryFn: () => api<Page<TokenView>>('/api/v1/tokens', { query: { limit: 200 } }), enabled: canUse });
  const revoke = useMutation({
    mutationFn: (token: TokenView) => api<TokenView>(`/api/v1/tokens/${encodeURIComponent(token.id)}/revoke`, { method: 'POST' }),
    onSuccess: () => client.invalidateQueries({ queryKey: TOKENS_KEY }),
  });
  if (!canUse) return <EmptyState title="API tokens need the analyst role">Ask an administrator if you need one.</EmptyState>;
  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          Send a token as <Code>Authorization: Bearer wp_…</Code>.
        </Text>
        <Button size="xs" onClick={() => setCreating(true)}>
          Create token
        </Button>
      </Group>
      {revoke.isError ? <ErrorState error={revoke.error} title="Not revoked" /> : null}
      <QueryView query={tokens} empty={<EmptyState title="No API tokens">Create one for a script or an agent.</EmptyState>}>
        {(page) => (
          <Table aria-label="API tokens" striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>User</Table.Th>
                <Table.Th>Roles</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Expires</Table.Th>
                <Table.Th>Last used</Table.Th>
                <Table.Th>Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {page.items.map((token) => (
                <Table.Tr key={token.id}>
                  <Table.Td>{token.name}</Table.Td>
                  <Table.Td>{token.userId}</Table.Td>
                  <Table.Td>{token.roles.join(', ')}</Table.Td>
                  <Table.Td>
                    <Badge size="sm" variant="light" color={token.status === 'active' ? 'green' : 'gray'}>
                      {token.status}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{token.expiresAt ? formatTime(token.expiresAt) : 'never'}</Table.Td>
                  <Table.Td>{formatTime(token.lastUsedAt)}</Table.Td>
                  <Table.Td>
                    {token.status !== 'revoked' ? (
                      <Button
                        size="compact-xs"
                        color="red"
                        variant="light"
                        loading={revoke.isPending && revoke.variables?.id === token.id}
                        onClick={() => revoke.mutate(token)}
                        aria-label={`Revoke ${token.name}`}
                      >
                        Revoke
                      </Button>
                    ) : null}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </QueryView>
      <Modal opened={creating} onClose={() => setCreating(false)} title="Create an API token">
        {creating ? <CreateToken onClose={() => setCreating(false)} /> : null}
      </Modal>
    </Stack>
  );
}
