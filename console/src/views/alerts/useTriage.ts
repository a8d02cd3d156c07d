import { useMutation } from '@tanstack/react-query';
import { bulkAssign, bulkLink, bulkStatus, changedAlerts, createIncidentWith, createSuppressions } from './api';
import type { TriageRequest } from './TriageDialogs';
import type { AlertStatus, AlertView, BulkResponse } from './types';

/** A triage action on alerts: a dialog's request, or a plain status change. */
export type TriageAction = TriageRequest | { readonly kind: 'status'; readonly status: Exclude<AlertStatus, 'closed'> };

/** What an action did, in one sentence for the analyst. */
function summary(action: TriageAction, response: BulkResponse | undefined, extra = ''): string {
  if (!response) return extra;
  const failed = response.results.filter((result) => result.outcome === 'failed' || result.outcome === 'not_found');
  const first = failed[0];
  const failures = first ? `; ${failed.length} failed (${first.id}: ${first.message ?? first.outcome})` : '';
  return `${action.kind === 'new-incident' ? 'Linked' : 'Changed'} ${response.changed} of ${response.results.length}${extra}${failures}.`;
}

async function perform(action: TriageAction, ids: readonly string[]): Promise<{ changed: AlertView[]; message: string }> {
  switch (action.kind) {
    case 'status': {
      const response = await bulkStatus(ids, action.status);
      return { changed: changedAlerts(response), message: summary(action, response) };
    }
    case 'close': {
      const response = await bulkStatus(ids, 'closed', action.verdict);
      return { changed: changedAlerts(response), message: summary(action, response) };
    }
    case 'assign': {
      const response = await bulkAssign(ids, action.assignee);
      return { changed: changedAlerts(response), message: summary(action, response) };
    }
    case 'link': {
      const response = await bulkLink(ids, action.incidentId);
      return { changed: changedAlerts(response), message: summary(action, response, ` (incident ${action.incidentId})`) };
    }
    case 'new-incident': {
      const { incidentId, result } = await createIncidentWith(ids, action.title);
      return { changed: result ? changedAlerts(result) : [], message: `Opened incident ${incidentId} with ${ids.length} alert(s).` };
    }
    case 'suppress': {
      const created = await createSuppressions(action.drafts, action.expiresAt, action.reason);
      return { changed: [], message: `Created ${created} suppression(s) until ${action.expiresAt}.` };
    }
  }
}

/**
 * Runs triage actions on a set of alerts; `onChanged` gets the alerts the API changed (to patch
 * lists in place) and the result message stays until the next action.
 */
export function useTriage(onChanged: (alerts: AlertView[], action: TriageAction) => void) {
  const mutation = useMutation({
    mutationFn: ({ action, ids }: { action: TriageAction; ids: readonly string[] }) => perform(action, ids),
    onSuccess: (result, { action }) => onChanged(result.changed, action),
  });
  return {
    run: (action: TriageAction, ids: readonly string[]): Promise<unknown> => mutation.mutateAsync({ action, ids }).catch(() => undefined),
    busy: mutation.isPending,
    message: mutation.data?.message,
    error: mutation.error,
    reset: mutation.reset,
  };
}
