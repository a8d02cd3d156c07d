import { Badge, Code, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { SeverityBadge } from '../AlertBits';
import type { AlertDetail } from '../types';

/** ATT&CK tags (`attack.t1110.001`, `attack.credential_access`) as analysts write them. */
function attackLabel(tag: string): string {
  const rest = tag.slice('attack.'.length);
  return /^t\d{4}(\.\d{3})?$/i.test(rest) ? rest.toUpperCase() : rest.replace(/_/g, ' ');
}

/** Why the alert fired: the rule and its author (DRL 1.1), level, tags, selections and matched values. */
export function WhyItFired({ detail }: { readonly detail: AlertDetail }) {
  const { alert, explanation } = detail;
  const attack = alert.tags.filter((tag) => tag.toLowerCase().startsWith('attack.'));
  const other = alert.tags.filter((tag) => !tag.toLowerCase().startsWith('attack.'));
  return (
    <Paper withBorder p="sm">
      <Stack gap={6}>
        <Title order={2} size="h5">
          Why it fired
        </Title>
        <Table variant="vertical" withRowBorders={false} layout="fixed">
          <Table.Tbody>
            <Table.Tr>
              <Table.Th w={110}>Rule</Table.Th>
              <Table.Td>{explanation.rule.title}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Rule id</Table.Th>
              <Table.Td>
                <Code>{explanation.rule.id}</Code>
              </Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Author</Table.Th>
              <Table.Td data-testid="rule-author">{explanation.rule.author ?? 'Not stated by the rule'}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Level</Table.Th>
              <Table.Td>
                <Group gap={6}>
                  <SeverityBadge severity={alert.severity} />
                  <Text size="xs" c="dimmed">
                    risk {alert.riskScore}
                  </Text>
                </Group>
              </Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>ATT&CK</Table.Th>
              <Table.Td>
                <Group gap={4}>
                  {attack.length === 0 ? '—' : attack.map((tag) => <Badge key={tag} variant="outline" size="sm" styles={{ label: { textTransform: 'none' } }}>{attackLabel(tag)}</Badge>)}
                  {other.map((tag) => (
                    <Badge key={tag} variant="default" size="sm" styles={{ label: { textTransform: 'none' } }}>
                      {tag}
                    </Badge>
                  ))}
                </Group>
              </Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Selections</Table.Th>
              <Table.Td>{explanation.selections.length > 0 ? explanation.selections.map((name) => <Code key={name} mr={4}>{name}</Code>) : '—'}</Table.Td>
            </Table.Tr>
          </Table.Tbody>
        </Table>
        <Text size="xs" c="dimmed">
          Detection rules are shared under the Detection Rule License (DRL) 1.1; the rule author is credited above.
        </Text>
        <Table withTableBorder striped>
          <caption style={{ captionSide: 'top', textAlign: 'left' }}>Matched field values</caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Field</Table.Th>
              <Table.Th>Value</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {explanation.matches.length === 0 ? (
              <Table.Tr>
                <Table.Td colSpan={2}>No field values recorded (a keyword or correlation rule).</Table.Td>
              </Table.Tr>
            ) : (
              explanation.matches.map((match, index) => (
                <Table.Tr key={`${match.field}-${index}`}>
                  <Table.Td ff="monospace">{match.field}</Table.Td>
                  <Table.Td ff="monospace">{match.value}</Table.Td>
                </Table.Tr>
              ))
            )}
          </Table.Tbody>
        </Table>
        {explanation.correlation ? (
          <>
            <Text size="sm" fw={500}>
              Correlation
            </Text>
            <Code block>{JSON.stringify(explanation.correlation, null, 2)}</Code>
          </>
        ) : null}
      </Stack>
    </Paper>
  );
}
