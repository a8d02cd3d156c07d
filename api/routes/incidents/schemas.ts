import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { SEVERITIES, type Alert, type Incident, type TimelineEntry } from '../../../core/cases/types.js';
import type { Stored } from '../../../core/stores/case-store.js';
import { INCIDENT_LIMITS, INCIDENT_STATUSES, MAX_COMMENT_LENGTH, VERDICTS, type IncidentSla, type SlaClock } from '../../../engine/alerting/index.js';

/**
 * The TypeBox schemas of /api/v1/incidents and the views the routes answer with. Limits repeat
 * the engine's (INCIDENT_LIMITS) so a request over one is refused by validation before any work.
 */

/** The largest page of incidents or timeline entries. */
export const MAX_INCIDENTS_PAGE = 200;

/** The most alerts (or incidents) one link, unlink, split or merge request may name: the engine's bound. */
export const MAX_IDS_PER_REQUEST = 100;

/** Linked alerts shown with one incident (the rest are counted in `alertsTotal`). */
export const MAX_LINKED_ALERTS_SHOWN = 200;

const literals = <T extends string>(values: readonly T[], description?: string) =>
  Type.Union(
    values.map((value) => Type.Literal(value)),
    description !== undefined ? { description } : {},
  );

export const StatusSchema = literals(INCIDENT_STATUSES, 'new → acknowledged → investigating → contained → resolved → closed; any may follow any (reopening).');
export const SeveritySchema = literals(SEVERITIES);
export const VerdictSchema = literals(VERDICTS);
export const ObservableTypeSchema = literals(['ip', 'user', 'host', 'hash', 'domain', 'url', 'other'] as const);

const Id = Type.String({ minLength: 1, maxLength: 128 });
const Title = Type.String({ minLength: 1, maxLength: INCIDENT_LIMITS.titleLength });
const Assignee = Type.String({ minLength: 1, maxLength: INCIDENT_LIMITS.assigneeLength, description: 'A user id.' });
const Tag = Type.String({ minLength: 1, maxLength: INCIDENT_LIMITS.tagLength });
const Tags = Type.Array(Tag, { maxItems: INCIDENT_LIMITS.tags, uniqueItems: true });
const Ids = (what: string) => Type.Array(Id, { minItems: 1, maxItems: MAX_IDS_PER_REQUEST, uniqueItems: true, description: `1-${MAX_IDS_PER_REQUEST} ${what} ids.` });
/** An instant: ISO-8601 date or date-time; one without an offset is UTC. */
const Instant = (description: string) => Type.String({ minLength: 10, maxLength: 40, pattern: '^\\d{4}-\\d{2}-\\d{2}', description });

export const ObservableSchema = Type.Object(
  {
    type: ObservableTypeSchema,
    value: Type.String({ minLength: 1, maxLength: INCIDENT_LIMITS.observableValueLength }),
    note: Type.Optional(Type.String({ minLength: 1, maxLength: INCIDENT_LIMITS.noteLength })),
  },
  { additionalProperties: false },
);

export const TaskSchema = Type.Object(
  { id: Type.String(), title: Type.String(), done: Type.Boolean(), assignee: Type.Optional(Type.String()) },
  { additionalProperties: false },
);

