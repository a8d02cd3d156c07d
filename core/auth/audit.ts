import type { AuditEntry } from '../cases/types.js';
import type { Clock } from '../clock.js';
import { timeOrderedId } from '../ids.js';
import type { CaseStore } from '../stores/case-store.js';

/** What the caller says about a change; id and time are filled in. */
export type AuditRecord = Omit<AuditEntry, 'id' | 'at'>;

/**
 * Appends an audit entry stamped by `clock`. Callers pass only names, ids, roles and reasons:
 * never a password, secret or token (the audit log is read by every admin and exported).
 */
export async function writeAudit(cases: CaseStore, clock: Clock, record: AuditRecord): Promise<AuditEntry> {
  const now = clock.now();
  return cases.audit.append({ id: timeOrderedId(now), at: new Date(now).toISOString(), ...record });
}
