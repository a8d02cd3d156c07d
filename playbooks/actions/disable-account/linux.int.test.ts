import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CLOCK } from '../../../core/clock.js';
import { silentLogger } from '../../../core/log.js';
import type { Driver, DriverContext } from '../types.js';
import { linuxAccountDriver, type LinuxSettings } from './linux.js';

// Real local accounts made for this run (useradd), real usermod/pkill/loginctl: runs as root,
// like the tests in CI. Every account is removed in afterAll, also when a test fails.

const run = promisify(execFile);
const USER = `wp-test-${process.pid}`;
const NO_PASSWORD_USER = `wp-test-np-${process.pid}`;
const PASSWORD = `pw-${process.pid}-${Date.now()}`;
const created: string[] = [];
const children: ChildProcess[] = [];

const context = (): DriverContext => ({ signal: AbortSignal.timeout(20_000), logger: silentLogger(), clock: SYSTEM_CLOCK, idempotencyKey: 'run.step.linux' });
const disable = (account: string) => ({ account, reason: 'password spraying then success', ttlSeconds: 3600 });
const enable = (account: string) => ({ account, reason: 'released' });

function driver(settings: LinuxSettings = {}): Driver {
  return linuxAccountDriver.create({ id: 'linux-test', settings, credentials: {} }, { logger: silentLogger(), clock: SYSTEM_CLOCK });
}

/** The password and expiry fields of the account's /etc/shadow line. */
function shadow(name: string): { password: string; expire: string } {
  const line = readFileSync('/etc/shadow', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${name}:`));
  if (!line) throw new Error(`${name} is not in /etc/shadow`);
  const fields = line.split(':');
  return { password: fields[1]!, expire: fields[7]! };
}

function ids(name: string): { uid: number; gid: number } {
  const fields = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${name}:`))!
    .split(':');
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

/** Starts `sleep 60` as the account; resolves with the signal that ended it. */
function sleepAs(name: string): { child: ChildProcess; ended: Promise<NodeJS.Signals | null> } {
  const child = spawn('sleep', ['60'], { ...ids(name), stdio: 'ignore' });
  children.push(child);
  const ended = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  return { child, ended };
}

beforeAll(async () => {
  for (const name of [USER, NO_PASSWORD_USER]) {
    await run('useradd', ['-m', '-s', '/bin/sh', name]);
    created.push(name);
  }
  const setPassword = spawn('chpasswd', [], { stdio: ['pipe', 'ignore', 'inherit'] });
  setPassword.stdin.end(`${USER}:${PASSWORD}\n`);
  await new Promise<void>((resolve, reject) => setPassword.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`chpasswd exited ${String(code)}`)))));
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const name of created) {
    await run('pkill', ['-KILL', '-u', name]).catch(() => undefined);
    await run('userdel', ['-r', '-f', name]).catch(() => undefined);
  }
});

