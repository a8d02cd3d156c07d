import { Alert, Badge, Button, Group, NativeSelect, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useAuth } from '../../app/auth';
import { ErrorState } from '../../components/States';
import { UserPicker } from '../../components/UserPicker';
import { formatTime, words } from './format';
import { SlaClocks, useNow } from './SlaClock';
import { StatusControl } from './StatusControl';
import { SEVERITIES, SEVERITY_COLORS, VERDICT_LABELS, type IncidentDetail, type Severity } from './types';
import type { IncidentWriter } from './useIncidentWrite';

/** Props of {@link IncidentHeader}. */
export interface IncidentHeaderProps {
  readonly incident: IncidentDetail;
  readonly writer: IncidentWriter;
  readonly canEdit: boolean;
}

/**
 * Title, severity, status (with the verdict on close), assignee and the SLA clocks. Fields are
 * editable for analysts and above; each edit is sent with the revision on screen, and a 412 says
 * the incident was reloaded because someone else changed it.
 */
export function IncidentHeader({ incident, writer, canEdit }: IncidentHeaderProps) {
  const now = useNow(1000);
  // A draft belongs to the value it was typed over: when the server's value changes (a save or a
  // reload after someone else's change), the new value shows instead of the stale draft.
  const [titleDraft, setTitleDraft] = useState({ base: incident.title, text: incident.title });
  const saved = incident.assignee ?? null;
  const [assigneeDraft, setAssigneeDraft] = useState<{ base: string | null; value: string | null }>({ base: saved, value: saved });
  const title = titleDraft.base === incident.title ? titleDraft.text : incident.title;
  const assignee = assigneeDraft.base === saved ? assigneeDraft.value : saved;
  const setTitle = (text: string) => setTitleDraft({ base: incident.title, text });
  const setAssignee = (value: string | null) => setAssigneeDraft({ base: saved, value });
  const auth = useAuth();
  const me = auth.me?.user?.id ?? auth.me?.principal;
  const disabled = !canEdit || writer.pending;

  const patch = (body: Record<string, unknown>) => writer.write({ path: '', method: 'PATCH', body });

  return (
    <Stack gap="xs">
      <Group justify="space-between" align="flex-start">
        <Stack gap={2}>
          <Title order={1} size="h3">
            {incident.title}
          </Title>
          <Group gap="xs">
            <Badge color={SEVERITY_COLORS[incident.severity]} variant="light">
              {incident.severity}
            </Badge>
            <Text size="sm">{words(incident.status)}</Text>
            {incident.verdict ? <Badge variant="outline">{VERDICT_LABELS[incident.verdict]}</Badge> : null}
            {incident.mergedInto ? <Text size="sm" c="dimmed">merged into {incident.mergedInto}</Text> : null}
            <Text size="xs" c="dimmed">
              {incident.id} · opened {formatTime(incident.createdAt)} · updated {formatTime(incident.updatedAt)}
            </Text>
          </Group>
        </Stack>
        <SlaClocks sla={incident.sla} now={now} />
      </Group>
      {writer.conflict ? (
        <Alert color="yellow" title="The incident changed" role="alert" withCloseButton closeButtonLabel="Dismiss" onClose={writer.dismiss}>
          Someone else changed this incident since you opened it, so your change was not saved. It has been reloaded: check the new values and make your change again.
        </Alert>
      ) : null}
      {writer.error ? <ErrorState error={writer.error} title="The change was refused" /> : null}
      {canEdit ? (
        <Group gap="xs" align="flex-end">
          <form
            onSubmit={(event) => {
              event.preventDefault();
              if (title.trim() && title !== incident.title) void patch({ title: title.trim() });
            }}
          >
            <Group gap={4} align="flex-end">
              <TextInput label="Title" size="xs" w={320} value={title} onChange={(e) => setTitle(e.currentTarget.value)} disabled={disabled} maxLength={512} />
              <Button type="submit" variant="default" disabled={disabled || !title.trim() || title === incident.title}>
                Save title
              </Button>
            </Group>
          </form>
          <NativeSelect
            label="Severity"
            size="xs"
            w={130}
            data={[...SEVERITIES]}
            value={incident.severity}
            onChange={(event) => {
              const value = event.currentTarget.value as Severity;
              if (value !== incident.severity) void patch({ severity: value });
            }}
            disabled={disabled}
          />
          <StatusControl
            status={incident.status}
            verdict={incident.verdict}
            disabled={disabled}
            onChange={(status, verdict) => writer.write({ path: '/status', body: { status, ...(verdict ? { verdict } : {}) } })}
          />
          <form
            onSubmit={(event) => {
              event.preventDefault();
              if (assignee !== saved) void patch({ assignee });
            }}
          >
            <Group gap={4} align="flex-end">
              <UserPicker value={assignee} onChange={setAssignee} me={me} w={220} disabled={disabled} />
              <Button type="submit" variant="default" disabled={disabled || assignee === saved}>
                {assignee === null && saved !== null ? 'Unassign' : 'Assign'}
              </Button>
              {me && saved !== me ? (
                <Button variant="subtle" disabled={disabled} onClick={() => void patch({ assignee: me })}>
                  Assign to me
                </Button>
              ) : null}
            </Group>
          </form>
        </Group>
      ) : (
        <Text size="sm" c="dimmed">
          Assignee: {incident.assignee ?? 'nobody'} · Read only: changing an incident needs the analyst role.
        </Text>
      )}
    </Stack>
  );
}
