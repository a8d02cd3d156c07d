import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../core/ecs/event.js';
import { createEnrichers } from '../../ingest/enrich/index.js';
import { enrichingNormalizer, normalizeRecord } from '../../ingest/pipeline/normalize.js';
import { replayEvent, replayRecord } from '../../ingest/pipeline/replay.js';
import { FrameDecoder } from '../../ingest/sources/syslog/framing.js';
import { runWatchpost } from '../../test/helpers/cli.js';
import { freePort } from '../../test/helpers/watchpost-server.js';
import { fillTimes } from '../demo/render.js';
import { runDemo } from '../demo/run.js';
import { SCENARIOS } from '../demo/scenarios.js';
import { frame } from '../demo/sender.js';
import { SENDERS } from '../demo/templates.js';
import { drawAttackers, planTraffic, type PlannedLine } from '../demo/traffic.js';
import { configOf } from './options.js';
import { defaultRuleSources, eventTimeDetector, loadRules } from './rules.js';
import { demoToken } from './demo.js';

const normalize = enrichingNormalizer(normalizeRecord, createEnrichers(configOf({}).ingest.enrich));

/** The lines as Watchpost's parsers see them, with times as if sent from `start` on. */
function events(lines: readonly PlannedLine[], start: number): EcsEvent[] {
  return lines.map((line, index) => {
    const data = Buffer.from(fillTimes(line.text, new Date(start + line.at)));
    const event = replayEvent(normalize, replayRecord({ keyPrefix: 'demo', receivedAt: start + line.at }, { data, offset: index, end: index + 1, truncated: false }));
    return { ...event, event: { ...event.event, id: `demo-${index}` } };
  });
}

/** The alerts the shipped rules raise on the events: rule title → the entities of each match. */
async function alerts(input: readonly EcsEvent[]): Promise<Map<string, Record<string, unknown>[]>> {
  const ruleSet = await loadRules(defaultRuleSources());
  if (!ruleSet) throw new Error('the shipped rules did not load');
  const detector = eventTimeDetector(ruleSet);
  const found = new Map<string, Record<string, unknown>[]>();
  try {
    for (const event of input) {
      for (const match of await detector.process(event)) found.set(match.rule.title, [...(found.get(match.rule.title) ?? []), match.entities]);
    }
    for (const match of await detector.finish()) found.set(match.rule.title, [...(found.get(match.rule.title) ?? []), match.entities]);
  } finally {
    await detector.close();
  }
  return found;
}

