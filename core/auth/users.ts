import { ROLES, type ApiToken, type Role, type User } from '../cases/types.js';
import type { Clock } from '../clock.js';
import { hasCode, UserError } from '../errors.js';
import type { CaseStore, Stored } from '../stores/case-store.js';
import { modify } from '../stores/modify.js';
import { writeAudit } from './audit.js';
import { generatePassword, type PasswordHasher } from './password.js';
import { endUserSessions } from './sessions.js';

/** Letters, digits and `.`, `_`, `@`, `-`, starting with a letter or digit, 1 to 64 characters. */
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** Names the audit log uses for non-human actors: no user may take them. */
const RESERVED = new Set(['system', 'cli', 'anonymous']);

/** The username of the account created at first start. */
export const FIRST_ADMIN = 'admin';

/** Who makes a change and on which clock: written to the audit log with it. */
export interface ChangeContext {
  /** A user id, `token:<id>`, `cli` or `system`. */
  readonly actor: string;
  readonly clock: Clock;
}

/** A user as shown to admins: never the password hash. */
export type PublicUser = Omit<User, 'passwordHash'> & { readonly hasPassword: boolean };

/** Strips the hash (and the store revision) from a user record. */
export function publicUser(user: User | Stored<User>): PublicUser {
  const { passwordHash, ...rest } = user;
  const { rev: _rev, ...plain } = rest as typeof rest & { rev?: string };
  return { ...plain, hasPassword: passwordHash !== undefined };
}

/** The user id of a username (lower-cased), or a WATCHPOST_ERR_AUTH_USER error for a bad one. */
export function userIdOf(username: string): string {
  if (!USERNAME.test(username)) {
    throw new UserError('WATCHPOST_ERR_AUTH_USER', `username "${username.slice(0, 80)}" must be 1 to 64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit`);
  }
  const id = username.toLowerCase();
  if (RESERVED.has(id)) throw new UserError('WATCHPOST_ERR_AUTH_USER', `username "${username}" is reserved`);
  return id;
}

function checkRoles(roles: readonly string[]): readonly Role[] {
  if (roles.length === 0) throw new UserError('WATCHPOST_ERR_AUTH_USER', 'a user needs at least one role');
  for (const role of roles) {
    if (!(ROLES as readonly string[]).includes(role)) throw new UserError('WATCHPOST_ERR_AUTH_USER', `unknown role "${role}"; roles are ${ROLES.join(', ')}`);
  }
  return [...new Set(roles as Role[])];
}

async function existing(cases: CaseStore, username: string): Promise<Stored<User>> {
  const user = await cases.users.get(userIdOf(username));
  if (!user) throw new UserError('WATCHPOST_ERR_AUTH_USER', `user "${username}" does not exist`);
  return user;
}

/** What {@link createUser} needs. */
export interface NewUser {
  readonly username: string;
  readonly roles: readonly string[];
  /** Absent: a strong one is generated and returned once. */
  readonly password?: string;
  readonly displayName?: string;
  readonly email?: string;
}

/**
 * Creates a local user with a password (given, or generated and returned once) and writes
 * `user.create` to the audit log. Refuses a bad or taken username, unknown roles and a password
 * outside the policy with a UserError.
 */
export async function createUser(
  cases: CaseStore,
  hasher: PasswordHasher,
  request: NewUser,
  context: ChangeContext,
): Promise<{ readonly user: PublicUser; readonly generatedPassword?: string }> {
  const id = userIdOf(request.username);
  const roles = checkRoles(request.roles);
  const generated = request.password === undefined ? generatePassword() : undefined;
  const passwordHash = await hasher.hash(request.password ?? (generated as string));
  const at = new Date(context.clock.now()).toISOString();
  const user: User = {
    id,
    username: request.username,
    ...(request.displayName !== undefined ? { displayName: request.displayName } : {}),
    ...(request.email !== undefined ? { email: request.email } : {}),
    roles,
    passwordHash,
    disabled: false,
    createdAt: at,
    updatedAt: at,
  };
  try {
    await cases.users.create(user);
  } catch (error) {
    if (hasCode(error, 'WATCHPOST_ERR_STORE_CONFLICT')) throw new UserError('WATCHPOST_ERR_AUTH_USER', `user "${id}" exists`, { cause: error });
    throw error;
  }
  await writeAudit(cases, context.clock, {
    actor: context.actor,
    action: 'user.create',
    target: { type: 'user', id },
    outcome: 'success',
    details: { after: { username: user.username, roles, disabled: false }, generatedPassword: generated !== undefined },
  });
  return { user: publicUser(user), ...(generated !== undefined ? { generatedPassword: generated } : {}) };
}

