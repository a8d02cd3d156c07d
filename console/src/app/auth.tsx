import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useMemo, type ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { api, ApiError, setCsrfToken } from '../api/client';
import { ErrorState, LoadingState } from '../components/States';

/** A role of a principal; `ingest` is the machine role, outside the human hierarchy. */
export type Role = 'viewer' | 'analyst' | 'responder' | 'approver' | 'admin' | 'ingest';

/** The human roles from least to most: a higher one holds every right of those below it. */
export const ROLE_ORDER = ['viewer', 'analyst', 'responder', 'approver', 'admin'] as const;

/** The signed-in user (SignedInUser in api/routes/auth/index.ts). */
export interface SignedInUser {
  readonly id: string;
  readonly username: string;
  readonly displayName?: string;
  readonly email?: string;
  readonly roles: readonly Role[];
  readonly lastLoginAt?: string;
}

/** GET /api/v1/auth/me (MeResponse in api/routes/auth/index.ts). */
export interface Me {
  readonly principal: string;
  readonly roles: readonly Role[];
  readonly user?: SignedInUser;
  readonly csrfToken?: string;
  readonly session?: { readonly createdAt: string; readonly lastSeenAt: string; readonly expiresAt: string };
}

/** POST /api/v1/auth/login's answer (LoginResponse). */
export interface LoginResult {
  readonly user: SignedInUser;
  readonly roles: readonly Role[];
  readonly csrfToken: string;
}

/** GET /api/v1/auth/methods (MethodsResponse). */
export interface SignInMethods {
  readonly password: boolean;
  readonly oidc: boolean;
  /** No one has signed in yet: the login page shows where the first admin's password is. */
  readonly firstRun: boolean;
}

/** The query key of the signed-in principal (null: signed out). */
export const ME_QUERY_KEY = ['auth', 'me'] as const;

/**
 * Whether `roles` admit `role` under the hierarchy viewer < analyst < responder < approver <
 * admin (admin holds all); `ingest` admits only `ingest`. The server decides; this only hides
 * controls a principal could not use.
 */
export function rolesAdmit(roles: readonly string[], role: Role): boolean {
  if (roles.includes(role)) return true;
  if (role === 'ingest') return false;
  const needed = ROLE_ORDER.indexOf(role);
  return roles.some((held) => ROLE_ORDER.indexOf(held as (typeof ROLE_ORDER)[number]) >= needed);
}

/** Reads the session: the principal, or null on 401 (signed out). Remembers the CSRF token. */
export async function fetchMe(): Promise<Me | null> {
  try {
    const me = await api<Me>('/api/v1/auth/me');
    setCsrfToken(me.csrfToken);
    return me;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      setCsrfToken(undefined);
      return null;
    }
    throw error;
  }
}

/** What {@link useAuth} returns. */
export interface Auth {
  readonly status: 'loading' | 'signed-in' | 'signed-out' | 'error';
  readonly me: Me | null | undefined;
  readonly error: unknown;
  /** The name to show: display name, username or the principal id. */
  readonly name: string;
  readonly roles: readonly string[];
  /** Whether the principal holds `role` or a higher one. */
  hasRole(role: Role): boolean;
  /** Ends the session (POST /api/v1/auth/logout) and forgets the principal. */
  signOut(): Promise<void>;
}

/**
 * The signed-in principal, from GET /api/v1/auth/me through the query cache (every component
 * shares one request; no provider needed): 200 → signed in, 401 → signed out.
 */
export function useAuth(): Auth {
  const client = useQueryClient();
  const query = useQuery({ queryKey: ME_QUERY_KEY, queryFn: fetchMe, staleTime: 60_000, retry: false });
  const me = query.data;
  const roles = useMemo(() => me?.roles ?? [], [me]);
  const hasRole = useCallback((role: Role) => rolesAdmit(roles, role), [roles]);
  const signOut = useCallback(async () => {
    try {
      await api<void>('/api/v1/auth/logout', { method: 'POST' });
    } finally {
      setCsrfToken(undefined);
      client.setQueryData(ME_QUERY_KEY, null);
      // Nothing of the last session may show to the next one.
      client.removeQueries({ predicate: (q) => q.queryKey[0] !== ME_QUERY_KEY[0] });
    }
  }, [client]);
  const status = query.isPending ? 'loading' : query.isError ? 'error' : me ? 'signed-in' : 'signed-out';
  return {
    status,
    me,
    error: query.error,
    name: me?.user?.displayName ?? me?.user?.username ?? me?.principal ?? '',
    roles,
    hasRole,
    signOut,
  };
}

/** Where the sign-in page sends the browser back to: a path of this console only (no open redirect). */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || next.startsWith('/login')) return '/';
  return next;
}

/** Shows its children only when signed in; signed out, goes to /login?next=<this path>. */
export function RequireAuth({ children }: { readonly children: ReactNode }) {
  const auth = useAuth();
  const location = useLocation();
  if (auth.status === 'loading') return <LoadingState label="Checking your session…" />;
  if (auth.status === 'error') return <ErrorState error={auth.error} title="Cannot reach Watchpost" />;
  if (auth.status === 'signed-out') {
    const next = `${location.pathname}${location.search}${location.hash}`;
    return <Navigate to={next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return <>{children}</>;
}

/** Shows its children only to principals holding `role` (or a higher one); else `fallback`. */
export function IfRole({ role, children, fallback = null }: { readonly role: Role; readonly children: ReactNode; readonly fallback?: ReactNode }) {
  const auth = useAuth();
  return <>{auth.hasRole(role) ? children : fallback}</>;
}
