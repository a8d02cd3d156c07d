import { api } from '../../api/client';

export type Severity = 'informational' | 'low' | 'medium' | 'high' | 'critical';

/** GET /api/v1/alerts/stats (api/routes/alerts/stats.ts; restated here: the console's tsconfig has no Node types). */
export interface AlertStatsResponse {
  readonly from: string;
  readonly to: string;
  readonly bucket: string;
  readonly buckets: readonly { readonly start: string; readonly counts: Readonly<Record<Severity, number>> }[];
  readonly total: number;
  readonly scanned: number;
  readonly truncated: boolean;
  readonly topRules: readonly { readonly ruleId: string; readonly ruleTitle: string; readonly alerts: number; readonly matches: number; readonly severity: Severity }[];
  readonly topSources: readonly { readonly ip: string; readonly alerts: number; readonly country?: string; readonly lat?: number; readonly lon?: number }[];
  readonly incidents: { readonly open: number };
}

/** The time ranges the overview offers (the `range` query parameter). */
export const RANGES = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
export type Range = keyof typeof RANGES;

/** Incident statuses counted as open (as GET /api/v1/alerts/stats counts them). */
export const OPEN_INCIDENT_STATUSES = ['new', 'acknowledged', 'investigating', 'contained'] as const;

/** Severities from least to most severe, with the colours the charts use for them. */
export const SEVERITY_COLOURS = {
  informational: '#868e96',
  low: '#4dabf7',
  medium: '#fcc419',
  high: '#ff922b',
  critical: '#fa5252',
} as const;

export function fetchStats(range: Range, now: number): Promise<AlertStatsResponse> {
  const to = new Date(now).toISOString();
  const from = new Date(now - RANGES[range]).toISOString();
  return api<AlertStatsResponse>('/api/v1/alerts/stats', { query: { from, to } });
}

/**
 * Open incidents with a breached (or missed) SLA clock. The list has no `total` with an `sla`
 * filter (the clocks are derived), so this counts one page of up to 200: `more` when others follow.
 */
export async function fetchSlaBreaches(): Promise<{ count: number; more: boolean }> {
  const page = await api<{ items: unknown[]; nextCursor?: string }>('/api/v1/incidents', { query: { status: [...OPEN_INCIDENT_STATUSES], sla: 'breached', limit: 200 } });
  return { count: page.items.length, more: page.nextCursor !== undefined };
}

/** One log source as the Prometheus counters of GET /metrics show it. */
export interface SourceCounters {
  readonly source: string;
  readonly received: number;
  readonly parsed: number;
  readonly failed: number;
  readonly dropped: number;
}

const LINE = /^(watchpost_source_(received|parsed|failed|dropped)_total)\{([^}]*)\}\s+([0-9.eE+-]+)$/;

/** The per-source ingest counters of a Prometheus text exposition (drops summed over reasons). */
export function parseSourceCounters(text: string): SourceCounters[] {
  const bySource = new Map<string, { source: string; received: number; parsed: number; failed: number; dropped: number }>();
  for (const raw of text.split('\n')) {
    const match = LINE.exec(raw.trim());
    if (!match) continue;
    const kind = match[2] as 'received' | 'parsed' | 'failed' | 'dropped';
    const source = /source="((?:[^"\\]|\\.)*)"/.exec(match[3] ?? '')?.[1];
    const value = Number(match[4]);
    if (source === undefined || !Number.isFinite(value)) continue;
    const row = bySource.get(source) ?? { source, received: 0, parsed: 0, failed: 0, dropped: 0 };
    row[kind] += value;
    bySource.set(source, row);
  }
  return [...bySource.values()].sort((a, b) => a.source.localeCompare(b.source));
}

/** GET /metrics (public, Prometheus text) as per-source counters, with the instant they were read. */
export async function fetchSourceCounters(): Promise<{ at: number; sources: SourceCounters[] }> {
  const response = await fetch('/metrics', { headers: { accept: 'text/plain' }, credentials: 'same-origin' });
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  return { at: Date.now(), sources: parseSourceCounters(await response.text()) };
}

/** A source the availability monitor reports silent: an open `watchpost-source-silent` alert. */
export interface SilentSource {
  readonly alertId: string;
  readonly title: string;
  readonly entity: string;
  readonly since: string;
}

export async function fetchSilentSources(): Promise<SilentSource[]> {
  const page = await api<{ items: { id: string; ruleTitle: string; entities: Record<string, string>; firstSeen: string; clearedAt?: string }[] }>(
    '/api/v1/alerts',
    { query: { rule: 'watchpost-source-silent', status: ['new', 'acknowledged', 'in_progress'], limit: 50 } },
  );
  return page.items
    .filter((alert) => alert.clearedAt === undefined)
    .map((alert) => ({ alertId: alert.id, title: alert.ruleTitle, entity: Object.values(alert.entities)[0] ?? '', since: alert.firstSeen }));
}
