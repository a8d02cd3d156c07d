import { Type, type Static } from '@sinclair/typebox';
import { SEVERITIES, type Alert } from '../../../core/cases/types.js';

/** The largest page of alerts. */
export const MAX_ALERTS_PAGE = 200;

/** The most alerts one bulk request may name. */
export const MAX_BULK_ALERTS = 100;

/** The most `entity` filters one list request may carry. */
export const MAX_ENTITY_FILTERS = 8;

/** The longest KQL query over alert fields, in characters. */
export const MAX_ALERT_QUERY_LENGTH = 2048;

/** Alert statuses, in triage order. */
export const ALERT_STATUSES = ['new', 'acknowledged', 'in_progress', 'closed'] as const;

/** The fields an alert list may be sorted by. */
export const ALERT_SORTS = ['lastSeen', 'firstSeen', 'createdAt', 'updatedAt', 'riskScore', 'count'] as const;

export const SeveritySchema = Type.Union(
  SEVERITIES.map((severity) => Type.Literal(severity)),
  { description: 'From the rule level: informational < low < medium < high < critical.' },
);
export const AlertStatusSchema = Type.Union(ALERT_STATUSES.map((status) => Type.Literal(status)));
export const VerdictSchema = Type.Union([Type.Literal('true_positive'), Type.Literal('false_positive'), Type.Literal('benign')]);

export const AlertIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });

const Explanation = Type.Object(
  {
    selections: Type.Array(Type.String(), { description: 'The named selections of the rule condition that matched.' }),
    matches: Type.Array(Type.Object({ field: Type.String(), value: Type.String() }), { description: 'The values that made them match.' }),
    correlation: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Correlation rules: the count, distinct values or sequence.' })),
  },
  { additionalProperties: false },
);

/** An alert as the API shows it (without the outbox's internal bookkeeping). */
export const AlertView = Type.Object(
  {
    id: Type.String(),
    dedupKey: Type.String(),
    ruleId: Type.String(),
    ruleTitle: Type.String(),
    ruleAuthor: Type.Optional(Type.String({ description: 'The rule author, shown with every alert as the Detection Rule License requires.' })),
    severity: SeveritySchema,
    riskScore: Type.Number(),
    status: AlertStatusSchema,
    verdict: Type.Optional(VerdictSchema),
    assignee: Type.Optional(Type.String()),
    incidentId: Type.Optional(Type.String()),
    count: Type.Integer(),
    firstSeen: Type.String(),
    lastSeen: Type.String(),
    entities: Type.Record(Type.String(), Type.String()),
    eventIds: Type.Array(Type.String()),
    explanation: Explanation,
    tags: Type.Array(Type.String()),
    clearedAt: Type.Optional(Type.String()),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { additionalProperties: false },
);
export type AlertView = Static<typeof AlertView>;

/** The alert without `pendingTriggers` (the outbox's) and `rev` (the store's). */
export function toAlertView(alert: Alert): AlertView {
  const { pendingTriggers: _pending, ...rest } = alert;
  const { rev: _rev, ...view } = rest as typeof rest & { rev?: string };
  return view as AlertView;
}

export const AlertPage = Type.Object({ items: Type.Array(AlertView), total: Type.Integer(), nextCursor: Type.Optional(Type.String()) });

/** GET /api/v1/alerts/{id}: the alert and why it fired. */
export const AlertDetail = Type.Object(
  {
    alert: AlertView,
    explanation: Type.Object(
      {
        rule: Type.Object(
          {
            id: Type.String(),
            title: Type.String(),
            author: Type.Optional(Type.String({ description: 'Shown as the Detection Rule License (DRL 1.1) requires.' })),
          },
          { additionalProperties: false },
        ),
        selections: Type.Array(Type.String()),
        matches: Type.Array(Type.Object({ field: Type.String(), value: Type.String() })),
        correlation: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
        entities: Type.Record(Type.String(), Type.String()),
        eventIds: Type.Array(Type.String()),
        eventIdsTruncated: Type.Boolean({ description: 'True when the alert counted more matches than the event ids it keeps.' }),
      },
      { additionalProperties: false },
    ),
    incident: Type.Optional(
      Type.Object({ id: Type.String(), title: Type.String(), status: Type.String(), severity: SeveritySchema }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);

const instant = (description: string) => Type.String({ minLength: 10, maxLength: 40, pattern: '^\\d{4}-\\d{2}-\\d{2}', description });

/** The query of GET /api/v1/alerts. */
export const AlertsQuery = Type.Object(
  {
    status: Type.Optional(Type.Array(AlertStatusSchema, { maxItems: ALERT_STATUSES.length, description: 'Any of these statuses (repeat the parameter).' })),
    severity: Type.Optional(Type.Array(SeveritySchema, { maxItems: SEVERITIES.length, description: 'Any of these severities.' })),
    rule: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'The rule key (exact).' })),
    entity: Type.Optional(
      Type.Array(Type.String({ minLength: 3, maxLength: 4352, pattern: '^[^=]+=' }), {
        maxItems: MAX_ENTITY_FILTERS,
        description: '`field=value` on the alert entities, e.g. `source.ip=192.0.2.10` (exact; all must hold).',
      }),
    ),
    assignee: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    assigned: Type.Optional(Type.Boolean({ description: 'false: only unassigned alerts; true: only assigned ones.' })),
    incident: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Alerts linked to this incident.' })),
    from: Type.Optional(instant('lastSeen at or after this instant (ISO-8601).')),
    to: Type.Optional(instant('lastSeen before this instant (ISO-8601).')),
    q: Type.Optional(
      Type.String({
        maxLength: MAX_ALERT_QUERY_LENGTH,
        description: 'KQL over alert fields (`ruleTitle:*ssh* and riskScore >= 50`, `entities.user.name:root`); bare words are refused.',
      }),
    ),
    sort: Type.Union(
      ALERT_SORTS.map((field) => Type.Literal(field)),
      { default: 'lastSeen' },
    ),
    order: Type.Union([Type.Literal('desc'), Type.Literal('asc')], { default: 'desc' }),
    limit: Type.Integer({ minimum: 1, maximum: MAX_ALERTS_PAGE, default: 50 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'The nextCursor of the previous page (same filters and sort).' })),
  },
  { additionalProperties: false },
);
export type AlertsQuery = Static<typeof AlertsQuery>;

