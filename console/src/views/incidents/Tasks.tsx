import { ActionIcon, Button, Checkbox, Group, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { EmptyState } from '../../components/States';
import type { Incident } from './types';
import type { IncidentWriter } from './useIncidentWrite';

/** Props of {@link Tasks}. */
export interface TasksProps {
  readonly incident: Incident;
  readonly writer: IncidentWriter;
  readonly canEdit: boolean;
}

/** The incident's checklist: add a task, check it off, remove it. */
export function Tasks({ incident, writer, canEdit }: TasksProps) {
  const [title, setTitle] = useState('');
  const done = incident.tasks.filter((task) => task.done).length;
  return (
    <Stack gap="xs">
      <Title order={3} size="h5">
        Tasks ({done}/{incident.tasks.length} done)
      </Title>
      {incident.tasks.length === 0 ? (
        <EmptyState title="No tasks" />
      ) : (
        <Stack gap={4} component="ul" style={{ listStyle: 'none', padding: 0, margin: 0 }} aria-label="Tasks">
          {incident.tasks.map((task) => (
            <Group key={task.id} component="li" gap="xs" wrap="nowrap">
              <Checkbox
                label={task.title}
                checked={task.done}
                disabled={!canEdit || writer.pending}
                onChange={(e) => void writer.write({ path: `/tasks/${encodeURIComponent(task.id)}`, method: 'PATCH', body: { done: e.currentTarget.checked } })}
                styles={{ label: task.done ? { textDecoration: 'line-through' } : {} }}
              />
              {task.assignee ? <Text size="xs" c="dimmed">{task.assignee}</Text> : null}
              {canEdit ? (
                <ActionIcon
                  variant="subtle"
                  color="red"
                  size="sm"
                  aria-label={`Remove task ${task.title}`}
                  disabled={writer.pending}
                  onClick={() => void writer.write({ path: `/tasks/${encodeURIComponent(task.id)}`, method: 'DELETE' })}
                >
                  ×
                </ActionIcon>
              ) : null}
            </Group>
          ))}
        </Stack>
      )}
      {canEdit ? (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (title.trim()) void writer.write({ path: '/tasks', body: { title: title.trim() } }).then((ok) => ok && setTitle(''));
          }}
        >
          <Group gap={4} align="flex-end">
            <TextInput label="New task" size="xs" w={320} maxLength={500} value={title} onChange={(e) => setTitle(e.currentTarget.value)} />
            <Button type="submit" variant="default" disabled={!title.trim() || writer.pending}>
              Add task
            </Button>
          </Group>
        </form>
      ) : null}
    </Stack>
  );
}
