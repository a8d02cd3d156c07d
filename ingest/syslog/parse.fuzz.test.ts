// Random and mutated frames through parseSyslog: it must never throw, always return a string
// message, and stay linear (no input may make it slow). Seeded, so a failure reproduces.
import { describe, expect, it } from 'vitest';
import type { SyslogMessage } from './parse.js';
import { parseSyslog } from './parse.js';

/** mulberry32: a small seeded PRNG, so every run sees the same inputs. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEEDS = [
  '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 8710 ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] \uFEFFAn application event',
  '<34>1 - - - - - -',
  '<14>1 2026-11-24T08:00:00Z host app - - [meta@1 q="say \\"hi\\"" path="C:\\\\temp" br="a\\]b"] msg',
  "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
  '<13>Oct 11 22:14:15 su: no hostname',
  '<38>Nov 24 09:30:01 web01 sshd[4242]: Accepted publickey for deploy',
  '<14>Nov 24 2025 09:30:01 web01 app: with a year',
  'Nov 24 09:30:01 web01 sshd[1]: a line from /var/log/auth.log',
  '2026-11-24T09:00:00.123456+01:00 host app[1]: rsyslog file format',
  '<189>123: *Mar  1 18:46:11.123 UTC: %SYS-5-CONFIG_I: Configured from console by vty0',
  '<189>123: router1: Nov 24 08:46:11.123 UTC: %SYS-5-CONFIG_I: Configured',
  '<187>Nov 24 09:46:12 10.0.0.1 4711: Nov 24 08:46:11.456 CET: %LINK-3-UPDOWN: down',
  '<166>Nov 24 2026 09:00:00: %ASA-6-302013: Built outbound TCP connection',
  '<189>date=2026-11-24 time=09:00:00 devname="FGT60E" tz="+0100" logid="0000000013" action="deny"',
  '<141>Mar 10 09:30:20 zuse.xysystems.local MSWinEventLog\t1\tSecurity\t563\tWed Mar 10 09:30:15 2010',
];

const INSERTS = ['<', '>', '[', ']', '"', '\\', '=', ':', ' ', '-', '\0', '\n', '\r', '*', '%', '99999999999999999999', '<191>', '<9999>', '1 ', 'T', 'Z', '+14:00', '__proto__', '\uFEFF'];

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function check(result: SyslogMessage): void {
  expect(typeof result.message).toBe('string');
  expect(['rfc5424', 'rfc3164', 'unknown']).toContain(result.format);
  expect(Array.isArray(result.anomalies)).toBe(true);
  // The catch-all in parseSyslog is a last resort; the fuzz must never need it.
  expect(result.anomalies).not.toContain('parser_error');
  if (result.timestamp !== undefined) {
    expect(result.timestamp).toMatch(ISO_UTC);
    expect(Number.isFinite(Date.parse(result.timestamp))).toBe(true);
  }
  if (result.priority !== undefined) expect(result.priority >= 0 && result.priority <= 191).toBe(true);
  if (result.structuredData !== undefined) expect(Object.getPrototypeOf(result.structuredData)).toBe(Object.prototype);
}

function randomBuffer(random: () => number): Buffer {
  const length = Math.floor(random() * 300);
  const bytes = Buffer.alloc(length);
  // Half of the buffers draw from syslog's own punctuation and digits, so parsers get deep.
  const biased = random() < 0.5;
  const alphabet = Buffer.from('<>[]"\\= :-0123456789TZ.*%abcJanFebMarOct\0\xff\n');
  for (let i = 0; i < length; i++) bytes[i] = biased ? (alphabet[Math.floor(random() * alphabet.length)] ?? 0) : Math.floor(random() * 256);
  return bytes;
}

function mutate(seed: string, random: () => number): Buffer {
  let bytes = Buffer.from(seed, 'utf8');
  const rounds = 1 + Math.floor(random() * 4);
  for (let r = 0; r < rounds; r++) {
    const at = Math.floor(random() * (bytes.length + 1));
    const kind = Math.floor(random() * 5);
    if (kind === 0 && bytes.length > 0) {
      const copy = Buffer.from(bytes);
      const i = Math.min(at, copy.length - 1);
      copy[i] = (copy[i] ?? 0) ^ (1 << Math.floor(random() * 8));
      bytes = copy;
    } else if (kind === 1) {
      bytes = bytes.subarray(0, at);
    } else if (kind === 2) {
      const insert = INSERTS[Math.floor(random() * INSERTS.length)] ?? '<';
      bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(insert, 'utf8'), bytes.subarray(at)]);
    } else if (kind === 3) {
      bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff, 0xfe, 0xc3]), bytes.subarray(at)]);
    } else {
      bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + 1 + Math.floor(random() * 8)))]);
    }
  }
  return bytes;
}

describe('parseSyslog fuzz', () => {
  it('survives 20,000 random buffers', () => {
    const random = prng(0x5eed);
    const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Not/AZone', '+05:30'];
    for (let i = 0; i < 20_000; i++) {
      const receivedAt = Date.UTC(2026, 0, 1) + Math.floor(random() * 365 * 86_400_000);
      check(parseSyslog(randomBuffer(random), { receivedAt, timezone: zones[i % zones.length] ?? 'UTC' }));
    }
  });

  it('survives 20,000 mutations of valid messages', () => {
    const random = prng(0xc0ffee);
    for (let i = 0; i < 20_000; i++) {
      const seed = SEEDS[i % SEEDS.length] ?? '';
      const input = mutate(seed, random);
      check(parseSyslog(i % 2 === 0 ? input : input.toString('latin1'), { receivedAt: Date.UTC(2026, 10, 24), timezone: 'Europe/Berlin' }));
    }
  });

  it('survives odd options', () => {
    for (const receivedAt of [NaN, Infinity, -1, 0, 8.64e15, Number.MAX_SAFE_INTEGER]) {
      check(parseSyslog('<14>Nov 24 09:30:01 web01 app: x', { receivedAt, timezone: 'Europe/Berlin' }));
    }
    check(parseSyslog('<14>Nov 24 09:30:01 web01 app: x', { receivedAt: 0, timezone: '' }));
  });

  it('stays linear on long hostile inputs', () => {
    const size = 256 * 1024;
    const hostile = [
      '['.repeat(size),
      `<14>1 - - - - - [a ${'b="'.repeat(size / 3)}`,
      `<14>1 - - - - - ${'[a b="c"]'.repeat(size / 9)}`,
      `<14>1 2026-11-24T08:00:00.${'9'.repeat(size)}Z h a - - - m`,
      `<14>Nov 24 09:30:01.${'1'.repeat(size)} h a: m`,
      `<189>${'k=v '.repeat(size / 4)}`,
      `<189>date=${'"'.repeat(size)}`,
      `<14>Nov 24 09:30:01 h ${'a'.repeat(size)}`,
      `<14>Nov 24 09:30:01 h a[${'1'.repeat(size)}`,
      `<14>${' '.repeat(size)}x`,
      `<14>${'1: '.repeat(size / 3)}`,
      '\0'.repeat(size),
      `<${'1'.repeat(size)}>`,
    ];
    for (const text of hostile) {
      const started = performance.now();
      check(parseSyslog(Buffer.from(text, 'utf8'), { receivedAt: Date.UTC(2026, 10, 24), timezone: 'UTC' }));
      expect(performance.now() - started).toBeLessThan(250);
    }
  });
});
