import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SqliteCaseStore } from '../../backends/sqlite/case-store.js';
import { openSqliteDatabase } from '../../backends/sqlite/database.js';
import { BIN } from '../helpers/cli.js';
import { SHORT_BLOCK_SECONDS, startWatchpostFor, writeShortBlockPlaybook } from '../helpers/e2e-watchpost.js';
import { probeTcp, waitForReachability, type NetnsPair, type TcpService } from '../helpers/netns.js';
import { freeTcpPort } from '../helpers/redis-server.js';
import { createResponseLab, nftSetAddresses, waitUntil } from '../helpers/response-worker.js';

// The whole chain with real programs: util-linux `logger` sends sshd "Failed password" lines over
// TCP syslog to `watchpost start` (the real CLI: ingest, detection, alerting and the worker in one
// process, SQLite); the shipped SSH brute-force correlation raises an alert; the playbook blocks
// its source address with the nftables driver inside a victim network namespace. From the
// attacker namespace the victim's TCP service answers before, is silent after the block, and
// answers again when the block's TTL (1 minute, the shortest a playbook may ask for) has run out.

const ROOT = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);
const TABLE = 'wpt_e2e';
const TTL_SECONDS = SHORT_BLOCK_SECONDS;

let pair: NetnsPair | undefined;
let service: TcpService;
let dir: string | undefined;
let child: ChildProcess | undefined;

beforeAll(async () => {
  // Build once up front (bin/watchpost compiles when dist/ is stale) so the test does not pay for it.
  await run(process.execPath, [BIN, '--version'], { cwd: ROOT, timeout: 180_000 });
}, 200_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  await pair?.lab.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('SSH brute force over syslog → alert → nftables block in the victim namespace → lifted after the TTL', async () => {
  pair = await createResponseLab('e2e');
  service = await pair.lab.tcpService(pair.victim.ns);
  dir = mkdtempSync(join(tmpdir(), 'wpt-e2e-response-'));
  // Replaces the shipped playbook of the same id: the block only, for the shortest TTL.
  const playbooks = writeShortBlockPlaybook(dir, 'end-to-end test');
  const configFile = join(dir, 'watchpost.yml');
  writeFileSync(
    configFile,
    `response:
  playbookDirs: [${JSON.stringify(playbooks)}]
  drivers:
    - id: fw
      type: nftables
      settings:
        netns: ${pair.victim.ns}
        table: ${TABLE}
        hooks: [input]
`,
  );
  const dataDir = join(dir, 'data');
  const port = await freeTcpPort();
  const attacker = pair.attacker.ipv4;

  expect(await probeTcp(pair.attacker.ns, pair.victim.ipv4, service.port)).toBe('open');
  const watchpost = await startWatchpostFor(configFile, dataDir, 'tcp', ['--syslog-listen', `127.0.0.1:${port}`]);
  child = watchpost.child;

  const sentAt: number[] = [];
  for (let i = 0; i < 12; i++) {
    await run('logger', ['-n', '127.0.0.1', '-P', String(port), '-T', '--rfc3164', '-t', 'sshd', '-p', 'auth.info', `Failed password for root from ${attacker} port ${40000 + i} ssh2`], { timeout: 10_000 });
    sentAt.push(Date.now());
  }
  await waitUntil(async () => ((await nftSetAddresses(pair?.victim.ns ?? '', TABLE, 'blocklist4')).includes(attacker) ? true : undefined), 'the block in the nft set', 30_000).catch(
    (error: unknown) => {
      throw new Error(`${String(error)}: ${watchpost.log().slice(-4000)}`);
    },
  );
  const blockedAt = Date.now();
  process.stdout.write(
    `e2e: block in the nft set ${blockedAt - (sentAt[0] ?? 0)} ms after the first failed line, ${blockedAt - (sentAt[9] ?? 0)} ms after the 10th (the one that completes the correlation)\n`,
  );

  const blocked = await waitForReachability(pair.attacker.ns, pair.victim.ipv4, service.port, 'timeout', 2000);
  expect(blocked.result).toBe('timeout');

  const lifted = await waitForReachability(pair.attacker.ns, pair.victim.ipv4, service.port, 'open', (TTL_SECONDS + 15) * 1000);
  expect(lifted.result).toBe('open');
  process.stdout.write(`e2e: reachable again ${Date.now() - blockedAt} ms after the block was seen (TTL ${TTL_SECONDS} s)\n`);

  // What the worker recorded: one run, succeeded and verified, its block released at expiry.
  const db = openSqliteDatabase(join(dataDir, 'watchpost.db'));
  try {
    const cases = new SqliteCaseStore(db);
    const runs = (await cases.runs.list({ limit: 100 })).items.filter((r) => r.playbookId === 'block-ssh-brute-force');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'succeeded' });
    expect(runs[0]?.steps[0]).toMatchObject({ status: 'succeeded', input: { address: attacker, ttlSeconds: TTL_SECONDS } });
    expect(runs[0]?.steps[0]?.outcomes).toEqual([expect.objectContaining({ driver: 'fw', status: 'succeeded', verified: true })]);
    const block = await waitUntil(async () => {
      const current = await cases.blocks.get(`fw:${attacker}`);
      return current?.state === 'released' ? current : undefined;
    }, 'the block record to be released by its expiry job', 15_000);
    expect(block.releasedBy).toBe('expiry');
  } finally {
    db.close();
  }
  expect(await nftSetAddresses(pair.victim.ns, TABLE, 'blocklist4')).toEqual([]);

  const exited = new Promise<number | null>((resolve) => watchpost.child.once('exit', (code) => resolve(code)));
  watchpost.child.kill('SIGTERM');
  expect(await exited).toBe(0);
}, 150_000);
