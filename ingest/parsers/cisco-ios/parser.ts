/**
 * Cisco IOS and IOS-XE syslog: `%FACILITY-SEVERITY-MNEMONIC: text`, with or without the
 * sequence number and the device's own timestamp before it (`123: *Mar  1 00:03:20.123: %SYS-...`,
 * `456: Nov 24 10:00:00.123 UTC: %LINK-...`), sent with a syslog header, relayed with a relay's
 * header, or read from a file as written (`172.16.5.10 6705: Feb 17 13:40:03.673: %PARSER-...`).
 * ASA and FTD messages (`%ASA-`, `%FTD-`, numeric ids) are left to the cisco-asa parser.
 *
 * `message` keeps the header (`%SYS-5-CONFIG_I: Configured from ...`): the SigmaHQ Cisco rules
 * are keyword searches over it and some name the mnemonic (`SOCKET_TCP_PACKET_MD5_AUTHEN_FAIL`).
 */
import { isIP } from 'node:net';
import type { EcsEndpoint, EcsEvent } from '../../../core/ecs/event.js';
import { SEVERITY_NAMES } from '../../syslog/to-ecs.js';
import { inferYear, scanBsdTimestamp, toIso, zonedWallToUtc } from '../../syslog/timestamp.js';
import type { ParseContext, Parser, ParseResult } from '../parser.js';
import { findHeader, type IosHeader } from './header.js';
import { decodeMessage, eventFieldsOf } from './messages.js';

/**
 * Vendor fields with no ECS place, under the names of Elastic's Cisco IOS integration
 * (`cisco.ios.facility`). EcsEvent lists only ECS fields; the store keeps any other key as it is.
 */
type IosEvent = EcsEvent & { cisco?: { ios?: { facility?: string; line?: string } } };

/** Most tokens before the header searched for the device timestamp (host, sequence, host:). */
const MAX_HEAD_TOKENS = 4;

/** What precedes the header: the sequence number and the device's timestamp, when present. */
interface Head {
  sequence?: number;
  timestamp?: string;
  /** The device's name or address, written before the sequence number by a file writer or `logging origin-id`. */
  host?: string;
}

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

/**
 * Reads the text before `%` (`172.16.5.10 6705: Feb 17 13:40:03.673: `). The device time is used
 * only when it is authoritative (no `*` or `.` mark) and tells more than the syslog header: the
 * record had none, or the device names its zone or year.
 */
function readHead(context: ParseContext, head: string): Head {
  const result: Head = {};
  let pos = 0;
  for (let token = 0; token < MAX_HEAD_TOKENS && pos < head.length; token++) {
    while (head.charCodeAt(pos) === 32) pos++;
    const scan = scanBsdTimestamp(head, pos);
    if (scan !== undefined) {
      const better = context.syslog?.timestamp === undefined || scan.zoneOffsetMs !== undefined || scan.year !== undefined;
      if (scan.valid && scan.mark === '' && better) {
        const zone = scan.zoneOffsetMs !== undefined ? 'UTC' : context.timezone;
        const year = scan.year ?? inferYear(scan.month, scan.day, scan.hour, scan.minute, scan.second, zone, context.record.receivedAt);
        const wall = year === undefined ? undefined : { year, month: scan.month, day: scan.day, hour: scan.hour, minute: scan.minute, second: scan.second, millisecond: scan.millisecond };
        const utc = wall === undefined ? undefined : zonedWallToUtc(wall, zone);
        if (utc !== undefined) result.timestamp = toIso(utc - (scan.zoneOffsetMs ?? 0));
      }
      return result;
    }
    const space = head.indexOf(' ', pos);
    const end = space < 0 ? head.length : space;
    // `6705:` is the sequence number (`service sequence-numbers`); another token names the device.
    const token = head.slice(pos, head.charCodeAt(end - 1) === 58 ? end - 1 : end);
    if (end - pos >= 2 && end - pos <= 11 && head.charCodeAt(end - 1) === 58 && /^\d+$/.test(token)) result.sequence = Number(token);
    else if (result.host === undefined && (HOST_NAME.test(token) || isIP(token) !== 0)) result.host = token;
    pos = end;
  }
  return result;
}

/** The header in the text, else in the syslog program (`router %SYS-5-CONFIG_I: Configured ...`). */
function locate(context: ParseContext): { header: IosHeader; source: string } | undefined {
  const inText = findHeader(context.text);
  if (inText !== undefined) return { header: inText, source: context.text };
  const program = context.syslog?.appName;
  if (program === undefined || program.charCodeAt(0) !== 37) return undefined;
  // The syslog decoder took `%SYS-5-CONFIG_I` for the program name and the rest for the message.
  const source = `${program}: ${context.text}`;
  const header = findHeader(source);
  return header === undefined || header.start !== 0 ? undefined : { header, source };
}

