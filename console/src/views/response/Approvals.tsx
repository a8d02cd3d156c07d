import { Badge, Button, Code, Group, Stack, Table, Text } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { IfRole } from '../../app/auth';
import { EmptyState, ErrorState, QueryView } from '../../components/States';
import { ReasonDialog } from './ReasonDialog';
import { approveRun, currentStep, fetchRuns, rejectRun, type Run } from './responseApi';

function ApprovalRow({ run }: { readonly run: Run }) {
  const client = useQueryClient();
  const step = currentStep(run);
  const [rejecting, setRejecting] = useState(false);
  // The decision changes the run (it leaves this list, runs on) and, once the step ran, the blocks.
  const refresh = () => Promise.all([client.invalidateQueries({ queryKey: ['runs'] }), client.invalidateQueries({ queryKey: ['blocks'] })]);
  const approve = useMutation({ mutationFn: () => approveRun(run, step?.id), onSuccess: refresh });
  const reject = useMutation({
    mutationFn: (reason: string) => rejectRun(run, step?.id, reason),
    onSuccess: () => {
      setRejecting(false);
      void refresh();
    },
  });
  return (
    <Table.Tr>
      <Table.Td>
        <Text size="sm" fw={500}>
          {run.playbookId}
        </Text>
        <Text size="xs" c="dimmed">
          {run.id} · requested by {run.requestedBy ?? 'automation'}
        </Text>
      </Table.Td>
      <Table.Td>
        <Code style={{ whiteSpace: 'nowrap' }}>{step?.action ?? '—'}</Code>
        {step?.dryRun ? <Badge size="xs" ml={4}>dry run</Badge> : null}
      </Table.Td>
      <Table.Td style={{ maxWidth: 380 }}>
        {/* Long values wrap inside the box; a very long input scrolls inside it, never past the table. */}
        <Code
          block
          fz="xs"
          tabIndex={0}
          aria-label="Step input"
          style={{ maxHeight: 160, overflow: 'auto', whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}
        >
          {JSON.stringify(step?.input ?? {}, null, 1)}
        </Code>
      </Table.Td>
      <Table.Td style={{ minWidth: 130 }}>
        <Stack gap={2}>
          {(step?.approvalReasons ?? []).map((reason) => (
            <Text key={reason} size="xs" fw={600} c="orange" style={{ overflowWrap: 'anywhere' }}>
              {reason}
            </Text>
          ))}
        </Stack>
      </Table.Td>
      <Table.Td>
        <IfRole
          role="approver"
          fallback={
            <Text size="xs" c="dimmed">
              Approvers decide
            </Text>
          }
        >
        <Stack gap={4}>
          <Group gap={4} wrap="nowrap">
            <Button color="green" loading={approve.isPending} onClick={() => approve.mutate()} aria-label={`Approve ${run.playbookId} step ${step?.id ?? ''}`}>
              Approve
            </Button>
            <Button color="red" variant="light" onClick={() => setRejecting(true)} aria-label={`Reject ${run.playbookId} step ${step?.id ?? ''}`}>
              Reject
            </Button>
          </Group>
          {approve.isError ? <ErrorState error={approve.error} title="Approval refused" /> : null}
        </Stack>
        <ReasonDialog
          title={`Reject ${run.playbookId}: ${step?.action ?? ''}`}
          confirm="Reject"
          opened={rejecting}
          pending={reject.isPending}
          error={reject.error}
          onClose={() => setRejecting(false)}
          onConfirm={(reason) => reject.mutate(reason)}
        />
        </IfRole>
      </Table.Td>
    </Table.Tr>
  );
}

/** Runs waiting at a step a person must approve (approvers; the requester may not decide: 403). */
export function Approvals() {
  const runs = useQuery({ queryKey: ['runs', 'pending_approval'], queryFn: () => fetchRuns('pending_approval'), refetchInterval: 15_000 });
  return (
    <QueryView query={runs} loadingLabel="Loading pending approvals…" empty={(page) => page.items.length === 0 && <EmptyState title="No approvals pending">Runs that wait for a person show here.</EmptyState>}>
      {(page) => (
        <Table aria-label="Pending approvals" verticalSpacing={6}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Playbook</Table.Th>
              <Table.Th>Step</Table.Th>
              <Table.Th>Input</Table.Th>
              <Table.Th>Why approval</Table.Th>
              <Table.Th>Decision</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {page.items.map((run) => (
              <ApprovalRow key={run.id} run={run} />
            ))}
          </Table.Tbody>
        </Table>
      )}
    </QueryView>
  );
}
