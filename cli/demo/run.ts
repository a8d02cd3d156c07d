/**
 * Runs the demo: plans the traffic, sends it on time over the syslog connections, tells what it
 * sends as it goes and, with an API token, what Watchpost made of it. Stops at the end of the
 * duration, on the abort signal (Ctrl-C) or when the receiver goes away, closing the connections
 * in every case.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fetchFindings, findingsLine, type DemoFindings } from './api.js';
import { fillTimes } from './render.js';
import { SCENARIOS } from './scenarios.js';
import { openConnections, type SyslogTarget } from './sender.js';
import { SENDERS, type SourceType } from './templates.js';
import { drawAttackers, planTraffic } from './traffic.js';

/** What `watchpost demo` was asked. */
export interface DemoOptions {
  readonly syslog: SyslogTarget;
  readonly api: string;
  /** An API token (a viewer may read what the demo asks); without one the demo cannot look. */
  readonly token?: string;
  readonly minutes: number;
  readonly rate: number;
  readonly seed: number;
  /** How often progress (and the API's answer) is printed. @defaultValue 15000 */
  readonly progressEveryMs?: number;
  /** How long to wait after the last line before asking the API the last time. @defaultValue 5000 */
  readonly settleMs?: number;
}

/** How the demo ended. */
export interface DemoResult {
  /** `done`: the whole duration was sent; `aborted`: stopped by the signal; `refused`: could not connect; `lost`: the connection broke. */
  readonly outcome: 'done' | 'aborted' | 'refused' | 'lost';
  readonly sent: number;
  /** Lines sent per scenario id, and per source type for the benign ones (`benign:web`). */
  readonly counts: Readonly<Record<string, number>>;
  readonly attackers: ReadonlyMap<string, string>;
  readonly findings?: DemoFindings;
  /** Why, for `refused` and `lost`. */
  readonly reason?: string;
}

const elapsed = (ms: number): string => `${String(Math.floor(ms / 60_000)).padStart(2, '0')}:${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}`;

const SOURCES: readonly SourceType[] = ['firewall', 'web', 'auth', 'antivirus'];

