/**
 * Measures parseSyslog against rsyslog's old parser test cases (../shared/corpus/syslog_rsyslog,
 * GPL-3.0: read in place, never copied into this repository). Prints the pass count and every
 * differing case. Run: `npx tsx ingest/syslog/corpus-check.ts [corpus-dir]`.
 *
 * Each `*.parse1` file holds pairs of lines after `#` comments: an input (C escapes `\\`, `\n`,
 * `\t`, `\r`, `\ooo`) and rsyslog's rendering with the template
 * `%PRI%,%syslogfacility-text%,%syslogseverity-text%,%timestamp%,%hostname%,%programname%,%syslogtag%,%msg%`.
 * Our result is compared field by field after mapping it to what rsyslog would show:
 * - PRI: a message without one is 13 (user.notice), as RFC 3164 §4.3.3 and rsyslog default it;
 * - timestamp: `Mmm dd hh:mm:ss`, in the offset the input's RFC 3339 timestamp carried (else UTC,
 *   the zone this check parses in); the year is not part of rsyslog's rendering;
 * - hostname: `~H` (rsyslog's own name) when the message had none;
 * - appName and procId: from `%programname%`, or from `%syslogtag%` (`app[pid]:`) where rsyslog
 *   left programname empty (its RFC 5424 path did); msgId is not in the template, so not compared;
 * - message: rsyslog keeps the space after the RFC 3164 tag in `%msg%`; we do not, so one leading
 *   space is dropped from the expected text. Control characters render as `#ooo` as rsyslog does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SyslogMessage } from './parse.js';
import { parseSyslog } from './parse.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
// Any instant works: rsyslog's rendering has no year, and the zone is UTC.
const RECEIVED_AT = Date.UTC(2010, 5, 1, 12, 0, 0);

interface Case {
  readonly where: string;
  readonly input: Buffer;
  readonly expected: string;
}

interface Fields {
  pri: string;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  message: string;
}

/** The C-style unescaping rsyslog's test driver applied to input lines, to bytes. */
function unescape(line: string): Buffer {
  const bytes = Buffer.from(line, 'utf8');
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] ?? 0;
    if (byte !== 0x5c) {
      out.push(byte);
      continue;
    }
    const next = bytes[i + 1];
    if (next === undefined) break;
    const octal = bytes.subarray(i + 1, i + 4).toString('latin1');
    if (/^[0-7]{3}$/.test(octal)) {
      out.push(parseInt(octal, 8));
      i += 3;
      continue;
    }
    const mapped = next === 0x6e ? 0x0a : next === 0x74 ? 0x09 : next === 0x72 ? 0x0d : next;
    out.push(mapped);
    i++;
  }
  return Buffer.from(out);
}

function readCases(dir: string): Case[] {
  const cases: Case[] = [];
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.parse1')).sort()) {
    const lines = readFileSync(join(dir, file), 'utf8').split('\n');
    let pending: { line: string; number: number } | undefined;
    lines.forEach((line, index) => {
      if (line.startsWith('#') || line === '') return;
      if (pending === undefined) pending = { line, number: index + 1 };
      else {
        cases.push({ where: `${file}:${pending.number}`, input: unescape(pending.line), expected: line });
        pending = undefined;
      }
    });
  }
  return cases;
}

/** rsyslog's escaping of control characters in property values (`#011` for a tab). */
function controlEscaped(text: string): string {
  let out = '';
  for (const char of text) out += char < ' ' ? `#${char.charCodeAt(0).toString(8).padStart(3, '0')}` : char;
  return out;
}

