/**
 * The records of case management: alerts, incidents and their timelines, users and their
 * credentials, the audit log, playbook runs and the desired state of blocks. CaseStore holds
 * them; timestamps are ISO-8601 UTC strings as `Date.prototype.toISOString()` writes them, so
 * they sort as text.
 */

/** Severity, from Sigma's `level`. */
export type Severity = 'informational' | 'low' | 'medium' | 'high' | 'critical';

/** Severities from least to most severe. */
export const SEVERITIES: readonly Severity[] = ['informational', 'low', 'medium', 'high', 'critical'];

/** Triage state of an alert. */
export type AlertStatus = 'new' | 'acknowledged' | 'in_progress' | 'closed';

/** Lifecycle of an incident. */
export type IncidentStatus = 'new' | 'acknowledged' | 'investigating' | 'contained' | 'resolved' | 'closed';

/** The verdict given when an incident or alert is closed. */
export type Verdict = 'true_positive' | 'false_positive' | 'benign';

/**
 * Roles, enforced per API route. The human roles run least to most privileged: viewer, analyst,
 * responder, approver, admin. `ingest` is the machine role: it may only send events to
 * POST /api/v1/ingest and is not part of the human hierarchy, so an agent's token can never read
 * or change cases.
 */
export type Role = 'viewer' | 'analyst' | 'responder' | 'approver' | 'admin' | 'ingest';

/** Every role: the human ones least to most privileged, then the machine role `ingest`. */
export const ROLES: readonly Role[] = ['viewer', 'analyst', 'responder', 'approver', 'admin', 'ingest'];

/** Why a rule fired: the named selections that matched and the values that made them match. */
export interface AlertExplanation {
  readonly selections: readonly string[];
  readonly matches: readonly { readonly field: string; readonly value: string }[];
  /** Free-form detail from correlation rules (the count, the distinct values, the sequence). */
  readonly correlation?: Readonly<Record<string, unknown>>;
}

