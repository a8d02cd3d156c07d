import { Badge, Button, Group, Pagination, Stack, Switch, Table, Text, Textarea, TextInput, Tooltip } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { IfRole } from '../../app/auth';
import { Dialog } from '../../components/Dialog';
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
    <Dialog onClose={onClose} title={`${next ? 'Enable' : 'Disable'} ${rule.title}`}>
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
    </Dialog>
  );
}

/** Rules per page of the list (the page is `page` in the URL). */
export const RULES_PER_PAGE = 50;

/** Tags shown in a row before "+N" (all of them are in the tooltip). */
const SHOWN_TAGS = 2;

/** A tag as a row shows it: ATT&CK tags without their `attack.` prefix (the tooltip has the full tag). */
const short = (tag: string) => tag.replace(/^attack\./i, '');

function Tags({ tags }: { readonly tags: readonly string[] }) {
  // ATT&CK tags first: they say the most about a rule.
  const sorted = [...tags].sort((a, b) => Number(!a.startsWith('attack.')) - Number(!b.startsWith('attack.')));
  const shown = sorted.slice(0, SHOWN_TAGS);
  const rest = sorted.length - shown.length;
  return (
    <Group gap={2} wrap="nowrap" style={{ overflow: 'hidden' }}>
      {shown.map((tag) => (
        <Badge key={tag} size="xs" variant="light" tt="none" style={{ flexShrink: 1, minWidth: 0 }} title={tag}>
          {short(tag)}
        </Badge>
      ))}
      {rest > 0 ? (
        <Tooltip label={sorted.join(', ')} multiline w={320}>
          <Badge size="xs" variant="outline" tt="none" tabIndex={0} aria-label={`${rest} more tags: ${sorted.slice(SHOWN_TAGS).join(', ')}`} style={{ flexShrink: 0 }}>
            +{rest}
          </Badge>
        </Tooltip>
      ) : null}
    </Group>
  );
}

/** The rule list with a text filter (`q` in the URL), pages of 50 (`page`), and a switch per rule asking for a reason. */
export function RuleList({ rules, total }: { readonly rules: readonly RuleSummary[]; readonly total: number }) {
  const [params, setParams] = useSearchParams();
  const [switching, setSwitching] = useState<RuleSummary | undefined>(undefined);
  const q = params.get('q') ?? '';
  const pages = Math.max(1, Math.ceil(rules.length / RULES_PER_PAGE));
  const requested = Number.parseInt(params.get('page') ?? '1', 10);
  const page = Number.isFinite(requested) ? Math.min(Math.max(1, requested), pages) : 1;
  const first = (page - 1) * RULES_PER_PAGE;
  const shown = rules.slice(first, first + RULES_PER_PAGE);
  const setPage = (next: number) =>
    setParams((prev) => {
      const out = new URLSearchParams(prev);
      if (next > 1) out.set('page', String(next));
      else out.delete('page');
      return out;
    });
  return (
    <Stack gap="xs">
      <Group align="flex-end" justify="space-between">
        <Group align="flex-end">
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
                next.delete('page');
                return next;
              });
            }}
          />
          <Text size="xs" c="dimmed" aria-live="polite">
            {rules.length === 0
              ? `0 of ${total} rules`
              : `${first + 1}–${first + shown.length} of ${rules.length} rules${rules.length < total ? ` (filtered from ${total})` : ''}`}
          </Text>
        </Group>
        {pages > 1 ? (
          <nav aria-label="Rule pages">
            <Pagination
              size="sm"
              total={pages}
              value={page}
              onChange={setPage}
              getItemProps={(n) => ({ 'aria-label': `Page ${n}`, 'aria-current': n === page ? 'page' : undefined })}
              getControlProps={(control) => ({ 'aria-label': `${control} page` })}
            />
          </nav>
        ) : null}
      </Group>
      {rules.length === 0 ? (
        <EmptyState title="No rules match">Change the filter.</EmptyState>
      ) : (
        <Table aria-label="Rules" striped verticalSpacing={2} horizontalSpacing={6} fz="xs" layout="fixed">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w="31%">Title</Table.Th>
              <Table.Th w="11%">Id</Table.Th>
              <Table.Th w={80}>Level</Table.Th>
              <Table.Th w="13%">Author</Table.Th>
              <Table.Th>Tags</Table.Th>
              <Table.Th w={70}>Enabled</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {shown.map((rule) => (
              <Table.Tr key={rule.key}>
                <Table.Td>
                  <Text size="xs" truncate="end" title={rule.title}>
                    {rule.title}
                  </Text>
                  {rule.enabled && !rule.active ? (
                    <Text size="xs" c="orange">
                      enabled but inactive (a rule it needs is off)
                    </Text>
                  ) : null}
                </Table.Td>
                <Table.Td>
                  <Text size="xs" ff="monospace" truncate="end" title={rule.id ?? rule.key}>
                    {rule.id ?? rule.key}
                  </Text>
                </Table.Td>
                <Table.Td>{rule.level}</Table.Td>
                <Table.Td>
                  <Text size="xs" truncate="end" title={rule.author}>
                    {rule.author ?? '—'}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Tags tags={rule.tags} />
                </Table.Td>
                <Table.Td>
                  <IfRole
                    role="responder"
                    fallback={
                      <Badge size="xs" variant="light" color={rule.enabled ? 'green' : 'gray'}>
                        {rule.enabled ? 'on' : 'off'}
                      </Badge>
                    }
                  >
                    <Switch size="xs" checked={rule.enabled} onChange={() => setSwitching(rule)} aria-label={`${rule.enabled ? 'Disable' : 'Enable'} ${rule.title}`} />
                  </IfRole>
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
