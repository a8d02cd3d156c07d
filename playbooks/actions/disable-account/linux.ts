/**
 * The `linux` driver: disables and enables local accounts of the host Watchpost's worker runs
 * on. Disabling locks the password and expires the account (`usermod -L -e 1`: the lock alone
 * does not stop SSH key logins, the expiry does, since PAM's account stage refuses an expired
 * account whatever the authentication method), then ends the account's sessions: SIGKILL to its
 * processes (`pkill -KILL -u`) and `loginctl terminate-user` where systemd-logind runs. Enabling
 * unlocks and clears the expiry (`usermod -U -e ''`).
 *
 * Local only: there is no `host` setting. Disabling accounts on other machines is a webhook's
 * job (an orchestration tool, or the identity provider those machines use).
 *
 * Refuses (WATCHPOST_ERR_DRIVER_REJECTED) system accounts (uid below `minUid`, or above
 * `maxUid` such as nobody) and protected names: the safety layer refuses protected accounts
 * before a step runs, this is defense in depth. The name is checked against a strict pattern
 * before any program runs, and programs run without a shell.
 */
import { Type, type Static } from '@sinclair/typebox';
import { UserError, type WatchpostError } from '../../../core/errors.js';
import { runProgram } from '../exec.js';
import type { Driver, DriverContext, DriverType, ExecuteResult, VerifyResult } from '../types.js';
import { ACCOUNT_ACTIONS, readAccountRequest } from './input.js';
import { checkAccountName, findPasswdEntry, findShadowState, isExpired, readSystemFile, type LocalAccount, type ShadowState } from './linux-accounts.js';

const ProgramPath = (name: string): ReturnType<typeof Type.String> =>
  Type.String({ minLength: 1, maxLength: 4096, pattern: '^[^\\u0000-\\u001f]+$', default: name, description: `The ${name} program (a name on PATH or an absolute path).` });

export const LinuxSettings = Type.Object(
  {
    minUid: Type.Optional(Type.Integer({ minimum: 1, maximum: 4_294_967_294, default: 1000, description: 'Accounts below this uid are system accounts and never disabled.' })),
    maxUid: Type.Optional(Type.Integer({ minimum: 1, maximum: 4_294_967_294, default: 60_000, description: 'Accounts above this uid (nobody, 65534) are never disabled; the default is UID_MAX of login.defs.' })),
    protectedAccounts: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 10_000, default: ['root', 'nobody'], description: 'Names never disabled (compared case-insensitively).' }),
    ),
    endSessions: Type.Optional(Type.Boolean({ default: true, description: "Kill the account's processes and terminate its logind sessions after locking it." })),
    usermodPath: Type.Optional(ProgramPath('usermod')),
    pkillPath: Type.Optional(ProgramPath('pkill')),
    loginctlPath: Type.Optional(ProgramPath('loginctl')),
    passwdFile: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, default: '/etc/passwd' })),
    shadowFile: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, default: '/etc/shadow' })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 300_000, default: 15_000, description: 'Time limit of each program run.' })),
  },
  { additionalProperties: false },
);
export type LinuxSettings = Static<typeof LinuxSettings>;

/** The linux driver needs no secrets: it acts with the worker's own (root) rights. */
export const LinuxCredentials = Type.Object({}, { additionalProperties: false });

/** Settings with their defaults applied. */
type ResolvedLinuxSettings = Required<LinuxSettings>;

function resolve(settings: LinuxSettings): ResolvedLinuxSettings {
  return {
    minUid: settings.minUid ?? 1000,
    maxUid: settings.maxUid ?? 60_000,
    protectedAccounts: settings.protectedAccounts ?? ['root', 'nobody'],
    endSessions: settings.endSessions ?? true,
    usermodPath: settings.usermodPath ?? 'usermod',
    pkillPath: settings.pkillPath ?? 'pkill',
    loginctlPath: settings.loginctlPath ?? 'loginctl',
    passwdFile: settings.passwdFile ?? '/etc/passwd',
    shadowFile: settings.shadowFile ?? '/etc/shadow',
    timeoutMs: settings.timeoutMs ?? 15_000,
  };
}

