import type { EcsEvent } from '../../../core/ecs/event.js';
import { addRelated, setLabel, toIp, toOutcome, toPort } from '../cef/ecs-util.js';
import { parseDeviceTime } from '../cef/time.js';
import type { Parser, ParseContext, ParseResult } from '../parser.js';

const MIN_PAIRS = 3;
const MAX_PAIRS = 200;

function isKeyChar(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95 || code === 46 || code === 45 || code === 58;
}

/**
 * The `key=value` pairs of a line: values unquoted up to the next space, or in double or single
 * quotes with backslash escapes. Words that are not pairs are skipped. Linear in the line length.
 */
export function splitPairs(text: string): [string, string][] {
  const pairs: [string, string][] = [];
  const length = text.length;
  let pos = 0;
  while (pos < length && pairs.length < MAX_PAIRS) {
    while (pos < length && (text.charCodeAt(pos) === 32 || text.charCodeAt(pos) === 9 || text.charCodeAt(pos) === 44)) pos++;
    const keyStart = pos;
    while (pos < length && isKeyChar(text.charCodeAt(pos))) pos++;
    if (pos === keyStart || text.charCodeAt(pos) !== 61) {
      // Not a pair: skip the word (and any quoted part of it) and resynchronise at the next space.
      while (pos < length && text.charCodeAt(pos) !== 32 && text.charCodeAt(pos) !== 9) pos++;
      continue;
    }
    const key = text.slice(keyStart, pos);
    pos++;
    const quote = text.charCodeAt(pos);
    let value = '';
    if (quote === 34 || quote === 39) {
      pos++;
      while (pos < length && text.charCodeAt(pos) !== quote) {
        if (text.charCodeAt(pos) === 92 && pos + 1 < length) pos++;
        value += text[pos] as string;
        pos++;
      }
      pos++;
    } else {
      const start = pos;
      while (pos < length && text.charCodeAt(pos) !== 32 && text.charCodeAt(pos) !== 9) pos++;
      value = text.slice(start, pos);
      // A trailing comma separates pairs in `a=1, b=2` logs.
      if (value.endsWith(',')) value = value.slice(0, -1);
    }
    pairs.push([key, value]);
  }
  return pairs;
}

type Role = 'time' | 'source.ip' | 'destination.ip' | 'source.port' | 'destination.port' | 'user' | 'action' | 'proto' | 'outcome' | 'message';
const ROLES: Readonly<Record<string, Role>> = {
  src: 'source.ip', srcip: 'source.ip', src_ip: 'source.ip', source_ip: 'source.ip', sip: 'source.ip', client_ip: 'source.ip',
  dst: 'destination.ip', dstip: 'destination.ip', dst_ip: 'destination.ip', destination_ip: 'destination.ip', dip: 'destination.ip',
  sport: 'source.port', spt: 'source.port', srcport: 'source.port', src_port: 'source.port', source_port: 'source.port',
  dport: 'destination.port', dpt: 'destination.port', dstport: 'destination.port', dst_port: 'destination.port', destination_port: 'destination.port',
  user: 'user', username: 'user', usrname: 'user', user_name: 'user', usr: 'user',
  action: 'action', act: 'action',
  proto: 'proto', protocol: 'proto',
  outcome: 'outcome', result: 'outcome', status: 'outcome',
  msg: 'message', message: 'message',
  ts: 'time', timestamp: 'time', time: 'time', '@timestamp': 'time',
};

function parseKv(context: ParseContext): ParseResult {
  const pairs = splitPairs(context.text);
  if (pairs.length < MIN_PAIRS) return { failure: 'no_match' };
  const event: EcsEvent = structuredClone(context.base);
  event.event = { ...event.event, kind: 'event', module: 'kv', dataset: 'kv.log' };
  for (const [key, value] of pairs) {
    const role = ROLES[key.toLowerCase()];
    let used = false;
    switch (role) {
      case 'source.ip':
      case 'destination.ip': {
        const side = role === 'source.ip' ? 'source' : 'destination';
        const ip = toIp(value);
        if (ip !== undefined && event[side]?.ip === undefined) {
          event[side] = { ...event[side], ip };
          addRelated(event, 'ip', ip);
          used = true;
        }
        break;
      }
      case 'source.port':
      case 'destination.port': {
        const side = role === 'source.port' ? 'source' : 'destination';
        const port = toPort(value);
        if (port !== undefined && event[side]?.port === undefined) {
          event[side] = { ...event[side], port };
          used = true;
        }
        break;
      }
      case 'user':
        if (value !== '' && event.user?.name === undefined) {
          event.user = { name: value };
          addRelated(event, 'user', value);
          used = true;
        }
        break;
      case 'action':
        if (value !== '' && event.event.action === undefined) {
          event.event.action = value;
          used = true;
        }
        break;
      case 'proto':
        if (value !== '' && event.network === undefined) {
          event.network = /^\d{1,3}$/.test(value) ? { iana_number: value } : { transport: value.toLowerCase() };
          used = true;
        }
        break;
      case 'outcome': {
        const outcome = toOutcome(value);
        if (outcome !== undefined && event.event.outcome === undefined) event.event.outcome = outcome;
        break;
      }
      case 'time':
        if (event['@timestamp'] === context.base['@timestamp']) {
          const at = parseDeviceTime(value, context.timezone, context.record.receivedAt);
          if (at !== undefined) {
            event['@timestamp'] = at;
            used = true;
          }
        }
        break;
      case 'message':
        if (value !== '') {
          event.message = value;
          used = true;
        }
        break;
      case undefined:
        break;
    }
    if (!used) setLabel(event, key, value);
  }
  return { event };
}

/**
 * Generic `key=value` lines (`a=b c="d e"`) with at least three pairs: the well-known keys map to
 * ECS (src/srcip/src_ip, dst/dstip/dst_ip, sport/spt/srcport, dport/dpt/dstport,
 * user/username/usrName, action, proto, msg), a recognisable outcome/result/status word sets
 * `event.outcome`, ts/timestamp/time sets `@timestamp`, and every other pair is kept in `labels` (at most 50 keys, values cut at 1024
 * characters). The last parser tried, so every vendor format is claimed first.
 */
export const kvParser: Parser = {
  id: 'kv',
  description: 'Generic key=value lines (at least three pairs)',
  programs: [],
  timeResolution:
    'A ts/timestamp/time pair when it parses (RFC 3339 with its offset, epoch ms or s, zone-less read in the source time zone), else the syslog header (year inferred, source time zone) or the receive time.',
  matches(context) {
    // Three `=` each right after a key character: close to what parse needs, so a syslog line
    // with a stray `=` is not claimed and then refused (which would tag it a parse failure).
    const text = context.text;
    let found = 0;
    for (let at = text.indexOf('='); at > 0 && found < MIN_PAIRS; at = text.indexOf('=', at + 1)) {
      if (isKeyChar(text.charCodeAt(at - 1))) found++;
    }
    return found >= MIN_PAIRS;
  },
  parse: parseKv,
};
