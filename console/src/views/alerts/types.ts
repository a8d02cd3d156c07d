/**
 * The API's alert shapes (api/routes/alerts/schemas.ts and friends), repeated here as plain types:
 * the console's tsconfig has no Node types, which the server's modules pull in.
 */

export const SEVERITIES = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const ALERT_STATUSES = ['new', 'acknowledged', 'in_progress', 'closed'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export const VERDICTS = ['true_positive', 'false_positive', 'benign'] as const;
export type Verdict = (typeof VERDICTS)[number];

export const ALERT_SORTS = ['lastSeen', 'firstSeen', 'createdAt', 'updatedAt', 'riskScore', 'count'] as const;
export type AlertSort = (typeof ALERT_SORTS)[number];

/** The most alerts one bulk request may name (MAX_BULK_ALERTS). */
export const MAX_BULK_ALERTS = 100;
/** The largest page of alerts (MAX_ALERTS_PAGE). */
export const MAX_ALERTS_PAGE = 200;

export interface Match {
  readonly field: string;
  readonly value: string;
}

export interface AlertView {
  readonly id: string;
  readonly dedupKey: string;
  readonly ruleId: string;
  readonly ruleTitle: string;
  readonly ruleAuthor?: string;
  readonly severity: Severity;
  readonly riskScore: number;
  readonly status: AlertStatus;
  readonly verdict?: Verdict;
  readonly assignee?: string;
  readonly incidentId?: string;
  readonly count: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly entities: Readonly<Record<string, string>>;
  readonly eventIds: readonly string[];
  readonly explanation: { readonly selections: readonly string[]; readonly matches: readonly Match[]; readonly correlation?: Record<string, unknown> };
  readonly tags: readonly string[];
  readonly clearedAt?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface AlertPage {
  readonly items: AlertView[];
  readonly total: number;
  readonly nextCursor?: string;
}

export interface AlertDetail {
  readonly alert: AlertView;
  readonly explanation: {
    readonly rule: { readonly id: string; readonly title: string; readonly author?: string };
    readonly selections: readonly string[];
    readonly matches: readonly Match[];
    readonly correlation?: Record<string, unknown>;
    readonly entities: Readonly<Record<string, string>>;
    readonly eventIds: readonly string[];
    readonly eventIdsTruncated: boolean;
  };
  readonly incident?: { readonly id: string; readonly title: string; readonly status: string; readonly severity: Severity };
}

export interface AlertEvents {
  readonly events: Record<string, unknown>[];
  readonly missing: string[];
  readonly eventIdsTruncated: boolean;
}

export interface BulkResponse {
  readonly results: { readonly id: string; readonly outcome: 'changed' | 'unchanged' | 'not_found' | 'failed'; readonly alert?: AlertView; readonly message?: string }[];
  readonly changed: number;
  readonly failed: number;
}

export interface PlaybookView {
  readonly id: string;
  readonly title: string;
  readonly description?: string;
  readonly enabled: boolean;
  readonly dryRun: boolean;
  readonly trigger: unknown;
}

export interface RunView {
  readonly id: string;
  readonly playbookId: string;
  readonly status: string;
}

/** The entity fields the queue shows in its own column, in that order. */
export const KEY_ENTITIES = ['source.ip', 'user.name', 'host.name'] as const;