/** Splits `%programname%,%syslogtag%,%msg%`, where the first two may contain commas: the tag starts with the program name. */
function splitTail(tail: string): { program: string; tag: string; msg: string } | undefined {
  const commas: number[] = [];
  for (let i = 0; i < tail.length; i++) if (tail[i] === ',') commas.push(i);
  for (let a = 0; a < commas.length; a++) {
    const program = tail.slice(0, commas[a]);
    for (let b = a + 1; b < commas.length; b++) {
      const tag = tail.slice((commas[a] ?? 0) + 1, commas[b]);
      const boundary = tag[program.length];
      if (tag.startsWith(program) && (program === '' || boundary === undefined || boundary === '[' || boundary === ':')) {
        return { program, tag, msg: tail.slice((commas[b] ?? 0) + 1) };
      }
    }
  }
  return undefined;
}

function expectedFields(line: string): Fields | undefined {
  const parts = line.split(',');
  if (parts.length < 8) return undefined;
  const [pri = '', , , timestamp = '', hostname = ''] = parts;
  const tail = splitTail(parts.slice(5).join(','));
  if (!tail) return undefined;
  let appName = tail.program;
  let procId = '';
  const tagName = tail.tag.replace(/:$/, '');
  const bracket = /^(.*?)\[([^\]]*)\]$/.exec(tagName);
  if (bracket) procId = bracket[2] ?? '';
  if (appName === '') appName = bracket ? (bracket[1] ?? '') : tagName;
  const message = tail.msg.startsWith(' ') ? tail.msg.slice(1) : tail.msg;
  return { pri, timestamp, hostname, appName, procId, message };
}

/** Renders an instant as rsyslog's `Mmm dd hh:mm:ss` at an offset. */
function rsyslogTime(iso: string, offsetMs: number): string {
  const date = new Date(Date.parse(iso) + offsetMs);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[date.getUTCMonth()] ?? '?'} ${String(date.getUTCDate()).padStart(2, ' ')} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
}

/** The offset of an RFC 3339 timestamp in the input, which rsyslog renders the time in. */
function inputOffset(input: string): number {
  const match = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(Z|[+-]\d\d:\d\d)/.exec(input);
  if (!match?.[1] || match[1] === 'Z') return 0;
  const sign = match[1].startsWith('-') ? -1 : 1;
  return sign * (Number(match[1].slice(1, 3)) * 60 + Number(match[1].slice(4, 6))) * 60_000;
}

function actualFields(message: SyslogMessage, input: string): Fields {
  return {
    pri: String(message.priority ?? 13),
    timestamp: message.timestamp === undefined ? '(none)' : rsyslogTime(message.timestamp, inputOffset(input)),
    hostname: message.hostname ?? '~H',
    appName: controlEscaped(message.appName ?? ''),
    procId: message.procId ?? '',
    message: controlEscaped(message.message),
  };
}

function main(): void {
  const here = dirname(fileURLToPath(import.meta.url));
  const dir = resolve(process.argv[2] ?? join(here, '../../../shared/corpus/syslog_rsyslog'));
  const cases = readCases(dir);
  let passed = 0;
  const failures: string[] = [];
  for (const testCase of cases) {
    const expected = expectedFields(testCase.expected);
    const parsed = parseSyslog(testCase.input, { receivedAt: RECEIVED_AT, timezone: 'UTC' });
    const actual = actualFields(parsed, testCase.input.toString('utf8'));
    if (!expected) {
      failures.push(`${testCase.where}: cannot read the expected line`);
      continue;
    }
    const diffs = (Object.keys(expected) as (keyof Fields)[])
      .filter((key) => expected[key] !== actual[key])
      .map((key) => `    ${key}: expected ${JSON.stringify(expected[key])}, got ${JSON.stringify(actual[key])}`);
    if (diffs.length === 0) passed++;
    else failures.push(`${testCase.where} (${parsed.format}, anomalies: ${parsed.anomalies.join(' ') || '-'})\n${diffs.join('\n')}`);
  }
  for (const failure of failures) console.log(`DIFF ${failure}`);
  console.log(`${basename(dir)}: ${passed}/${cases.length} cases agree with rsyslog on PRI, timestamp, hostname, appName, procId and message`);
}

main();