const SlaClockSchema = Type.Object(
  {
    targetMs: Type.Integer(),
    dueAt: Type.String(),
    elapsedMs: Type.Integer(),
    state: literals(['ok', 'warning', 'breached', 'met', 'missed'] as const),
    stoppedAt: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const SlaSchema = Type.Object(
  {
    acknowledge: SlaClockSchema,
    resolve: SlaClockSchema,
    breached: Type.Boolean({ description: 'Either clock breached (running) or missed (stopped late).' }),
    warning: Type.Boolean({ description: 'Either running clock past the warning fraction and not yet breached.' }),
  },
  { additionalProperties: false },
);

/** An incident as the API shows it: the record (without its outbox), its revision and its SLA clocks now. */
export const IncidentView = Type.Object(
  {
    id: Type.String(),
    rev: Type.String({ description: 'The revision: send it back as `If-Match` to refuse a write over a change you have not seen (412).' }),
    title: Type.String(),
    status: StatusSchema,
    severity: SeveritySchema,
    assignee: Type.Optional(Type.String()),
    tags: Type.Array(Type.String()),
    entity: Type.Optional(Type.Object({ field: Type.String(), value: Type.String() }, { additionalProperties: false })),
    alertIds: Type.Array(Type.String()),
    observables: Type.Array(ObservableSchema),
    tasks: Type.Array(TaskSchema),
    verdict: Type.Optional(VerdictSchema),
    acknowledgedAt: Type.Optional(Type.String()),
    resolvedAt: Type.Optional(Type.String()),
    closedAt: Type.Optional(Type.String()),
    mergedInto: Type.Optional(Type.String()),
    createdAt: Type.String(),
    updatedAt: Type.String(),
    sla: SlaSchema,
  },
  { additionalProperties: false },
);
export type IncidentView = Static<typeof IncidentView>;

/** A linked alert, in short. */
export const AlertSummary = Type.Object(
  {
    id: Type.String(),
    ruleId: Type.String(),
    ruleTitle: Type.String(),
    ruleAuthor: Type.Optional(Type.String()),
    severity: SeveritySchema,
    riskScore: Type.Number(),
    status: Type.String(),
    count: Type.Integer(),
    firstSeen: Type.String(),
    lastSeen: Type.String(),
    entities: Type.Record(Type.String(), Type.String()),
  },
  { additionalProperties: false },
);
export type AlertSummary = Static<typeof AlertSummary>;

/** One incident with its linked alerts (newest first, at most {@link MAX_LINKED_ALERTS_SHOWN}). */
export const IncidentDetail = Type.Composite([
  IncidentView,
  Type.Object({ alerts: Type.Array(AlertSummary), alertsTotal: Type.Integer({ description: 'Alerts linked in all.' }) }),
]);

export const TimelineEntryView = Type.Object(
  {
    id: Type.String(),
    incidentId: Type.String(),
    at: Type.String(),
    actor: Type.String(),
    kind: Type.String(),
    body: Type.Optional(Type.String({ description: 'Markdown for comments, stored and returned as text: render it escaped.' })),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

/** What every write answers: the incident after it and the timeline entries it wrote (none: nothing changed). */
export const ChangeView = Type.Object({ incident: IncidentView, timeline: Type.Array(TimelineEntryView) }, { additionalProperties: false });
export type ChangeView = Static<typeof ChangeView>;

export const SplitView = Type.Object({ original: ChangeView, created: ChangeView }, { additionalProperties: false });

export const IncidentPage = Type.Object({
  items: Type.Array(IncidentView),
  total: Type.Optional(Type.Integer({ description: 'Matches in all; absent with an `sla` filter (the clocks are derived, so the matches are counted only as scanned).' })),
  nextCursor: Type.Optional(Type.String()),
});

export const TimelinePage = Type.Object({ items: Type.Array(TimelineEntryView), total: Type.Integer(), nextCursor: Type.Optional(Type.String()) });

export const IdParams = Type.Object({ id: Id }, { additionalProperties: false });
export const TaskParams = Type.Object({ id: Id, taskId: Id }, { additionalProperties: false });

/** Optimistic concurrency: the revision the client last read. */
export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'The `rev` (or ETag) last read; a write over a newer revision, or one that lands before this write, answers 412.' })),
});

const Cursor = Type.String({ minLength: 1, maxLength: 1024, description: 'The nextCursor of the previous page.' });
const Limit = Type.Integer({ minimum: 1, maximum: MAX_INCIDENTS_PAGE, default: 50 });
const oneOrMany = <T extends TSchema>(item: T) => Type.Array(item, { maxItems: 10, description: 'Repeat the parameter for several (any of them).' });

