import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError, type ApiOptions } from '../../api/client';
import type { Incident } from './types';

/** One write to an incident: a path below /api/v1/incidents/:id, its method, body and query. */
export interface IncidentWrite {
  readonly path: string;
  readonly method?: 'POST' | 'PATCH' | 'DELETE';
  readonly body?: unknown;
  readonly query?: ApiOptions['query'];
}

/** The query keys of the incident views. */
export const incidentKeys = {
  all: ['incidents'] as const,
  list: (params: Record<string, unknown>) => ['incidents', 'list', params] as const,
  detail: (id: string) => ['incidents', 'detail', id] as const,
  timeline: (id: string, order: string) => ['incidents', 'timeline', id, order] as const,
};

/**
 * Writes to one incident with `If-Match` set to the revision on screen, so a change made by
 * someone else in between is refused (412) instead of overwritten. On a 412 the incident is
 * reloaded and `conflict` is set so the view can say so; every other failure is in `error`.
 */
export function useIncidentWrite(incident: Pick<Incident, 'id' | 'rev'>) {
  const client = useQueryClient();
  const [conflict, setConflict] = useState(false);
  const mutation = useMutation({
    mutationFn: (write: IncidentWrite) =>
      api<unknown>(`/api/v1/incidents/${encodeURIComponent(incident.id)}${write.path}`, {
        method: write.method ?? 'POST',
        ...(write.body !== undefined ? { body: write.body } : {}),
        ...(write.query !== undefined ? { query: write.query } : {}),
        headers: { 'if-match': `"${incident.rev}"` },
      }),
    onSuccess: async () => {
      setConflict(false);
      await client.invalidateQueries({ queryKey: incidentKeys.all });
    },
    onError: async (error) => {
      if (error instanceof ApiError && error.status === 412) {
        setConflict(true);
        await client.invalidateQueries({ queryKey: incidentKeys.all });
      }
    },
  });
  const error = mutation.error && !(mutation.error instanceof ApiError && mutation.error.status === 412) ? mutation.error : null;
  return {
    write: (write: IncidentWrite) => mutation.mutateAsync(write).then(() => true, () => false),
    pending: mutation.isPending,
    conflict,
    error,
    dismiss: () => {
      setConflict(false);
      mutation.reset();
    },
  };
}

export type IncidentWriter = ReturnType<typeof useIncidentWrite>;
