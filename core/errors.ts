/**
 * The error catalogue: every error Watchpost throws carries one of these codes.
 *
 * Three intents, after n8n's error classes:
 * - {@link UserError}: bad config, rule or request; report it with its location, never retry.
 * - {@link OperationalError}: a dependency is down or slow; log at warn, retry with backoff.
 * - {@link UnexpectedError}: a bug; crash and let the supervisor restart.
 *
 * `docs/errors.md` documents every code; `core/errors.test.ts` keeps the two in step.
 */

/** Every error code with its intent and a one-line meaning (the same line docs/errors.md shows). */
export const ERROR_CATALOGUE = {
  WATCHPOST_ERR_CONFIG_PARSE: { intent: 'user', summary: 'The configuration file is not valid YAML.' },
  WATCHPOST_ERR_CONFIG_INVALID: {
    intent: 'user',
    summary: 'The configuration has unknown keys, wrong types or missing values; every problem is listed with its file:line.',
  },
  WATCHPOST_ERR_CONFIG_READ: { intent: 'user', summary: 'The configuration file cannot be read.' },
  WATCHPOST_ERR_STORE_CONFLICT: {
    intent: 'user',
    summary: 'A record was changed by someone else since it was read (optimistic concurrency), or its id already exists.',
  },
  WATCHPOST_ERR_STORE_NOT_FOUND: { intent: 'user', summary: 'The record asked for does not exist.' },
  WATCHPOST_ERR_STORE_INVALID_QUERY: {
    intent: 'user',
    summary: 'A query asks for something the store cannot answer (bad field, range or size).',
  },
  WATCHPOST_ERR_QUERY_SYNTAX: {
    intent: 'user',
    summary: 'A search query (KQL) cannot be read: bad syntax or over a limit, reported with its 1-based column; or a filter cannot be written as KQL.',
  },
  WATCHPOST_ERR_STORE_UNAVAILABLE: {
    intent: 'operational',
    summary: 'A store backend (SQLite file, Elasticsearch) cannot be reached or refused the request; retry with backoff.',
  },
  WATCHPOST_ERR_STORE_BACKPRESSURE: {
    intent: 'operational',
    summary: 'Elasticsearch kept answering 429 (too many requests) after every retry; slow down and retry later.',
  },
  WATCHPOST_ERR_QUEUE_UNAVAILABLE: {
    intent: 'operational',
    summary: 'The job queue backend (SQLite file, Redis) cannot be reached; retry with backoff.',
  },
  WATCHPOST_ERR_QUEUE_INVALID_JOB: {
    intent: 'user',
    summary: 'A job was added with a bad id, name, payload or option.',
  },
  WATCHPOST_ERR_QUEUE_CLOSED: { intent: 'user', summary: 'The job queue was used after close().' },
  WATCHPOST_ERR_JOB_PERMANENT: {
    intent: 'user',
    summary: 'A job handler failed in a way that retrying cannot fix; the job fails without further attempts.',
  },
  WATCHPOST_ERR_CORRELATION_UNAVAILABLE: {
    intent: 'operational',
    summary: 'The correlation store (Redis) cannot be reached; retry with backoff.',
  },
  WATCHPOST_ERR_INGEST_STOPPING: {
    intent: 'operational',
    summary: 'The ingest pipeline is stopping and accepts no more records; the sender or source retries after the restart.',
  },
  WATCHPOST_ERR_SPOOL_IO: {
    intent: 'operational',
    summary: 'The write-ahead spool cannot be written or read (disk full, permissions, I/O error); nothing was acknowledged.',
  },
  WATCHPOST_ERR_SOURCE_CHECKPOINT: {
    intent: 'operational',
    summary: 'A file source cannot write its positions (disk full, permissions); it stops and the supervisor restarts it, re-reading from the last durable position.',
  },
  WATCHPOST_ERR_BACKEND_NOT_CONFIGURED: {
    intent: 'user',
    summary: 'A backend was selected whose connection settings are missing from the configuration.',
  },
  WATCHPOST_ERR_API_LISTEN: { intent: 'operational', summary: 'The API server cannot listen on its address (in use or not permitted).' },
  WATCHPOST_ERR_SOURCE_CONFIG: {
    intent: 'user',
    summary: 'An ingest source cannot start with its configuration (a certificate or key that does not load, contradictory TLS settings).',
  },
  WATCHPOST_ERR_SOURCE_LISTEN: {
    intent: 'operational',
    summary: 'An ingest listener cannot bind its address (in use or not permitted); the pipeline retries with backoff.',
  },
  WATCHPOST_ERR_CASE_INVALID: {
    intent: 'user',
    summary: 'A change to an alert, incident or suppression is refused: closing without a verdict, an unknown task or alert, a value over its limit.',
  },
  WATCHPOST_ERR_RULE_INVALID: {
    intent: 'user',
    summary: 'An uploaded or tested Sigma rule does not load: every problem is listed with its file:line:col; or the rule asked for does not exist or cannot be changed that way.',
  },
  WATCHPOST_ERR_AUTH_FAILED: {
    intent: 'user',
    summary: 'Sign-in refused: unknown user, wrong password or disabled account (deliberately not told apart).',
  },
  WATCHPOST_ERR_AUTH_LOCKED: {
    intent: 'user',
    summary: 'Too many failed sign-ins for this username or from this address (or too many at once); retry after the seconds in Retry-After.',
  },
  WATCHPOST_ERR_AUTH_CSRF: {
    intent: 'user',
    summary: 'A state-changing request with a session cookie lacks the session\u2019s CSRF token in the x-csrf-token header.',
  },
  WATCHPOST_ERR_AUTH_PASSWORD_POLICY: { intent: 'user', summary: 'A new password is shorter than 8 or longer than 1024 characters.' },
  WATCHPOST_ERR_AUTH_USER: {
    intent: 'user',
    summary: 'A user cannot be created or changed: a bad or taken username, an unknown role, or no such user.',
  },
  WATCHPOST_ERR_AUTH_TOKEN: {
    intent: 'user',
    summary: 'An API token cannot be created: a role its user (or the requester) does not hold, a disabled user, or too many active tokens.',
  },
  WATCHPOST_ERR_AUTH_LAST_ADMIN: { intent: 'user', summary: 'The change would leave no enabled admin (disabling or demoting the last one).' },
  WATCHPOST_ERR_AUTH_OIDC: {
    intent: 'user',
    summary:
      'An OIDC sign-in cannot finish: OIDC is not configured, the sign-in cookie is missing, expired or does not match the state, the provider answered with an error, or the ID token failed validation (issuer, audience, nonce, expiry, signature); start the sign-in again.',
  },
  WATCHPOST_ERR_AUTH_OIDC_DENIED: {
    intent: 'user',
    summary:
      'The identity provider vouched for the user but Watchpost refuses them: none of their groups maps to a role and there is no default role, the account is disabled, it does not exist and auto-creation is off, or the username belongs to another account.',
  },
  WATCHPOST_ERR_AUTH_OIDC_UNAVAILABLE: {
    intent: 'operational',
    summary:
      'The OIDC provider cannot be reached, timed out or answered with a server error (discovery, token or userinfo endpoint); sign-ins work again once it answers.',
  },
  WATCHPOST_ERR_RUN_SELF_APPROVAL: {
    intent: 'user',
    summary: 'A playbook run was approved or rejected by the user who requested it; another approver must decide (answered 403).',
  },
  WATCHPOST_ERR_PLAYBOOK_INVALID: {
    intent: 'user',
    summary: 'A playbook definition is invalid (YAML, an unknown action or driver, a bad template or condition); each problem names file:line:column. Only that playbook is disabled.',
  },
  WATCHPOST_ERR_PLAYBOOK_NOT_FOUND: { intent: 'user', summary: 'No loaded playbook has this id, or it is disabled.' },
  WATCHPOST_ERR_ACTION_INPUT: {
    intent: 'user',
    summary: "A step's input, after its templates were filled from the alert or incident, does not fit the action's input schema (a missing address, an invalid account name); the step fails without retrying.",
  },
  WATCHPOST_ERR_ACTION_REFUSED: {
    intent: 'user',
    summary: 'The safety layer refused an action: the address is on the never-block list, or the account is protected. Refused when queued and again when run, whatever the playbook asks.',
  },
  WATCHPOST_ERR_DRIVER_CONFIG: {
    intent: 'user',
    summary: "A response driver's settings or credentials are invalid, its type is unknown, or a secret's environment variable or file cannot be read.",
  },
  WATCHPOST_ERR_DRIVER_UNAVAILABLE: {
    intent: 'operational',
    summary: 'A response driver could not reach its device or service (connection refused, timeout, server error); the step is retried with backoff.',
  },
  WATCHPOST_ERR_DRIVER_REJECTED: {
    intent: 'user',
    summary: 'The device or service refused the request (authentication failed, a 4xx answer, a command that exited with an error); retrying cannot help.',
  },
  WATCHPOST_ERR_DRIVER_VERIFY: {
    intent: 'operational',
    summary: 'An action ran but its effect could not be seen afterwards (the address is not in the set, the account is not locked); the step is retried and the real outcome recorded.',
  },
  WATCHPOST_ERR_REPORT_INVALID: {
    intent: 'user',
    summary: 'A report request is not valid: a week not written YYYY-Www (or one the year does not have), a week not yet ended, an unknown time zone, a logo that is not a PNG or JPEG of at most 2 MB.',
  },
  WATCHPOST_ERR_REPORT_RENDER: {
    intent: 'operational',
    summary: 'The report could not be gathered or written (a store did not answer, the PDF grew past its limit); the job is retried.',
  },
  WATCHPOST_ERR_REPORT_MAIL: {
    intent: 'operational',
    summary: 'The report was kept but could not be mailed (the SMTP server was unreachable or refused it); the record says why.',
  },
  WATCHPOST_ERR_BACKUP_TARGET: {
    intent: 'user',
    summary: 'The backup file cannot be written where asked: it already exists (a backup never overwrites) or its directory is missing.',
  },
  WATCHPOST_ERR_INTERNAL: { intent: 'unexpected', summary: 'A bug: an invariant was broken. Please report it with the log.' },
} as const satisfies Record<string, { intent: ErrorIntent; summary: string }>;

