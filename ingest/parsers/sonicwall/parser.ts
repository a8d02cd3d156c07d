import { isIP } from 'node:net';
import type { EcsEvent, EventType } from '../../../core/ecs/event.js';
import { addRelatedIps, addRelatedUser, localTimeToIso, parseKeyValues, toCount, toIp, toMac, toPort, transportName } from '../firewall-b-support/fields.js';
import type { Parser, ParseResult } from '../parser.js';

const SEVERITY_NAMES = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'debug'];

/**
 * `ip:port:interface[:hostname]` as SonicOS writes endpoints (`src=192.168.1.10:52311:X0`). An
 * IPv6 address is written bare or followed by the same suffixes, so the address is the longest
 * prefix that parses as one.
 */
export function splitEndpoint(value: string | undefined): { ip?: string; port?: number; iface?: string; host?: string } {
  if (value === undefined || value.length === 0) return {};
  if (isIP(value) !== 0) return { ip: value };
  const parts = value.split(':');
  if (parts.length <= 4 && isIP(parts[0] ?? '') === 4) {
    const port = toPort(parts[1]);
    return {
      ip: parts[0],
      ...(port === undefined ? {} : { port }),
      ...(parts[2] ? { iface: parts[2] } : {}),
      ...(parts[3] ? { host: parts[3] } : {}),
    };
  }
  // IPv6: try dropping up to three trailing `:suffix` parts.
  for (let drop = 1; drop <= 3 && drop < parts.length; drop++) {
    const ip = parts.slice(0, parts.length - drop).join(':');
    if (isIP(ip) !== 6) continue;
    const rest = parts.slice(parts.length - drop);
    const port = toPort(rest[0]);
    return { ip, ...(port === undefined ? {} : { port }), ...(rest[1] ? { iface: rest[1] } : {}), ...(rest[2] ? { host: rest[2] } : {}) };
  }
  return {};
}

/** `5 (LAN->WAN)` → id 5, name `LAN->WAN`; a bare name stays the name. */
function splitRule(rule: string): { id?: string; name?: string } {
  const open = rule.indexOf(' (');
  if (open > 0 && rule.endsWith(')')) return { id: rule.slice(0, open), name: rule.slice(open + 2, -1) };
  return toCount(rule) !== undefined ? { id: rule } : { name: rule };
}

/**
 * SonicWall SonicOS syslog in its default enhanced key=value format (`id=firewall sn=… time="…"
 * fw=… pri=… c=… m=… msg="…" src=ip:port:iface dst=… proto=tcp/https …`), to ECS network events.
 */