/** The query of GET /api/v1/incidents. */
export const ListQuery = Type.Object(
  {
    status: Type.Optional(oneOrMany(StatusSchema)),
    severity: Type.Optional(oneOrMany(SeveritySchema)),
    assignee: Type.Optional(Assignee),
    unassigned: Type.Optional(Type.Boolean({ description: 'Only incidents nobody is assigned to.' })),
    tag: Type.Optional(Tag),
    entity: Type.Optional(Type.String({ minLength: 1, maxLength: INCIDENT_LIMITS.observableValueLength, description: 'An entity value (address, user, host): the grouping entity or an observable, exactly.' })),
    sla: Type.Optional(literals(['breached', 'warning'] as const, 'Only incidents whose SLA is breached (or was missed), or in warning, now.')),
    from: Type.Optional(Instant('Created at or after, ISO-8601.')),
    to: Type.Optional(Instant('Created before, ISO-8601.')),
    sort: Type.Union([Type.Literal('createdAt'), Type.Literal('updatedAt')], { default: 'createdAt' }),
    order: Type.Union([Type.Literal('desc'), Type.Literal('asc')], { default: 'desc' }),
    limit: Limit,
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);
export type ListQuery = Static<typeof ListQuery>;

/** The query of GET /api/v1/incidents/:id/timeline. */
export const TimelineQuery = Type.Object(
  {
    kind: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    order: Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'asc' }),
    limit: Limit,
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const CreateBody = Type.Object(
  {
    title: Title,
    severity: Type.Optional(SeveritySchema),
    assignee: Type.Optional(Assignee),
    tags: Type.Optional(Tags),
    alertIds: Type.Optional(Type.Array(Id, { maxItems: MAX_IDS_PER_REQUEST, uniqueItems: true, description: 'Alerts to link (moved from their incidents).' })),
  },
  { additionalProperties: false },
);

export const UpdateBody = Type.Object(
  {
    title: Type.Optional(Title),
    severity: Type.Optional(SeveritySchema),
    assignee: Type.Optional(Type.Union([Assignee, Type.Null()], { description: 'A user id, or null to unassign.' })),
    tags: Type.Optional(Type.Array(Tag, { maxItems: INCIDENT_LIMITS.tags, uniqueItems: true, description: 'The full set of tags.' })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateBody = Static<typeof UpdateBody>;

export const StatusBody = Type.Object(
  { status: StatusSchema, verdict: Type.Optional(VerdictSchema) },
  { additionalProperties: false, description: 'Closing needs a verdict (unless the incident was resolved with one).' },
);

export const CommentBody = Type.Object(
  { body: Type.String({ minLength: 1, maxLength: MAX_COMMENT_LENGTH, description: 'Markdown, stored as text.' }) },
  { additionalProperties: false },
);

export const AddTaskBody = Type.Object(
  { title: Type.String({ minLength: 1, maxLength: INCIDENT_LIMITS.taskTitleLength }), assignee: Type.Optional(Assignee) },
  { additionalProperties: false },
);

export const UpdateTaskBody = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: INCIDENT_LIMITS.taskTitleLength })),
    done: Type.Optional(Type.Boolean()),
    assignee: Type.Optional(Type.Union([Assignee, Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const ObservableKeyQuery = Type.Object(
  { type: ObservableTypeSchema, value: Type.String({ minLength: 1, maxLength: INCIDENT_LIMITS.observableValueLength }) },
  { additionalProperties: false },
);

export const AlertIdsBody = Type.Object({ alertIds: Ids('alert') }, { additionalProperties: false });
export const MergeBody = Type.Object({ incidentIds: Ids('incident') }, { additionalProperties: false, description: 'The incidents merged into this one (each is closed with mergedInto).' });
export const SplitBody = Type.Object({ alertIds: Ids('alert'), title: Type.Optional(Title) }, { additionalProperties: false });

/** The query of GET /api/v1/metrics/response. */
export const ResponseMetricsQuery = Type.Object(
  {
    from: Type.Optional(Instant('Incidents created at or after, ISO-8601. Default: 30 days before `to`.')),
    to: Type.Optional(Instant('Incidents created before, ISO-8601. Default: now.')),
  },
  { additionalProperties: false },
);

const Figures = {
  incidents: Type.Integer(),
  acknowledged: Type.Integer(),
  resolved: Type.Integer(),
  mttaMs: Type.Optional(Type.Integer({ description: 'Mean time to acknowledge; absent when none was acknowledged.' })),
  mttrMs: Type.Optional(Type.Integer({ description: 'Mean time to resolve; absent when none was resolved.' })),
  acknowledgeBreaches: Type.Integer(),
  resolveBreaches: Type.Integer(),
};
const FiguresSchema = Type.Object(Figures, { additionalProperties: false });

export const ResponseReportView = Type.Object(
  {
    from: Type.String(),
    to: Type.String(),
    ...Figures,
    bySeverity: Type.Object(Object.fromEntries(SEVERITIES.map((severity) => [severity, FiguresSchema])), { additionalProperties: false }),
  },
  { additionalProperties: false },
);

function clockView(clock: SlaClock): Static<typeof SlaClockSchema> {
  return { ...clock };
}

/** The incident as the API shows it, with its SLA clocks (computed by the caller, at its now). */
export function toIncidentView(incident: Stored<Incident>, sla: IncidentSla): IncidentView {
  const { pendingTriggers: _outbox, ...record } = incident;
  return {
    ...record,
    tags: [...record.tags],
    alertIds: [...record.alertIds],
    observables: record.observables.map((o) => ({ ...o })),
    tasks: record.tasks.map((t) => ({ ...t })),
    ...(record.entity ? { entity: { ...record.entity } } : {}),
    sla: { acknowledge: clockView(sla.acknowledge), resolve: clockView(sla.resolve), breached: sla.breached, warning: sla.warning },
  };
}

/** The record as the audit log keeps it: no revision, no outbox, no clocks (derived, they say nothing of the change). */
export function auditView(incident: Incident): Record<string, unknown> {
  const { pendingTriggers: _outbox, ...record } = incident as Stored<Incident>;
  return record;
}

export function toAlertSummary(alert: Alert): AlertSummary {
  return {
    id: alert.id,
    ruleId: alert.ruleId,
    ruleTitle: alert.ruleTitle,
    ...(alert.ruleAuthor !== undefined ? { ruleAuthor: alert.ruleAuthor } : {}),
    severity: alert.severity,
    riskScore: alert.riskScore,
    status: alert.status,
    count: alert.count,
    firstSeen: alert.firstSeen,
    lastSeen: alert.lastSeen,
    entities: { ...alert.entities },
  };
}

export function toTimelineView(entry: TimelineEntry): Static<typeof TimelineEntryView> {
  return { ...entry, ...(entry.data !== undefined ? { data: { ...entry.data } } : {}) };
}
