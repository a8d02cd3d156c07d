import { Paper, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { IfRole } from '../../app/auth';
import { PageHeader } from '../../components/PageHeader';
import { EmptyState, QueryView } from '../../components/States';
import { Coverage } from './Coverage';
import { RuleEditor } from './RuleEditor';
import { RuleList } from './RuleList';
import { fetchRules } from './rulesApi';

/** Rules (`/rules`): ATT&CK coverage, the list with switches, and the editor (validate, test, upload). */
export function RulesView() {
  const [params] = useSearchParams();
  const q = params.get('q')?.trim() ?? '';
  // All rules (one page of up to 500) for coverage; the filtered list is the same data narrowed here,
  // so typing in the filter does not refetch.
  const rules = useQuery({ queryKey: ['rules', 'all'], queryFn: () => fetchRules({}) });
  const needle = q.toLowerCase();
  return (
    <Stack p="md" gap="sm">
      <PageHeader title="Rules" description="Sigma rules: switch on and off, write, test and upload" />
      <QueryView query={rules} loadingLabel="Loading rules…" empty={(page) => page.total === 0 && <EmptyState title="No rules loaded">Upload a rule below.</EmptyState>}>
        {(page) => (
          <Stack gap="sm">
            <Paper withBorder p="sm">
              <Title order={2} size="h5" mb={4}>
                Coverage by ATT&CK tactic (enabled rules)
              </Title>
              <Coverage rules={page.items} />
            </Paper>
            <Paper withBorder p="sm">
              <Title order={2} size="h5" mb={4}>
                Rules
              </Title>
              <RuleList
                total={page.total}
                rules={needle ? page.items.filter((r) => [r.key, r.id ?? '', r.title, r.author ?? '', ...r.tags].join('\n').toLowerCase().includes(needle)) : page.items}
              />
            </Paper>
          </Stack>
        )}
      </QueryView>
      <Paper withBorder p="sm">
        <Title order={2} size="h5" mb={4}>
          Editor
        </Title>
        {/* Validating and testing is POST /api/v1/rules/test (analyst); a viewer's editor could do nothing. */}
        <IfRole
          role="analyst"
          fallback={
            <Text size="sm" c="dimmed">
              Read-only: analysts and above write and test rules, responders and above upload them.
            </Text>
          }
        >
          <RuleEditor />
        </IfRole>
      </Paper>
    </Stack>
  );
}
