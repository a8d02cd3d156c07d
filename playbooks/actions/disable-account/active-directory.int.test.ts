import { connect, createServer, type AddressInfo } from 'node:net';
import { Attribute, Change, Client } from 'ldapts';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CLOCK } from '../../../core/clock.js';
import { silentLogger } from '../../../core/log.js';
import { startSlapd, type Slapd } from '../../../test/helpers/slapd.js';
import type { Driver, DriverContext } from '../types.js';
import { activeDirectoryDriver, type ActiveDirectorySettings } from './active-directory.js';

// No Active Directory runs here: slapd with a tiny schema defining userAccountControl and
// sAMAccountName (test/helpers/slapd.ts AD_TEST_SCHEMA) stands in for it. The LDAP requests are
// the ones AD receives; AD's own behaviour is not exercised.

let slapd: Slapd;

/** The BER tag of an LDAP ModifyRequest ([APPLICATION 6], constructed). */
const MODIFY_REQUEST = 0x66;

/** The protocolOp tag of the LDAPMessage a chunk starts with (small messages arrive in one chunk on loopback). */
function ldapOperation(chunk: Buffer): number | undefined {
  if (chunk[0] !== 0x30 || chunk.length < 5) return undefined;
  const lengthByte = chunk[1]!;
  const header = lengthByte < 0x80 ? 2 : 2 + (lengthByte & 0x7f);
  if (chunk[header] !== 0x02) return undefined;
  return chunk[header + 2 + chunk[header + 1]!];
}

const context = (): DriverContext => ({ signal: AbortSignal.timeout(20_000), logger: silentLogger(), clock: SYSTEM_CLOCK, idempotencyKey: 'run.step.ad' });
const disable = (account: string) => ({ account, reason: 'password spraying then success', ttlSeconds: 3600 });
const enable = (account: string) => ({ account, reason: 'released' });

function driver(settings: Partial<ActiveDirectorySettings> = {}, password = slapd.adminPassword): Driver {
  return activeDirectoryDriver.create(
    { id: 'ad-test', settings: { url: slapd.url, bindDn: slapd.adminDn, baseDn: slapd.baseDn, timeoutMs: 5000, ...settings }, credentials: { bindPassword: password } },
    { logger: silentLogger(), clock: SYSTEM_CLOCK },
  );
}

async function adminClient(): Promise<Client> {
  const client = new Client({ url: slapd.url, timeout: 5000 });
  await client.bind(slapd.adminDn, slapd.adminPassword);
  return client;
}

async function uac(uid: string): Promise<number> {
  const client = await adminClient();
  try {
    const result = await client.search(slapd.userDn(uid), { scope: 'base', attributes: ['userAccountControl'] });
    return Number(result.searchEntries[0]?.userAccountControl);
  } finally {
    await client.unbind();
  }
}

async function setUac(uid: string, value: number): Promise<void> {
  const client = await adminClient();
  try {
    await client.modify(slapd.userDn(uid), new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: [String(value)] }) }));
  } finally {
    await client.unbind();
  }
}

beforeAll(async () => {
  slapd = await startSlapd({
    adSchema: true,
    users: [
      { uid: 'jdoe', password: 'jdoe-pw', userAccountControl: 512 },
      // NORMAL_ACCOUNT | DONT_EXPIRE_PASSWORD | SMARTCARD_REQUIRED: the other flags must survive.
      { uid: 'msmith', password: 'msmith-pw', userAccountControl: 512 + 0x10000 + 0x40000 },
    ],
  });
});

afterAll(async () => {
  await slapd?.stop();
});

