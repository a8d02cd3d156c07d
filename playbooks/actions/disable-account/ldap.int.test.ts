import { createServer, type Server, type Socket } from 'node:net';
import { Attribute, Change, Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CLOCK } from '../../../core/clock.js';
import { silentLogger } from '../../../core/log.js';
import { canBind, startSlapd, type Slapd } from '../../../test/helpers/slapd.js';
import type { Driver, DriverContext } from '../types.js';
import { LdapDirectory } from './ldap-directory.js';
import { ldapDriver, PERMANENTLY_LOCKED, type LdapSettings } from './ldap.js';

// A real OpenLDAP slapd with the ppolicy overlay: a locked account cannot bind, an unlocked one can.

let slapd: Slapd;

function context(signal: AbortSignal = AbortSignal.timeout(20_000)): DriverContext {
  return { signal, logger: silentLogger(), clock: SYSTEM_CLOCK, idempotencyKey: 'run.step.ldap' };
}

function driver(settings: Partial<LdapSettings> = {}, password = slapd.adminPassword): Driver {
  return ldapDriver.create(
    { id: 'ldap-test', settings: { url: slapd.url, bindDn: slapd.adminDn, baseDn: slapd.baseDn, timeoutMs: 5000, ...settings }, credentials: { bindPassword: password } },
    { logger: silentLogger(), clock: SYSTEM_CLOCK },
  );
}

const disable = (account: string) => ({ account, reason: 'password spraying then success', ttlSeconds: 3600 });
const enable = (account: string) => ({ account, reason: 'released' });

function user(index: number): { uid: string; password: string; dn: string } {
  const entry = slapd.users[index]!;
  return { ...entry, dn: slapd.userDn(entry.uid) };
}

/** Reads attributes of an entry as the admin. */
async function read(dn: string, attributes: string[]): Promise<Record<string, unknown>> {
  const client = new Client({ url: slapd.url, timeout: 5000 });
  try {
    await client.bind(slapd.adminDn, slapd.adminPassword);
    const result = await client.search(dn, { scope: 'base', attributes });
    return result.searchEntries[0] ?? {};
  } finally {
    await client.unbind();
  }
}

async function isMember(groupDn: string, attribute: string, dn: string): Promise<boolean> {
  const client = new Client({ url: slapd.url, timeout: 5000 });
  try {
    await client.bind(slapd.adminDn, slapd.adminPassword);
    return await client.compare(groupDn, attribute, dn);
  } finally {
    await client.unbind();
  }
}

beforeAll(async () => {
  slapd = await startSlapd();
});

afterAll(async () => {
  await slapd?.stop();
});

describe('ldap driver, ppolicy mode', () => {
  it('locks an account so its bind fails, verifies it, and unlocks it so the bind works again', async () => {
    const alice = user(0);
    const ldap = driver();
    expect(await canBind(slapd.url, alice.dn, alice.password)).toBe(true);

    const locked = await ldap.execute('disable-account', disable(alice.uid), context());
    expect(locked).toEqual({ changed: true, detail: { dn: alice.dn, mode: 'ppolicy', disabled: true } });
    expect(await read(alice.dn, ['pwdAccountLockedTime'])).toMatchObject({ pwdAccountLockedTime: PERMANENTLY_LOCKED });
    expect(await canBind(slapd.url, alice.dn, alice.password)).toBe(false);
    expect(await ldap.verify!('disable-account', disable(alice.uid), context())).toMatchObject({ holds: true });
    expect(await ldap.verify!('enable-account', enable(alice.uid), context())).toMatchObject({ holds: false });

    // Idempotent: a retry of the step changes nothing.
    expect(await ldap.execute('disable-account', disable(alice.uid), context())).toMatchObject({ changed: false });

    const unlocked = await ldap.execute('enable-account', enable(alice.uid), context());
    expect(unlocked).toMatchObject({ changed: true, detail: { disabled: false } });
    expect(await canBind(slapd.url, alice.dn, alice.password)).toBe(true);
    expect((await read(alice.dn, ['pwdAccountLockedTime'])).pwdAccountLockedTime ?? []).toEqual([]);
    expect(await ldap.verify!('enable-account', enable(alice.uid), context())).toMatchObject({ holds: true });
    expect(await ldap.verify!('disable-account', disable(alice.uid), context())).toMatchObject({ holds: false });
    expect(await ldap.execute('enable-account', enable(alice.uid), context())).toMatchObject({ changed: false });
  });

  it('makes a temporary lockout permanent rather than calling it already done', async () => {
    const bob = user(1);
    const admin = new Client({ url: slapd.url, timeout: 5000 });
    await admin.bind(slapd.adminDn, slapd.adminPassword);
    await admin.modify(bob.dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'pwdAccountLockedTime', values: ['20990101000000Z'] }) }));
    await admin.unbind();

    const ldap = driver();
    expect(await ldap.verify!('disable-account', disable(bob.uid), context())).toMatchObject({ holds: false });
    expect(await ldap.execute('disable-account', disable(bob.uid), context())).toMatchObject({ changed: true });
    expect(await read(bob.dn, ['pwdAccountLockedTime'])).toMatchObject({ pwdAccountLockedTime: PERMANENTLY_LOCKED });
    await ldap.execute('enable-account', enable(bob.uid), context());
    expect(await canBind(slapd.url, bob.dn, bob.password)).toBe(true);
  });

  it('lifts a temporary lockout on enable', async () => {
    const bob = user(1);
    const admin = new Client({ url: slapd.url, timeout: 5000 });
    await admin.bind(slapd.adminDn, slapd.adminPassword);
    await admin.modify(bob.dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'pwdAccountLockedTime', values: ['20990101000000Z'] }) }));
    await admin.unbind();

    const ldap = driver();
    expect(await ldap.verify!('enable-account', enable(bob.uid), context())).toMatchObject({ holds: false });
    expect(await ldap.execute('enable-account', enable(bob.uid), context())).toMatchObject({ changed: true });
    expect((await read(bob.dn, ['pwdAccountLockedTime'])).pwdAccountLockedTime ?? []).toEqual([]);
    expect(await canBind(slapd.url, bob.dn, bob.password)).toBe(true);
  });
});

