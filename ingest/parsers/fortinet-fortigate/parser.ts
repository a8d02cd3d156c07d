/**
 * Fortinet FortiGate (FortiOS) key=value logs: traffic, utm and event types, sent with or without
 * a syslog header (`<189>date=... time=... devname="FGT" devid="FG100E..." logid="..." ...`).
 *
 * The raw `action=` and the configuration-log keys (`cfgpath`, `cfgobj`, `cfgattr`, `cfgtid`) are
 * kept under `fortinet.firewall.*`, the names Elastic's Fortinet integration uses and the ones the
 * SigmaHQ FortiGate rules are mapped to (rules/pipelines/network-devices.yml): `event.action`
 * holds Elastic's message name instead (`FortiGate-event-config-objattr`), which no rule can use
 * to tell an Add from an Edit.
 */
import { isIP } from 'node:net';
import type { EcsEndpoint, EcsEvent, EventCategory, EventOutcome, EventType } from '../../../core/ecs/event.js';
import { toIso, zonedWallToUtc } from '../../syslog/timestamp.js';
import type { ParseContext, Parser, ParseResult } from '../parser.js';
import { parsePairs } from './pairs.js';

/** A value, or undefined when FortiOS wrote it as empty or `N/A`. */
function valueOf(pairs: Map<string, string>, key: string): string | undefined {
  const value = pairs.get(key);
  return value === undefined || value === '' || value === 'N/A' ? undefined : value;
}