/** A detection, deduplicated: repeats within the window raise `count` and `lastSeen`. */
export interface Alert {
  /** Deterministic: derived from the dedup key and the window the alert opened in. */
  readonly id: string;
  /** Rule id plus grouping field values; equal keys within the window are one alert. */
  readonly dedupKey: string;
  readonly ruleId: string;
  readonly ruleTitle: string;
  /** The rule's author, shown with every alert as the Detection Rule License requires. */
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
  /** Entity fields of the triggering events (`source.ip`, `user.name`, `host.name`, ...). */
  readonly entities: Readonly<Record<string, string>>;
  /** Ids of the triggering events, oldest first, capped (the count says how many there were). */
  readonly eventIds: readonly string[];
  readonly explanation: AlertExplanation;
  readonly tags: readonly string[];
  /**
   * How the triggering events reached Watchpost (`watchpost.input.transport`: udp, tcp, tls, file,
   * http), distinct. Evidence that came only over UDP syslog can be forged by anyone who can send
   * a datagram, so automated response asks for approval before acting on it.
   */
  readonly transports?: readonly string[];
  /** Availability alerts: when the silent source sent again and the alert closed itself. */
  readonly clearedAt?: string;
  /**
   * The outbox: playbook triggers not yet handed to the job queue (`created`). Written with the
   * record and removed once the queue took the job, so a crash in between is caught up by the
   * periodic sweep (engine/alerting/outbox.ts).
   */
  readonly pendingTriggers?: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * A suppression: matches whose entities hold every `fields` value (and whose rule is `rule`, when
 * given) raise no alert between `startsAt` and `expiresAt`; each is counted on the suppression.
 */
export interface Suppression {
  readonly id: string;
  /** The rule key, id or name it applies to; absent: every rule. */
  readonly rule?: string;
  /** Entity field = value pairs (`source.ip` = 192.0.2.10), all required; compared exactly. */
  readonly fields: Readonly<Record<string, string>>;
  readonly startsAt: string;
  readonly expiresAt: string;
  /** Who created it (a user id). */
  readonly author: string;
  readonly reason: string;
  /** Matches suppressed so far. */
  readonly suppressedCount: number;
  readonly lastSuppressedAt?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * A rule switched on or off from the API. It overrides the config's `detection.disabledRules`
 * for that rule, and every ingest process applies it within one poll of the store.
 */
export interface RuleState {
  /** The rule key (its `id`, else `name`, else `<file>#<n>`). */
  readonly id: string;
  readonly enabled: boolean;
  readonly reason?: string;
  /** Who switched it last (a principal id). */
  readonly updatedBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A Sigma rule file uploaded through the API, loaded with the shipped and configured rules. */
export interface CustomRule {
  /** Lower-case letters, digits, `-` and `_`; its documents load as the file `custom/<id>.yml`. */
  readonly id: string;
  /** The YAML as uploaded (one or more documents). */
  readonly text: string;
  /** Keys of the documents it holds, as the loader named them when it was stored. */
  readonly keys: readonly string[];
  /** The title of its first document, for lists. */
  readonly title: string;
  /** Who uploaded it (a principal id). */
  readonly createdBy: string;
  readonly updatedBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** An observable of an incident: an address, account, host, hash, domain or URL. */
export interface Observable {
  readonly type: 'ip' | 'user' | 'host' | 'hash' | 'domain' | 'url' | 'other';
  readonly value: string;
  readonly note?: string;
}

/** A task on an incident's checklist. */
export interface IncidentTask {
  readonly id: string;
  readonly title: string;
  readonly done: boolean;
  readonly assignee?: string;
}

/** A group of alerts about one entity or one story, worked by analysts. */
export interface Incident {
  readonly id: string;
  readonly title: string;
  readonly status: IncidentStatus;
  readonly severity: Severity;
  readonly assignee?: string;
  readonly tags: readonly string[];
  /** The entity the incident groups by (`source.ip` = 203.0.113.7), when grouped automatically. */
  readonly entity?: { readonly field: string; readonly value: string };
  readonly alertIds: readonly string[];
  readonly observables: readonly Observable[];
  readonly tasks: readonly IncidentTask[];
  readonly verdict?: Verdict;
  readonly acknowledgedAt?: string;
  readonly resolvedAt?: string;
  readonly closedAt?: string;
  /** Set when the incident was merged into another and closed. */
  readonly mergedInto?: string;
  /** The outbox of playbook triggers not yet queued (see {@link Alert.pendingTriggers}). */
  readonly pendingTriggers?: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** One thing that happened to an incident: its timeline is these, oldest first. */
export interface TimelineEntry {
  /** Deterministic when written by a job, so a retried job writes it once. */
  readonly id: string;
  readonly incidentId: string;
  readonly at: string;
  /** A user id, or `system`, or `playbook:<id>`. */
  readonly actor: string;
  readonly kind:
    | 'created'
    | 'status'
    | 'assignment'
    | 'comment'
    | 'alert_linked'
    | 'alert_unlinked'
    | 'action'
    | 'task'
    | 'tag'
    | 'observable'
    | 'merge'
    | 'split'
    | 'sla';
  /** Markdown for comments; a short sentence otherwise. */
  readonly body?: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** A person who signs in to the console or API. */
export interface User {
  /** The username lower-cased: unique by construction. */
  readonly id: string;
  readonly username: string;
  readonly displayName?: string;
  readonly email?: string;
  readonly roles: readonly Role[];
  /**
   * A memory-hard hash, `scrypt$N$r$p$<salt>$<hash>` (core/auth/password.ts); absent for users who
   * sign in only through OIDC and for the service users that own API tokens.
   */
  readonly passwordHash?: string;
  /**
   * The OpenID Connect identity this user signs in as, `<issuer> <sub>` (core/auth/oidc-users.ts):
   * set at the first OIDC sign-in, after which only that identity may use the account.
   */
  readonly oidcSubject?: string;
  readonly disabled: boolean;
  readonly lastLoginAt?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** An API token: only its hash is stored; the secret is shown once at creation. */
export interface ApiToken {
  readonly id: string;
  readonly name: string;
  readonly userId: string;
  /** SHA-256 of the secret, hex. Tokens are long random strings, so a fast hash suffices. */
  readonly secretHash: string;
  /** Roles the token may use: a subset of its user's. */
  readonly roles: readonly Role[];
  readonly revoked: boolean;
  readonly expiresAt?: string;
  readonly lastUsedAt?: string;
  readonly createdAt: string;
}

/** A console session; the cookie holds the secret, the store its hash as the id. */
export interface Session {
  /** SHA-256 of the session secret, hex. */
  readonly id: string;
  readonly userId: string;
  /** SHA-256 of the session's CSRF token, hex. */
  readonly csrfHash: string;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly expiresAt: string;
  readonly ip?: string;
  readonly userAgent?: string;
}

/** One change of state, written once and never altered. */
export interface AuditEntry {
  readonly id: string;
  readonly at: string;
  /** A user id, `token:<id>`, `system`, or `playbook:<id>`. */
  readonly actor: string;
  /** Dotted verb: `alert.status`, `rule.enable`, `run.approve`, `user.create`, `auth.login`. */
  readonly action: string;
  readonly target?: { readonly type: string; readonly id: string };
  readonly outcome: 'success' | 'failure';
  /** Never holds secrets. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Status of a playbook run or one of its steps. */
export type RunStatus = 'pending_approval' | 'queued' | 'running' | 'succeeded' | 'failed' | 'rejected' | 'skipped' | 'cancelled';

/** What one driver did for one step. */
export interface StepOutcome {
  /** The configured driver instance id (`response.drivers[].id`). */
  readonly driver: string;
  readonly status: 'succeeded' | 'failed' | 'skipped';
  /** Whether the effect was checked after execution and held (absent: the driver cannot verify). */
  readonly verified?: boolean;
  /** What the device or service answered, secrets removed: the real outcome, not the intended one. */
  readonly detail?: Readonly<Record<string, unknown>>;
  readonly error?: string;
  readonly at: string;
}

/** One step of a playbook run. */
export interface RunStep {
  readonly id: string;
  readonly action: string;
  readonly status: RunStatus;
  readonly dryRun: boolean;
  readonly attempts: number;
  /** The step's input after templating, as the action receives it (never holds secrets). */
  readonly input?: Readonly<Record<string, unknown>>;
  /** The driver instances the step runs on (resolved when the run was created). */
  readonly drivers?: readonly string[];
  /** Whether the step waits for a person: resolved from the playbook and the safety policy. */
  readonly approval?: 'auto' | 'required';
  /** Why approval is required (`internal-address`, `wide-prefix`, `udp-evidence`, `breaker-open`, ...). */
  readonly approvalReasons?: readonly string[];
  readonly outcomes?: readonly StepOutcome[];
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly result?: Readonly<Record<string, unknown>>;
  readonly error?: string;
  readonly approvedBy?: string;
  readonly rejectedBy?: string;
  readonly reason?: string;
}

/** One execution of a playbook for an alert or incident. */
export interface PlaybookRun {
  /** Deterministic from the playbook and the trigger, so a duplicate trigger is one run. */
  readonly id: string;
  readonly playbookId: string;
  readonly trigger: { readonly alertId?: string; readonly incidentId?: string };
  readonly status: RunStatus;
  readonly steps: readonly RunStep[];
  /** The index of the step the run executes next (or waits at, in `pending_approval`). @defaultValue 0 */
  readonly currentStep?: number;
  /** The whole run only pretends: drivers are not called, the timeline says what would have happened. */
  readonly dryRun?: boolean;
  /** A run waiting for approval is cancelled when this passes (30 minutes by default). */
  readonly approvalExpiresAt?: string;
  /**
   * The user whose action asked for the run (absent for an automatic trigger): a run needing
   * approval can never be approved or rejected by them.
   */
  readonly requestedBy?: string;
  /** Who approved or rejected a run that waited in `pending_approval`, when, and why (rejection). */
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly decisionReason?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * The desired state of one block or disabled account on one enforcement point. Undo is scheduled
 * when the block is made and also re-derived from these records every reconcile interval, so a
 * lost job cannot leave a stale block, and a block lost on the device is put back.
 */
export interface BlockState {
  /** `<driver>:<target>`: one record per target per enforcement point. */
  readonly id: string;
  readonly kind: 'ip' | 'account';
  /** An IP address or CIDR for kind ip, an account name for kind account. */
  readonly target: string;
  /** The configured driver instance id. */
  readonly driver: string;
  /** `active`: should be in force; `released`: undone (or expired); `failed`: the device refused. */
  readonly state: 'active' | 'released' | 'failed';
  readonly reason: string;
  /** `run:<id>` or a user id. */
  readonly createdBy: string;
  /** How many times this target was blocked here, this one included: the TTL doubles per repeat. */
  readonly offense: number;
  /** The run and alerts that asked for it: the evidence. */
  readonly runId?: string;
  readonly alertIds?: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Absent only for a block an approver made permanent. */
  readonly expiresAt?: string;
  /** When the effect was last seen in force on the device. */
  readonly verifiedAt?: string;
  readonly lastError?: string;
  readonly releasedAt?: string;
  /** `expiry`, `reconcile`, or the user who released it by hand. */
  readonly releasedBy?: string;
}

/**
 * An entry of the never-block list kept in the store (the API's list; the config's entries and
 * the built-in ones — loopback, this host's addresses, gateways, DNS servers, cloud metadata —
 * are added to it at run time). Checked when a step is queued and again when it runs.
 */
export interface NeverBlockEntry {
  readonly id: string;
  /** An IP address or CIDR. */
  readonly value: string;
  readonly note?: string;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * A switch of automated response shared by every process. `breaker`: the circuit breaker, which
 * opens (approval-only mode) when automatic blocks exceed the rate or active-count limits, and
 * stays open until an admin closes it.
 */
export interface ResponseControl {
  /**
   * `breaker`: the circuit breaker. `admissions`: the automatic blocks admitted in the last
   * minute (`admittedAt`), written with optimistic concurrency so the rate limit holds exactly
   * across workers; its `state` means nothing.
   */
  readonly id: string;
  readonly state: 'closed' | 'open';
  readonly reason?: string;
  readonly openedAt?: string;
  readonly closedBy?: string;
  /** When the breaker was last closed: blocks made before it no longer count towards the rate. */
  readonly closedAt?: string;
  /** `admissions` only: when each automatic block of the last minute was admitted, oldest first. */
  readonly admittedAt?: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * Failed sign-ins of one key (`user:<name>` or `ip:<address>`) in the current window, shared by
 * every API process so that a lockout holds whichever process the next attempt reaches.
 */
export interface LoginLockout {
  readonly id: string;
  readonly failures: number;
  readonly windowStartedAt: string;
  readonly lockedUntil?: string;
  /** Lockouts so far without a quiet period; the next lasts lockoutMs · 2^strikes. @defaultValue 0 */
  readonly strikes?: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}
