import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'ldapts';

/**
 * A throwaway OpenLDAP slapd for integration tests: its own temp dir, a slapd.conf with the mdb
 * backend and the ppolicy overlay (Debian's slapd 2.5: `moduleload ppolicy` from /usr/lib/ldap,
 * the ppolicy schema is built in since 2.5), data loaded offline with slapadd, listening on
 * 127.0.0.1 on a free port. {@link Slapd.stop} kills it and removes the dir; call it in afterAll.
 */

const run = promisify(execFile);

/** Where Debian installs slapd's modules and schemas. */
const MODULE_PATH = '/usr/lib/ldap';
const SCHEMA_DIR = '/etc/ldap/schema';

/**
 * A stand-in for the two Active Directory attributes the active-directory driver uses, since no
 * AD runs here: the real AD OIDs and syntaxes (userAccountControl an integer, sAMAccountName a
 * case-insensitive string), both single-valued as in AD, and an auxiliary class to hang them on.
 */
export const AD_TEST_SCHEMA = `attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl'
  DESC 'Test stand-in for the Active Directory attribute'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName'
  DESC 'Test stand-in for the Active Directory attribute'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.4203.666.11.999.1 NAME 'watchpostTestAdUser'
  DESC 'Test stand-in carrying the Active Directory account attributes' AUXILIARY
  MAY ( userAccountControl $ sAMAccountName ) )
`;

/** One user entry `uid=<uid>,ou=people,<baseDn>`. */
export interface SlapdUser {
  readonly uid: string;
  readonly password: string;
  /** With `adSchema`: the entry's userAccountControl. @defaultValue 512 (a normal, enabled account) */
  readonly userAccountControl?: number;
}

/** Options of {@link startSlapd}. */
export interface SlapdOptions {
  /** @defaultValue `dc=watchpost,dc=test` */
  readonly baseDn?: string;
  /** @defaultValue alice, bob and carol with random passwords */
  readonly users?: readonly SlapdUser[];
  /** Load {@link AD_TEST_SCHEMA} and give every user sAMAccountName and userAccountControl. */
  readonly adSchema?: boolean;
  /**
   * Also listen with TLS: a throwaway CA signs a certificate for 127.0.0.1 and localhost; slapd
   * then answers ldaps:// on a second port and StartTLS on the plain one.
   */
  readonly tls?: boolean;
  /** @defaultValue 20 000 */
  readonly startTimeoutMs?: number;
}

/** A running slapd. */
export interface Slapd {
  /** `ldap://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly baseDn: string;
  /** The rootdn: may do anything, including writing pwdAccountLockedTime. */
  readonly adminDn: string;
  readonly adminPassword: string;
  readonly users: readonly SlapdUser[];
  /** With `tls`: `ldaps://127.0.0.1:<port>`. */
  readonly ldapsUrl?: string;
  /** With `tls`: the PEM file of the CA that signed slapd's certificate. */
  readonly caFile?: string;
  /** A groupOfNames (member) that starts with one placeholder member (the admin). */
  readonly groupDn: string;
  /** A groupOfUniqueNames (uniqueMember) that starts with one placeholder member (the admin). */
  readonly uniqueGroupDn: string;
  /** The password policy every user falls under (pwdLockout TRUE). */
  readonly policyDn: string;
  readonly dir: string;
  userDn(uid: string): string;
  /** Stops slapd (SIGTERM, then SIGKILL) and removes its dir. Idempotent. */
  stop(): Promise<void>;
}

function randomPassword(): string {
  return `pw-${Math.random().toString(36).slice(2)}-${process.pid}`;
}

/** A port that was free a moment ago (slapd binds it right after). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function ldif(baseDn: string, adminDn: string, users: readonly SlapdUser[], adSchema: boolean): string {
  const top = /^dc=([^,]+)/.exec(baseDn)?.[1] ?? 'watchpost';
  const entries: string[] = [
    `dn: ${baseDn}\nobjectClass: dcObject\nobjectClass: organization\ndc: ${top}\no: Watchpost test\n`,
    `dn: ou=people,${baseDn}\nobjectClass: organizationalUnit\nou: people\n`,
    `dn: ou=groups,${baseDn}\nobjectClass: organizationalUnit\nou: groups\n`,
    `dn: ou=policies,${baseDn}\nobjectClass: organizationalUnit\nou: policies\n`,
    // pwdLockout must be TRUE for pwdAccountLockedTime to stop binds (slapo-ppolicy(5)).
    `dn: cn=default,ou=policies,${baseDn}\nobjectClass: organizationalRole\nobjectClass: pwdPolicy\ncn: default\npwdAttribute: userPassword\npwdLockout: TRUE\npwdMaxFailure: 0\n`,
    `dn: cn=disabled-users,ou=groups,${baseDn}\nobjectClass: groupOfNames\ncn: disabled-users\nmember: ${adminDn}\n`,
    `dn: cn=disabled-users-unique,ou=groups,${baseDn}\nobjectClass: groupOfUniqueNames\ncn: disabled-users-unique\nuniqueMember: ${adminDn}\n`,
  ];
  for (const user of users) {
    const lines = [`dn: uid=${user.uid},ou=people,${baseDn}`, 'objectClass: inetOrgPerson'];
    if (adSchema) lines.push('objectClass: watchpostTestAdUser');
    lines.push(`uid: ${user.uid}`, `cn: ${user.uid}`, `sn: ${user.uid}`, `userPassword: ${user.password}`);
    if (adSchema) lines.push(`sAMAccountName: ${user.uid}`, `userAccountControl: ${String(user.userAccountControl ?? 512)}`);
    entries.push(`${lines.join('\n')}\n`);
  }
  return entries.join('\n');
}

/** Makes a CA and a server certificate for 127.0.0.1/localhost in `dir` (EC keys: fast). */
async function makeCertificates(dir: string): Promise<void> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem'), '-days', '2', '-subj', '/CN=Watchpost test CA'], { timeout: 20_000 });
  await run('openssl', ['req', ...ec, '-keyout', join(dir, 'server.key'), '-out', join(dir, 'server.csr'), '-subj', '/CN=127.0.0.1'], { timeout: 20_000 });
  await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await run(
    'openssl',
    ['x509', '-req', '-in', join(dir, 'server.csr'), '-CA', join(dir, 'ca.pem'), '-CAkey', join(dir, 'ca.key'), '-CAcreateserial', '-out', join(dir, 'server.pem'), '-days', '2', '-extfile', join(dir, 'server.ext')],
    { timeout: 20_000 },
  );
}