/** What the receiver of an error should do with it. */
export type ErrorIntent = 'user' | 'operational' | 'unexpected';

/** One code of {@link ERROR_CATALOGUE}. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Where in a file a problem is, 1-based. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** One located problem, e.g. a bad config key; several are reported together. */
export interface Problem {
  readonly message: string;
  /** Dotted path of the offending key or field, when there is one. */
  readonly path?: string;
  readonly location?: SourceLocation;
}

/** Formats a location as `file:line:col`, the form editors and terminals make clickable. */
export function formatLocation(location: SourceLocation): string {
  return `${location.file}:${location.line}:${location.col}`;
}

/** Formats a problem as `file:line:col: message` (or just the message when it has no location). */
export function formatProblem(problem: Problem): string {
  return problem.location ? `${formatLocation(problem.location)}: ${problem.message}` : problem.message;
}

interface WatchpostErrorOptions {
  readonly cause?: unknown;
  readonly problems?: readonly Problem[];
  /** Small, non-secret facts that help an operator (an index name, a job id). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The base of every error Watchpost throws on purpose. */
export abstract class WatchpostError extends Error {
  abstract readonly intent: ErrorIntent;
  readonly code: ErrorCode;
  readonly problems: readonly Problem[];
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: WatchpostErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.problems = options.problems ?? [];
    this.details = options.details ?? {};
  }
}

/** Bad config, rule or request: report it with its location; retrying cannot help. */
export class UserError extends WatchpostError {
  readonly intent = 'user' as const;
}

/** A dependency is down or slow: log at warn and retry with backoff. */
export class OperationalError extends WatchpostError {
  readonly intent = 'operational' as const;
}

/** A bug: an invariant was broken. Crash and let the supervisor restart. */
export class UnexpectedError extends WatchpostError {
  readonly intent = 'unexpected' as const;
}

/** True when `error` is a Watchpost error with the given code. */
export function hasCode(error: unknown, code: ErrorCode): error is WatchpostError {
  return error instanceof WatchpostError && error.code === code;
}

/** True when retrying the failed operation later may succeed. */
export function isRetryable(error: unknown): boolean {
  return error instanceof OperationalError;
}