function intOf(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

function portOf(value: string | undefined): number | undefined {
  const port = intOf(value);
  return port !== undefined && port <= 65535 ? port : undefined;
}

function ipOf(value: string | undefined): string | undefined {
  return value !== undefined && isIP(value) !== 0 ? value : undefined;
}

/** `tz="-0700"` as ms east of UTC. */
function offsetOf(tz: string | undefined): number | undefined {
  const match = tz === undefined ? null : /^([+-])(\d\d):?(\d\d)$/.exec(tz);
  if (!match) return undefined;
  const ms = (Number(match[2]) * 60 + Number(match[3])) * 60_000;
  return match[1] === '-' ? -ms : ms;
}

/** `date=` + `time=` in the `tz=` offset, else in the configured zone. */
function timestampOf(pairs: Map<string, string>, zone: string): string | undefined {
  const date = /^(\d{4})[-/](\d\d)[-/](\d\d)$/.exec(pairs.get('date') ?? '');
  const time = /^(\d\d):(\d\d):(\d\d)$/.exec(pairs.get('time') ?? '');
  if (!date || !time) return undefined;
  const wall = { year: Number(date[1]), month: Number(date[2]), day: Number(date[3]), hour: Number(time[1]), minute: Number(time[2]), second: Number(time[3]), millisecond: 0 };
  if (wall.month < 1 || wall.month > 12 || wall.day < 1 || wall.day > 31 || wall.hour > 23 || wall.minute > 59 || wall.second > 60) return undefined;
  const offset = offsetOf(pairs.get('tz'));
  const naive = zonedWallToUtc(wall, offset === undefined ? zone : 'UTC');
  if (naive === undefined) return undefined;
  return toIso(naive - (offset ?? 0));
}

/** `eventtime` is seconds on older FortiOS, nanoseconds on newer (micro/milli in between). */
function eventTimeOf(value: string | undefined): string | undefined {
  if (value === undefined || !/^\d{9,19}$/.test(value)) return undefined;
  const digits = value.length;
  const ms = digits >= 18 ? Number(value.slice(0, digits - 6)) : digits >= 15 ? Number(value.slice(0, digits - 3)) : digits >= 12 ? Number(value) : Number(value) * 1000;
  return toIso(ms);
}

const TRANSPORTS: Readonly<Record<string, string>> = { '1': 'icmp', '6': 'tcp', '17': 'udp', '47': 'gre', '50': 'esp', '58': 'ipv6-icmp', '132': 'sctp' };

/** FortiOS message names Elastic reports as event.action for these event log ids. */
const EVENT_ACTIONS: Readonly<Record<string, string>> = {
  '0100044546': 'FortiGate-event-config-attr',
  '0100044547': 'FortiGate-event-config-objattr',
  '0101037120': 'FortiGate-event-neg-generic-p1-notif',
  '0101037121': 'FortiGate-event-neg-generic-p1-error',
  '0101037141': 'FortiGate-event-conn-stats',
};

/**
 * Vendor fields with no ECS place, under Elastic's names (`fortinet.firewall.cfgpath`). EcsEvent
 * lists only ECS fields; the store keeps any other key as it is.
 */
type FortigateEvent = EcsEvent & { fortinet?: { firewall?: Record<string, string> } };

/** The FortiOS keys copied to `fortinet.firewall.*` when present. */
const VENDOR_KEYS = ['action', 'cfgpath', 'cfgobj', 'cfgattr', 'cfgtid'] as const;

/** `ui="GUI(10.10.20.5)"`, `ui="ssh(203.0.113.61)"`: the administrator's address, if any. */
function uiAddressOf(ui: string | undefined): string | undefined {
  if (ui === undefined || ui.length > 80) return undefined;
  const open = ui.indexOf('(');
  return open < 0 || !ui.endsWith(')') ? undefined : ipOf(ui.slice(open + 1, -1));
}

const DENIED = new Set(['deny', 'denied', 'block', 'blocked', 'dropped', 'drop', 'reject', 'server-rst', 'client-rst']);
const ALLOWED = new Set(['accept', 'allow', 'allowed', 'pass', 'passthrough', 'permit', 'close', 'timeout', 'start', 'monitored']);

function isPrivate(ip: string): boolean {
  if (ip.includes(':')) return /^(fc|fd|fe80)/i.test(ip) || ip === '::1';
  const [a, b] = ip.split('.').map(Number);
  return a === 10 || a === 127 || (a === 172 && b !== undefined && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
}

function directionOf(pairs: Map<string, string>, src?: string, dst?: string): NonNullable<EcsEvent['network']>['direction'] | undefined {
  const written = valueOf(pairs, 'direction');
  if (written === 'outgoing') return 'outbound';
  if (written === 'incoming') return 'inbound';
  if (src === undefined || dst === undefined) return undefined;
  const srcPrivate = isPrivate(src);
  const dstPrivate = isPrivate(dst);
  if (srcPrivate && dstPrivate) return 'internal';
  if (srcPrivate) return 'outbound';
  if (dstPrivate) return 'inbound';
  return 'external';
}

function setBytes(target: EcsEndpoint, bytes?: number, packets?: number): void {
  if (bytes !== undefined) target.bytes = bytes;
  if (packets !== undefined) target.packets = packets;
}

function parseFortigate(context: ParseContext): ParseResult {
  const text = context.text;
  const start = text.indexOf('date=');
  const pairs = parsePairs(text, start > 0 ? start : 0);
  const logid = valueOf(pairs, 'logid');
  const devid = valueOf(pairs, 'devid');
  const devname = valueOf(pairs, 'devname');
  if (logid === undefined || (devid === undefined && devname === undefined)) return { failure: 'no_match' };
  const type = valueOf(pairs, 'type');
  const subtype = valueOf(pairs, 'subtype');
  const action = valueOf(pairs, 'action');

  // A shallow copy: every nested object this parser changes is replaced, never mutated in place.
  const event: FortigateEvent = Object.assign({}, context.base); // not a spread: spreading the base event was the hot spot
  const timestamp = timestampOf(pairs, context.timezone);
  if (timestamp !== undefined) event['@timestamp'] = timestamp;
  const msg = valueOf(pairs, 'msg');
  if (msg !== undefined) event.message = msg;
  const level = valueOf(pairs, 'level');
  if (level !== undefined) event.log = { ...event.log, level };
  event.observer = {
    ...event.observer,
    vendor: 'Fortinet',
    product: 'Fortigate',
    type: 'firewall',
    ...(devname === undefined ? {} : { name: devname }),
    ...(devid === undefined ? {} : { serial_number: devid }),
  };
  const srcintf = valueOf(pairs, 'srcintf');
  const dstintf = valueOf(pairs, 'dstintf');
  if (srcintf !== undefined) event.observer.ingress = { interface: { name: srcintf } };
  if (dstintf !== undefined) event.observer.egress = { interface: { name: dstintf } };

  // A VPN event names the remote peer and the box's own address; the peer is the source.
  const vpn = subtype === 'vpn';
  const srcip = ipOf(valueOf(pairs, vpn ? 'remip' : 'srcip'));
  // An administrator's configuration event names their address only in `ui=`: it is the source,
  // but not a connection the firewall saw.
  const adminIp = srcip === undefined && type === 'event' ? uiAddressOf(valueOf(pairs, 'ui')) : undefined;
  const dstip = ipOf(valueOf(pairs, vpn ? 'locip' : 'dstip'));
  const srcport = portOf(valueOf(pairs, vpn ? 'remport' : 'srcport'));
  const dstport = portOf(valueOf(pairs, vpn ? 'locport' : 'dstport'));
  const source: EcsEndpoint = { ...event.source };
  const destination: EcsEndpoint = { ...event.destination };
  if (srcip !== undefined || adminIp !== undefined) source.ip = srcip ?? adminIp;
  if (srcport !== undefined) source.port = srcport;
  if (dstip !== undefined) destination.ip = dstip;
  if (dstport !== undefined) destination.port = dstport;
  const sent = intOf(valueOf(pairs, 'sentbyte'));
  const received = intOf(valueOf(pairs, 'rcvdbyte'));
  const sentPackets = intOf(valueOf(pairs, 'sentpkt'));
  const receivedPackets = intOf(valueOf(pairs, 'rcvdpkt'));
  // Bytes are counted from the box's side: for a VPN peer (the source) what the box sent went to it.
  setBytes(vpn ? destination : source, sent, sentPackets);
  setBytes(vpn ? source : destination, received, receivedPackets);
  const natIp = ipOf(valueOf(pairs, 'transip'));
  const natPort = portOf(valueOf(pairs, 'transport'));
  if (natIp !== undefined) source.nat = { ip: natIp, ...(natPort === undefined ? {} : { port: natPort }) };
  const dnatIp = ipOf(valueOf(pairs, 'tranip'));
  const dnatPort = portOf(valueOf(pairs, 'tranport'));
  if (dnatIp !== undefined) destination.nat = { ip: dnatIp, ...(dnatPort === undefined ? {} : { port: dnatPort }) };

  let userName = valueOf(pairs, 'user');
  if (userName === undefined || ipOf(userName) !== undefined) userName = valueOf(pairs, 'xauthuser') ?? valueOf(pairs, 'eapuser') ?? (userName !== undefined && ipOf(userName) === undefined ? userName : undefined);
  const group = valueOf(pairs, 'group');
  if (userName !== undefined) {
    source.user = { ...source.user, name: userName, ...(group === undefined ? {} : { group: { name: group } }) };
  }
  if (Object.keys(source).length > 0) event.source = source;
  if (Object.keys(destination).length > 0) event.destination = destination;

  const network: NonNullable<EcsEvent['network']> = { ...event.network };
  const proto = valueOf(pairs, 'proto');
  if (proto !== undefined && /^\d{1,3}$/.test(proto)) {
    network.iana_number = proto;
    const transport = TRANSPORTS[proto];
    if (transport !== undefined) network.transport = transport;
  }
  const service = valueOf(pairs, 'service');
  if (service !== undefined && /^[A-Za-z][\w.-]*$/.test(service)) network.protocol = service.toLowerCase();
  if (sent !== undefined || received !== undefined) network.bytes = (sent ?? 0) + (received ?? 0);
  if (sentPackets !== undefined || receivedPackets !== undefined) network.packets = (sentPackets ?? 0) + (receivedPackets ?? 0);
  const direction = directionOf(pairs, srcip, dstip);
  if (direction !== undefined) network.direction = direction;
  if (Object.keys(network).length > 0) event.network = network;

  // Categorisation: traffic logs are written when a session ends; utm logs are a verdict on one.
  const categories: EventCategory[] = [];
  const types: EventType[] = [];
  let outcome: EventOutcome | undefined;
  let eventAction = action;
  const verdict = action === undefined ? undefined : DENIED.has(action) ? 'denied' : ALLOWED.has(action) ? 'allowed' : undefined;
  if (type === 'traffic') {
    categories.push('network');
    types.push('connection', action === 'start' ? 'start' : 'end');
    if (verdict) types.push(verdict);
    outcome = 'success';
  } else if (type === 'utm') {
    categories.push('network');
    if (subtype === 'webfilter') categories.push('web');
    if (subtype === 'virus') categories.push('malware');
    if (subtype === 'ips' || subtype === 'anomaly') categories.push('intrusion_detection');
    if (verdict) types.push(verdict);
    eventAction = valueOf(pairs, 'eventtype') ?? action;
    outcome = 'success';
  } else {
    const status = valueOf(pairs, 'status');
    if (status === 'success') outcome = 'success';
    else if (status === 'failed' || status === 'failure') outcome = 'failure';
    if (valueOf(pairs, 'cfgpath') !== undefined || action === 'Add' || action === 'Edit' || action === 'Delete') {
      // A configuration log (logids 0100044545-0100044547): Add, Edit, Delete, Move, Rename, ...
      categories.push('configuration');
      types.push(action === 'Add' ? 'creation' : action === 'Delete' ? 'deletion' : 'change');
    } else if (action === 'login' || action === 'logout') {
      categories.push('authentication');
      types.push(action === 'login' ? 'start' : 'end');
    } else if (subtype === 'vpn' || srcip !== undefined) {
      categories.push('network');
      types.push('connection');
    }
    eventAction = EVENT_ACTIONS[logid] ?? action;
  }
  const duration = intOf(valueOf(pairs, 'duration'));
  event.event = {
    ...event.event,
    kind: 'event',
    code: logid,
    ...(categories.length > 0 ? { category: categories } : {}),
    ...(types.length > 0 ? { type: types } : {}),
    ...(eventAction === undefined ? {} : { action: eventAction }),
    ...(outcome === undefined ? {} : { outcome }),
    ...(valueOf(pairs, 'reason') === undefined ? {} : { reason: valueOf(pairs, 'reason') }),
    ...(valueOf(pairs, 'tz') === undefined ? {} : { timezone: valueOf(pairs, 'tz') }),
    ...(eventTimeOf(valueOf(pairs, 'eventtime')) === undefined ? {} : { start: eventTimeOf(valueOf(pairs, 'eventtime')) }),
    ...(duration === undefined ? {} : { duration: duration * 1e9 }),
    dataset: 'fortinet_fortigate.log',
    module: 'fortinet_fortigate',
  };
  if (userName !== undefined && (type === 'event')) event.user = { ...event.user, name: userName };
  let vendor: Record<string, string> | undefined;
  for (const key of VENDOR_KEYS) {
    const value = valueOf(pairs, key);
    if (value !== undefined) (vendor ??= {})[key] = value;
  }
  if (vendor !== undefined) event.fortinet = { firewall: vendor };

  const rule: NonNullable<EcsEvent['rule']> = {};
  const policyid = valueOf(pairs, 'policyid');
  if (policyid !== undefined) rule.id = policyid;
  const ruleset = valueOf(pairs, 'profile') ?? valueOf(pairs, 'policytype');
  if (ruleset !== undefined && type !== 'event') rule.ruleset = ruleset;
  const category = valueOf(pairs, 'catdesc') ?? valueOf(pairs, 'appcat');
  if (category !== undefined) rule.category = category;
  const logdesc = valueOf(pairs, 'logdesc');
  if (logdesc !== undefined) rule.description = logdesc;
  const policyName = valueOf(pairs, 'policyname');
  if (policyName !== undefined) rule.name = policyName;
  if (Object.keys(rule).length > 0) event.rule = rule;

  const host = valueOf(pairs, 'hostname');
  const path = valueOf(pairs, 'url');
  if (type === 'utm' && (host !== undefined || path !== undefined)) {
    event.url = { ...(host === undefined ? {} : { domain: host }), ...(path === undefined ? {} : path.startsWith('/') ? { path } : { original: path }) };
  }

  const ips: string[] = [];
  for (const ip of [srcip ?? adminIp, dstip, natIp, dnatIp, ipOf(valueOf(pairs, 'assignip')), ipOf(valueOf(pairs, 'tunnelip'))]) {
    if (ip !== undefined && !ips.includes(ip)) ips.push(ip);
  }
  const users = userName === undefined ? [] : [userName];
  if (ips.length > 0 || users.length > 0) event.related = { ...event.related, ...(ips.length > 0 ? { ip: ips } : {}), ...(users.length > 0 ? { user: users } : {}) };
  return { event };
}

/** Fortinet FortiGate. */
export const fortinetFortigateParser: Parser = {
  id: 'fortinet-fortigate',
  description: 'Fortinet FortiGate (FortiOS) key=value logs: traffic, utm and event',
  programs: [],
  timeResolution:
    '@timestamp from date= and time= in the tz= offset FortiOS writes (tz="-0700"); without tz=, in the source\'s configured timezone. eventtime (seconds or nanoseconds by firmware) goes to event.start.',
  matches(context) {
    const text = context.text;
    return text.includes('logid=') && (text.includes('devid=') || text.includes('devname='));
  },
  parse: parseFortigate,
};
