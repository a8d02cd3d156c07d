import { Button, Group, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { idsOf } from './LinkedAlerts';
import type { IncidentWriter } from './useIncidentWrite';

/** Merge other incidents into this one: their alerts, observables, tags and tasks move here and each is closed as merged. */
export function MergeForm({ incidentId, writer }: { readonly incidentId: string; readonly writer: IncidentWriter }) {
  const [text, setText] = useState('');
  const ids = idsOf(text).filter((id) => id !== incidentId);
  return (
    <Stack gap={4}>
      <Title order={3} size="h5">
        Merge
      </Title>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (ids.length > 0) void writer.write({ path: '/merge', body: { incidentIds: ids } }).then((ok) => ok && setText(''));
        }}
      >
        <Group gap={4} align="flex-end">
          <TextInput label="Incidents to merge into this one" placeholder="incident ids, comma separated" size="xs" w={320} value={text} onChange={(e) => setText(e.currentTarget.value)} />
          <Button type="submit" variant="default" disabled={ids.length === 0 || writer.pending}>
            Merge
          </Button>
        </Group>
      </form>
      <Text size="xs" c="dimmed">
        Each merged incident is closed with a pointer to this one.
      </Text>
    </Stack>
  );
}
