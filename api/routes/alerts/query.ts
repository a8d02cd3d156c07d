import { UserError } from '../../../core/errors.js';
import { and, type FilterNode } from '../../../core/query/filter.js';
import { parseKql } from '../../../engine/query/kql.js';
import type { AlertsQuery } from './schemas.js';

/** The top-level alert fields a KQL query may name (besides `entities.*` and `explanation.*`). */
const ALERT_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'dedupKey',
  'ruleId',
  'ruleTitle',
  'ruleAuthor',
  'severity',
  'riskScore',
  'status',
  'verdict',
  'assignee',
  'incidentId',
  'count',
  'firstSeen',
  'lastSeen',
  'eventIds',
  'tags',
  'clearedAt',
  'createdAt',
  'updatedAt',
]);

/** Nested alert objects whose members a query may name. */
const ALERT_PREFIXES = ['entities.', 'explanation.'];

function eqExact(field: string, value: string): FilterNode {
  return { op: 'eq', field, value, caseSensitive: true };
}

function invalidQuery(message: string, path: string): UserError {
  return new UserError('WATCHPOST_ERR_QUERY_SYNTAX', message, { problems: [{ path, message }] });
}

/** The UTC instant of an ISO-8601 date or date-time; one without an offset is UTC (as GET /events reads it). */
export function parseInstant(value: string, path: string): string {
  const iso = value.replace(' ', 'T');
  const ms = Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : /(Z|[+-]\d{2}:?\d{2})$/i.test(iso) ? iso : `${iso}Z`);
  if (!Number.isFinite(ms)) throw invalidQuery(`cannot read ${path} as an ISO-8601 date or date-time`, path);
  return new Date(ms).toISOString();
}

/**
 * Checks that a KQL filter names only alert fields and uses only what the case stores compile:
 * bare words (`text`, which searches event messages) mean nothing on an alert, and the
 * streaming-only ops are refused by the stores anyway, so the user hears it here, with the field.
 */
function checkAlertFilter(node: FilterNode): void {
  switch (node.op) {
    case 'and':
    case 'or':
      for (const child of node.children) checkAlertFilter(child);
      return;
    case 'not':
      checkAlertFilter(node.child);
      return;
    case 'text':
      throw invalidQuery(`bare words (${JSON.stringify(node.value)}) are not searchable on alerts: name a field, e.g. ruleTitle:*word*`, 'q');
    case 'fieldref':
    case 'timepart':
      throw invalidQuery(`${node.op} is not supported on alerts`, 'q');
    case 'eq':
    case 'contains':
    case 'startswith':
    case 'endswith':
    case 'wildcard':
    case 'regex':
    case 'cidr':
    case 'exists':
    case 'range':
      if (!ALERT_FIELDS.has(node.field) && !ALERT_PREFIXES.some((prefix) => node.field.startsWith(prefix) && node.field.length > prefix.length)) {
        throw invalidQuery(`${node.field} is not an alert field (entity fields are entities.<field>, e.g. entities.source.ip)`, 'q');
      }
  }
}

/** The KQL query over alert fields as a filter (undefined for an empty one). */
export function alertKqlFilter(q: string | undefined): FilterNode | undefined {
  if (q === undefined || q.trim() === '') return undefined;
  const filter = parseKql(q);
  checkAlertFilter(filter);
  return filter;
}

/**
 * The case-store filter of GET /api/v1/alerts: every given criterion must hold; within `status`
 * and `severity` any listed value. Entity values and ids compare exactly, as the engine stores
 * them; the KQL part follows the filter AST's usual semantics (case-insensitive strings).
 */
export function alertsFilter(query: Omit<AlertsQuery, 'sort' | 'order' | 'limit' | 'cursor'>): FilterNode | undefined {
  const parts: FilterNode[] = [];
  if (query.status !== undefined && query.status.length > 0) parts.push({ op: 'or', children: [...new Set(query.status)].map((status) => eqExact('status', status)) });
  if (query.severity !== undefined && query.severity.length > 0) {
    parts.push({ op: 'or', children: [...new Set(query.severity)].map((severity) => eqExact('severity', severity)) });
  }
  if (query.rule !== undefined) parts.push(eqExact('ruleId', query.rule));
  for (const pair of query.entity ?? []) {
    const at = pair.indexOf('=');
    const field = pair.slice(0, at).trim();
    if (!/^[@A-Za-z0-9_-]+(\.[@A-Za-z0-9_-]+)*$/.test(field)) throw invalidQuery(`bad entity field ${JSON.stringify(field)}`, 'entity');
    parts.push(eqExact(`entities.${field}`, pair.slice(at + 1)));
  }
  if (query.assignee !== undefined) parts.push(eqExact('assignee', query.assignee));
  if (query.assigned !== undefined) parts.push(query.assigned ? { op: 'exists', field: 'assignee' } : { op: 'not', child: { op: 'exists', field: 'assignee' } });
  if (query.incident !== undefined) parts.push(eqExact('incidentId', query.incident));
  if (query.from !== undefined || query.to !== undefined) {
    const from = query.from === undefined ? undefined : parseInstant(query.from, 'from');
    const to = query.to === undefined ? undefined : parseInstant(query.to, 'to');
    if (from !== undefined && to !== undefined && from >= to) throw invalidQuery('from must be before to', 'from');
    parts.push({ op: 'range', field: 'lastSeen', ...(from !== undefined ? { gte: from } : {}), ...(to !== undefined ? { lt: to } : {}) });
  }
  const kql = alertKqlFilter(query.q);
  if (kql) parts.push(kql);
  return parts.length === 0 ? undefined : and(...parts);
}
