import { Box, Group, Text, Tooltip } from '@mantine/core';
import { coverage, type RuleSummary } from './rulesApi';

/** Enabled rules per ATT&CK tactic as a heat strip (a cell per tactic, darker with more rules). */
export function Coverage({ rules }: { readonly rules: readonly RuleSummary[] }) {
  const rows = coverage(rules);
  const most = Math.max(1, ...rows.map((r) => r.count));
  return (
    <Group gap={4} wrap="nowrap" role="list" aria-label="Enabled rules per ATT&CK tactic">
      {rows.map(({ tactic, count }) => (
        <Tooltip key={tactic} label={`${tactic.replace(/_/g, ' ')}: ${count} enabled rules`}>
          <Box
            role="listitem"
            aria-label={`${tactic.replace(/_/g, ' ')}: ${count}`}
            tabIndex={0}
            p={4}
            style={{
              flex: 1,
              minWidth: 0,
              borderRadius: 4,
              border: '1px solid var(--mantine-color-default-border)',
              background: count === 0 ? 'transparent' : `rgba(34, 139, 230, ${0.15 + 0.75 * (count / most)})`,
            }}
          >
            <Text size="10px" truncate>
              {tactic.replace(/_/g, ' ')}
            </Text>
            <Text size="sm" fw={600} c={count === 0 ? 'red' : undefined}>
              {count}
            </Text>
          </Box>
        </Tooltip>
      ))}
    </Group>
  );
}
