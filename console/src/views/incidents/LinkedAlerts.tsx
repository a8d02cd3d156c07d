import { Anchor, Badge, Button, Checkbox, Group, Stack, Table, Text, TextInput, Title, VisuallyHidden } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { EmptyState } from '../../components/States';
import { formatTime } from './format';
import { SEVERITY_COLORS, type IncidentDetail } from './types';
import type { IncidentWriter } from './useIncidentWrite';

/** Alert ids typed as a list: separated by commas, spaces or lines. */
export function idsOf(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}

/** Props of {@link LinkedAlerts}. */
export interface LinkedAlertsProps {
  readonly incident: IncidentDetail;
  readonly writer: IncidentWriter;
  readonly canEdit: boolean;
}

/**
 * The alerts linked to the incident (newest activity first), with link by id, and unlink or
 * split off the selected ones into a new incident.
 */
export function LinkedAlerts({ incident, writer, canEdit }: LinkedAlertsProps) {
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [toLink, setToLink] = useState('');
  const [splitTitle, setSplitTitle] = useState('');
  const chosen = [...selected];
  const toggle = (id: string) =>
    setSelected((previous) => {
      const next = new Set(previous);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const after = (ok: boolean) => {
    if (ok) setSelected(new Set());
  };

  return (
    <Stack gap="xs">
      <Title order={3} size="h5">
        Linked alerts ({incident.alertsTotal})
      </Title>
      {incident.alerts.length === 0 ? (
        <EmptyState title="No linked alerts">Link alerts by id below, or from the alert queue.</EmptyState>
      ) : (
        <Table>
          <Table.Caption>
            Alerts linked to this incident
            {incident.alertsTotal > incident.alerts.length ? `: the ${incident.alerts.length} most recent of ${incident.alertsTotal}` : ''}
          </Table.Caption>
          <Table.Thead>
            <Table.Tr>
              {canEdit ? <Table.Th w={32}><VisuallyHidden>Select</VisuallyHidden></Table.Th> : null}
              <Table.Th>Rule</Table.Th>
              <Table.Th>Severity</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th ta="right">Count</Table.Th>
              <Table.Th>Entities</Table.Th>
              <Table.Th>Last seen</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {incident.alerts.map((alert) => (
              <Table.Tr key={alert.id}>
                {canEdit ? (
                  <Table.Td>
                    <Checkbox aria-label={`Select alert ${alert.ruleTitle} (${alert.id})`} checked={selected.has(alert.id)} onChange={() => toggle(alert.id)} />
                  </Table.Td>
                ) : null}
                <Table.Td>
                  <Anchor component={Link} to={`/alerts/${encodeURIComponent(alert.id)}`} size="sm">
                    {alert.ruleTitle}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <Badge size="sm" variant="light" color={SEVERITY_COLORS[alert.severity]}>
                    {alert.severity}
                  </Badge>
                </Table.Td>
                <Table.Td>{alert.status}</Table.Td>
                <Table.Td ta="right">{alert.count}</Table.Td>
                <Table.Td ff="monospace" fz="xs">
                  {Object.entries(alert.entities)
                    .map(([field, value]) => `${field}=${value}`)
                    .join(' ')}
                </Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatTime(alert.lastSeen)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {canEdit ? (
        <Group gap="xs" align="flex-end">
          <Button variant="default" disabled={chosen.length === 0 || writer.pending} onClick={() => void writer.write({ path: '/alerts/unlink', body: { alertIds: chosen } }).then(after)}>
            Unlink selected ({chosen.length})
          </Button>
          <TextInput label="Title of the new incident" placeholder={`${incident.title} (split)`} size="xs" w={240} value={splitTitle} onChange={(e) => setSplitTitle(e.currentTarget.value)} />
          <Button
            variant="default"
            disabled={chosen.length === 0 || writer.pending}
            onClick={() => void writer.write({ path: '/split', body: { alertIds: chosen, ...(splitTitle.trim() ? { title: splitTitle.trim() } : {}) } }).then(after)}
          >
            Split selected into a new incident
          </Button>
          <form
            onSubmit={(event) => {
              event.preventDefault();
              const ids = idsOf(toLink);
              if (ids.length > 0) void writer.write({ path: '/alerts/link', body: { alertIds: ids } }).then((ok) => ok && setToLink(''));
            }}
          >
            <Group gap={4} align="flex-end">
              <TextInput label="Link alerts" placeholder="alert ids, comma separated" size="xs" w={260} value={toLink} onChange={(e) => setToLink(e.currentTarget.value)} />
              <Button type="submit" variant="default" disabled={idsOf(toLink).length === 0 || writer.pending}>
                Link
              </Button>
            </Group>
          </form>
        </Group>
      ) : null}
      {canEdit ? (
        <Text size="xs" c="dimmed">
          Linking an alert that belongs to another incident moves it here.
        </Text>
      ) : null}
    </Stack>
  );
}
