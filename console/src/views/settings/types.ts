import type { Role } from '../../app/auth';

/** A user (UserView in api/routes/users/index.ts). */
export interface UserView {
  readonly id: string;
  readonly username: string;
  readonly displayName?: string;
  readonly email?: string;
  readonly roles: readonly Role[];
  readonly disabled: boolean;
  readonly hasPassword: boolean;
  readonly lastLoginAt?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** An API token (TokenView in api/routes/tokens/index.ts); never its hash. */
export interface TokenView {
  readonly id: string;
  readonly name: string;
  readonly userId: string;
  readonly roles: readonly Role[];
  readonly revoked: boolean;
  readonly status: 'active' | 'expired' | 'revoked';
  readonly expiresAt?: string;
  readonly lastUsedAt?: string;
  readonly createdAt: string;
}

/** A suppression (SuppressionView in api/routes/suppressions/index.ts). */
export interface SuppressionView {
  readonly id: string;
  readonly rule?: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly startsAt: string;
  readonly expiresAt: string;
  readonly author: string;
  readonly reason: string;
  readonly suppressedCount: number;
  readonly lastSuppressedAt?: string;
  readonly state: 'in_force' | 'scheduled' | 'expired';
}

/** One entry of the effective never-block list (NeverBlockItemView). */
export interface NeverBlockItem {
  readonly value: string;
  readonly source: string;
  readonly note?: string;
  readonly id?: string;
}

/** A page of a list route. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly total: number;
  readonly nextCursor?: string;
}

/** GET /api/health (HealthResponse in api/routes/health/index.ts). */
export interface Health {
  readonly status: 'ok' | 'degraded' | 'down';
  readonly version: string;
  readonly uptimeSeconds: number;
  readonly backends: Readonly<Record<string, { readonly kind: string; readonly state: 'up' | 'degraded' | 'down'; readonly detail?: string }>>;
}

/** A date-time for a dense table: local, to the minute. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