describe('active-directory driver (against slapd with a stand-in schema)', () => {
  it('sets and clears ACCOUNTDISABLE (0x2), verifies both, and is idempotent', async () => {
    const ad = driver();
    expect(await ad.verify!('disable-account', disable('jdoe'), context())).toMatchObject({ holds: false, detail: { userAccountControl: 512 } });

    expect(await ad.execute('disable-account', disable('jdoe'), context())).toEqual({
      changed: true,
      detail: { dn: slapd.userDn('jdoe'), userAccountControl: 514, previousUserAccountControl: 512, disabled: true },
    });
    expect(await uac('jdoe')).toBe(514);
    expect(await ad.verify!('disable-account', disable('jdoe'), context())).toMatchObject({ holds: true });
    expect(await ad.execute('disable-account', disable('jdoe'), context())).toMatchObject({ changed: false });
    expect(await uac('jdoe')).toBe(514);

    expect(await ad.execute('enable-account', enable('jdoe'), context())).toMatchObject({ changed: true, detail: { userAccountControl: 512 } });
    expect(await uac('jdoe')).toBe(512);
    expect(await ad.verify!('enable-account', enable('jdoe'), context())).toMatchObject({ holds: true });
    expect(await ad.execute('enable-account', enable('jdoe'), context())).toMatchObject({ changed: false });
  });

  it('keeps the other flags of userAccountControl', async () => {
    const ad = driver();
    const flags = 512 + 0x10000 + 0x40000;
    await ad.execute('disable-account', disable('msmith'), context());
    expect(await uac('msmith')).toBe(flags + 2);
    await ad.execute('enable-account', enable('msmith'), context());
    expect(await uac('msmith')).toBe(flags);
  });

  it('finds accounts by sAMAccountName case-insensitively, as AD does', async () => {
    const ad = driver();
    expect(await ad.verify!('disable-account', disable('JDOE'), context())).toMatchObject({ holds: false, detail: { dn: slapd.userDn('jdoe') } });
  });

  it('does not overwrite a change made between its read and its write (delete-old + add-new fails, it reads again)', async () => {
    // A TCP proxy between the driver and slapd holds the driver's first modify request and, before
    // passing it on, lets another writer set DONT_EXPIRE_PASSWORD: the driver's delete of the value
    // it read fails, it reads again, and the final value carries both changes.
    await setUac('jdoe', 512);
    let intercepted = 0;
    const proxy = createServer((inbound) => {
      const outbound = connect(slapd.port, '127.0.0.1');
      outbound.on('data', (chunk) => inbound.write(chunk));
      outbound.on('error', () => inbound.destroy());
      inbound.on('error', () => outbound.destroy());
      inbound.on('close', () => outbound.destroy());
      let queue = Promise.resolve();
      inbound.on('data', (chunk) => {
        queue = queue.then(async () => {
          if (intercepted === 0 && ldapOperation(chunk) === MODIFY_REQUEST) {
            intercepted += 1;
            await setUac('jdoe', 512 + 0x10000);
          }
          outbound.write(chunk);
        });
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (proxy.address() as AddressInfo).port;
      const debug: string[] = [];
      const logger = pino({ level: 'debug' }, { write: (line: string) => void debug.push(line) });
      const ad = activeDirectoryDriver.create(
        { id: 'ad-proxy', settings: { url: `ldap://127.0.0.1:${port}`, bindDn: slapd.adminDn, baseDn: slapd.baseDn, timeoutMs: 5000 }, credentials: { bindPassword: slapd.adminPassword } },
        { logger, clock: SYSTEM_CLOCK },
      );
      const result = await ad.execute('disable-account', disable('jdoe'), { ...context(), logger });
      expect(intercepted).toBe(1);
      expect(result).toMatchObject({ changed: true, detail: { previousUserAccountControl: 512 + 0x10000, userAccountControl: 512 + 0x10000 + 2 } });
      expect(await uac('jdoe')).toBe(512 + 0x10000 + 2);
      expect(debug.join('')).toContain('changed between read and write');
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
      await setUac('jdoe', 512);
    }
  });

  it('refuses an entry without userAccountControl, an unknown account, a hostile name and a wrong password', async () => {
    await expect(driver({ userFilter: '(cn={account})' }).execute('disable-account', disable('nobody-here'), context())).rejects.toMatchObject({ code: 'WATCHPOST_ERR_DRIVER_REJECTED' });
    await expect(driver({ userFilter: '(&(objectClass=organizationalUnit)(ou={account}))' }).execute('disable-account', disable('people'), context())).rejects.toMatchObject({
      code: 'WATCHPOST_ERR_DRIVER_REJECTED',
      message: expect.stringContaining('no readable userAccountControl'),
    });
    await expect(driver().execute('disable-account', disable('*)(sAMAccountName=*'), context())).rejects.toMatchObject({ code: 'WATCHPOST_ERR_ACTION_INPUT' });
    await expect(driver({}, 'not-the-password').execute('disable-account', disable('jdoe'), context())).rejects.toMatchObject({ code: 'WATCHPOST_ERR_DRIVER_REJECTED', details: { resultCode: 49 } });
  });
});
