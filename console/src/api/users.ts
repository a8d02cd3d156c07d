import { api } from './client';

/** One user an alert or incident can be given to (AssignableUser in api/routes/users/assignable.ts). */
export interface AssignableUser {
  readonly id: string;
  readonly username: string;
  readonly displayName?: string;
}

/** GET /api/v1/users/assignable's answer. */
export interface AssignableUsers {
  readonly items: readonly AssignableUser[];
  /** More users match than were returned: narrow with a prefix. */
  readonly truncated: boolean;
}

/** The enabled users who can triage, optionally only those whose id starts with `prefix`. */
export function fetchAssignableUsers(prefix?: string): Promise<AssignableUsers> {
  return api<AssignableUsers>('/api/v1/users/assignable', { query: { prefix: prefix || undefined } });
}

/** "Alice Analyst (alice)", or the username alone when it has no display name. */
export function userLabel(user: AssignableUser): string {
  return user.displayName && user.displayName !== user.username ? `${user.displayName} (${user.username})` : user.username;
}
