import { ActionIcon, Button, Group, Select, Stack, Table, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { EmptyState } from '../../components/States';
import { OBSERVABLE_TYPES, type Incident, type ObservableType } from './types';
import type { IncidentWriter } from './useIncidentWrite';

/** Props of {@link Observables}. */
export interface ObservablesProps {
  readonly incident: Incident;
  readonly writer: IncidentWriter;
  readonly canEdit: boolean;
}

/** The incident's observables (IPs, users, hosts, hashes, domains, URLs): add and remove. */
export function Observables({ incident, writer, canEdit }: ObservablesProps) {
  const [type, setType] = useState<ObservableType>('ip');
  const [value, setValue] = useState('');
  const [note, setNote] = useState('');
  return (
    <Stack gap="xs">
      <Title order={3} size="h5">
        Observables ({incident.observables.length})
      </Title>
      {incident.observables.length === 0 ? (
        <EmptyState title="No observables" />
      ) : (
        <Table>
          <Table.Caption>Observables of this incident</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={90}>Type</Table.Th>
              <Table.Th>Value</Table.Th>
              <Table.Th>Note</Table.Th>
              {canEdit ? <Table.Th w={40}>Remove</Table.Th> : null}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {incident.observables.map((o) => (
              <Table.Tr key={`${o.type}:${o.value}`}>
                <Table.Td>{o.type}</Table.Td>
                <Table.Td ff="monospace" style={{ wordBreak: 'break-all' }}>
                  {o.value}
                </Table.Td>
                <Table.Td>{o.note ?? ''}</Table.Td>
                {canEdit ? (
                  <Table.Td>
                    <ActionIcon
                      variant="subtle"
                      color="red"
                      aria-label={`Remove observable ${o.type} ${o.value}`}
                      disabled={writer.pending}
                      onClick={() => void writer.write({ path: '/observables', method: 'DELETE', query: { type: o.type, value: o.value } })}
                    >
                      ×
                    </ActionIcon>
                  </Table.Td>
                ) : null}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {canEdit ? (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (!value.trim()) return;
            void writer
              .write({ path: '/observables', body: { type, value: value.trim(), ...(note.trim() ? { note: note.trim() } : {}) } })
              .then((ok) => {
                if (ok) {
                  setValue('');
                  setNote('');
                }
              });
          }}
        >
          <Group gap={4} align="flex-end">
            <Select label="Type" size="xs" w={100} data={[...OBSERVABLE_TYPES]} value={type} onChange={(v) => v && setType(v)} allowDeselect={false} />
            <TextInput label="Value" size="xs" w={240} value={value} onChange={(e) => setValue(e.currentTarget.value)} />
            <TextInput label="Note" size="xs" w={200} value={note} onChange={(e) => setNote(e.currentTarget.value)} />
            <Button type="submit" variant="default" disabled={!value.trim() || writer.pending}>
              Add observable
            </Button>
          </Group>
        </form>
      ) : null}
    </Stack>
  );
}