/** Builds a linux driver instance. */
function createLinuxDriver(id: string, settings: ResolvedLinuxSettings): Driver {
  const protectedNames = new Set(settings.protectedAccounts.map((name) => name.toLowerCase()));
  const program = (context: DriverContext, okExitCodes?: readonly number[]) => ({ signal: context.signal, timeoutMs: settings.timeoutMs, ...(okExitCodes ? { okExitCodes } : {}) });

  /** The account, after the name check and the refusals; nothing has run yet. */
  async function lookUp(name: string): Promise<LocalAccount> {
    checkAccountName(id, name);
    if (protectedNames.has(name.toLowerCase())) throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `driver ${id}: account ${name} is protected`);
    const account = findPasswdEntry(await readSystemFile(id, settings.passwdFile), name);
    if (!account) throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `driver ${id}: no such local account ${name}`);
    if (account.uid === 0 || account.uid < settings.minUid || account.uid > settings.maxUid) {
      throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `driver ${id}: account ${name} (uid ${account.uid}) is a system account (allowed uids ${settings.minUid}–${settings.maxUid})`);
    }
    return account;
  }

  async function shadowState(name: string): Promise<ShadowState> {
    const state = findShadowState(await readSystemFile(id, settings.shadowFile), name);
    if (!state) throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `driver ${id}: account ${name} has no ${settings.shadowFile} entry`);
    return state;
  }

  /** Kills the account's processes and its logind sessions; what happened goes in the result. */
  async function endSessions(name: string, context: DriverContext): Promise<Record<string, unknown>> {
    // Exit 1 means no process matched: nothing to end.
    const killed = await runProgram(settings.pkillPath, ['-KILL', '-u', name], program(context, [0, 1]));
    const detail: Record<string, unknown> = { processesKilled: killed.code === 0 };
    try {
      await runProgram(settings.loginctlPath, ['terminate-user', name], program(context));
      detail.loginctl = 'terminated';
    } catch (error) {
      // systemd-logind may not run (containers, minimal hosts) or the account has no session: pkill did the work.
      detail.loginctl = `not done: ${(error as WatchpostError).message.slice(0, 200)}`;
    }
    return detail;
  }

  return {
    id,
    type: 'linux',
    actions: ACCOUNT_ACTIONS,
    async execute(action, input, context): Promise<ExecuteResult> {
      const request = readAccountRequest(id, action, input);
      const account = await lookUp(request.account);
      const before = await shadowState(account.name);
      const now = context.clock.now();
      if (request.action === 'disable-account') {
        const already = before.locked && isExpired(before, now);
        if (!already) await runProgram(settings.usermodPath, ['-L', '-e', '1', account.name], program(context));
        // Also when already locked: a retry after a crash between usermod and pkill must still end the sessions.
        const sessions = settings.endSessions ? await endSessions(account.name, context) : { sessionsEnded: false };
        if (!already) context.logger.info({ driver: id, account: account.name, uid: account.uid }, 'local account locked and expired');
        return { changed: !already, detail: { account: account.name, uid: account.uid, locked: true, expired: true, ...sessions } };
      }
      const locked = before.locked && !before.lockedWithoutPassword;
      if (!locked && !isExpired(before, now)) {
        return { changed: false, detail: { account: account.name, uid: account.uid, locked: before.locked, expired: false } };
      }
      // usermod -U refuses when unlocking would leave an empty password ("passwordless account"):
      // such an account had no password login before it was disabled, so it stays without one
      // and only the expiry is cleared.
      const args = locked ? ['-U', '-e', '', account.name] : ['-e', '', account.name];
      await runProgram(settings.usermodPath, args, program(context));
      context.logger.info({ driver: id, account: account.name, uid: account.uid }, 'local account unlocked');
      return {
        changed: true,
        detail: { account: account.name, uid: account.uid, locked: before.lockedWithoutPassword, expired: false, ...(before.lockedWithoutPassword ? { passwordLeftLocked: 'the account has no password' } : {}) },
      };
    },
    async verify(action, input, context): Promise<VerifyResult> {
      const request = readAccountRequest(id, action, input);
      const account = await lookUp(request.account);
      const state = await shadowState(account.name);
      const expired = isExpired(state, context.clock.now());
      const holds = request.action === 'disable-account' ? state.locked && expired : !expired && (!state.locked || state.lockedWithoutPassword);
      return { holds, detail: { account: account.name, uid: account.uid, locked: state.locked, expired } };
    },
    async close(): Promise<void> {
      // Nothing held open.
    },
  };
}

/** The local Linux accounts driver type. */
export const linuxAccountDriver: DriverType<typeof LinuxSettings, typeof LinuxCredentials> = {
  type: 'linux',
  description: "Disable local accounts of this host: lock and expire them (usermod), and end their sessions (pkill, loginctl).",
  actions: ACCOUNT_ACTIONS,
  settings: LinuxSettings,
  credentials: LinuxCredentials,
  create(config) {
    const settings = resolve(config.settings);
    if (settings.maxUid < settings.minUid) throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `driver ${config.id}: maxUid is below minUid`);
    return createLinuxDriver(config.id, settings);
  },
};
