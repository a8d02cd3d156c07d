import type { ApiOptions } from '../../api/client';
import { ALERT_SORTS, ALERT_STATUSES, KEY_ENTITIES, SEVERITIES, type AlertSort, type AlertStatus, type AlertView, type Severity } from './types';

/** Relative time ranges offered by the filter bar (`range` in the URL). */
export const RANGES = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
export type RangeKey = keyof typeof RANGES;

/** The queue's filters and sort, as read from (and written to) the URL query string. */
export interface AlertFilters {
  readonly status: AlertStatus[];
  readonly severity: Severity[];
  readonly rule: string;
  /** A user id, `me`, or `none` (unassigned). */
  readonly assignee: string;
  /** `field=value` (exact on that entity field) or a value of source.ip, user.name or host.name. */
  readonly entity: string;
  readonly range: RangeKey | '';
  readonly from: string;
  readonly to: string;
  readonly sort: AlertSort;
  readonly order: 'asc' | 'desc';
}

const pick = <T extends string>(values: readonly T[], allowed: readonly T[]): T[] => values.filter((value) => allowed.includes(value));

/** Reads the filters from the URL (unknown values are ignored, so an old link still opens). */
export function readFilters(params: URLSearchParams): AlertFilters {
  const sort = params.get('sort') as AlertSort | null;
  const range = params.get('range');
  return {
    status: pick(params.getAll('status') as AlertStatus[], ALERT_STATUSES),
    severity: pick(params.getAll('severity') as Severity[], SEVERITIES),
    rule: params.get('rule') ?? '',
    assignee: params.get('assignee') ?? '',
    entity: params.get('entity') ?? '',
    range: range !== null && range in RANGES ? (range as RangeKey) : '',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
    sort: sort !== null && ALERT_SORTS.includes(sort) ? sort : 'lastSeen',
    order: params.get('order') === 'asc' ? 'asc' : 'desc',
  };
}

/** Writes the filters as a query string, leaving out defaults and empty values (short, shareable URLs). */
export function writeFilters(filters: AlertFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const status of filters.status) params.append('status', status);
  for (const severity of filters.severity) params.append('severity', severity);
  if (filters.rule) params.set('rule', filters.rule);
  if (filters.assignee) params.set('assignee', filters.assignee);
  if (filters.entity) params.set('entity', filters.entity);
  if (filters.range) params.set('range', filters.range);
  else {
    if (filters.from) params.set('from', filters.from);
    if (filters.to) params.set('to', filters.to);
  }
  if (filters.sort !== 'lastSeen') params.set('sort', filters.sort);
  if (filters.order !== 'desc') params.set('order', filters.order);
  return params;
}

/** A KQL string literal (quoted: exact, no wildcards). */
function kqlQuote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The page size the queue asks for. */
export const PAGE_SIZE = 200;

/** The query of GET /api/v1/alerts for the filters; `me` is the signed-in user's id. */
export function toApiQuery(filters: AlertFilters, me: string | undefined, now = Date.now()): NonNullable<ApiOptions['query']> {
  const entity = filters.entity.trim();
  const byField = entity.includes('=') && !entity.startsWith('=');
  const assignee = filters.assignee === 'me' ? me : filters.assignee === 'none' ? undefined : filters.assignee || undefined;
  return {
    status: filters.status.length > 0 ? filters.status : undefined,
    severity: filters.severity.length > 0 ? filters.severity : undefined,
    rule: filters.rule || undefined,
    assignee,
    assigned: filters.assignee === 'none' ? false : undefined,
    entity: entity && byField ? [entity] : undefined,
    q: entity && !byField ? KEY_ENTITIES.map((field) => `entities.${field}:${kqlQuote(entity)}`).join(' or ') : undefined,
    from: filters.range ? new Date(now - RANGES[filters.range]).toISOString() : filters.from || undefined,
    to: filters.range ? undefined : filters.to || undefined,
    sort: filters.sort,
    order: filters.order,
    limit: PAGE_SIZE,
  };
}

/**
 * True when a live alert belongs in the queue as filtered (checked in the browser, since the
 * stream is not filtered). Time ranges compare lastSeen like the API does.
 */
export function matchesFilters(alert: AlertView, filters: AlertFilters, me: string | undefined, now = Date.now()): boolean {
  if (filters.status.length > 0 && !filters.status.includes(alert.status)) return false;
  if (filters.severity.length > 0 && !filters.severity.includes(alert.severity)) return false;
  if (filters.rule && alert.ruleId !== filters.rule) return false;
  if (filters.assignee === 'none' && alert.assignee !== undefined) return false;
  if (filters.assignee && filters.assignee !== 'none' && alert.assignee !== (filters.assignee === 'me' ? me : filters.assignee)) return false;
  const entity = filters.entity.trim();
  if (entity) {
    const at = entity.indexOf('=');
    if (at > 0) {
      if (alert.entities[entity.slice(0, at).trim()] !== entity.slice(at + 1)) return false;
    } else if (!KEY_ENTITIES.some((field) => alert.entities[field]?.toLowerCase() === entity.toLowerCase())) return false;
  }
  const from = filters.range ? new Date(now - RANGES[filters.range]).toISOString() : filters.from;
  if (from && alert.lastSeen < from) return false;
  if (!filters.range && filters.to && alert.lastSeen >= filters.to) return false;
  return true;
}