describe('ldap driver, attribute mode', () => {
  it('sets the configured value and deletes it on enable when no enabled value is configured', async () => {
    const carol = user(2);
    const ldap = driver({ mode: 'attribute', attribute: { name: 'employeeType', disabledValue: 'disabled' } });
    expect(await ldap.execute('disable-account', disable(carol.uid), context())).toMatchObject({ changed: true, detail: { mode: 'attribute' } });
    expect(await read(carol.dn, ['employeeType'])).toMatchObject({ employeeType: 'disabled' });
    expect(await ldap.verify!('disable-account', disable(carol.uid), context())).toMatchObject({ holds: true });
    expect(await ldap.execute('disable-account', disable(carol.uid), context())).toMatchObject({ changed: false });

    expect(await ldap.execute('enable-account', enable(carol.uid), context())).toMatchObject({ changed: true });
    expect((await read(carol.dn, ['employeeType'])).employeeType ?? []).toEqual([]);
    expect(await ldap.verify!('enable-account', enable(carol.uid), context())).toMatchObject({ holds: true });
    expect(await ldap.execute('enable-account', enable(carol.uid), context())).toMatchObject({ changed: false });
  });

  it('puts the configured enabled value back', async () => {
    const carol = user(2);
    const ldap = driver({ mode: 'attribute', attribute: { name: 'title', disabledValue: 'DISABLED by Watchpost', enabledValue: 'active' } });
    await ldap.execute('disable-account', disable(carol.uid), context());
    expect(await read(carol.dn, ['title'])).toMatchObject({ title: 'DISABLED by Watchpost' });
    await ldap.execute('enable-account', enable(carol.uid), context());
    expect(await read(carol.dn, ['title'])).toMatchObject({ title: 'active' });
    expect(await ldap.verify!('disable-account', disable(carol.uid), context())).toMatchObject({ holds: false });
  });
});

describe('ldap driver, group mode', () => {
  it.each([
    ['member', () => slapd.groupDn],
    ['uniqueMember', () => slapd.uniqueGroupDn],
  ] as const)('adds the account to and removes it from a %s group', async (memberAttribute, groupDn) => {
    const bob = user(1);
    const ldap = driver({ mode: 'group', group: { dn: groupDn(), memberAttribute } });
    expect(await ldap.execute('disable-account', disable(bob.uid), context())).toMatchObject({ changed: true, detail: { mode: 'group' } });
    expect(await isMember(groupDn(), memberAttribute, bob.dn)).toBe(true);
    expect(await ldap.verify!('disable-account', disable(bob.uid), context())).toMatchObject({ holds: true });
    expect(await ldap.execute('disable-account', disable(bob.uid), context())).toMatchObject({ changed: false });

    expect(await ldap.execute('enable-account', enable(bob.uid), context())).toMatchObject({ changed: true });
    expect(await isMember(groupDn(), memberAttribute, bob.dn)).toBe(false);
    // The placeholder member is still there.
    expect(await isMember(groupDn(), memberAttribute, slapd.adminDn)).toBe(true);
    expect(await ldap.verify!('enable-account', enable(bob.uid), context())).toMatchObject({ holds: true });
    expect(await ldap.execute('enable-account', enable(bob.uid), context())).toMatchObject({ changed: false });
  });
});

