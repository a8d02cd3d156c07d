import { ROLES, type Role, type User } from '../cases/types.js';
import type { Clock } from '../clock.js';
import type { OidcConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { CaseStore, Stored } from '../stores/case-store.js';
import { modify } from '../stores/modify.js';
import { writeAudit } from './audit.js';
import type { OidcIdentity } from './oidc.js';
import { startSession, type SessionPolicy, type StartedSession } from './sessions.js';
import { userIdOf } from './users.js';

/** Groups named in an audit entry, at most (the rest are counted). */
const AUDITED_GROUPS = 20;

/** Why a user the provider vouched for is refused. */
export type OidcRefusal = 'no_username' | 'bad_username' | 'taken' | 'disabled' | 'no_role' | 'no_account';

/** What came of an OIDC sign-in once the provider's answer checked out. */
export type OidcSignIn =
  | { readonly ok: true; readonly user: Stored<User>; readonly started: StartedSession; readonly created: boolean }
  | { readonly ok: false; readonly reason: OidcRefusal; readonly message: string };

/** What {@link signInWithOidc} needs. */
export interface OidcSignInOptions {
  readonly config: Readonly<OidcConfig>;
  readonly clock: Clock;
  readonly sessions: SessionPolicy;
  readonly logger: Logger;
  /** The client address, for the session and the audit log. */
  readonly ip: string;
  readonly userAgent?: string;
}

/**
 * The roles a provider's groups grant: the role of every group named in `groupRoles`, or the
 * default role when none is; empty when neither (the user is then refused). Only the human
 * roles can be granted, whatever the configuration says.
 */
export function rolesForGroups(groups: readonly string[], config: Pick<OidcConfig, 'groupRoles' | 'defaultRole'>): Role[] {
  const granted = new Set<Role>();
  for (const group of groups) {
    const role = Object.hasOwn(config.groupRoles, group) ? config.groupRoles[group] : undefined;
    if (role !== undefined && role !== 'ingest' && (ROLES as readonly string[]).includes(role)) granted.add(role as Role);
  }
  if (granted.size === 0 && config.defaultRole !== undefined && config.defaultRole !== 'ingest') granted.add(config.defaultRole as Role);
  return ROLES.filter((role) => granted.has(role));
}

function refusalMessage(reason: OidcRefusal, config: Readonly<OidcConfig>, username: string | undefined): string {
  switch (reason) {
    case 'no_username':
      return `the identity provider sent no "${config.usernameClaim}" claim to name your Watchpost user (auth.oidc.usernameClaim)`;
    case 'bad_username':
      return `your username "${(username ?? '').slice(0, 80)}" is not a valid Watchpost username (1 to 64 letters, digits, ".", "_", "@" or "-")`;
    case 'taken':
      return `the Watchpost user "${(username ?? '').slice(0, 80)}" belongs to another account (a local user or another identity); ask an administrator`;
    case 'disabled':
      return 'your Watchpost account is disabled; ask an administrator';
    case 'no_role':
      return 'none of your groups at the identity provider grants a Watchpost role (auth.oidc.groupRoles) and no default role is set (auth.oidc.defaultRole); ask an administrator';
    case 'no_account':
      return 'you have no Watchpost account and accounts are not created at sign-in (auth.oidc.autoCreate); ask an administrator to create one';
  }
}

/**
 * Turns an identity the provider vouched for into a Watchpost session. The username comes from
 * `usernameClaim`; the user is bound to the provider's subject (`oidcSubject`) at the first
 * sign-in, so afterwards a different person who gets the same username at the provider is
 * refused, and a local account (one with a password) is never taken over. An account an admin
 * created without a password is linked at its first OIDC sign-in. Roles follow the groups at
 * every sign-in (see {@link rolesForGroups}), so removing someone from a group at the provider
 * demotes them at their next sign-in; a role set by hand in Watchpost is overwritten.
 *
 * Audit: `auth.login` (method oidc) for every outcome, with the reason of a refusal (and, for
 * no_role, the groups seen); `user.create` for an account created here and `user.update` when the
 * roles or the link change (actor `system`: the provider decided).
 */
export async function signInWithOidc(cases: CaseStore, identity: OidcIdentity, options: OidcSignInOptions): Promise<OidcSignIn> {
  const { config, clock } = options;
  const refuse = async (reason: OidcRefusal, target: string | undefined): Promise<OidcSignIn> => {
    const groups = reason === 'no_role' ? { groups: identity.groups.slice(0, AUDITED_GROUPS), groupCount: identity.groups.length } : {};
    await writeAudit(cases, clock, {
      actor: 'anonymous',
      action: 'auth.login',
      target: { type: 'user', id: (target ?? identity.username ?? identity.subject).slice(0, 256) },
      outcome: 'failure',
      details: { ip: options.ip, method: 'oidc', reason, subject: identity.subject.slice(0, 512), ...groups },
    });
    options.logger.debug({ username: identity.username?.slice(0, 64), ip: options.ip, reason }, 'OIDC sign-in refused');
    return { ok: false, reason, message: refusalMessage(reason, config, identity.username) };
  };

  if (identity.username === undefined) return refuse('no_username', undefined);
  let id: string;
  try {
    id = userIdOf(identity.username);
  } catch {
    return refuse('bad_username', undefined);
  }
  const existing = await cases.users.get(id);
  if (existing && (existing.oidcSubject !== undefined ? existing.oidcSubject !== identity.subject : existing.passwordHash !== undefined)) {
    return refuse('taken', id);
  }
  if (existing?.disabled) return refuse('disabled', id);
  const roles = rolesForGroups(identity.groups, config);
  if (roles.length === 0) return refuse('no_role', id);
  if (!existing && !config.autoCreate) return refuse('no_account', id);

  const at = new Date(clock.now()).toISOString();
  let user: Stored<User>;
  if (!existing) {
    user = await cases.users.create({
      id,
      username: identity.username,
      ...(identity.displayName !== undefined ? { displayName: identity.displayName } : {}),
      ...(identity.email !== undefined ? { email: identity.email } : {}),
      roles,
      oidcSubject: identity.subject,
      disabled: false,
      lastLoginAt: at,
      createdAt: at,
      updatedAt: at,
    });
    await writeAudit(cases, clock, {
      actor: 'system',
      action: 'user.create',
      target: { type: 'user', id },
      outcome: 'success',
      details: { after: { username: user.username, roles, disabled: false, oidcSubject: identity.subject }, method: 'oidc' },
    });
  } else {
    let refusedNow = false;
    user = await modify(cases.users, id, (current) => {
      // Disabled between the read and this write: keep the record, refuse below.
      refusedNow = current.disabled;
      if (current.disabled) return current;
      return {
        ...current,
        roles,
        oidcSubject: identity.subject,
        ...(identity.displayName !== undefined ? { displayName: identity.displayName } : {}),
        ...(identity.email !== undefined ? { email: identity.email } : {}),
        lastLoginAt: at,
        updatedAt: at,
      };
    });
    if (refusedNow) return refuse('disabled', id);
    const rolesChanged = existing.roles.length !== roles.length || existing.roles.some((role) => !roles.includes(role));
    if (rolesChanged || existing.oidcSubject === undefined) {
      await writeAudit(cases, clock, {
        actor: 'system',
        action: 'user.update',
        target: { type: 'user', id },
        outcome: 'success',
        details: {
          before: { roles: [...existing.roles], ...(existing.oidcSubject !== undefined ? { oidcSubject: existing.oidcSubject } : {}) },
          after: { roles, oidcSubject: identity.subject },
          method: 'oidc',
        },
      });
    }
  }
  const started = await startSession(cases, user, {
    clock,
    policy: options.sessions,
    ip: options.ip,
    ...(options.userAgent !== undefined ? { userAgent: options.userAgent } : {}),
  });
  await writeAudit(cases, clock, {
    actor: user.id,
    action: 'auth.login',
    target: { type: 'user', id: user.id },
    outcome: 'success',
    details: { ip: options.ip, method: 'oidc', subject: identity.subject.slice(0, 512), roles },
  });
  options.logger.debug({ userId: user.id, ip: options.ip }, 'signed in through OIDC');
  return { ok: true, user, started, created: !existing };
}
