import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../core/ecs/event.js';
import { PARSERS } from '../../ingest/parsers/index.js';
import { newTally, tallyEvent } from '../../ingest/pipeline/replay.js';
import { summaryLine } from './replay.js';

const BIN = new URL('../../bin/watchpost', import.meta.url).pathname;

/** Runs bin/watchpost, optionally feeding stdin. */
function watchpost(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

const events = (stdout: string): EcsEvent[] =>
  stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as EcsEvent);

describe('watchpost replay', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wp-replay-'));
  const lines = ['<13>Oct 10 07:25:12 web01 myapp[42]: hello from syslog', 'a line no parser knows', 'crlf line'] as const;
  const file = join(dir, 'mixed.log');
  writeFileSync(file, `${lines[0]}\n${lines[1]}\n${lines[2]}\r\n`);

  it('prints one ECS event per line with event.original, file offsets and keys, and a summary on stderr', async () => {
    const { code, stdout, stderr } = await watchpost(['replay', file]);
    expect(code).toBe(0);
    const out = events(stdout);
    expect(out.map((event) => event.event?.original)).toEqual(lines);
    expect(out.map((event) => event.log?.offset)).toEqual([0, lines[0].length + 1, lines[0].length + lines[1].length + 2]);
    expect(out.every((event) => event.watchpost?.input?.transport === 'file' && event.log?.file?.path === file)).toBe(true);
    expect(out[0]?.host?.hostname).toBe('web01');
    expect(stderr).toMatch(/^replay: 3 events; parsed: .*; unclaimed: \d+; failures: .*$/m);
  }, 60_000);

  it('reads stdin with -, and the timezone applies to year-less or offset-less times', async () => {
    const { code, stdout, stderr } = await watchpost(['replay', '-', '--timezone', 'Europe/Berlin'], `${lines[0]}\n`);
    expect(code).toBe(0);
    const [event] = events(stdout);
    expect(event?.event?.original).toBe(lines[0]);
    // 07:25:12 in Berlin in October (CEST, +02:00) is 05:25:12 UTC.
    expect(event?.['@timestamp']).toMatch(/T05:25:12\.000Z$/);
    expect(stderr).toContain('replay: 1 events');
  }, 60_000);

  it('refuses an unknown format, an unknown time zone and a missing file', async () => {
    const format = await watchpost(['replay', file, '--format', 'no-such-parser']);
    expect(format.code).toBe(1);
    expect(format.stderr).toContain('unknown format "no-such-parser"');
    const zone = await watchpost(['replay', file, '--timezone', 'Mars/Olympus']);
    expect(zone.code).toBe(1);
    expect(zone.stderr).toContain('unknown time zone');
    const missing = await watchpost(['replay', join(dir, 'nope.log')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read');
  }, 60_000);

  it.runIf(PARSERS.some((parser) => parser.id === 'iptables'))('enriches like the pipeline: GeoIP and configured lists', async () => {
    const config = join(dir, 'watchpost.yaml');
    writeFileSync(config, 'ingest:\n  enrich:\n    lists:\n      - { name: lan, tag: internal, cidrs: [10.0.0.0/8] }\n');
    const line = '<4>Oct 10 07:25:12 fw kernel: IN=eth0 OUT= SRC=8.8.8.8 DST=10.1.2.3 LEN=52 TTL=63 ID=0 PROTO=TCP SPT=53 DPT=443 WINDOW=2853 SYN URGP=0';
    const { code, stdout } = await watchpost(['replay', '-', '--format', 'iptables', '--config', config], `${line}\n`);
    expect(code).toBe(0);
    const [event] = events(stdout);
    expect(event?.watchpost?.parse?.parser).toBe('iptables');
    expect(event?.source?.geo?.country_iso_code).toBe('US');
    expect(event?.destination?.geo).toBeUndefined();
    expect(event?.tags).toContain('internal');
  }, 60_000);
});

describe('replay summary', () => {
  it('counts parsed events by parser, unclaimed ones and failures by reason', () => {
    const tally = newTally();
    const at = '2026-01-01T00:00:00.000Z';
    tallyEvent(tally, { '@timestamp': at, watchpost: { parse: { parser: 'nginx' } } });
    tallyEvent(tally, { '@timestamp': at, watchpost: { parse: { parser: 'nginx' } } });
    tallyEvent(tally, { '@timestamp': at, watchpost: { parse: { parser: 'cef', failure: 'no_match' } } });
    tallyEvent(tally, { '@timestamp': at });
    expect(summaryLine(tally)).toBe('replay: 4 events; parsed: nginx=2; unclaimed: 1; failures: no_match=1\n');
  });
});

describe('watchpost replay --alerts', () => {
  const FIXTURES = new URL('../../test/fixtures/rules-cli/', import.meta.url).pathname;
  const rules = ['--rules', join(FIXTURES, 'pack'), '--pipelines', join(FIXTURES, 'pipelines')];
  const alerts = (stdout: string): Record<string, any>[] =>
    stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, any>);

  it('prints a correlation alert in event time: one per burst, the consumed base rule silent', async () => {
    const { code, stdout, stderr } = await watchpost(['replay', join(FIXTURES, 'ssh.log'), '--alerts', ...rules]);
    expect(code).toBe(0);
    const out = alerts(stdout);
    expect(out).toHaveLength(1);
    const [alert] = out;
    expect(alert?.kind).toBe('correlation');
    expect(alert?.rule).toMatchObject({ key: '6d0f6a52-3c1e-4c39-9a51-000000000002', title: 'SSH brute force from one address (fixture)', level: 'high', author: 'Watchpost tests' });
    expect(alert?.rule.tags).toEqual(['attack.credential-access', 'attack.t1110.001']);
    expect(alert?.correlation).toMatchObject({ type: 'event_count', group: { 'source.ip': '192.0.2.201' }, rules: ['6d0f6a52-3c1e-4c39-9a51-000000000001'] });
    expect(alert?.correlation.value).toBeGreaterThanOrEqual(5);
    expect(alert?.eventIds.length).toBeGreaterThanOrEqual(5);
    // The window is the events' time (Nov 24, 08:03), not the time of the replay.
    expect(alert?.correlation.windowEnd).toMatch(/-11-24T08:03:(4|5)\d/);
    expect(stderr).toContain('replay: 8 events');
    expect(stderr).toMatch(/^alerts: 1; by rule: 6d0f6a52-3c1e-4c39-9a51-000000000002=1$/m);
  }, 60_000);

  it('prints a detection alert with the rule, selections, matched values, entities and event id', async () => {
    const { code, stdout } = await watchpost(['replay', '-', '--alerts', ...rules], readFileSync(join(FIXTURES, 'web.log'), 'utf8'));
    expect(code).toBe(0);
    const out = alerts(stdout);
    expect(out).toHaveLength(1);
    const [alert] = out;
    expect(alert).toMatchObject({ kind: 'detection', selections: ['selection'], rule: { key: '6d0f6a52-3c1e-4c39-9a51-000000000003', level: 'high', author: 'Watchpost tests' } });
    expect(alert?.matched).toContainEqual({ field: 'url.original', value: '/item.php?id=1%20UNION%20SELECT%20pass', selection: 'selection' });
    expect(alert?.entities['source.ip']).toBe('203.0.113.9');
    expect(alert?.eventIds).toHaveLength(1);
    expect(alert?.['@timestamp']).toBe('2026-11-24T08:00:01.000Z');
  }, 60_000);

  it('refuses rule paths that do not exist', async () => {
    const { code, stderr } = await watchpost(['replay', join(FIXTURES, 'web.log'), '--alerts', '--rules', join(FIXTURES, 'nope')]);
    expect(code).toBe(1);
    expect(stderr).toContain('cannot read');
  }, 60_000);
});
