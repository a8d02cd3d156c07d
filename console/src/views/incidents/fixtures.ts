import type { IncidentDetail, TimelineEntry } from './types';

/** An incident as GET /api/v1/incidents/:id answers it (shaped by IncidentDetail in the API's schemas). */
export function incidentFixture(overrides: Partial<IncidentDetail> = {}): IncidentDetail {
  return {
    id: 'inc-1',
    rev: '3',
    title: 'SSH brute force from 203.0.113.7',
    status: 'investigating',
    severity: 'high',
    assignee: 'alice',
    tags: [],
    entity: { field: 'source.ip', value: '203.0.113.7' },
    alertIds: ['al-1'],
    observables: [{ type: 'ip', value: '203.0.113.7' }],
    tasks: [{ id: 't1', title: 'Check the firewall', done: false }],
    createdAt: '2026-03-01T10:00:00.000Z',
    updatedAt: '2026-03-01T10:05:00.000Z',
    acknowledgedAt: '2026-03-01T10:02:00.000Z',
    sla: {
      acknowledge: { targetMs: 900_000, dueAt: '2026-03-01T10:15:00.000Z', elapsedMs: 120_000, state: 'met', stoppedAt: '2026-03-01T10:02:00.000Z' },
      resolve: { targetMs: 86_400_000, dueAt: '2999-03-02T10:00:00.000Z', elapsedMs: 300_000, state: 'ok' },
      breached: false,
      warning: false,
    },
    alerts: [
      {
        id: 'al-1',
        ruleId: 'ssh-brute-force',
        ruleTitle: 'SSH brute force',
        severity: 'high',
        riskScore: 73,
        status: 'open',
        count: 12,
        firstSeen: '2026-03-01T09:58:00.000Z',
        lastSeen: '2026-03-01T10:04:00.000Z',
        entities: { 'source.ip': '203.0.113.7' },
      },
    ],
    alertsTotal: 1,
    ...overrides,
  };
}

export function timelineEntry(overrides: Partial<TimelineEntry>): TimelineEntry {
  return { id: 'tl-1', incidentId: 'inc-1', at: '2026-03-01T10:00:00.000Z', actor: 'system', kind: 'created', ...overrides };
}

/** A JSON answer as fetch resolves it. */
export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}