function slapdConf(dir: string, baseDn: string, adminDn: string, adminPassword: string, adSchema: boolean, tls: boolean): string {
  const schemas = ['core', 'cosine', 'inetorgperson', 'nis'].map((name) => `include ${SCHEMA_DIR}/${name}.schema`);
  if (adSchema) schemas.push(`include ${join(dir, 'ad-test.schema')}`);
  return `${schemas.join('\n')}
modulepath ${MODULE_PATH}
moduleload back_mdb
moduleload ppolicy
pidfile ${join(dir, 'slapd.pid')}
argsfile ${join(dir, 'slapd.args')}
${tls ? `TLSCACertificateFile ${join(dir, 'ca.pem')}\nTLSCertificateFile ${join(dir, 'server.pem')}\nTLSCertificateKeyFile ${join(dir, 'server.key')}\n` : ''}
database mdb
maxsize 33554432
suffix "${baseDn}"
rootdn "${adminDn}"
rootpw ${adminPassword}
directory ${join(dir, 'db')}
overlay ppolicy
ppolicy_default "cn=default,ou=policies,${baseDn}"

access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
`;
}

async function waitUntilAnswers(url: string, adminDn: string, adminPassword: string, child: ChildProcess, deadline: number, log: () => string): Promise<void> {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`slapd exited (${String(child.exitCode ?? child.signalCode)}): ${log()}`);
    const client = new Client({ url, connectTimeout: 1000, timeout: 2000 });
    try {
      await client.bind(adminDn, adminPassword);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`slapd did not answer at ${url}: ${String(error)}; ${log()}`);
    } finally {
      await client.unbind().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts a slapd; throws (after cleaning up) when it does not answer in time. */
export async function startSlapd(options: SlapdOptions = {}): Promise<Slapd> {
  const baseDn = options.baseDn ?? 'dc=watchpost,dc=test';
  const adminDn = `cn=admin,${baseDn}`;
  const adminPassword = randomPassword();
  const users = options.users ?? ['alice', 'bob', 'carol'].map((uid) => ({ uid, password: randomPassword() }));
  const adSchema = options.adSchema ?? false;
  const tls = options.tls ?? false;
  const dir = await mkdtemp(join(tmpdir(), 'wp-slapd-'));
  let child: ChildProcess | undefined;
  let stopped = false;
  let output = '';

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    const proc = child;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await mkdir(join(dir, 'db'));
    if (adSchema) await writeFile(join(dir, 'ad-test.schema'), AD_TEST_SCHEMA);
    if (tls) await makeCertificates(dir);
    const conf = join(dir, 'slapd.conf');
    await writeFile(conf, slapdConf(dir, baseDn, adminDn, adminPassword, adSchema, tls), { mode: 0o600 });
    await writeFile(join(dir, 'data.ldif'), ldif(baseDn, adminDn, users, adSchema), { mode: 0o600 });
    await run('slapadd', ['-q', '-f', conf, '-l', join(dir, 'data.ldif')], { timeout: 20_000 });

    const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
    // The port is found free and then bound by slapd: another process may take it in between, so try a few.
    for (let attempt = 0; ; attempt += 1) {
      const port = await freePort();
      const url = `ldap://127.0.0.1:${String(port)}`;
      const ldapsUrl = tls ? `ldaps://127.0.0.1:${String(await freePort())}` : undefined;
      output = '';
      // -d 0: stay in the foreground (a child we can kill) without debug output.
      const listen = ldapsUrl ? `${url}/ ${ldapsUrl}/` : `${url}/`;
      const proc = spawn('slapd', ['-d', '0', '-f', conf, '-h', listen], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      const keep = (chunk: Buffer): void => {
        output = (output + chunk.toString('utf8')).slice(-4000);
      };
      proc.stdout.on('data', keep);
      proc.stderr.on('data', keep);
      try {
        await waitUntilAnswers(url, adminDn, adminPassword, proc, deadline, () => output);
      } catch (error) {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
        if (attempt < 3 && Date.now() < deadline) continue;
        throw error;
      }
      return {
        url,
        port,
        baseDn,
        adminDn,
        adminPassword,
        users,
        ...(ldapsUrl ? { ldapsUrl, caFile: join(dir, 'ca.pem') } : {}),
        groupDn: `cn=disabled-users,ou=groups,${baseDn}`,
        uniqueGroupDn: `cn=disabled-users-unique,ou=groups,${baseDn}`,
        policyDn: `cn=default,ou=policies,${baseDn}`,
        dir,
        userDn: (uid) => `uid=${uid},ou=people,${baseDn}`,
        stop,
      };
    }
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Binds as `dn` with `password` on a fresh connection: resolves true when the server accepts it. */
export async function canBind(url: string, dn: string, password: string): Promise<boolean> {
  const client = new Client({ url, connectTimeout: 2000, timeout: 5000 });
  try {
    await client.bind(dn, password);
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 49) return false;
    throw error;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}
