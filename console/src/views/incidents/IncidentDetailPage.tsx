import { Anchor, Divider, Stack, Tabs } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams, useSearchParams } from 'react-router';
import { api } from '../../api/client';
import { QueryView } from '../../components/States';
import { CommentBox } from './CommentBox';
import { IncidentHeader } from './IncidentHeader';
import { LinkedAlerts } from './LinkedAlerts';
import { MergeForm } from './MergeForm';
import { Observables } from './Observables';
import { useCanEditIncidents } from './permissions';
import { Tasks } from './Tasks';
import { Timeline } from './Timeline';
import type { IncidentDetail } from './types';
import { incidentKeys, useIncidentWrite } from './useIncidentWrite';

const TABS = ['timeline', 'alerts', 'observables', 'tasks'] as const;

/** The incident once loaded: header, then the sections in tabs (the open tab is in the URL). */
function IncidentBody({ incident }: { readonly incident: IncidentDetail }) {
  const writer = useIncidentWrite(incident);
  const canEdit = useCanEditIncidents();
  const [params, setParams] = useSearchParams();
  const tab = (TABS as readonly string[]).includes(params.get('tab') ?? '') ? (params.get('tab') as string) : 'timeline';
  const openTab = (value: string | null) =>
    setParams(
      (previous) => {
        const next = new URLSearchParams(previous);
        next.set('tab', value ?? 'timeline');
        return next;
      },
      { replace: true },
    );
  return (
    <Stack gap="sm">
      <Anchor component={Link} to="/incidents" size="sm">
        ← Incidents
      </Anchor>
      <IncidentHeader incident={incident} writer={writer} canEdit={canEdit} />
      <Tabs value={tab} onChange={openTab} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="timeline">Timeline</Tabs.Tab>
          <Tabs.Tab value="alerts">Alerts ({incident.alertsTotal})</Tabs.Tab>
          <Tabs.Tab value="observables">Observables ({incident.observables.length})</Tabs.Tab>
          <Tabs.Tab value="tasks">
            Tasks ({incident.tasks.filter((t) => t.done).length}/{incident.tasks.length})
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="timeline" pt="xs">
          <Stack gap="sm">
            {canEdit ? <CommentBox writer={writer} /> : null}
            <Timeline incidentId={incident.id} />
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="alerts" pt="xs">
          <Stack gap="sm">
            <LinkedAlerts incident={incident} writer={writer} canEdit={canEdit} />
            {canEdit ? (
              <>
                <Divider />
                <MergeForm incidentId={incident.id} writer={writer} />
              </>
            ) : null}
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="observables" pt="xs">
          <Observables incident={incident} writer={writer} canEdit={canEdit} />
        </Tabs.Panel>
        <Tabs.Panel value="tasks" pt="xs">
          <Tasks incident={incident} writer={writer} canEdit={canEdit} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

/** /incidents/:id: one incident with its SLA clocks, timeline, alerts, observables, tasks and comments. */
export function IncidentDetailPage() {
  const id = useParams().id ?? '';
  const query = useQuery({
    queryKey: incidentKeys.detail(id),
    queryFn: ({ signal }) => api<IncidentDetail>(`/api/v1/incidents/${encodeURIComponent(id)}`, { signal }),
  });
  return (
    <QueryView query={query} loadingLabel="Loading the incident…">
      {(incident) => <IncidentBody incident={incident} />}
    </QueryView>
  );
}
