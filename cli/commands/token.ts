import { InvalidArgumentError, type Command } from 'commander';
import { formatToken } from '../../api/plugins/token-auth.js';
import { ROLES, type ApiToken, type AuditEntry, type Role, type User } from '../../core/cases/types.js';
import { hasCode } from '../../core/errors.js';
import { hashSecret, randomId, randomSecret, timeOrderedId } from '../../core/ids.js';
import type { CaseStore, Stored } from '../../core/stores/case-store.js';
import { modify } from '../../core/stores/modify.js';
import { openCaseStore } from '../backends.js';
import { commandLogger, configOf, refuse, withStoreOptions, writeOut, type StoreOptions } from './options.js';

/** The actor written to the audit log for changes made from the command line. */
const ACTOR = 'cli';

const DAY_MS = 86_400_000;

/** What `token create` asks for. */
export interface TokenRequest {
  /** An existing user the token acts for; without one a service user `svc-<name>` is used. */
  readonly user?: string;
  readonly name: string;
  readonly roles: readonly Role[];
  readonly expiresDays?: number;
}

/** A created token: the record as stored and the bearer value, shown once. */
export interface CreatedToken {
  readonly token: ApiToken;
  readonly bearer: string;
  /** The service user, when this call created it. */
  readonly createdUser?: User;
}

/** Parses `ingest,viewer` into roles; unknown names are an argument error. */
export function parseRoles(value: string): Role[] {
  const roles = [...new Set(value.split(',').map((role) => role.trim()).filter((role) => role !== ''))];
  if (roles.length === 0) throw new InvalidArgumentError('name at least one role');
  for (const role of roles) {
    if (!(ROLES as readonly string[]).includes(role)) throw new InvalidArgumentError(`unknown role "${role}"; roles are ${ROLES.join(', ')}`);
  }
  return roles as Role[];
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < 1 || number > 36_500) throw new InvalidArgumentError('expected a whole number of days from 1 to 36500');
  return number;
}

/** The service user's id for a token name: `svc-` and the name as lowercase letters, digits and dashes. */
export function serviceUserId(name: string): string | undefined {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return slug === '' ? undefined : `svc-${slug}`;
}

async function audit(cases: CaseStore, entry: Omit<AuditEntry, 'id' | 'at' | 'actor' | 'outcome'>): Promise<void> {
  await cases.audit.append({ id: timeOrderedId(), at: new Date().toISOString(), actor: ACTOR, outcome: 'success', ...entry });
}

/** The user the token acts for: the named one, or the service user (created when missing). */
async function tokenUser(cases: CaseStore, request: TokenRequest): Promise<{ user: Stored<User> | User; created: boolean } | string> {
  if (request.user !== undefined) {
    const user = await cases.users.get(request.user.toLowerCase());
    return user ? { user, created: false } : `user "${request.user}" does not exist`;
  }
  const id = serviceUserId(request.name);
  if (id === undefined) return `--name "${request.name}" has no letters or digits to name a service user after`;
  const existing = await cases.users.get(id);
  if (existing) return { user: existing, created: false };
  const now = new Date().toISOString();
  const user: User = {
    id,
    username: id,
    displayName: `Service account for API token "${request.name}"`,
    roles: request.roles,
    // No password: a service user cannot sign in, it only owns tokens.
    disabled: false,
    createdAt: now,
    updatedAt: now,
  };
  try {
    return { user: await cases.users.create(user), created: true };
  } catch (error) {
    // Created by a concurrent `token create` with the same name: use that one.
    if (!hasCode(error, 'WATCHPOST_ERR_STORE_CONFLICT')) throw error;
    const raced = await cases.users.get(id);
    if (!raced) throw error;
    return { user: raced, created: false };
  }
}

/**
 * Creates an API token: stores only the SHA-256 of its secret and returns the bearer value
 * (`wp_<id>_<secret>`), which nobody can recover later. The token's roles must be held by its user
 * (a token never outranks its user); without `user`, a service user `svc-<name>` with exactly
 * those roles is created. Both creations are written to the audit log. Returns a refusal message
 * instead when the request cannot be honoured.
 */