/** The query of GET /api/v1/alerts/{id}/events. */
export const AlertEventsQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'The most events returned, newest ids first.' }),
  },
  { additionalProperties: false },
);

export const AlertEventsResponse = Type.Object({
  events: Type.Array(Type.Record(Type.String(), Type.Unknown())),
  missing: Type.Array(Type.String(), { description: 'Event ids of the alert no longer in the event store (retention).' }),
  eventIdsTruncated: Type.Boolean({ description: 'True when the alert counted more matches than the event ids it keeps.' }),
});

const BulkIds = Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { minItems: 1, maxItems: MAX_BULK_ALERTS, uniqueItems: true });

/** POST /api/v1/alerts/bulk/status. */
export const BulkStatusBody = Type.Object(
  {
    ids: BulkIds,
    status: AlertStatusSchema,
    verdict: Type.Optional(
      Type.Union([Type.Literal('true_positive'), Type.Literal('false_positive'), Type.Literal('benign')], {
        description: 'Required to close; refused with any other status.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type BulkStatusBody = Static<typeof BulkStatusBody>;

/** POST /api/v1/alerts/bulk/assign. */
export const BulkAssignBody = Type.Object(
  {
    ids: BulkIds,
    assignee: Type.Union([Type.String({ minLength: 1, maxLength: 256 }), Type.Null()], { description: 'A user id, or null to unassign.' }),
  },
  { additionalProperties: false },
);
export type BulkAssignBody = Static<typeof BulkAssignBody>;

/** POST /api/v1/alerts/bulk/link. */
export const BulkLinkBody = Type.Object(
  {
    ids: BulkIds,
    incidentId: Type.String({ minLength: 1, maxLength: 128, description: 'An alert linked elsewhere is moved (an alert is in one incident at most).' }),
  },
  { additionalProperties: false },
);
export type BulkLinkBody = Static<typeof BulkLinkBody>;

/** What became of one alert of a bulk request. */
export const BulkItemResult = Type.Object(
  {
    id: Type.String(),
    outcome: Type.Union([Type.Literal('changed'), Type.Literal('unchanged'), Type.Literal('not_found'), Type.Literal('failed')]),
    alert: Type.Optional(AlertView),
    code: Type.Optional(Type.String()),
    message: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type BulkItemResult = Static<typeof BulkItemResult>;

export const BulkResponse = Type.Object({
  results: Type.Array(BulkItemResult),
  changed: Type.Integer(),
  failed: Type.Integer({ description: 'Items not_found or failed.' }),
});
export type BulkResponse = Static<typeof BulkResponse>;