/** Every user, oldest first, without password hashes. */
export async function listUsers(cases: CaseStore): Promise<PublicUser[]> {
  const users: PublicUser[] = [];
  let cursor: string | undefined;
  do {
    const page = await cases.users.list({ sort: 'createdAt', order: 'asc', limit: 1000, ...(cursor !== undefined ? { cursor } : {}) });
    users.push(...page.items.map(publicUser));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return users;
}

/**
 * Sets a user's password and ends their sessions (someone who knew the old one is signed out),
 * writing `user.password` to the audit log (never the password).
 */
export async function setPassword(cases: CaseStore, hasher: PasswordHasher, username: string, password: string, context: ChangeContext): Promise<{ sessionsEnded: number }> {
  const user = await existing(cases, username);
  const passwordHash = await hasher.hash(password);
  const at = new Date(context.clock.now()).toISOString();
  await modify(cases.users, user.id, (current) => ({ ...current, passwordHash, updatedAt: at }));
  const sessionsEnded = await endUserSessions(cases, user.id);
  await writeAudit(cases, context.clock, {
    actor: context.actor,
    action: 'user.password',
    target: { type: 'user', id: user.id },
    outcome: 'success',
    details: { sessionsEnded },
  });
  return { sessionsEnded };
}

async function revokeUserTokens(cases: CaseStore, userId: string): Promise<number> {
  const active: ApiToken[] = [];
  let cursor: string | undefined;
  do {
    const page = await cases.tokens.list({
      filter: { op: 'eq', field: 'userId', value: userId, caseSensitive: true },
      limit: 1000,
      ...(cursor !== undefined ? { cursor } : {}),
    });
    active.push(...page.items.filter((token) => !token.revoked));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  for (const token of active) await modify(cases.tokens, token.id, (current) => ({ ...current, revoked: true }));
  return active.length;
}

/**
 * Disables a user: they can no longer sign in, every session of theirs ends at once (ASVS
 * 7.4.2) and every API token of theirs is revoked (token caches let one work for up to 30 s
 * more). Idempotent; writes `user.disable` with what it ended.
 */
export async function disableUser(
  cases: CaseStore,
  username: string,
  context: ChangeContext,
): Promise<{ readonly changed: boolean; readonly sessionsEnded: number; readonly tokensRevoked: number }> {
  const user = await existing(cases, username);
  const at = new Date(context.clock.now()).toISOString();
  let changed = false;
  await modify(cases.users, user.id, (current) => {
    changed = !current.disabled;
    return current.disabled ? current : { ...current, disabled: true, updatedAt: at };
  });
  // Ended even when already disabled: a half-finished earlier disable may have left some.
  const sessionsEnded = await endUserSessions(cases, user.id);
  const tokensRevoked = await revokeUserTokens(cases, user.id);
  await writeAudit(cases, context.clock, {
    actor: context.actor,
    action: 'user.disable',
    target: { type: 'user', id: user.id },
    outcome: 'success',
    details: { before: { disabled: user.disabled }, after: { disabled: true }, sessionsEnded, tokensRevoked },
  });
  return { changed, sessionsEnded, tokensRevoked };
}

/** Enables a disabled user again (their revoked tokens stay revoked); writes `user.enable`. */
export async function enableUser(cases: CaseStore, username: string, context: ChangeContext): Promise<{ readonly changed: boolean }> {
  const user = await existing(cases, username);
  const at = new Date(context.clock.now()).toISOString();
  let changed = false;
  await modify(cases.users, user.id, (current) => {
    changed = current.disabled;
    return current.disabled ? { ...current, disabled: false, updatedAt: at } : current;
  });
  await writeAudit(cases, context.clock, {
    actor: context.actor,
    action: 'user.enable',
    target: { type: 'user', id: user.id },
    outcome: 'success',
    details: { before: { disabled: user.disabled }, after: { disabled: false } },
  });
  return { changed };
}

/**
 * At first start, when no user can sign in with a password yet (service users of API tokens
 * cannot), creates `admin` with a generated password and returns it to be shown once; otherwise
 * undefined. Two processes starting at once both try; the store's unique id lets one win.
 * The password is for the caller to print to the operator, never to a log.
 */
export async function ensureFirstAdmin(cases: CaseStore, hasher: PasswordHasher, clock: Clock): Promise<{ readonly username: string; readonly password: string } | undefined> {
  const withPassword = await cases.users.list({ filter: { op: 'exists', field: 'passwordHash' }, limit: 1 });
  if (withPassword.total > 0 || (await cases.users.get(FIRST_ADMIN))) return undefined;
  try {
    const created = await createUser(cases, hasher, { username: FIRST_ADMIN, roles: ['admin'], displayName: 'First administrator' }, { actor: 'system', clock });
    return { username: FIRST_ADMIN, password: created.generatedPassword as string };
  } catch (error) {
    if (hasCode(error, 'WATCHPOST_ERR_AUTH_USER')) return undefined;
    throw error;
  }
}
