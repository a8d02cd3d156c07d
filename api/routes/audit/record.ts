import type { AuditEntry } from '../../../core/cases/types.js';
import { timeOrderedId } from '../../../core/ids.js';
import type { CaseStore } from '../../../core/stores/case-store.js';

/** Keys dropped from every record written into an audit entry, at any depth: secrets and their hashes. */
const SECRET_KEYS: ReadonlySet<string> = new Set(['passwordHash', 'password', 'secretHash', 'secret', 'csrfHash', 'rev']);

/**
 * A copy of `value` without secrets: keys named in {@link SECRET_KEYS} are left out at any depth
 * (`rev` too, a storage detail that says nothing to a reader of the log).
 */
export function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (!SECRET_KEYS.has(key) && inner !== undefined) copy[key] = withoutSecrets(inner);
  }
  return copy;
}

/** One change of state to write to the audit log. */
export interface AuditChange {
  /** The principal id: a user id or `token:<id>`. */
  readonly actor: string;
  /** Dotted verb, e.g. `user.create`, `token.revoke`. */
  readonly action: string;
  readonly target: { readonly type: string; readonly id: string };
  /** The record before the change; absent for a creation. Secrets are removed here. */
  readonly before?: unknown;
  /** The record after the change. Secrets are removed here. */
  readonly after?: unknown;
  /** @defaultValue "success" */
  readonly outcome?: AuditEntry['outcome'];
  /** @defaultValue the current time */
  readonly at?: number;
}

/**
 * Appends one entry to the audit log with a time-ordered id, so entries of the same millisecond
 * list in the order they were made. `before` and `after` go under `details` (the free-form part
 * every store already indexes), stripped of secrets by {@link withoutSecrets}.
 */
export async function recordAudit(cases: CaseStore, change: AuditChange): Promise<AuditEntry> {
  const at = change.at ?? Date.now();
  const details: Record<string, unknown> = {};
  if (change.before !== undefined) details.before = withoutSecrets(change.before);
  if (change.after !== undefined) details.after = withoutSecrets(change.after);
  return cases.audit.append({
    id: timeOrderedId(at),
    at: new Date(at).toISOString(),
    actor: change.actor,
    action: change.action,
    target: { type: change.target.type, id: change.target.id },
    outcome: change.outcome ?? 'success',
    ...(Object.keys(details).length > 0 ? { details } : {}),
  });
}
