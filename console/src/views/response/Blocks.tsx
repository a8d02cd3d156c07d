import { Button, Code, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { IfRole } from '../../app/auth';
import { EmptyState, QueryView } from '../../components/States';
import { ReasonDialog } from './ReasonDialog';
import { BUSY_POLL_MS, fetchBlocks, fetchRuns, formatDuration, hasBusyRuns, IDLE_POLL_MS, pollInterval, releaseBlock, type Block } from './responseApi';

/**
 * Whether some run is queued or running, from the shared run list (`['runs', 'all']`, which
 * RunHistory shows). When the last busy run finishes, the blocks are read once more: the block it
 * made may have appeared after the last poll.
 */
function useRunsBusy(onSettled: () => void): boolean {
  const runs = useQuery({ queryKey: ['runs', 'all'], queryFn: () => fetchRuns(), refetchInterval: (query) => pollInterval(query.state.data) });
  const busy = hasBusyRuns(runs.data);
  const wasBusy = useRef(false);
  useEffect(() => {
    if (wasBusy.current && !busy) onSettled();
    wasBusy.current = busy;
  }, [busy, onSettled]);
  return busy;
}

/** Whole seconds since `since`, re-rendered every second. */
function useElapsed(since: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return Math.max(0, Math.floor((now - since) / 1000));
}

function TimeLeft({ block, fetchedAt }: { readonly block: Block; readonly fetchedAt: number }) {
  const elapsed = useElapsed(fetchedAt);
  if (block.secondsLeft === undefined) return <Text size="sm">no expiry</Text>;
  const left = Math.max(0, block.secondsLeft - elapsed);
  return (
    <Text size="sm" ff="monospace" aria-label={`time left ${formatDuration(left)}`}>
      {left === 0 ? 'expiring…' : formatDuration(left)}
    </Text>
  );
}

function ReleaseButton({ block }: { readonly block: Block }) {
  const client = useQueryClient();
  const [open, setOpen] = useState(false);
  const release = useMutation({
    mutationFn: (reason: string) => releaseBlock(block, reason),
    onSuccess: () => {
      setOpen(false);
      void client.invalidateQueries({ queryKey: ['blocks'] });
      void client.invalidateQueries({ queryKey: ['runs'] });
    },
  });
  const verb = block.kind === 'account' ? 'Re-enable' : 'Release';
  return (
    <>
      <Button variant="light" onClick={() => setOpen(true)} aria-label={`${verb} ${block.target} on ${block.driver}`}>
        {verb}
      </Button>
      <ReasonDialog
        title={`${verb} ${block.target} (${block.driver})`}
        confirm={verb}
        opened={open}
        pending={release.isPending}
        error={release.error}
        onClose={() => setOpen(false)}
        onConfirm={(reason) => release.mutate(reason)}
      />
    </>
  );
}

/** Active blocks of one kind (addresses or disabled accounts) with time left and manual release. */
export function Blocks({ kind }: { readonly kind: 'ip' | 'account' }) {
  const client = useQueryClient();
  const refetchBlocks = useCallback(() => void client.invalidateQueries({ queryKey: ['blocks', kind] }), [client, kind]);
  const busy = useRunsBusy(refetchBlocks);
  const blocks = useQuery({ queryKey: ['blocks', kind], queryFn: () => fetchBlocks(kind), refetchInterval: busy ? BUSY_POLL_MS : IDLE_POLL_MS });
  const noun = kind === 'ip' ? 'blocked addresses' : 'disabled accounts';
  return (
    <QueryView query={blocks} loadingLabel={`Loading ${noun}…`} empty={(page) => page.items.length === 0 && <EmptyState title={`No ${noun}`} />}>
      {(page) => (
        <Stack gap={4}>
          <Table aria-label={kind === 'ip' ? 'Active blocks' : 'Disabled accounts'}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{kind === 'ip' ? 'Address' : 'Account'}</Table.Th>
                <Table.Th>Driver</Table.Th>
                <Table.Th>Reason</Table.Th>
                <Table.Th>Offense</Table.Th>
                <Table.Th>Time left</Table.Th>
                <Table.Th>Verified</Table.Th>
                <Table.Th>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {page.items.map((block) => (
                <Table.Tr key={block.id}>
                  <Table.Td>
                    <Code>{block.target}</Code>
                  </Table.Td>
                  <Table.Td>{block.driver}</Table.Td>
                  <Table.Td>
                    <Text size="sm">{block.reason}</Text>
                    {block.lastError ? (
                      <Text size="xs" c="red">
                        {block.lastError}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>{block.offense}</Table.Td>
                  <Table.Td>
                    <TimeLeft block={block} fetchedAt={blocks.dataUpdatedAt} />
                  </Table.Td>
                  <Table.Td>{block.verifiedAt ? new Date(block.verifiedAt).toLocaleTimeString() : 'not yet'}</Table.Td>
                  <Table.Td>
                    <IfRole
                      role="responder"
                      fallback={
                        <Text size="xs" c="dimmed">
                          Responders {kind === 'ip' ? 'release' : 're-enable'}
                        </Text>
                      }
                    >
                      <ReleaseButton block={block} />
                    </IfRole>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {page.total > page.items.length ? <Text size="xs" c="dimmed">{`Showing ${page.items.length} of ${page.total}.`}</Text> : null}
        </Stack>
      )}
    </QueryView>
  );
}
