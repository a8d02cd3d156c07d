import { Box, Text, Tooltip } from '@mantine/core';
import { coverage, type RuleSummary } from './rulesApi';

/**
 * Enabled rules per ATT&CK tactic as a grid of tiles (darker with more rules, red 0 for a gap).
 * Tiles wrap onto more rows rather than cutting a tactic's name.
 */
export function Coverage({ rules }: { readonly rules: readonly RuleSummary[] }) {
  const rows = coverage(rules);
  const most = Math.max(1, ...rows.map((r) => r.count));
  return (
    <Box role="list" aria-label="Enabled rules per ATT&CK tactic" style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(128px, 1fr))', gap: 4 }}>
      {rows.map(({ tactic, count }) => {
        const name = tactic.replace(/_/g, ' ');
        return (
          <Tooltip key={tactic} label={`${name}: ${count} enabled ${count === 1 ? 'rule' : 'rules'}`}>
            <Box
              role="listitem"
              aria-label={`${name}: ${count}`}
              tabIndex={0}
              px={6}
              py={2}
              style={{
                display: 'flex',
                alignItems: 'baseline',
                justifyContent: 'space-between',
                gap: 6,
                borderRadius: 4,
                border: '1px solid var(--mantine-color-default-border)',
                // Mixed into the page's background, at most 45 %: the text on the darkest tile keeps
                // 4.5:1 in both themes.
                background: count === 0 ? 'transparent' : `color-mix(in srgb, var(--mantine-primary-color-filled) ${Math.round(10 + 35 * (count / most))}%, var(--mantine-color-body))`,
              }}
            >
              <Text size="xs" lh={1.2} style={{ overflowWrap: 'anywhere' }}>
                {name}
              </Text>
              <Text size="sm" fw={700} c={count === 0 ? 'red' : undefined}>
                {count}
              </Text>
            </Box>
          </Tooltip>
        );
      })}
    </Box>
  );
}