describe('ldap driver, refusals and outages', () => {
  it('refuses a wrong bind password with WATCHPOST_ERR_DRIVER_REJECTED and says nothing of the password', async () => {
    const wrong = 'wrong-password-xyz';
    const error = await driver({}, wrong).execute('disable-account', disable(user(0).uid), context()).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'WATCHPOST_ERR_DRIVER_REJECTED', details: { resultCode: 49 } });
    expect(String((error as Error).message)).not.toContain(wrong);
  });

  it('refuses when the service account may not write (insufficient access)', async () => {
    const alice = user(0);
    const asAlice = driver({ bindDn: alice.dn }, alice.password);
    await expect(asAlice.execute('disable-account', disable(user(1).uid), context())).rejects.toMatchObject({ code: 'WATCHPOST_ERR_DRIVER_REJECTED', details: { resultCode: 50 } });
    expect(await canBind(slapd.url, user(1).dn, user(1).password)).toBe(true);
  });

  it('refuses an unknown account, an ambiguous filter and a base DN that does not exist', async () => {
    await expect(driver().execute('disable-account', disable('nosuchuser'), context())).rejects.toMatchObject({ code: 'WATCHPOST_ERR_DRIVER_REJECTED', message: expect.stringContaining('no such account') });
    await expect(driver({ userFilter: '(|(uid={account})(uid=bob))' }).execute('disable-account', disable('alice'), context())).rejects.toMatchObject({
      code: 'WATCHPOST_ERR_DRIVER_REJECTED',
      message: expect.stringContaining('ambiguous'),
    });
    await expect(driver({ baseDn: `ou=nowhere,${slapd.baseDn}` }).execute('disable-account', disable('alice'), context())).rejects.toMatchObject({
      code: 'WATCHPOST_ERR_DRIVER_REJECTED',
      details: { resultCode: 32 },
    });
    expect(await canBind(slapd.url, user(0).dn, user(0).password)).toBe(true);
    expect(await canBind(slapd.url, user(1).dn, user(1).password)).toBe(true);
  });

  it('refuses hostile account names: the schema stops them, and escaped they match nothing', async () => {
    await expect(driver().execute('disable-account', disable('*)(uid=*'), context())).rejects.toMatchObject({ code: 'WATCHPOST_ERR_ACTION_INPUT' });
    await expect(driver().execute('disable-account', disable('*'), context())).rejects.toMatchObject({ code: 'WATCHPOST_ERR_ACTION_INPUT' });
    // Past the schema (a caller that skipped it): the escaped filter is a literal that matches no entry.
    const directory = new LdapDirectory('ldap-test', { url: slapd.url, bindDn: slapd.adminDn, baseDn: slapd.baseDn, userFilter: '(uid={account})' }, slapd.adminPassword, silentLogger());
    for (const hostile of ['*', '*)(uid=*', 'al*', 'alice)(|(uid=*', 'alice\\2a', '\u0000']) {
      await expect(directory.session(AbortSignal.timeout(10_000), (client) => directory.findAccount(client, hostile, ['1.1']))).rejects.toMatchObject({
        code: 'WATCHPOST_ERR_DRIVER_REJECTED',
        message: expect.stringContaining('no such account'),
      });
    }
    // The same lookup finds a real account, so the refusals above are the escaping at work.
    const found = await directory.session(AbortSignal.timeout(10_000), (client) => directory.findAccount(client, 'alice', ['1.1']));
    expect(found.dn).toBe(user(0).dn);
  });

  it('answers WATCHPOST_ERR_DRIVER_UNAVAILABLE when slapd is stopped, when it does not answer, and on abort', async () => {
    const other = await startSlapd({ users: [{ uid: 'dora', password: 'dora-pw' }] });
    const ldap = ldapDriver.create(
      { id: 'ldap-down', settings: { url: other.url, bindDn: other.adminDn, baseDn: other.baseDn, connectTimeoutMs: 1000, timeoutMs: 1000 }, credentials: { bindPassword: other.adminPassword } },
      { logger: silentLogger(), clock: SYSTEM_CLOCK },
    );
    expect(await ldap.verify!('disable-account', disable('dora'), context())).toMatchObject({ holds: false });
    await other.stop();
    await expect(ldap.execute('disable-account', disable('dora'), context())).rejects.toMatchObject({ code: 'WATCHPOST_ERR_DRIVER_UNAVAILABLE', intent: 'operational' });

    // A server that accepts the connection and never answers: the operation times out.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as { port: number }).port;
      const mute = driver({ url: `ldap://127.0.0.1:${port}`, timeoutMs: 300, connectTimeoutMs: 1000 });
      const started = Date.now();
      await expect(mute.execute('disable-account', disable('alice'), context())).rejects.toMatchObject({ code: 'WATCHPOST_ERR_DRIVER_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(5000);
      const aborted = new AbortController();
      setTimeout(() => aborted.abort(new Error('step timeout')), 100);
      await expect(driver({ url: `ldap://127.0.0.1:${port}`, timeoutMs: 30_000 }).execute('disable-account', disable('alice'), context(aborted.signal))).rejects.toMatchObject({
        code: 'WATCHPOST_ERR_DRIVER_UNAVAILABLE',
        message: expect.stringContaining('aborted'),
      });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('refuses bad settings when built, without touching the network', () => {
    const build = (settings: Partial<LdapSettings>) => () => driver(settings);
    expect(build({ userFilter: '(uid=alice)' })).toThrow(expect.objectContaining({ code: 'WATCHPOST_ERR_DRIVER_CONFIG' }) as Error);
    expect(build({ mode: 'attribute' })).toThrow(expect.objectContaining({ code: 'WATCHPOST_ERR_DRIVER_CONFIG' }) as Error);
    expect(build({ mode: 'attribute', attribute: { name: 'userPassword', disabledValue: 'x' } })).toThrow(expect.objectContaining({ code: 'WATCHPOST_ERR_DRIVER_CONFIG' }) as Error);
    expect(build({ mode: 'group' })).toThrow(expect.objectContaining({ code: 'WATCHPOST_ERR_DRIVER_CONFIG' }) as Error);
    expect(build({ url: 'ldaps://127.0.0.1:1', startTls: true })).toThrow(expect.objectContaining({ code: 'WATCHPOST_ERR_DRIVER_CONFIG' }) as Error);
    expect(build({ tls: { caFile: '/nonexistent/ca.pem' } })).toThrow(expect.objectContaining({ code: 'WATCHPOST_ERR_DRIVER_CONFIG' }) as Error);
  });
});

describe('ldap driver over TLS', () => {
  let secure: Slapd;

  beforeAll(async () => {
    secure = await startSlapd({ tls: true, users: [{ uid: 'erin', password: 'erin-pw' }] });
  });

  afterAll(async () => {
    await secure?.stop();
  });

  const build = (settings: Partial<LdapSettings>): Driver =>
    ldapDriver.create(
      { id: 'ldap-tls', settings: { url: secure.url, bindDn: secure.adminDn, baseDn: secure.baseDn, timeoutMs: 5000, ...settings }, credentials: { bindPassword: secure.adminPassword } },
      { logger: silentLogger(), clock: SYSTEM_CLOCK },
    );

  it('works over ldaps:// and StartTLS when the CA file is given', async () => {
    const overLdaps = build({ url: secure.ldapsUrl!, tls: { caFile: secure.caFile! } });
    expect(await overLdaps.execute('disable-account', disable('erin'), context())).toMatchObject({ changed: true });
    expect(await canBind(secure.url, secure.userDn('erin'), 'erin-pw')).toBe(false);
    const overStartTls = build({ startTls: true, tls: { caFile: secure.caFile! } });
    expect(await overStartTls.verify!('disable-account', disable('erin'), context())).toMatchObject({ holds: true });
    expect(await overStartTls.execute('enable-account', enable('erin'), context())).toMatchObject({ changed: true });
    expect(await canBind(secure.url, secure.userDn('erin'), 'erin-pw')).toBe(true);
  });

  it('refuses a server certificate it cannot verify (WATCHPOST_ERR_DRIVER_REJECTED), unless told not to check', async () => {
    await expect(build({ url: secure.ldapsUrl! }).verify!('disable-account', disable('erin'), context())).rejects.toMatchObject({
      code: 'WATCHPOST_ERR_DRIVER_REJECTED',
      message: expect.stringContaining('does not verify'),
    });
    await expect(build({ startTls: true }).verify!('disable-account', disable('erin'), context())).rejects.toMatchObject({ code: 'WATCHPOST_ERR_DRIVER_REJECTED' });
    // The certificate names 127.0.0.1, not this name.
    await expect(build({ url: secure.ldapsUrl!, tls: { caFile: secure.caFile!, serverName: 'ldap.example.org' } }).verify!('disable-account', disable('erin'), context())).rejects.toMatchObject({
      code: 'WATCHPOST_ERR_DRIVER_REJECTED',
    });
    expect(await build({ url: secure.ldapsUrl!, tls: { rejectUnauthorized: false } }).verify!('disable-account', disable('erin'), context())).toMatchObject({ holds: false });
  });
});