describe('the demo traffic', () => {
  const seed = 7;
  const attackers = drawAttackers(seed).byScenario;
  const plan = [...planTraffic({ seed, durationMs: 60_000, rate: 20 })];

  it('is the same for the same seed, and another seed draws other attackers', () => {
    expect([...planTraffic({ seed, durationMs: 60_000, rate: 20 })]).toEqual(plan);
    expect([...drawAttackers(seed + 1).byScenario.values()]).not.toEqual([...attackers.values()]);
    // Between one and three lines a second per requested line a second, in time order.
    expect(plan.length).toBeGreaterThan(60 * 20 * 0.8);
    expect(plan.length).toBeLessThan(60 * 20 * 1.2 + 100);
    expect(plan.map((line) => line.at)).toEqual([...plan.map((line) => line.at)].sort((a, b) => a - b));
  });

  it('attacks from documentation ranges other than this machine\'s 192.0.2.0/24, within the first 20 seconds, on one line each', () => {
    expect(attackers.size).toBe(4);
    for (const address of attackers.values()) expect(address).toMatch(/^(198\.51\.100|203\.0\.113)\.\d+$/);
    expect(new Set(attackers.values()).size).toBe(4);
    const attacks = plan.filter((line) => line.scenario !== undefined);
    expect(new Set(attacks.map((line) => line.scenario))).toEqual(new Set(SCENARIOS.map((scenario) => scenario.id)));
    expect(Math.max(...attacks.map((line) => line.at))).toBeLessThanOrEqual(20_000);
    // No benign line names an attacker, and no line carries a line break (it would split the frame).
    for (const line of plan.filter((candidate) => candidate.scenario === undefined)) for (const address of attackers.values()) expect(line.text).not.toContain(`${address} `);
    for (const line of plan) expect(fillTimes(line.text, new Date())).not.toMatch(/[\r\n]|\{[A-Za-z]+\}/);
  });

  it('covers firewall, web, auth and antivirus logs, and every line is understood by a parser', () => {
    const start = Date.now();
    const parsed = events(plan, start);
    const failures = parsed.filter((event) => (event.tags ?? []).includes('_watchpost_parse_failure')).map((event) => event.event?.original);
    expect(failures).toEqual([]);
    expect(new Set(plan.map((line) => line.source))).toEqual(new Set(['firewall', 'web', 'auth', 'antivirus']));
    const datasets = new Set(parsed.map((event) => event.event?.dataset));
    for (const dataset of ['fortinet_fortigate.log', 'pfsense.log', 'cisco_asa.log', 'iptables.log', 'system.auth', 'nginx.access', 'clamav.clamd', 'clamav.freshclam']) expect(datasets).toContain(dataset);
    // Timestamps are now: the lines' own times, not the receive time, within a second of sending.
    for (const [index, event] of parsed.entries()) expect(Math.abs(Date.parse(String(event['@timestamp'])) - (start + (plan[index] as PlannedLine).at))).toBeLessThan(1000);
  });

  it('raises what the shipped rules and playbooks act on, from the attackers, and nothing from the benign lines', async () => {
    const start = Date.now();
    const found = await alerts(events(plan, start));
    const from = (title: string): unknown[] => (found.get(title) ?? []).map((entities) => entities['source.ip']);
    expect(from('SSH Brute Force From One Address')).toEqual([attackers.get('ssh-brute-force')]);
    expect(from('Port Scan Blocked By The Firewall')).toEqual([attackers.get('port-scan')]);
    expect(from('SSH Password Spraying From One Address')).toEqual([attackers.get('password-spraying')]);
    expect(found.get('SSH Login After Repeated Failures')).toEqual([expect.objectContaining({ 'source.ip': attackers.get('password-spraying'), 'user.name': 'j.meyer' })]);
    for (const title of ['Web Vulnerability Scanner User Agent', 'SQL Injection Attempt In Requested URL', 'Path Traversal Attempt In Requested URL']) {
      expect(new Set(from(title)), title).toEqual(new Set([attackers.get('web-attack')]));
    }
    expect((found.get('Antivirus Malware Detection') ?? []).map((entities) => entities['threat.software.name'])).toEqual(['Eicar-Test-Signature', 'Trojan:Win32/Wacatac.B!ml']);
    const benign = await alerts(events(plan.filter((line) => line.scenario === undefined), start));
    expect([...benign.keys()]).toEqual([]);
  });
});

