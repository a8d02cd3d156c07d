import type { Command } from 'commander';
import { scryptHasher } from '../../core/auth/password.js';
import { createUser, disableUser, enableUser, listUsers, setPassword, type PublicUser } from '../../core/auth/users.js';
import { ROLES, type Role } from '../../core/cases/types.js';
import { SYSTEM_CLOCK } from '../../core/clock.js';
import { UserError } from '../../core/errors.js';
import type { CaseStore } from '../../core/stores/case-store.js';
import { openCaseStore } from '../backends.js';
import { commandLogger, configOf, refuse, withStoreOptions, writeOut, type StoreOptions } from './options.js';
import { parseRoles } from './token.js';

/** The actor written to the audit log for changes made from the command line. */
const ACTOR = 'cli';

/** More than any password the policy accepts (1024 characters of up to 4 UTF-8 bytes), with room for a newline. */
const MAX_STDIN_BYTES = 8 * 1024;

/**
 * The password piped on stdin: everything up to the end, without one trailing newline (what
 * `echo` and most secret managers add). Read whole, not prompted: the command runs unattended.
 */
export async function readPasswordFromStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > MAX_STDIN_BYTES) throw new UserError('WATCHPOST_ERR_AUTH_PASSWORD_POLICY', `the password on stdin is longer than ${MAX_STDIN_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** `--role analyst --role viewer` and `--role analyst,viewer` both collect into one list. */
function collectRoles(value: string, previous: Role[]): Role[] {
  return [...new Set([...previous, ...parseRoles(value)])];
}

async function withCases<T>(options: StoreOptions, work: (cases: CaseStore) => Promise<T>): Promise<T> {
  const opened = await openCaseStore(configOf(options), commandLogger(options));
  try {
    return await work(opened.store);
  } finally {
    await opened.close();
  }
}

interface AddOptions extends StoreOptions {
  readonly role: Role[];
  readonly passwordStdin?: boolean;
  readonly displayName?: string;
  readonly email?: string;
}

interface ListOptions extends StoreOptions {
  readonly json?: boolean;
}

interface PasswdOptions extends StoreOptions {
  readonly passwordStdin?: boolean;
}

function table(users: readonly PublicUser[]): string {
  const rows = [
    ['ID', 'USERNAME', 'ROLES', 'STATUS', 'PASSWORD', 'LAST LOGIN', 'CREATED'],
    ...users.map((u) => [u.id, u.username, u.roles.join(','), u.disabled ? 'disabled' : 'enabled', u.hasPassword ? 'yes' : 'no', u.lastLoginAt ?? '-', u.createdAt]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) => `${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()}\n`).join('');
}

/** Adds `watchpost user add|list|disable|enable|passwd`. Every change is written to the audit log as actor `cli`. */
export function registerUserCommand(program: Command): void {
  const user = program.command('user').description('manage local users who sign in to the console and API');
  const context = { actor: ACTOR, clock: SYSTEM_CLOCK };

  withStoreOptions(
    user
      .command('add')
      .description('create a user; without --password-stdin a strong password is generated and printed once on stdout')
      .argument('<name>', 'username: letters, digits, ".", "_", "@", "-" (compared case-insensitively)')
      .requiredOption('--role <role>', `a role, repeatable or comma-separated (${ROLES.join(', ')})`, collectRoles, [] as Role[])
      .option('--password-stdin', 'read the password from stdin (8 to 1024 characters; one trailing newline is dropped)')
      .option('--display-name <text>', 'the name shown in the console')
      .option('--email <address>', 'contact address'),
  ).action(async (name: string, options: AddOptions) => {
    const password = options.passwordStdin === true ? await readPasswordFromStdin() : undefined;
    await withCases(options, async (cases) => {
      const created = await createUser(
        cases,
        scryptHasher(),
        {
          username: name,
          roles: options.role,
          ...(password !== undefined ? { password } : {}),
          ...(options.displayName !== undefined ? { displayName: options.displayName } : {}),
          ...(options.email !== undefined ? { email: options.email } : {}),
        },
        context,
      );
      process.stderr.write(`created user ${created.user.id} with roles ${created.user.roles.join(',')}\n`);
      if (created.generatedPassword !== undefined) {
        process.stderr.write('Its generated password is shown once, below; hand it over now.\n');
        await writeOut(`${created.generatedPassword}\n`);
      }
    });
  });

  withStoreOptions(user.command('list').description('list users (never their password hashes)').option('--json', 'one JSON object per line instead of a table')).action(
    async (options: ListOptions) => {
      await withCases(options, async (cases) => {
        const users = await listUsers(cases);
        await writeOut(options.json === true ? users.map((u) => `${JSON.stringify(u)}\n`).join('') : table(users));
      });
    },
  );

  withStoreOptions(
    user.command('disable').description('disable a user: ends their sessions at once and revokes their API tokens').argument('<name>', 'the username'),
  ).action(async (name: string, options: StoreOptions) => {
    await withCases(options, async (cases) => {
      const result = await disableUser(cases, name, context);
      process.stderr.write(
        `${result.changed ? 'disabled' : 'already disabled:'} user ${name.toLowerCase()}; ended ${result.sessionsEnded} session(s), revoked ${result.tokensRevoked} token(s)\n`,
      );
    });
  });

  withStoreOptions(user.command('enable').description('enable a disabled user again (revoked tokens stay revoked)').argument('<name>', 'the username')).action(
    async (name: string, options: StoreOptions) => {
      await withCases(options, async (cases) => {
        const result = await enableUser(cases, name, context);
        process.stderr.write(`${result.changed ? 'enabled' : 'already enabled:'} user ${name.toLowerCase()}\n`);
      });
    },
  );

  withStoreOptions(
    user
      .command('passwd')
      .description("set a user's password from stdin; ends their sessions")
      .argument('<name>', 'the username')
      .option('--password-stdin', 'read the new password from stdin (required: the command never prompts)'),
  ).action(async (name: string, options: PasswdOptions) => {
    if (options.passwordStdin !== true) {
      refuse('pass the new password on stdin with --password-stdin');
      return;
    }
    const password = await readPasswordFromStdin();
    await withCases(options, async (cases) => {
      const result = await setPassword(cases, scryptHasher(), name, password, context);
      process.stderr.write(`set the password of ${name.toLowerCase()}; ended ${result.sessionsEnded} session(s)\n`);
    });
  });
}
