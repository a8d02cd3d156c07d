import { Anchor, Badge, Button, Group, NativeSelect, Paper, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { ErrorState } from '../../../components/States';
import { listPlaybooks, runPlaybook } from '../api';
import { TriageDialogs, type TriageDialog } from '../TriageDialogs';
import type { AlertView, PlaybookView } from '../types';
import { useTriage } from '../useTriage';

/** True for a playbook an analyst may start for an alert (enabled, triggered on alerts). */
export function runsOnAlerts(playbook: PlaybookView): boolean {
  const trigger = playbook.trigger as { on?: unknown } | null;
  return playbook.enabled && trigger !== null && typeof trigger === 'object' && trigger.on === 'alert';
}

/** Start a playbook for the alert (responders), and show the run it queued. */
function RunPlaybook({ alertId }: { readonly alertId: string }) {
  const playbooks = useQuery({ queryKey: ['playbooks'], queryFn: listPlaybooks });
  const [chosen, setChosen] = useState<string | null>(null);
  const run = useMutation({ mutationFn: (playbookId: string) => runPlaybook(playbookId, alertId) });
  const options = (playbooks.data?.items ?? []).filter(runsOnAlerts).map((playbook) => ({ value: playbook.id, label: `${playbook.title}${playbook.dryRun ? ' (dry run)' : ''}` }));
  if (playbooks.isError) return <ErrorState error={playbooks.error} title="Could not load the playbooks" />;
  return (
    <Stack gap={4}>
      <Group gap="xs" align="flex-end">
        <NativeSelect
          size="xs"
          w={240}
          label="Playbook"
          data={[{ value: '', label: playbooks.isPending ? 'Loading…' : options.length === 0 ? 'No playbook runs on alerts' : 'Choose a playbook' }, ...options]}
          value={chosen ?? ''}
          onChange={(event) => setChosen(event.currentTarget.value || null)}
          disabled={options.length === 0}
        />
        <Button disabled={!chosen} loading={run.isPending} onClick={() => chosen && run.mutate(chosen)}>
          Run playbook
        </Button>
      </Group>
      {run.data ? (
        <Text size="sm" role="status">
          Run{' '}
          <Anchor component={Link} to={`/response?run=${encodeURIComponent(run.data.id)}`}>
            {run.data.id}
          </Anchor>{' '}
          <Badge component="span" size="sm" variant="light">
            {run.data.status}
          </Badge>
        </Text>
      ) : null}
      {run.error ? <ErrorState error={run.error} title="The playbook did not start" /> : null}
    </Stack>
  );
}

/** What may be done with the alert, by role: analysts triage, responders also run playbooks, viewers read. */
export function AlertActions(props: {
  readonly alert: AlertView;
  readonly canTriage: boolean;
  readonly canRespond: boolean;
  readonly me: string | undefined;
  onChanged: () => void;
}) {
  const { alert } = props;
  const [dialog, setDialog] = useState<TriageDialog>();
  const triage = useTriage(() => {
    setDialog(undefined);
    props.onChanged();
  });
  const ids = [alert.id];
  return (
    <Paper withBorder p="sm">
      <Stack gap={6}>
        <Title order={2} size="h5">
          Actions
        </Title>
        {props.canTriage ? (
          <Group gap={6} role="toolbar" aria-label="Triage this alert">
            <Button variant="light" disabled={alert.status === 'acknowledged'} loading={triage.busy} onClick={() => void triage.run({ kind: 'status', status: 'acknowledged' }, ids)}>
              Acknowledge
            </Button>
            <Button variant="light" disabled={alert.status === 'in_progress'} loading={triage.busy} onClick={() => void triage.run({ kind: 'status', status: 'in_progress' }, ids)}>
              In progress
            </Button>
            <Button variant="light" onClick={() => setDialog('close')}>
              Close…
            </Button>
            <Button variant="light" onClick={() => setDialog('assign')}>
              Assign…
            </Button>
            <Button variant="light" onClick={() => setDialog('link')}>
              Link to incident…
            </Button>
            <Button variant="light" color="orange" onClick={() => setDialog('suppress')}>
              Suppress…
            </Button>
          </Group>
        ) : (
          <Text size="sm" c="dimmed">
            You can read this alert; triage needs the analyst role.
          </Text>
        )}
        {triage.message ? (
          <Text size="sm" c="dimmed" role="status">
            {triage.message}
          </Text>
        ) : null}
        {triage.error ? <ErrorState error={triage.error} title="The action failed" /> : null}
        {props.canRespond ? <RunPlaybook alertId={alert.id} /> : null}
      </Stack>
      <TriageDialogs
        dialog={dialog}
        alerts={[alert]}
        busy={triage.busy}
        me={props.me}
        onSubmit={(request) => void triage.run(request, ids)}
        onClose={() => setDialog(undefined)}
      />
    </Paper>
  );
}
