/**
 * pfSense and OPNsense `filterlog`: the pf packet filter's CSV line, whose columns after the
 * common head depend on the IP version and then on the protocol.
 */
import type { EcsEvent, EventType } from '../../../core/ecs/event.js';
import type { ParseContext, Parser, ParseResult } from '../parser.js';

/** IANA protocol numbers filterlog prints, to ECS transport names when pf's own text is odd. */
const TRANSPORT_BY_NUMBER: Readonly<Record<string, string>> = { '1': 'icmp', '6': 'tcp', '17': 'udp', '58': 'ipv6-icmp', '132': 'sctp' };

function intOf(value: string | undefined): number | undefined {
  if (value === undefined || value.length === 0 || value.length > 10 || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

function portOf(value: string | undefined): number | undefined {
  const port = intOf(value);
  return port !== undefined && port <= 65535 ? port : undefined;
}

/** ECS `network.transport` from pf's protocol text and number. */
function transportOf(text: string | undefined, number: string | undefined): string | undefined {
  const lower = text?.toLowerCase();
  if (lower === 'icmpv6' || lower === 'ipv6-icmp') return 'ipv6-icmp';
  if (lower !== undefined && /^[a-z][a-z0-9-]*$/.test(lower)) return lower;
  return number === undefined ? undefined : TRANSPORT_BY_NUMBER[number];
}

/** The CSV after `filterlog[pid]:` (the syslog decoder already took the tag off). */
function csvOf(text: string): string {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('filterlog')) {
    const colon = trimmed.indexOf(': ');
    return colon < 0 ? '' : trimmed.slice(colon + 2);
  }
  return trimmed;
}

function parseFilterlog(context: ParseContext): ParseResult {
  const cols = csvOf(context.text).trimEnd().split(',');
  // The shortest valid line is an IPv6 line with no protocol data: 17 columns.
  if (cols.length < 17) return { failure: 'no_match' };
  const [, , , tracker, iface, reason, action, direction, version] = cols;
  if (version !== '4' && version !== '6') return { failure: 'no_match' };
  const v4 = version === '4';
  // IPv4: tos,ecn,ttl,id,offset,flags,proto-id,proto-text,length,src,dst; IPv6: class,flowlabel,hoplimit,proto-text,proto-id,length,src,dst.
  const protoNumber = v4 ? cols[15] : cols[13];
  const protoText = v4 ? cols[16] : cols[12];
  const length = intOf(v4 ? cols[17] : cols[14]);
  const src = v4 ? cols[18] : cols[15];
  const dst = v4 ? cols[19] : cols[16];
  if (src === undefined || dst === undefined || src.length === 0 || dst.length === 0) return { failure: 'no_match' };
  const rest = cols.slice(v4 ? 20 : 17);
  const transport = transportOf(protoText, protoNumber);

  // A shallow copy: every nested object this parser changes is replaced, never mutated in place.
  const event: EcsEvent = Object.assign({}, context.base); // not a spread: spreading the base event was the hot spot
  const types: EventType[] = ['connection'];
  if (action === 'block' || action === 'reject') types.push('denied');
  else if (action === 'pass') types.push('allowed');
  event.event = {
    ...event.event,
    kind: 'event',
    category: ['network'],
    type: types,
    ...(action ? { action } : {}),
    ...(reason ? { reason } : {}),
    provider: 'filterlog',
    dataset: 'pfsense.log',
    module: 'pfsense',
    // A BSD header has no offset: its time was read in the configured zone, which ECS records here.
    ...(context.syslog?.format === 'rfc3164' && context.syslog.timestamp !== undefined ? { timezone: context.timezone } : {}),
  };
  event.source = { ...event.source, address: src, ip: src };
  event.destination = { ...event.destination, address: dst, ip: dst };
  if (transport === 'tcp' || transport === 'udp' || transport === 'sctp') {
    const sport = portOf(rest[0]);
    const dport = portOf(rest[1]);
    if (sport !== undefined) event.source.port = sport;
    if (dport !== undefined) event.destination.port = dport;
  }
  const network: NonNullable<EcsEvent['network']> = { type: v4 ? 'ipv4' : 'ipv6' };
  if (transport !== undefined) network.transport = transport;
  if (protoNumber !== undefined && intOf(protoNumber) !== undefined) network.iana_number = protoNumber;
  if (length !== undefined) network.bytes = length;
  if (direction === 'in') network.direction = 'ingress';
  else if (direction === 'out') network.direction = 'egress';
  event.network = { ...event.network, ...network };
  const observer: NonNullable<EcsEvent['observer']> = { ...event.observer, vendor: 'netgate', type: 'firewall' };
  if (iface) {
    if (direction === 'out') observer.egress = { interface: { name: iface } };
    else observer.ingress = { interface: { name: iface } };
  }
  event.observer = observer;
  if (tracker) event.rule = { id: tracker };
  event.related = { ...event.related, ip: src === dst ? [src] : [src, dst] };
  return { event };
}

/** pfSense / OPNsense filterlog. */
export const pfsenseParser: Parser = {
  id: 'pfsense',
  description: 'pfSense and OPNsense filterlog (pf packet filter CSV, IPv4/IPv6, TCP/UDP/ICMP/other)',
  programs: ['filterlog'],
  timeResolution:
    'filterlog has no time of its own: @timestamp is the syslog header time; pfSense sends BSD headers without year or zone, so the year is inferred from the receive time and the zone is the source\'s configured timezone (recorded in event.timezone).',
  matches(context) {
    if (context.syslog?.appName === 'filterlog') return true;
    const text = context.text;
    // Without the tag (a relay that rewrote it), only the reason column that nearly every line has.
    return text.startsWith('filterlog') || (text.charCodeAt(0) >= 48 && text.charCodeAt(0) <= 57 && text.includes(',match,'));
  },
  parse: parseFilterlog,
};
