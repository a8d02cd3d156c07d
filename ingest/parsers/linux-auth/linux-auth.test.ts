import { describe, expect, it } from 'vitest';
import { ECS_VERSION, type EcsEvent } from '../../../core/ecs/event.js';
import type { RawRecord } from '../../../core/ingest/record.js';
import { createNormalizer } from '../../pipeline/normalize.js';
import type { ParseContext } from '../parser.js';
import { createRouter } from '../router.js';
import { linuxAuthParser } from './parser.js';

function plain(text: string): ParseContext {
  const record: RawRecord = { sourceId: 't', transport: 'file', data: Buffer.from(text), receivedAt: Date.parse('2026-11-24T12:00:00Z') };
  const base: EcsEvent = { '@timestamp': '2026-11-24T12:00:00.000Z', message: text, ecs: { version: ECS_VERSION }, event: { original: text } };
  return { record, base, text, timezone: 'UTC' };
}

const normalize = createNormalizer(createRouter([linuxAuthParser]));
function syslog(line: string): EcsEvent {
  return normalize({ sourceId: 't', transport: 'udp', data: Buffer.from(line), receivedAt: Date.parse('2026-11-24T12:00:00Z'), timezone: 'Europe/Paris' });
}

describe('linux-auth parser', () => {
  it('reads the program and pid from a header-less auth.log line', () => {
    const result = linuxAuthParser.parse(plain('sshd[4711]: Failed password for invalid user ubnt from 192.0.2.9 port 40000 ssh2'));
    expect('event' in result && result.event).toMatchObject({
      process: { name: 'sshd', pid: 4711 },
      user: { name: 'ubnt' },
      source: { ip: '192.0.2.9', port: 40000 },
      event: { action: 'ssh_login', outcome: 'failure', category: ['authentication'], dataset: 'system.auth' },
    });
  });

  it('routes by program and reads an RFC 3164 time in the source zone', () => {
    const event = syslog('<38>Nov 24 09:00:00 h sshd[1]: Accepted password for bob from 198.51.100.1 port 2222 ssh2');
    expect(event['@timestamp']).toBe('2026-11-24T08:00:00.000Z');
    expect(event.watchpost?.parse?.parser).toBe('linux-auth');
    expect(event.related).toEqual({ ip: ['198.51.100.1'], user: ['bob'], hosts: ['h'] });
  });

  it('claims PAM lines of any program but not its other lines', () => {
    expect(syslog('<86>Nov 24 09:00:00 h cron[9]: pam_unix(cron:session): session closed for user root').event?.action).toBe('logged-off');
    expect(syslog('<78>Nov 24 09:00:00 h cron[9]: (root) CMD (run-parts /etc/cron.hourly)').watchpost?.parse?.parser).toBeUndefined();
  });

  it('keeps an unremarkable line of an auth program as a system.auth event without a category', () => {
    const event = syslog('<38>Nov 24 09:00:00 h sshd[1]: Server listening on :: port 22.');
    expect(event.event?.dataset).toBe('system.auth');
    expect(event.event?.category).toBeUndefined();
  });

  it('keeps a sudo command that contains " ; " whole', () => {
    const result = linuxAuthParser.parse(plain('sudo: ann : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/sh -c a ; b'));
    expect('event' in result && result.event.process?.command_line).toBe('/bin/sh -c a ; b');
  });

  it('refuses an unknown program with no auth message', () => {
    expect(linuxAuthParser.parse(plain('kernel: eth0: link up'))).toEqual({ failure: 'no_match' });
    expect(linuxAuthParser.parse(plain('no tag here'))).toEqual({ failure: 'no_program' });
  });

  it('stays linear on long hostile input', () => {
    const started = performance.now();
    for (const text of ['sshd[1]: Failed password for ' + 'a '.repeat(50_000), 'sshd[1]: Invalid user ' + 'x'.repeat(100_000), 'sudo: u : ' + 'A=; '.repeat(30_000)]) {
      linuxAuthParser.parse(plain(text));
    }
    expect(performance.now() - started).toBeLessThan(500);
  });
});
