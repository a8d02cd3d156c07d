import { useAuth } from '../../app/auth';

/** The signed-in user's id (for "assign to me") and a role check for hiding what they may not do. */
export function useMe(): { userId: string | undefined; can: (role: 'viewer' | 'analyst' | 'responder') => boolean } {
  const auth = useAuth();
  return { userId: auth.me?.user?.id ?? auth.me?.principal, can: (role) => auth.hasRole(role) };
}
