/**
 * The shapes of /api/v1/incidents as the console reads them, mirroring the TypeBox schemas in
 * api/routes/incidents/schemas.ts (the contract), kept here so the console's DOM build does not
 * pull the server's sources into its type check.
 */

export const STATUSES = ['new', 'acknowledged', 'investigating', 'contained', 'resolved', 'closed'] as const;
export type IncidentStatus = (typeof STATUSES)[number];

export const SEVERITIES = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const VERDICTS = ['true_positive', 'false_positive', 'benign'] as const;
export type Verdict = (typeof VERDICTS)[number];

export const VERDICT_LABELS: Readonly<Record<Verdict, string>> = {
  true_positive: 'True positive',
  false_positive: 'False positive',
  benign: 'Benign',
};

export const OBSERVABLE_TYPES = ['ip', 'user', 'host', 'hash', 'domain', 'url', 'other'] as const;
export type ObservableType = (typeof OBSERVABLE_TYPES)[number];

export type SlaState = 'ok' | 'warning' | 'breached' | 'met' | 'missed';

export interface SlaClock {
  readonly targetMs: number;
  readonly dueAt: string;
  readonly elapsedMs: number;
  readonly state: SlaState;
  readonly stoppedAt?: string;
}

export interface Sla {
  readonly acknowledge: SlaClock;
  readonly resolve: SlaClock;
  readonly breached: boolean;
  readonly warning: boolean;
}

export interface Observable {
  readonly type: ObservableType;
  readonly value: string;
  readonly note?: string;
}

export interface Task {
  readonly id: string;
  readonly title: string;
  readonly done: boolean;
  readonly assignee?: string;
}

export interface Incident {
  readonly id: string;
  readonly rev: string;
  readonly title: string;
  readonly status: IncidentStatus;
  readonly severity: Severity;
  readonly assignee?: string;
  readonly tags: readonly string[];
  readonly entity?: { readonly field: string; readonly value: string };
  readonly alertIds: readonly string[];
  readonly observables: readonly Observable[];
  readonly tasks: readonly Task[];
  readonly verdict?: Verdict;
  readonly acknowledgedAt?: string;
  readonly resolvedAt?: string;
  readonly closedAt?: string;
  readonly mergedInto?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly sla: Sla;
}

export interface AlertSummary {
  readonly id: string;
  readonly ruleId: string;
  readonly ruleTitle: string;
  readonly ruleAuthor?: string;
  readonly severity: Severity;
  readonly riskScore: number;
  readonly status: string;
  readonly count: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly entities: Readonly<Record<string, string>>;
}

export interface IncidentDetail extends Incident {
  readonly alerts: readonly AlertSummary[];
  readonly alertsTotal: number;
}

export interface TimelineEntry {
  readonly id: string;
  readonly incidentId: string;
  readonly at: string;
  readonly actor: string;
  readonly kind: string;
  /** Markdown for comments, returned as text: rendered escaped, never as HTML. */
  readonly body?: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface IncidentPage {
  readonly items: readonly Incident[];
  readonly total?: number;
  readonly nextCursor?: string;
}

export interface TimelinePage {
  readonly items: readonly TimelineEntry[];
  readonly total: number;
  readonly nextCursor?: string;
}

export interface ChangeView {
  readonly incident: Incident;
  readonly timeline: readonly TimelineEntry[];
}

export const SEVERITY_COLORS: Readonly<Record<Severity, string>> = {
  informational: 'gray',
  low: 'teal',
  medium: 'yellow',
  high: 'orange',
  critical: 'red',
};