/** Sends the demo traffic; `print` receives whole lines (the command writes them to stdout). */
export async function runDemo(options: DemoOptions, print: (line: string) => void, signal: AbortSignal): Promise<DemoResult> {
  const attackers = drawAttackers(options.seed).byScenario;
  const counts: Record<string, number> = {};
  const target = `${options.syslog.host}:${options.syslog.port}`;
  const connections = await openConnections(options.syslog, SENDERS);
  if (typeof connections === 'string') {
    return {
      outcome: 'refused',
      sent: 0,
      counts,
      attackers,
      reason: `cannot connect to syslog at ${target} over TCP (${connections}): is \`watchpost start\` running? It listens on 127.0.0.1:5514 by default; name another address with --syslog host:port`,
    };
  }
  let token = options.token;
  if (token !== undefined) {
    const check = await fetchFindings(options.api, token, signal);
    if (typeof check === 'string') {
      print(`watchpost demo: ${check}; sending anyway, without asking the API`);
      token = undefined;
    }
  }
  const lost = new AbortController();
  let lostReason: string | undefined;
  connections.onFailure((message) => {
    lostReason = message;
    lost.abort();
  });
  const stop = AbortSignal.any([signal, lost.signal]);
  const durationMs = Math.round(options.minutes * 60_000);
  print(
    `watchpost demo: sending about ${options.rate} lines/s of firewall, web, auth and antivirus logs to ${target} over TCP for ${options.minutes} minute${options.minutes === 1 ? '' : 's'} (seed ${options.seed}: --seed ${options.seed} sends the same)`,
  );
  print('attacks in the first 20 seconds:');
  for (const scenario of SCENARIOS) {
    const attacker = attackers.get(scenario.id);
    print(`  - ${scenario.title}${attacker !== undefined ? ` from ${attacker}` : ''}`);
  }
  const started = Date.now();
  const announced = new Set<string>();
  let sent = 0;
  let nextProgress = options.progressEveryMs ?? 15_000;
  let findings: DemoFindings | undefined;
  const progress = async (at: number): Promise<void> => {
    const benign = SOURCES.map((source) => `${source} ${counts[`benign:${source}`] ?? 0}`).join(', ');
    const attacks = SCENARIOS.reduce((sum, scenario) => sum + (counts[scenario.id] ?? 0), 0);
    print(`${elapsed(at)} sent ${sent} lines (benign: ${benign}; attacks ${attacks})`);
    if (token === undefined) return;
    const answer = await fetchFindings(options.api, token, stop);
    if (typeof answer === 'string') print(`${elapsed(at)} ${answer}`);
    else {
      findings = answer;
      print(`${elapsed(at)} watchpost: ${findingsLine(answer)}`);
    }
  };
  let outcome: DemoResult['outcome'] = 'done';
  try {
    for (const line of planTraffic({ seed: options.seed, durationMs, rate: options.rate }, { byScenario: attackers })) {
      while (line.at >= nextProgress) {
        await sleep(Math.max(0, started + nextProgress - Date.now()), undefined, { signal: stop });
        await progress(nextProgress);
        nextProgress += options.progressEveryMs ?? 15_000;
      }
      const wait = started + line.at - Date.now();
      if (wait > 0) await sleep(wait, undefined, { signal: stop });
      if (stop.aborted) break;
      if (line.scenario !== undefined && !announced.has(line.scenario)) {
        announced.add(line.scenario);
        const scenario = SCENARIOS.find((candidate) => candidate.id === line.scenario);
        if (scenario) {
          const attacker = attackers.get(scenario.id);
          print(`${elapsed(Date.now() - started)} attack: ${scenario.title}${attacker !== undefined ? ` from ${attacker}` : ''}`);
        }
      }
      await connections.send(line.sender, fillTimes(line.text, new Date()));
      sent += 1;
      const key = line.scenario ?? `benign:${line.source}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
  } catch (error) {
    if (!stop.aborted) throw error;
  } finally {
    await connections.close();
  }
  if (lost.signal.aborted) outcome = 'lost';
  else if (signal.aborted) outcome = 'aborted';
  print(`${elapsed(Date.now() - started)} ${outcome === 'done' ? 'done' : outcome === 'aborted' ? 'stopped' : `stopped: ${lostReason ?? 'the connection broke'}`}: sent ${sent} lines. What was sent and what to look for:`);
  for (const scenario of SCENARIOS) {
    const attacker = attackers.get(scenario.id) ?? '';
    const lines = counts[scenario.id] ?? 0;
    print(lines === 0 ? `  - ${scenario.title}: not sent` : `  - ${scenario.title}: ${lines} lines; ${scenario.expect.replaceAll('{attacker}', attacker)}`);
  }
  print(`  - benign: ${SOURCES.map((source) => `${source} ${counts[`benign:${source}`] ?? 0}`).join(', ')}`);
  if (token !== undefined && outcome !== 'lost') {
    if (outcome === 'done') await sleep(options.settleMs ?? 5000, undefined, { signal }).catch(() => undefined);
    const answer = await fetchFindings(options.api, token);
    if (typeof answer === 'string') print(answer);
    else {
      findings = answer;
      print(`watchpost: ${findingsLine(answer)}`);
      for (const rule of answer.rules) print(`  alert rule: ${rule}`);
    }
  } else {
    print(
      `open ${options.api} and sign in (user admin; \`watchpost start\` printed its password on the first start): Alerts shows the alerts of these rules, Incidents one per attacker, ` +
        'Response the blocks of the SSH brute forcer and the port scanner (also served to firewalls at /api/v1/feeds/blocklist, token in <data dir>/blocklist-feed.token) and the account disable waiting for approval. ' +
        'With an API token (WATCHPOST_TOKEN or --token-file; `watchpost token create --name demo --roles viewer`) the demo counts them itself.',
    );
  }
  return { outcome, sent, counts, attackers, ...(findings ? { findings } : {}), ...(outcome === 'lost' && lostReason !== undefined ? { reason: lostReason } : {}) };
}