export async function createApiToken(cases: CaseStore, request: TokenRequest): Promise<CreatedToken | string> {
  const owner = await tokenUser(cases, request);
  if (typeof owner === 'string') return owner;
  const { user, created } = owner;
  if (created) await audit(cases, { action: 'user.create', target: { type: 'user', id: user.id }, details: { roles: user.roles, service: true } });
  if (user.disabled) return `user "${user.id}" is disabled`;
  const missing = request.roles.filter((role) => !user.roles.includes(role));
  if (missing.length > 0) return `user "${user.id}" does not hold the role${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;

  const now = Date.now();
  const secret = randomSecret();
  const token: ApiToken = {
    id: randomId(),
    name: request.name,
    userId: user.id,
    secretHash: hashSecret(secret),
    roles: request.roles,
    revoked: false,
    ...(request.expiresDays !== undefined ? { expiresAt: new Date(now + request.expiresDays * DAY_MS).toISOString() } : {}),
    createdAt: new Date(now).toISOString(),
  };
  await cases.tokens.create(token);
  await audit(cases, {
    action: 'token.create',
    target: { type: 'token', id: token.id },
    details: { name: token.name, userId: token.userId, roles: token.roles, ...(token.expiresAt ? { expiresAt: token.expiresAt } : {}) },
  });
  return { token, bearer: formatToken(token.id, secret), ...(created ? { createdUser: user } : {}) };
}

/** Every token, oldest first, without secrets or hashes. */
export async function listApiTokens(cases: CaseStore): Promise<Omit<ApiToken, 'secretHash'>[]> {
  const tokens: Omit<ApiToken, 'secretHash'>[] = [];
  let cursor: string | undefined;
  do {
    const page = await cases.tokens.list({ sort: 'createdAt', order: 'asc', limit: 1000, ...(cursor !== undefined ? { cursor } : {}) });
    for (const { secretHash: _hash, rev: _rev, ...token } of page.items) tokens.push(token);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return tokens;
}

/** Revokes a token (idempotent); true when this call revoked it, false when it already was. */
export async function revokeApiToken(cases: CaseStore, id: string): Promise<boolean> {
  let changed = false;
  await modify(cases.tokens, id, (current) => {
    changed = !current.revoked;
    return { ...current, revoked: true };
  });
  if (changed) await audit(cases, { action: 'token.revoke', target: { type: 'token', id } });
  return changed;
}

function statusOf(token: Omit<ApiToken, 'secretHash'>, now: number): string {
  if (token.revoked) return 'revoked';
  if (token.expiresAt !== undefined && !(Date.parse(token.expiresAt) > now)) return 'expired';
  return 'active';
}

async function withCases<T>(options: StoreOptions, work: (cases: CaseStore) => Promise<T>): Promise<T> {
  const config = configOf(options);
  const opened = await openCaseStore(config, commandLogger(options));
  try {
    return await work(opened.store);
  } finally {
    await opened.close();
  }
}

interface CreateOptions extends StoreOptions {
  readonly user?: string;
  readonly name: string;
  readonly roles: Role[];
  readonly expiresDays?: number;
}

interface ListOptions extends StoreOptions {
  readonly json?: boolean;
}

/** Adds `watchpost token create|list|revoke`. */
export function registerTokenCommand(program: Command): void {
  const token = program.command('token').description('manage API tokens (for agents, monitors and scripts)');

  withStoreOptions(
    token
      .command('create')
      .description('create an API token and print it once on stdout; only its hash is stored')
      .requiredOption('--name <label>', 'what the token is for, e.g. "web-01 agent"')
      .requiredOption('--roles <roles>', `comma-separated roles the token may use (${ROLES.join(', ')})`, parseRoles)
      .option('--user <name>', 'the user the token acts for (default: a service user svc-<name> with the same roles)')
      .option('--expires-days <n>', 'days until the token expires (default: never)', positiveInteger),
  ).action(async (options: CreateOptions) => {
    await withCases(options, async (cases) => {
      const created = await createApiToken(cases, {
        name: options.name,
        roles: options.roles,
        ...(options.user !== undefined ? { user: options.user } : {}),
        ...(options.expiresDays !== undefined ? { expiresDays: options.expiresDays } : {}),
      });
      if (typeof created === 'string') {
        refuse(created);
        return;
      }
      const { token: record } = created;
      if (created.createdUser) process.stderr.write(`created service user ${created.createdUser.id} with roles ${created.createdUser.roles.join(',')}\n`);
      process.stderr.write(
        `created token ${record.id} "${record.name}" for ${record.userId} with roles ${record.roles.join(',')}` +
          `${record.expiresAt ? `, expiring ${record.expiresAt}` : ''}. It is shown once, below; store it now.\n`,
      );
      await writeOut(`${created.bearer}\n`);
    });
  });

  withStoreOptions(
    token.command('list').description('list API tokens (never their secrets)').option('--json', 'one JSON object per line instead of a table'),
  ).action(async (options: ListOptions) => {
    await withCases(options, async (cases) => {
      const tokens = await listApiTokens(cases);
      const now = Date.now();
      if (options.json === true) {
        await writeOut(tokens.map((t) => `${JSON.stringify({ ...t, status: statusOf(t, now) })}\n`).join(''));
        return;
      }
      const rows = [
        ['ID', 'NAME', 'USER', 'ROLES', 'STATUS', 'EXPIRES', 'LAST USED', 'CREATED'],
        ...tokens.map((t) => [t.id, t.name, t.userId, t.roles.join(','), statusOf(t, now), t.expiresAt ?? '-', t.lastUsedAt ?? '-', t.createdAt]),
      ];
      const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
      await writeOut(rows.map((row) => `${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()}\n`).join(''));
    });
  });

  withStoreOptions(token.command('revoke').description('revoke an API token (it stops working within 30 s)').argument('<id>', 'the token id')).action(
    async (id: string, options: StoreOptions) => {
      await withCases(options, async (cases) => {
        const revoked = await revokeApiToken(cases, id);
        process.stderr.write(revoked ? `revoked token ${id}\n` : `token ${id} was already revoked\n`);
      });
    },
  );
}