function parseIos(context: ParseContext): ParseResult {
  const located = locate(context);
  if (located === undefined) return { failure: 'no_match' };
  const { header, source } = located;
  const body = source.slice(header.body).trimEnd();
  // A shallow copy: every nested object this parser changes is replaced, never mutated in place.
  const event: IosEvent = Object.assign({}, context.base);
  const head = header.start > 0 ? readHead(context, source.slice(0, header.start)) : {};
  if (head.timestamp !== undefined) event['@timestamp'] = head.timestamp;
  // A line read from a file has no syslog header to name its device.
  if (head.host !== undefined && event.host === undefined) event.host = { name: head.host, hostname: head.host };
  event.message = source.slice(header.start).trimEnd();
  // The program the syslog decoder saw was the header, not a process.
  if (source !== context.text) delete event.process;
  const decoded = decodeMessage(header.facility, header.mnemonic, body);
  event.event = {
    ...event.event,
    kind: 'event',
    code: header.mnemonic,
    severity: header.severity,
    ...(head.sequence === undefined ? {} : { sequence: head.sequence }),
    ...(decoded === undefined ? {} : eventFieldsOf(decoded)),
    dataset: 'cisco_ios.log',
    module: 'cisco_ios',
  };
  const level = SEVERITY_NAMES[header.severity];
  if (level !== undefined) event.log = { ...event.log, level };
  event.observer = { ...event.observer, vendor: 'Cisco', product: 'IOS', type: 'network' };
  event.cisco = { ios: { facility: header.facility, ...(decoded?.line === undefined ? {} : { line: decoded.line }) } };
  if (decoded === undefined) return { event };

  if (decoded.interfaceName !== undefined) event.observer = { ...event.observer, ingress: { interface: { name: decoded.interfaceName } } };
  if (decoded.sourceIp !== undefined || decoded.sourcePort !== undefined) {
    const endpoint: EcsEndpoint = { ...event.source };
    if (decoded.sourceIp !== undefined) {
      endpoint.address = decoded.sourceIp;
      endpoint.ip = decoded.sourceIp;
    }
    if (decoded.sourcePort !== undefined) endpoint.port = decoded.sourcePort;
    event.source = endpoint;
  }
  if (decoded.destinationIp !== undefined || decoded.destinationPort !== undefined) {
    const endpoint: EcsEndpoint = { ...event.destination };
    if (decoded.destinationIp !== undefined) {
      endpoint.address = decoded.destinationIp;
      endpoint.ip = decoded.destinationIp;
    }
    if (decoded.destinationPort !== undefined) endpoint.port = decoded.destinationPort;
    event.destination = endpoint;
  }
  if (decoded.transport !== undefined) event.network = { ...event.network, transport: decoded.transport };
  if (decoded.ruleName !== undefined) event.rule = { ...event.rule, name: decoded.ruleName };
  if (decoded.user !== undefined) event.user = { ...event.user, name: decoded.user };
  if (decoded.commandLine !== undefined) event.process = { command_line: decoded.commandLine };
  const ips = [decoded.sourceIp, decoded.destinationIp].filter((ip): ip is string => ip !== undefined && isIP(ip) !== 0);
  if (ips.length > 0 || decoded.user !== undefined) {
    event.related = {
      ...event.related,
      ...(ips.length > 0 ? { ip: [...new Set(ips)] } : {}),
      ...(decoded.user === undefined ? {} : { user: [decoded.user] }),
    };
  }
  return { event };
}

/** Cisco IOS / IOS-XE. */
export const ciscoIosParser: Parser = {
  id: 'cisco-ios',
  description: 'Cisco IOS and IOS-XE syslog (%FACILITY-SEVERITY-MNEMONIC): configuration, logins, logged commands, interface state, SSH, ACL logs',
  programs: [],
  timeResolution:
    'The device timestamp before the %header is used when the record has no syslog timestamp of its own, or when the device names its zone (`UTC:`, known abbreviations) or year; it is read in that zone, else in the source\'s configured zone, its year inferred from the receive time when absent. A `*` or `.` mark (clock not synchronised) discards it. Otherwise the syslog header time (or the receive time) stands; when the syslog decoder has already consumed the device\'s sequence number and timestamp (`<189>123: Nov 24 10:00:00.123 UTC: %...`), its reading of them is kept.',
  matches(context) {
    if (findHeader(context.text) !== undefined) return true;
    return context.syslog?.appName?.charCodeAt(0) === 37;
  },
  parse: parseIos,
};
