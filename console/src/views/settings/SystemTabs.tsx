import { Badge, Code, Stack, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api, ApiError } from '../../api/client';
import type { SignInMethods } from '../../app/auth';
import { EmptyState, QueryView } from '../../components/States';
import type { Health } from './types';

/** Whether single sign-on is configured (read-only: it is set in the config file, `auth.oidc`). */
export function OidcTab() {
  const methods = useQuery({ queryKey: ['auth', 'methods'], queryFn: () => api<SignInMethods>('/api/v1/auth/methods'), staleTime: Infinity });
  return (
    <QueryView query={methods}>
      {(data) => (
        <Stack gap="xs">
          <Text size="sm">
            Single sign-on (OIDC):{' '}
            <Badge variant="light" color={data.oidc ? 'green' : 'gray'}>
              {data.oidc ? 'configured' : 'not configured'}
            </Badge>
          </Text>
          <Text size="sm">
            Local passwords: <Badge variant="light">{data.password ? 'enabled' : 'disabled'}</Badge>
          </Text>
          <Text size="sm" c="dimmed">
            The provider, client and group-to-role mapping are set in the configuration file under <Code>auth.oidc</Code>; the callback to register at the provider is{' '}
            <Code>{`${window.location.origin}/api/v1/auth/oidc/callback`}</Code>.
          </Text>
        </Stack>
      )}
    </QueryView>
  );
}

const STATE_COLOR = { up: 'green', ok: 'green', degraded: 'yellow', down: 'red' } as const;

/** This process's backends as GET /api/health reports them (503 still carries the body). */
async function fetchHealth(): Promise<Health> {
  const response = await fetch('/api/health', { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  const body = (await response.json().catch(() => undefined)) as (Health & { message?: string }) | undefined;
  if (body && typeof body.status === 'string' && body.backends) return body;
  throw new ApiError(response.status, undefined, body?.message ?? `${response.status} ${response.statusText}`);
}

/** Sources and backends, read-only: what this process stores in and reads from. */
export function SourcesTab() {
  const health = useQuery({ queryKey: ['settings', 'health'], queryFn: fetchHealth, refetchInterval: 30_000 });
  return (
    <QueryView query={health} empty={(data) => (Object.keys(data.backends).length === 0 ? <EmptyState title="No backends reported" /> : null)}>
      {(data) => (
        <Stack gap="xs">
          <Text size="sm">
            Watchpost <Code>{data.version}</Code>, status{' '}
            <Badge variant="light" color={STATE_COLOR[data.status]}>
              {data.status}
            </Badge>
            , up {Math.round(data.uptimeSeconds / 60)} min.
          </Text>
          <Table aria-label="Backends" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Concern</Table.Th>
                <Table.Th>Technology</Table.Th>
                <Table.Th>State</Table.Th>
                <Table.Th>Detail</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {Object.entries(data.backends).map(([concern, backend]) => (
                <Table.Tr key={concern}>
                  <Table.Td>{concern}</Table.Td>
                  <Table.Td>{backend.kind}</Table.Td>
                  <Table.Td>
                    <Badge size="sm" variant="light" color={STATE_COLOR[backend.state]}>
                      {backend.state}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{backend.detail ?? ''}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Text size="xs" c="dimmed">
            Ingest per source (events/s, parse failures, drops, silent sources) is on the Overview.
          </Text>
        </Stack>
      )}
    </QueryView>
  );
}
