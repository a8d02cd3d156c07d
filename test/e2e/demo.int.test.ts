import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { drawAttackers } from '../../cli/demo/traffic.js';
import { FEED_TOKEN_FILE } from '../../cli/response.js';
import { BIN, runWatchpost } from '../helpers/cli.js';
import { startWatchpostServer, type WatchpostServer } from '../helpers/watchpost-server.js';

// What a newcomer does: `watchpost start` on a fresh data directory, then `watchpost demo` in
// another terminal. Within two minutes of the start the API must show alerts from at least four
// rules, an incident, and the SSH brute forcer's address in the built-in blocklist feed (no
// response drivers are configured). Both are the real CLI, as child processes.

const SEED = 5;
const LIMIT_MS = 120_000;

let server: WatchpostServer | undefined;
let demo: ChildProcess | undefined;

beforeAll(async () => {
  // Build once up front (bin/watchpost compiles when dist/ is stale) so the timing does not pay for it.
  await runWatchpost(['--version']);
}, 200_000);

afterAll(async () => {
  if (demo && demo.exitCode === null && demo.signalCode === null) {
    const exited = new Promise((resolve) => demo?.once('exit', resolve));
    demo.kill('SIGKILL');
    await exited;
  }
  await server?.stop();
}, 30_000);

async function get(url: string, token: string): Promise<Response> {
  return fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
}

it('shows alerts from four rules, an incident and a blocked address within two minutes of `watchpost start`', async () => {
  const spawned = Date.now();
  server = await startWatchpostServer({ timeoutMs: 120_000 });
  const started = Date.now();
  const { baseUrl, dataDir, syslogPort } = server;

  const created = await runWatchpost(['token', 'create', '--name', 'demo-check', '--roles', 'viewer', '--data-dir', dataDir]);
  expect(created.code, created.stderr).toBe(0);
  const token = created.stdout.trim();

  let demoOutput = '';
  demo = spawn(process.execPath, [BIN, 'demo', '--minutes', '1', '--seed', String(SEED), '--syslog', `127.0.0.1:${syslogPort}`, '--api', baseUrl], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WATCHPOST_TOKEN: token },
  });
  demo.stdout?.setEncoding('utf8').on('data', (chunk: string) => (demoOutput = (demoOutput + chunk).slice(-100_000)));
  demo.stderr?.setEncoding('utf8').on('data', (chunk: string) => (demoOutput = (demoOutput + chunk).slice(-100_000)));
  const demoExited = new Promise<number | null>((resolve) => demo?.once('exit', (code) => resolve(code)));

  const attackers = drawAttackers(SEED).byScenario;
  const bruteForcer = attackers.get('ssh-brute-force') as string;
  const scanner = attackers.get('port-scan') as string;
  const feedFile = join(dataDir, FEED_TOKEN_FILE);
  expect(existsSync(feedFile), `no token file ${feedFile}: \`watchpost start\` composed no built-in blocklist feed\n${server.output().slice(-4000)}`).toBe(true);
  let rules = new Set<string>();
  let incidents = 0;
  let feed: string[] = [];
  let firstBlockMs: number | undefined;
  const deadline = started + LIMIT_MS;
  while (Date.now() < deadline) {
    const alerts = (await (await get(`${baseUrl}/api/v1/alerts?limit=200`, token)).json()) as { items: { ruleId: string }[] };
    rules = new Set(alerts.items.map((alert) => alert.ruleId));
    incidents = ((await (await get(`${baseUrl}/api/v1/incidents?limit=1`, token)).json()) as { total: number }).total;
    // The feed's own token, as a firewall pulling the list presents it.
    const pulled = await get(`${baseUrl}/api/v1/feeds/blocklist`, readFileSync(feedFile, 'utf8').trim());
    expect(pulled.status).toBe(200);
    feed = (await pulled.text()).split('\n').filter((line) => line !== '');
    if (firstBlockMs === undefined && feed.includes(bruteForcer)) firstBlockMs = Date.now() - started;
    if (rules.size >= 4 && incidents >= 1 && feed.includes(bruteForcer) && feed.includes(scanner)) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const context = `rules ${[...rules].join(', ')}; incidents ${incidents}; feed ${feed.join(' ')}\n--- demo\n${demoOutput}\n${server.output().slice(-6000)}`;
  expect(rules.size, context).toBeGreaterThanOrEqual(4);
  expect(incidents, context).toBeGreaterThanOrEqual(1);
  expect(feed, context).toContain(bruteForcer);
  expect(feed, context).toContain(scanner);
  // The feed serves only the blocked attackers: no benign address, nothing of this machine's network.
  expect(feed.every((address) => [...attackers.values()].includes(address)), context).toBe(true);
  process.stdout.write(
    `demo e2e: watchpost start up in ${((started - spawned) / 1000).toFixed(1)} s; first block (${bruteForcer}) in the blocklist feed ${((firstBlockMs ?? 0) / 1000).toFixed(1)} s after the start; ` +
      `${rules.size} rules alerted, ${incidents} incidents, feed: ${feed.join(', ')}\n`,
  );

  // The demo runs its minute, then reports what the API shows.
  const code = await demoExited;
  expect(code, demoOutput).toBe(0);
  expect(demoOutput).toMatch(/attack: SSH brute force against the bastion host from /);
  expect(demoOutput).toMatch(new RegExp(`watchpost: alerts \\d+ from \\d+ rules, incidents \\d+, active blocks \\d+ \\(.*${bruteForcer.replaceAll('.', '\\.')}`));
}, 260_000);
