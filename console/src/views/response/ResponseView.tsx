import { Alert, Button, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { IfRole } from '../../app/auth';
import { PageHeader } from '../../components/PageHeader';
import { ErrorState } from '../../components/States';
import { Approvals } from './Approvals';
import { Blocks } from './Blocks';
import { closeBreaker, fetchBreaker } from './responseApi';
import { RunHistory } from './RunHistory';

function Section({ title, children }: { readonly title: string; readonly children: ReactNode }) {
  return (
    <Paper withBorder p="sm" component="section" aria-label={title}>
      <Title order={2} size="h5" mb={4}>
        {title}
      </Title>
      {children}
    </Paper>
  );
}

/** The circuit breaker: when open, automatic blocks wait for approval; admins close it. */
function BreakerBanner() {
  const client = useQueryClient();
  const breaker = useQuery({ queryKey: ['breaker'], queryFn: fetchBreaker, refetchInterval: 30_000 });
  const close = useMutation({ mutationFn: closeBreaker, onSuccess: (data) => client.setQueryData(['breaker'], data) });
  if (breaker.isPending) return null;
  if (breaker.isError) return <ErrorState error={breaker.error} title="Circuit breaker unknown" />;
  if (breaker.data.state === 'closed') {
    return (
      <Text size="sm" c="dimmed">
        Circuit breaker closed: automatic blocks run without approval where the playbook allows it.
      </Text>
    );
  }
  return (
    <Alert color="orange" title="Circuit breaker open: automatic blocks wait for approval" role="alert">
      <Group justify="space-between">
        <Text size="sm">
          {breaker.data.reason ?? 'Too many blocks in a short time.'}
          {breaker.data.openedAt ? ` Opened ${new Date(breaker.data.openedAt).toLocaleString()}.` : ''}
        </Text>
        <IfRole
          role="admin"
          fallback={
            <Text size="xs" c="dimmed">
              An admin closes the breaker
            </Text>
          }
        >
          <Button color="orange" loading={close.isPending} onClick={() => close.mutate()}>
            Close breaker
          </Button>
        </IfRole>
      </Group>
      {close.isError ? <ErrorState error={close.error} title="Could not close the breaker" /> : null}
    </Alert>
  );
}

/** Response (`/response`): approvals, active blocks, disabled accounts, run history, the breaker. */
export function ResponseView() {
  return (
    <Stack p="md" gap="sm">
      <PageHeader title="Response" description="Playbook approvals, blocks and disabled accounts, run history" />
      <BreakerBanner />
      <Section title="Pending approvals">
        <Approvals />
      </Section>
      <Section title="Active blocks">
        <Blocks kind="ip" />
      </Section>
      <Section title="Disabled accounts">
        <Blocks kind="account" />
      </Section>
      <Section title="Run history">
        <RunHistory />
      </Section>
    </Stack>
  );
}
