import { useAuth } from '../../app/auth';

/** Whether the signed-in principal may change incidents: analyst and above, as the API's WRITERS. */
export function useCanEditIncidents(): boolean {
  return useAuth().hasRole('analyst');
}