describe('runDemo', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    while (servers.length > 0) await new Promise((resolve) => (servers.pop() as Server).close(resolve));
  });

  /** A syslog TCP receiver that decodes frames as Watchpost does, one decoder per connection. */
  async function receiver(): Promise<{ port: number; frames: string[][]; sockets: Socket[] }> {
    const frames: string[][] = [];
    const sockets: Socket[] = [];
    const server = createServer((socket) => {
      sockets.push(socket);
      const decoder = new FrameDecoder(64 * 1024);
      const received: string[] = [];
      frames.push(received);
      socket.on('data', (chunk: Buffer) => {
        for (const decoded of decoder.push(chunk)) received.push(decoded.data.toString('utf8'));
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    return { port: typeof address === 'object' && address ? address.port : 0, frames, sockets };
  }

  it('sends the plan on time over one connection per sender, framed as that sender frames, prints progress and what to look for', async () => {
    const { port, frames } = await receiver();
    const printed: string[] = [];
    const started = Date.now();
    const result = await runDemo(
      { syslog: { host: '127.0.0.1', port }, api: 'http://127.0.0.1:9', minutes: 0.05, rate: 50, seed: 11, progressEveryMs: 1000, settleMs: 0 },
      (line) => printed.push(line),
      new AbortController().signal,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
    expect(result.outcome).toBe('done');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(frames).toHaveLength(SENDERS.length);
    const received = frames.flat();
    expect(received).toHaveLength(result.sent);
    // The first SSH brute-force lines (from 2 s on) went out, octet-counted on the servers' connection.
    expect(result.counts['ssh-brute-force']).toBeGreaterThanOrEqual(1);
    expect(received.some((text) => text.includes(`Failed password for root from ${result.attackers.get('ssh-brute-force')}`))).toBe(true);
    const planned = [...planTraffic({ seed: 11, durationMs: 3000, rate: 50 }, { byScenario: result.attackers })];
    expect(received.length).toBe(planned.length);
    expect(printed[0]).toMatch(/sending about 50 lines\/s .* to 127\.0\.0\.1:\d+ over TCP .*seed 11/);
    expect(printed.filter((line) => /^00:0[12] sent \d+ lines/.test(line))).toHaveLength(2);
    expect(printed.some((line) => line.includes(`attack: SSH brute force against the bastion host from ${result.attackers.get('ssh-brute-force')}`))).toBe(true);
    expect(printed.at(-1)).toMatch(/^open http:\/\/127\.0\.0\.1:9 and sign in/);
  });

  it('refuses clearly when nothing listens', async () => {
    const port = await freePort();
    const result = await runDemo({ syslog: { host: '127.0.0.1', port }, api: 'http://127.0.0.1:9', minutes: 1, rate: 20, seed: 1 }, () => undefined, new AbortController().signal);
    expect(result).toMatchObject({ outcome: 'refused', sent: 0 });
    expect(result.reason).toMatch(new RegExp(`cannot connect to syslog at 127\\.0\\.0\\.1:${port} over TCP \\(ECONNREFUSED\\): is \`watchpost start\` running\\?`));
  });

  it('stops cleanly on the signal, and tells when the receiver goes away', async () => {
    const { port, sockets } = await receiver();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 600);
    const aborted = await runDemo({ syslog: { host: '127.0.0.1', port }, api: 'http://127.0.0.1:9', minutes: 1, rate: 50, seed: 2, settleMs: 0 }, () => undefined, controller.signal);
    expect(aborted.outcome).toBe('aborted');
    expect(aborted.sent).toBeGreaterThan(5);
    expect(aborted.sent).toBeLessThan(150);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sockets.every((socket) => socket.readableEnded || socket.destroyed)).toBe(true);

    const next = await receiver();
    setTimeout(() => {
      for (const socket of next.sockets) socket.destroy();
    }, 500);
    const lost = await runDemo({ syslog: { host: '127.0.0.1', port: next.port }, api: 'http://127.0.0.1:9', minutes: 1, rate: 50, seed: 3, settleMs: 0 }, () => undefined, new AbortController().signal);
    expect(lost.outcome).toBe('lost');
    expect(lost.reason).toMatch(/the receiver closed the \w+ connection|connection failed/);
  });
});

describe('framing and flags', () => {
  it('frames as RFC 6587 says: octet counting counts bytes, not characters; LF ends a line', () => {
    expect(frame('octet-counting', '<38>1 - héllo').toString('utf8')).toBe('14 <38>1 - héllo');
    expect(frame('lf', '<30>Jan  5 10:00:00 mail01 clamd[1]: x').toString('utf8')).toBe('<30>Jan  5 10:00:00 mail01 clamd[1]: x\n');
  });

  it('reads the API token from --token-file before WATCHPOST_TOKEN, and refuses an unusable file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wp-demo-'));
    try {
      writeFileSync(join(dir, 'token'), 'wp_abc123\n');
      expect(demoToken(join(dir, 'token'), { WATCHPOST_TOKEN: 'from-env' })).toEqual({ token: 'wp_abc123' });
      expect(demoToken(undefined, { WATCHPOST_TOKEN: 'from-env' })).toEqual({ token: 'from-env' });
      expect(demoToken(undefined, {})).toEqual({});
      writeFileSync(join(dir, 'empty'), '\n');
      expect(demoToken(join(dir, 'empty'), {})).toMatch(/is empty/);
      expect(demoToken(join(dir, 'missing'), {})).toMatch(/cannot read --token-file .* \(ENOENT\)/);
      writeFileSync(join(dir, 'large'), 'x'.repeat(5000));
      expect(demoToken(join(dir, 'large'), {})).toMatch(/larger than 4096 bytes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('watchpost demo', () => {
  beforeAll(async () => {
    // The first run compiles dist/; later runs reuse it.
    await runWatchpost(['--version']);
  }, 180_000);

  it('exits 1 with a clear message when no Watchpost listens, and refuses bad flags', async () => {
    const port = await freePort();
    const refused = await runWatchpost(['demo', '--syslog', `127.0.0.1:${port}`, '--minutes', '0.5']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`watchpost: cannot connect to syslog at 127.0.0.1:${port} over TCP (ECONNREFUSED): is \`watchpost start\` running?`);
    const badRate = await runWatchpost(['demo', '--rate', '0']);
    expect(badRate.code).not.toBe(0);
    expect(badRate.stderr).toMatch(/--rate.*expected lines per second from 1 to 1000/);
    const badSyslog = await runWatchpost(['demo', '--syslog', 'localhost']);
    expect(badSyslog.stderr).toMatch(/expected host:port/);
  }, 60_000);
});
