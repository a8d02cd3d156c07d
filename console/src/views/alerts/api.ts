import { api, type ApiOptions } from '../../api/client';
import type { AlertDetail, AlertEvents, AlertPage, AlertStatus, AlertView, BulkResponse, PlaybookView, RunView, Verdict } from './types';
import { MAX_BULK_ALERTS } from './types';

/** Lists one page of alerts (the query as built by filters.ts, plus the cursor). */
export function listAlerts(query: ApiOptions['query'], cursor?: string, signal?: AbortSignal): Promise<AlertPage> {
  return api<AlertPage>('/api/v1/alerts', { query: { ...query, ...(cursor ? { cursor } : {}) }, ...(signal ? { signal } : {}) });
}

export function getAlert(id: string): Promise<AlertDetail> {
  return api<AlertDetail>(`/api/v1/alerts/${encodeURIComponent(id)}`);
}

export function getAlertEvents(id: string, limit = 20): Promise<AlertEvents> {
  return api<AlertEvents>(`/api/v1/alerts/${encodeURIComponent(id)}/events`, { query: { limit } });
}

/**
 * Runs a bulk request over any number of alerts, MAX_BULK_ALERTS at a time (the API's bound),
 * one chunk after the other, and sums the answers.
 */
async function inChunks(ids: readonly string[], send: (chunk: string[]) => Promise<BulkResponse>): Promise<BulkResponse> {
  const results: BulkResponse['results'][number][] = [];
  let changed = 0;
  let failed = 0;
  for (let start = 0; start < ids.length; start += MAX_BULK_ALERTS) {
    const answer = await send(ids.slice(start, start + MAX_BULK_ALERTS));
    results.push(...answer.results);
    changed += answer.changed;
    failed += answer.failed;
  }
  return { results, changed, failed };
}

export function bulkStatus(ids: readonly string[], status: AlertStatus, verdict?: Verdict): Promise<BulkResponse> {
  return inChunks(ids, (chunk) => api<BulkResponse>('/api/v1/alerts/bulk/status', { method: 'POST', body: { ids: chunk, status, ...(verdict ? { verdict } : {}) } }));
}

export function bulkAssign(ids: readonly string[], assignee: string | null): Promise<BulkResponse> {
  return inChunks(ids, (chunk) => api<BulkResponse>('/api/v1/alerts/bulk/assign', { method: 'POST', body: { ids: chunk, assignee } }));
}

export function bulkLink(ids: readonly string[], incidentId: string): Promise<BulkResponse> {
  return inChunks(ids, (chunk) => api<BulkResponse>('/api/v1/alerts/bulk/link', { method: 'POST', body: { ids: chunk, incidentId } }));
}

/** Opens an incident with the alerts (the first MAX_BULK_ALERTS in the request, the rest linked after). */
export async function createIncidentWith(ids: readonly string[], title: string): Promise<{ incidentId: string; result?: BulkResponse }> {
  const created = await api<{ incident: { id: string } }>('/api/v1/incidents', {
    method: 'POST',
    body: { title, alertIds: ids.slice(0, MAX_BULK_ALERTS) },
  });
  const incidentId = created.incident.id;
  const rest = ids.slice(MAX_BULK_ALERTS);
  return rest.length > 0 ? { incidentId, result: await bulkLink(rest, incidentId) } : { incidentId };
}

/** One suppression to create: entity fields (all must match), optionally only for one rule. */
export interface SuppressionDraft {
  readonly fields: Readonly<Record<string, string>>;
  readonly rule?: string;
}

/** Creates the suppressions one by one; answers how many were created, and the first error. */
export async function createSuppressions(drafts: readonly SuppressionDraft[], expiresAt: string, reason: string): Promise<number> {
  let created = 0;
  for (const draft of drafts) {
    await api('/api/v1/suppressions', { method: 'POST', body: { fields: draft.fields, ...(draft.rule ? { rule: draft.rule } : {}), expiresAt, reason } });
    created++;
  }
  return created;
}

export function listPlaybooks(): Promise<{ items: PlaybookView[] }> {
  return api<{ items: PlaybookView[] }>('/api/v1/playbooks');
}

export function runPlaybook(playbookId: string, alertId: string): Promise<RunView> {
  return api<RunView>(`/api/v1/playbooks/${encodeURIComponent(playbookId)}/run`, { method: 'POST', body: { alertId } });
}

/** The alerts of a bulk answer that changed, for patching the loaded list in place. */
export function changedAlerts(response: BulkResponse): AlertView[] {
  return response.results.flatMap((result) => (result.alert ? [result.alert] : []));
}