export const sonicwallParser: Parser = {
  id: 'sonicwall',
  description: 'SonicWall SonicOS key=value syslog (id=firewall sn=… m=… msg=…)',
  programs: [],
  timeResolution:
    '`time="YYYY-MM-DD hh:mm:ss"` is the firewall\'s local time (UTC when followed by `UTC`, which SonicOS adds when set to log in UTC); otherwise it is read in the source time zone (`timezone`, default UTC).',
  matches(context) {
    const text = context.text;
    return text.startsWith('id=') && text.includes(' sn=') && text.includes(' m=');
  },
  parse(context): ParseResult {
    const pairs = parseKeyValues(context.text);
    const get = (key: string): string | undefined => {
      const value = pairs.get(key);
      return value === undefined || value.length === 0 ? undefined : value;
    };
    const messageId = get('m');
    if (get('id') === undefined || get('sn') === undefined || messageId === undefined) return { failure: 'no_match' };
    const event: EcsEvent = Object.assign({}, context.base); // not a spread: spreading the base event was the hot spot
    const time = get('time');
    if (time !== undefined) {
      const utc = time.endsWith(' UTC');
      const instant = localTimeToIso(utc ? time.slice(0, -4) : time, utc ? 'UTC' : context.timezone);
      if (instant !== undefined) event['@timestamp'] = instant;
    }

    const msg = get('msg') ?? '';
    const lower = msg.toLowerCase();
    const fwAction = (get('fw_action') ?? '').toLowerCase();
    const denied = fwAction === 'drop' || fwAction === 'reject' || lower.includes('dropped') || lower.includes('denied') || lower.includes('blocked');
    const types: EventType[] = ['connection'];
    if (denied) types.push('denied');
    else if (fwAction === 'forward' || lower.startsWith('connection opened') || lower.startsWith('connection closed') || lower.includes('web site hit')) types.push('allowed');
    if (lower.startsWith('connection opened')) types.push('start');
    else if (lower.startsWith('connection closed')) types.push('end');
    const details: NonNullable<EcsEvent['event']> = {
      ...event.event,
      module: 'sonicwall',
      dataset: 'sonicwall.firewall',
      kind: 'event',
      category: lower.includes('web site') ? ['network', 'web'] : ['network'],
      type: types,
      code: messageId,
      action: msg.length > 0 ? msg.toLowerCase().replace(/ /g, '-') : messageId,
      outcome: 'success',
      timezone: time?.endsWith(' UTC') === true ? 'UTC' : context.timezone,
    };
    const priority = toCount(get('pri'));
    if (priority !== undefined && priority <= 7) {
      details.severity = priority;
      event.log = { ...event.log, level: SEVERITY_NAMES[priority] ?? 'informational' };
    }
    const duration = toCount(get('cdur'));
    if (duration !== undefined) details.duration = duration * 1_000_000;
    const note = get('note');
    if (note !== undefined) details.reason = note;
    event.event = details;
    if (msg.length > 0) event.message = msg;

    const source = splitEndpoint(get('src'));
    const destination = splitEndpoint(get('dst'));
    const observer: NonNullable<EcsEvent['observer']> = { ...event.observer, vendor: 'SonicWall', product: 'SonicOS', type: 'firewall' };
    const serial = get('sn');
    if (serial !== undefined) observer.serial_number = serial;
    observer.name = context.syslog?.hostname ?? serial;
    const firewallIp = toIp(get('fw'));
    if (firewallIp !== undefined) observer.ip = [firewallIp];
    if (source.iface !== undefined) observer.ingress = { interface: { name: source.iface } };
    if (destination.iface !== undefined) observer.egress = { interface: { name: destination.iface } };
    event.observer = observer;

    const src: NonNullable<EcsEvent['source']> = {};
    const dst: NonNullable<EcsEvent['destination']> = {};
    if (source.ip !== undefined) src.ip = source.ip;
    if (source.port !== undefined) src.port = source.port;
    if (source.host !== undefined) src.domain = source.host;
    if (destination.ip !== undefined) dst.ip = destination.ip;
    if (destination.port !== undefined) dst.port = destination.port;
    const dstName = get('dstname') ?? destination.host;
    if (dstName !== undefined) dst.domain = dstName;
    const srcMac = toMac(get('srcMac'));
    const dstMac = toMac(get('dstMac'));
    if (srcMac !== undefined) src.mac = srcMac;
    if (dstMac !== undefined) dst.mac = dstMac;
    const natSrc = splitEndpoint(get('natSrc'));
    const natDst = splitEndpoint(get('natDst'));
    if (natSrc.ip !== undefined && natSrc.ip !== '0.0.0.0') src.nat = { ip: natSrc.ip, ...(natSrc.port === undefined ? {} : { port: natSrc.port }) };
    if (natDst.ip !== undefined && natDst.ip !== '0.0.0.0') dst.nat = { ip: natDst.ip, ...(natDst.port === undefined ? {} : { port: natDst.port }) };
    const counts: [string, 'bytes' | 'packets', NonNullable<EcsEvent['source']>][] = [
      ['sent', 'bytes', src],
      ['rcvd', 'bytes', dst],
      ['spkt', 'packets', src],
      ['rpkt', 'packets', dst],
    ];
    for (const [key, field, target] of counts) {
      const value = toCount(get(key));
      if (value !== undefined) target[field] = value;
    }
    const user = get('usr') ?? get('user');
    const userName = user === undefined || user === 'Unknown' ? undefined : user;
    if (userName !== undefined) {
      src.user = { name: userName };
      event.user = { name: userName };
    }
    if (Object.keys(src).length > 0) event.source = src;
    if (Object.keys(dst).length > 0) event.destination = dst;

    const network: NonNullable<EcsEvent['network']> = {};
    const proto = get('proto');
    if (proto !== undefined) {
      const slash = proto.indexOf('/');
      const transport = transportName(slash < 0 ? proto : proto.slice(0, slash));
      if (transport !== undefined) network.transport = transport;
      const service = slash < 0 ? undefined : proto.slice(slash + 1);
      if (service !== undefined && service.length > 0 && toCount(service) === undefined) network.protocol = service.toLowerCase();
    }
    const application = get('appName');
    if (application !== undefined) network.application = application.toLowerCase();
    if (src.bytes !== undefined || dst.bytes !== undefined) network.bytes = (src.bytes ?? 0) + (dst.bytes ?? 0);
    if (src.packets !== undefined || dst.packets !== undefined) network.packets = (src.packets ?? 0) + (dst.packets ?? 0);
    if (src.ip !== undefined) network.type = src.ip.includes(':') ? 'ipv6' : 'ipv4';
    if (Object.keys(network).length > 0) event.network = network;

    const rule = get('rule');
    if (rule !== undefined) event.rule = splitRule(rule);
    const category = get('Category') ?? get('category');
    if (category !== undefined) event.rule = { ...event.rule, category };
    const arg = get('arg');
    if (arg !== undefined && dstName !== undefined && arg.startsWith('/')) event.url = { original: `${dstName}${arg}`, domain: dstName, path: arg };

    addRelatedIps(event);
    addRelatedUser(event, userName);
    return { event };
  },
};