describe('linux driver on a throwaway local account', () => {
  it('locks and expires the account and kills its processes; unlocks it again', async () => {
    expect(ids(USER).uid).toBeGreaterThanOrEqual(1000);
    expect(shadow(USER).password.startsWith('$')).toBe(true);
    const linux = driver();
    const sleeper = sleepAs(USER);
    expect(sleeper.child.pid).toBeGreaterThan(0);
    expect(await linux.verify!('disable-account', disable(USER), context())).toMatchObject({ holds: false });

    const result = await linux.execute('disable-account', disable(USER), context());
    expect(result).toMatchObject({ changed: true, detail: { account: USER, uid: ids(USER).uid, locked: true, expired: true, processesKilled: true } });
    // loginctl works only where systemd-logind runs: either way the outcome is recorded.
    expect(typeof result.detail?.loginctl).toBe('string');
    expect(await sleeper.ended).toBe('SIGKILL');
    expect(shadow(USER).password.startsWith('!$')).toBe(true);
    expect(shadow(USER).expire).toBe('1');
    expect(await linux.verify!('disable-account', disable(USER), context())).toMatchObject({ holds: true, detail: { locked: true, expired: true } });

    // Idempotent, and a repeat still ends sessions started since (a retry after a crash before pkill).
    const again = sleepAs(USER);
    expect(await linux.execute('disable-account', disable(USER), context())).toMatchObject({ changed: false, detail: { processesKilled: true } });
    expect(await again.ended).toBe('SIGKILL');

    expect(await linux.execute('enable-account', enable(USER), context())).toMatchObject({ changed: true, detail: { locked: false, expired: false } });
    expect(shadow(USER).password.startsWith('$')).toBe(true);
    expect(shadow(USER).expire).toBe('');
    expect(await linux.verify!('enable-account', enable(USER), context())).toMatchObject({ holds: true });
    expect(await linux.verify!('disable-account', disable(USER), context())).toMatchObject({ holds: false });
    expect(await linux.execute('enable-account', enable(USER), context())).toMatchObject({ changed: false });
  });

  it('enables an account without a password by clearing the expiry only (usermod -U would refuse)', async () => {
    expect(shadow(NO_PASSWORD_USER).password).toMatch(/^!+$/);
    const linux = driver({ endSessions: false });
    expect(await linux.execute('disable-account', disable(NO_PASSWORD_USER), context())).toMatchObject({ changed: true, detail: { sessionsEnded: false } });
    expect(shadow(NO_PASSWORD_USER).expire).toBe('1');
    expect(await linux.verify!('disable-account', disable(NO_PASSWORD_USER), context())).toMatchObject({ holds: true });

    expect(await linux.execute('enable-account', enable(NO_PASSWORD_USER), context())).toMatchObject({ changed: true, detail: { passwordLeftLocked: 'the account has no password' } });
    expect(shadow(NO_PASSWORD_USER).expire).toBe('');
    expect(shadow(NO_PASSWORD_USER).password).toMatch(/^!+$/);
    expect(await linux.verify!('enable-account', enable(NO_PASSWORD_USER), context())).toMatchObject({ holds: true });
    expect(await linux.execute('enable-account', enable(NO_PASSWORD_USER), context())).toMatchObject({ changed: false });
  });

  it('refuses root, system accounts, nobody, protected names and unknown accounts before running anything', async () => {
    const before = readFileSync('/etc/shadow', 'utf8');
    // No protected names configured: root (uid 0), daemon (uid 1) and nobody (65534) are still refused by uid.
    const open = driver({ protectedAccounts: [] });
    for (const name of ['root', 'daemon', 'nobody']) {
      await expect(open.execute('disable-account', disable(name), context())).rejects.toMatchObject({ code: 'WATCHPOST_ERR_DRIVER_REJECTED', message: expect.stringContaining('system account') });
    }
    await expect(driver().execute('disable-account', disable('ROOT'), context())).rejects.toMatchObject({ code: 'WATCHPOST_ERR_DRIVER_REJECTED', message: expect.stringContaining('protected') });
    await expect(driver({ protectedAccounts: [USER] }).execute('disable-account', disable(USER), context())).rejects.toMatchObject({ code: 'WATCHPOST_ERR_DRIVER_REJECTED', message: expect.stringContaining('protected') });
    await expect(driver({ minUid: ids(USER).uid + 1 }).execute('disable-account', disable(USER), context())).rejects.toMatchObject({ code: 'WATCHPOST_ERR_DRIVER_REJECTED' });
    await expect(driver().execute('disable-account', disable(`wp-absent-${process.pid}`), context())).rejects.toMatchObject({ code: 'WATCHPOST_ERR_DRIVER_REJECTED', message: expect.stringContaining('no such local account') });
    // Names that are not login names never reach a program (schema-valid, so the driver's own pattern stops them).
    for (const name of ['-e', '--help', 'a b', 'a/../b', '$id', 'a|b', 'a`b']) {
      await expect(driver().execute('disable-account', disable(name), context())).rejects.toMatchObject({ code: 'WATCHPOST_ERR_ACTION_INPUT' });
    }
    expect(readFileSync('/etc/shadow', 'utf8')).toBe(before);
  });

  it('reports a missing program as a configuration problem and leaves the account as it was', async () => {
    const before = shadow(USER);
    await expect(driver({ usermodPath: '/nonexistent/usermod' }).execute('disable-account', disable(USER), context())).rejects.toMatchObject({ code: 'WATCHPOST_ERR_DRIVER_CONFIG' });
    expect(shadow(USER)).toEqual(before);
  });
});
