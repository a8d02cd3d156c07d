import { Badge, Button, Group, Modal, MultiSelect, PasswordInput, Stack, Table, TextInput } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { ROLE_ORDER, useAuth, type Role } from '../../app/auth';
import { EmptyState, ErrorState, QueryView } from '../../components/States';
import { formatTime, type Page, type UserView } from './types';

const USERS_KEY = ['settings', 'users'] as const;

function AddUser({ onClose }: { readonly onClose: () => void }) {
  const client = useQueryClient();
  const [username, setUsername] = useState('');
  const [roles, setRoles] = useState<string[]>(['viewer']);
  const [password, setPassword] = useState('');
  const create = useMutation({
    mutationFn: () => api<UserView>('/api/v1/users', { method: 'POST', body: { username, roles, ...(password ? { password } : {}) } }),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: USERS_KEY });
      onClose();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <form onSubmit={submit}>
      <Stack gap="xs">
        {create.isError ? <ErrorState error={create.error} title="User not added" /> : null}
        <TextInput label="Username" required value={username} onChange={(e) => setUsername(e.currentTarget.value)} />
        <MultiSelect label="Roles" required data={[...ROLE_ORDER, 'ingest']} value={roles} onChange={setRoles} />
        <PasswordInput label="Password" description="Leave empty for a user who signs in with single sign-on." value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" loading={create.isPending} disabled={!username || roles.length === 0}>
            Add user
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

const ROLE_CHOICES = [...ROLE_ORDER, 'ingest'];

/** Change one user's roles (PATCH /api/v1/users/:id); the API refuses to leave no enabled admin. */
function EditRoles({ user, onClose }: { readonly user: UserView; readonly onClose: () => void }) {
  const client = useQueryClient();
  const [roles, setRoles] = useState<string[]>([...user.roles]);
  const save = useMutation({
    mutationFn: () => api<UserView>(`/api/v1/users/${encodeURIComponent(user.id)}`, { method: 'PATCH', body: { roles } }),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: USERS_KEY });
      onClose();
    },
  });
  const unchanged = roles.length === user.roles.length && roles.every((role) => user.roles.includes(role as Role));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit}>
      <Stack gap="xs">
        {save.isError ? <ErrorState error={save.error} title="Roles not changed" /> : null}
        <MultiSelect
          label={`Roles of ${user.username}`}
          description="viewer < analyst < responder < approver < admin; ingest is for machines."
          required
          data={ROLE_CHOICES}
          value={roles}
          onChange={setRoles}
          error={roles.length === 0 ? 'A user needs at least one role.' : undefined}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending} disabled={roles.length === 0 || unchanged}>
            Save roles
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** Users and their roles; admins add users, change their roles, disable and enable them. */
export function UsersTab() {
  const auth = useAuth();
  const client = useQueryClient();
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<UserView | undefined>();
  const users = useQuery({ queryKey: USERS_KEY, queryFn: () => api<Page<UserView>>('/api/v1/users', { query: { limit: 200 } }) });
  const toggle = useMutation({
    mutationFn: (user: UserView) => api<UserView>(`/api/v1/users/${encodeURIComponent(user.id)}/${user.disabled ? 'enable' : 'disable'}`, { method: 'POST' }),
    onSuccess: () => client.invalidateQueries({ queryKey: USERS_KEY }),
  });
  const admin = auth.hasRole('admin');
  return (
    <Stack gap="xs">
      <Group justify="flex-end">
        {admin ? (
          <Button onClick={() => setAdding(true)} size="xs">
            Add user
          </Button>
        ) : null}
      </Group>
      {toggle.isError ? <ErrorState error={toggle.error} title="Not changed" /> : null}
      <QueryView query={users} empty={<EmptyState title="No users">Add one with the button above.</EmptyState>}>
        {(page) => (
          <Table aria-label="Users" striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Username</Table.Th>
                <Table.Th>Roles</Table.Th>
                <Table.Th>Sign-in</Table.Th>
                <Table.Th>Last sign-in</Table.Th>
                <Table.Th>State</Table.Th>
                {admin ? <Table.Th>Actions</Table.Th> : null}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {page.items.map((user) => (
                <Table.Tr key={user.id}>
                  <Table.Td>{user.displayName ? `${user.displayName} (${user.username})` : user.username}</Table.Td>
                  <Table.Td>{user.roles.join(', ')}</Table.Td>
                  <Table.Td>{user.hasPassword ? 'password' : 'single sign-on'}</Table.Td>
                  <Table.Td>{formatTime(user.lastLoginAt)}</Table.Td>
                  <Table.Td>
                    <Badge size="sm" variant="light" color={user.disabled ? 'gray' : 'green'}>
                      {user.disabled ? 'disabled' : 'active'}
                    </Badge>
                  </Table.Td>
                  {admin ? (
                    <Table.Td>
                      <Group gap={4} wrap="nowrap">
                        <Button size="compact-xs" variant="default" onClick={() => setEditing(user)} aria-label={`Edit roles of ${user.username}`}>
                          Roles
                        </Button>
                        <Button
                          size="compact-xs"
                          variant="default"
                          disabled={user.id === auth.me?.user?.id && !user.disabled}
                          loading={toggle.isPending && toggle.variables?.id === user.id}
                          onClick={() => toggle.mutate(user)}
                          aria-label={`${user.disabled ? 'Enable' : 'Disable'} ${user.username}`}
                        >
                          {user.disabled ? 'Enable' : 'Disable'}
                        </Button>
                      </Group>
                    </Table.Td>
                  ) : null}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </QueryView>
      <Modal opened={adding} onClose={() => setAdding(false)} title="Add a user">
        {adding ? <AddUser onClose={() => setAdding(false)} /> : null}
      </Modal>
      <Modal opened={editing !== undefined} onClose={() => setEditing(undefined)} title="Change roles">
        {editing ? <EditRoles key={editing.id} user={editing} onClose={() => setEditing(undefined)} /> : null}
      </Modal>
    </Stack>
  );
}

