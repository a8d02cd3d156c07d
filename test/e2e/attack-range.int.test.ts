import { execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SqliteCaseStore } from '../../backends/sqlite/case-store.js';
import { openSqliteDatabase } from '../../backends/sqlite/database.js';
import { makeCertificates, type TestCertificates } from '../../ingest/sources/syslog/testing.js';
import { BIN } from '../helpers/cli.js';
import { SHORT_BLOCK_SECONDS, SSH_BRUTE_FORCE_RULE, startWatchpostFor, writeShortBlockPlaybook } from '../helpers/e2e-watchpost.js';
import { startHydraSsh, type HydraRun } from '../helpers/hydra.js';
import { probeTcp, waitForReachability, type NetnsPair } from '../helpers/netns.js';
import { freeTcpPort } from '../helpers/redis-server.js';
import { createResponseLab, nftSetAddresses, waitUntil } from '../helpers/response-worker.js';
import { startRsyslogFileForwarder, type RsyslogForwarder } from '../helpers/rsyslog-tls.js';
import { FAILED_PASSWORD, firstLineAt, logLines, startSshd, type RunningSshd } from '../helpers/sshd.js';

// The attack range: real programs only. An attacker namespace runs THC Hydra against OpenSSH in a
// victim namespace; sshd's log is shipped by rsyslog (imfile → omfwd, GnuTLS, x509/name with a
// client certificate) to the TLS syslog listener of `watchpost start`; the linux-auth parser and
// the shipped SSH brute-force correlation raise an alert; the playbook blocks the attacker with
// the nftables driver inside the victim namespace. The attacker's next connection to sshd is
// dropped, and connects again once the block's TTL (1 minute, the shortest a playbook may ask
// for) has run out. The time from sshd's first "Failed password" line to the address in the nft
// set is measured and printed.
//
// rsyslog runs in the test's own namespace and reads the log file sshd writes in the victim
// namespace: the file system is shared, and Watchpost listens on 127.0.0.1 there.

const ROOT = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);
const TABLE = 'wpt_range';
const SSH_PORT = 2222;
const TTL_SECONDS = SHORT_BLOCK_SECONDS;
const PASSWORDS = Array.from({ length: 30 }, (_, i) => `guess-${String(i + 1).padStart(2, '0')}`);

let pair: NetnsPair | undefined;
let dir: string | undefined;
let certs: TestCertificates | undefined;
let sshd: RunningSshd | undefined;
let rsyslog: RsyslogForwarder | undefined;
let hydra: HydraRun | undefined;
let child: ChildProcess | undefined;

beforeAll(async () => {
  // Build once up front (bin/watchpost compiles when dist/ is stale) so the test does not pay for it.
  await run(process.execPath, [BIN, '--version'], { cwd: ROOT, timeout: 180_000 });
}, 200_000);

afterAll(async () => {
  // Each step on its own: a failure in one must not leave the others running.
  await hydra?.stop().catch(() => undefined);
  await rsyslog?.stop().catch(() => undefined);
  await sshd?.stop().catch(() => undefined);
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  await pair?.lab.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
}, 30_000);

