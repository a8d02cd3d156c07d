import type { CaseStore } from '../../../core/stores/case-store.js';
import type { Principal } from '../../plugins/auth-guard.js';

/** The prefix of a principal authenticated by an API token (see token-auth.ts). */
const TOKEN_PRINCIPAL = 'token:';

/**
 * The user a principal acts for: its id for a session, the token's owner for an API token, or
 * undefined when that token no longer exists. Needed wherever "own" records are meant (a token's
 * owner, "you cannot disable yourself").
 */
export async function principalUserId(principal: Principal, cases: CaseStore): Promise<string | undefined> {
  if (!principal.id.startsWith(TOKEN_PRINCIPAL)) return principal.id;
  const token = await cases.tokens.get(principal.id.slice(TOKEN_PRINCIPAL.length));
  return token?.userId;
}