it('hydra against OpenSSH → rsyslog over TLS → alert → nftables block of the attacker → lifted after the TTL', async () => {
  pair = await createResponseLab('range');
  const { attacker, victim } = pair;
  dir = mkdtempSync(join(tmpdir(), 'wpt-e2e-range-'));
  certs = makeCertificates();

  // Replaces the shipped playbook of the same id: the block only, for the shortest TTL.
  const playbooks = writeShortBlockPlaybook(dir, 'attack range');
  const syslogPort = await freeTcpPort();
  const configFile = join(dir, 'watchpost.yml');
  writeFileSync(
    configFile,
    `ingest:
  syslog:
    - id: syslog-tls
      protocol: tls
      listen: 127.0.0.1:${syslogPort}
      tls:
        certFile: ${JSON.stringify(certs.serverCert)}
        keyFile: ${JSON.stringify(certs.serverKey)}
        caFile: ${JSON.stringify(certs.caCert)}
        clientAuth: required
response:
  playbookDirs: [${JSON.stringify(playbooks)}]
  drivers:
    - id: fw
      type: nftables
      settings:
        netns: ${victim.ns}
        table: ${TABLE}
        hooks: [input]
`,
  );
  const dataDir = join(dir, 'data');
  const sshdDir = join(dir, 'sshd');
  mkdirSync(sshdDir);
  const hydraDir = join(dir, 'hydra');
  mkdirSync(hydraDir);

  const watchpost = await startWatchpostFor(configFile, dataDir, 'tls');
  child = watchpost.child;
  sshd = await startSshd({ ns: victim.ns, address: victim.ipv4, port: SSH_PORT, dir: sshdDir });
  rsyslog = await startRsyslogFileForwarder({
    file: sshd.logFile,
    tag: 'sshd',
    target: { host: '127.0.0.1', port: syslogPort },
    tls: { caFile: certs.caCert, certFile: certs.clientCert, keyFile: certs.clientKey },
  });
  const context = (): string =>
    `\n--- watchpost\n${watchpost.log().slice(-4000)}\n--- rsyslogd\n${rsyslog?.output() ?? ''}\n--- sshd\n${sshd?.log().slice(-2000) ?? ''}\n--- hydra\n${hydra?.output().slice(-2000) ?? ''}`;

  // Before the attack sshd answers the attacker.
  expect(await probeTcp(attacker.ns, victim.ipv4, SSH_PORT, 2000)).toBe('open');

  const firstFailure = firstLineAt(sshd.logFile, FAILED_PASSWORD, 60_000);
  hydra = startHydraSsh({ ns: attacker.ns, host: victim.ipv4, port: SSH_PORT, login: 'nosuchuser', passwords: PASSWORDS, dir: hydraDir, timeoutMs: 90_000 });
  const first = await firstFailure.catch((error: unknown) => {
    throw new Error(`${String(error)}${context()}`);
  });
  expect(FAILED_PASSWORD.exec(first.line)?.[1]).toBe(attacker.ipv4);

  // Polled about every 100 ms (waitUntil's own 25 ms plus 75), each poll an `nft -j list set`.
  await waitUntil(
    async () => {
      if (!(await nftSetAddresses(victim.ns, TABLE, 'blocklist4')).includes(attacker.ipv4)) {
        await new Promise((resolve) => setTimeout(resolve, 75));
        return undefined;
      }
      return true;
    },
    'the attacker in the nft set',
    60_000,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}${context()}`);
  });
  const blockedAt = Date.now();
  const failuresBefore = logLines(sshd.log()).filter((line) => FAILED_PASSWORD.test(line)).length;
  process.stdout.write(
    `attack range: first failed login → block ${blockedAt - first.at} ms (hydra started ${first.at - hydra.startedAt} ms before the first failed login; ${failuresBefore} failed passwords logged by the block)\n`,
  );

  // The attacker's next connection is dropped. Hydra is stopped first: its tasks would only wait
  // on their dropped connections.
  await hydra.stop();
  const blocked = await waitForReachability(attacker.ns, victim.ipv4, SSH_PORT, 'timeout', 2000, 1000);
  expect(blocked.result).toBe('timeout');

  const lifted = await waitForReachability(attacker.ns, victim.ipv4, SSH_PORT, 'open', (TTL_SECONDS + 15) * 1000);
  expect(lifted.result).toBe('open');
  process.stdout.write(`attack range: sshd reachable again ${Date.now() - blockedAt} ms after the block was seen (TTL ${TTL_SECONDS} s)\n`);
  // What answered is sshd itself, not only the port: its banner.
  const banner = await run('ip', ['netns', 'exec', attacker.ns, 'ssh-keyscan', '-T', '5', '-p', String(SSH_PORT), victim.ipv4], { encoding: 'utf8', timeout: 15_000 });
  expect(banner.stdout).toContain('ssh-ed25519');

  // What Watchpost recorded: one alert of the brute-force rule for the attacker, its evidence
  // over TLS only; one run, succeeded and verified; its block released at expiry.
  const db = openSqliteDatabase(join(dataDir, 'watchpost.db'));
  try {
    const cases = new SqliteCaseStore(db);
    const alerts = (await cases.alerts.list({ limit: 100 })).items.filter((alert) => alert.ruleId === SSH_BRUTE_FORCE_RULE);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.entities['source.ip']).toBe(attacker.ipv4);
    expect(alerts[0]?.transports).toEqual(['tls']);
    const runs = (await cases.runs.list({ limit: 100 })).items.filter((r) => r.playbookId === 'block-ssh-brute-force');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'succeeded' });
    expect(runs[0]?.steps[0]).toMatchObject({ status: 'succeeded', input: { address: attacker.ipv4, ttlSeconds: TTL_SECONDS } });
    expect(runs[0]?.steps[0]?.outcomes).toEqual([expect.objectContaining({ driver: 'fw', status: 'succeeded', verified: true })]);
    const block = await waitUntil(async () => {
      const current = await cases.blocks.get(`fw:${attacker.ipv4}`);
      return current?.state === 'released' ? current : undefined;
    }, 'the block record to be released by its expiry job', 15_000);
    expect(block.releasedBy).toBe('expiry');
  } finally {
    db.close();
  }
  expect(await nftSetAddresses(victim.ns, TABLE, 'blocklist4')).toEqual([]);
  const exited = new Promise<number | null>((resolve) => watchpost.child.once('exit', (code) => resolve(code)));
  watchpost.child.kill('SIGTERM');
  expect(await exited).toBe(0);
}, 240_000);
