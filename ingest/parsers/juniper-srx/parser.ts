import type { EcsEvent, EventCategory, EventType } from '../../../core/ecs/event.js';
import { addRelatedIps, addRelatedUser, setEndpoint, toCount, toIp, toUrl, transportName } from '../firewall-b-support/fields.js';
import type { ParseContext, Parser, ParseResult } from '../parser.js';
import { parseFlowText, parseIdpText, parseUtmText } from './text.js';

const PROGRAMS = ['rt_flow', 'rt_ids', 'rt_utm', 'rt_idp'];

/** The message tag and its fields, from structured data (RFC 5424) or the text after `TAG: `. */
function read(context: ParseContext): { tag: string; fields: Map<string, string> } | undefined {
  const syslog = context.syslog;
  if (syslog?.structuredData !== undefined) {
    for (const [id, params] of Object.entries(syslog.structuredData)) {
      if (!id.startsWith('junos@')) continue;
      const tag = syslog.msgId ?? firstWord(context.text);
      if (tag === undefined) return undefined;
      return { tag, fields: new Map(Object.entries(params)) };
    }
  }
  const text = context.text;
  const colon = text.indexOf(': ');
  if (colon <= 0 || colon > 64) return undefined;
  const tag = text.slice(0, colon);
  const body = text.slice(colon + 2);
  let fields: Map<string, string> | undefined;
  if (tag.startsWith('RT_FLOW_SESSION_')) fields = parseFlowText(tag, body);
  else if (tag === 'IDP_ATTACK_LOG_EVENT' || tag === 'RT_SCREEN_TCP' || tag === 'RT_SCREEN_UDP' || tag === 'RT_SCREEN_ICMP') fields = tag.startsWith('IDP') ? parseIdpText(body) : undefined;
  else if (tag.startsWith('WEBFILTER_') || tag.startsWith('AV_') || tag.startsWith('ANTISPAM_') || tag.startsWith('CONTENT_FILTERING_')) fields = parseUtmText(body);
  return fields === undefined ? undefined : { tag, fields };
}

function firstWord(text: string): string | undefined {
  const end = text.indexOf(' ');
  const word = end < 0 ? text : text.slice(0, end);
  return word.length > 0 ? word : undefined;
}

const SEVERITY: Record<string, number> = { critical: 1, high: 2, major: 2, medium: 3, minor: 4, low: 4, info: 5, informational: 5 };
const IDP_DENIED = new Set(['drop', 'drop_packet', 'drop_connection', 'close', 'close_client', 'close_server', 'close_client_and_server', 'reset', 'block']);

/** A translated address; IDP logs write 0.0.0.0 / :: when there was no NAT. */
function natAddress(value: string | undefined): string | undefined {
  const ip = toIp(value);
  return ip === '0.0.0.0' || ip === '::' ? undefined : ip;
}

/** Junos writes `N/A`, `UNKNOWN` or `None` for an absent value. */
function present(value: string | undefined): string | undefined {
  if (value === undefined || value.length === 0 || value === 'N/A' || value === 'UNKNOWN' || value === 'None' || value === 'NONE') return undefined;
  return value;
}

function toEvent(tag: string, fields: Map<string, string>, context: ParseContext): EcsEvent {
  const get = (key: string): string | undefined => present(fields.get(key));
  const event: EcsEvent = Object.assign({}, context.base); // not a spread: spreading the base event was the hot spot
  let kind: 'event' | 'alert' = 'event';
  let categories: EventCategory[] = ['network'];
  let types: EventType[] = ['connection'];
  let action = tag.toLowerCase();
  if (tag === 'RT_FLOW_SESSION_CREATE') {
    types = ['connection', 'allowed', 'start'];
    action = 'flow_started';
  } else if (tag === 'RT_FLOW_SESSION_CLOSE') {
    types = ['connection', 'allowed', 'end'];
    action = 'flow_close';
  } else if (tag === 'RT_FLOW_SESSION_DENY') {
    types = ['connection', 'denied'];
    action = 'flow_deny';
  } else if (tag.startsWith('IDP_')) {
    kind = 'alert';
    categories = ['intrusion_detection', 'network'];
    const idpAction = (get('action') ?? '').toLowerCase();
    types = ['connection', IDP_DENIED.has(idpAction) ? 'denied' : 'allowed'];
    action = 'security_threat';
  } else if (tag.startsWith('WEBFILTER_')) {
    categories = ['network', 'web'];
    types = ['connection', tag.includes('BLOCKED') ? 'denied' : 'allowed'];
    action = tag.includes('BLOCKED') ? 'web_filter_blocked' : 'web_filter';
  } else if (tag.startsWith('AV_')) {
    kind = 'alert';
    categories = ['malware', 'network'];
    types = ['connection', 'denied'];
    action = 'malware_detected';
  }
  const details: NonNullable<EcsEvent['event']> = {
    ...event.event,
    module: 'juniper',
    dataset: 'juniper.srx',
    kind,
    category: categories,
    type: types,
    action,
    code: tag,
    outcome: 'success',
  };
  const reason = get('reason');
  if (reason !== undefined) details.reason = reason;
  const elapsed = toCount(get('elapsed-time'));
  if (elapsed !== undefined) details.duration = elapsed * 1_000_000_000;
  const severity = SEVERITY[(get('threat-severity') ?? '').toLowerCase()];
  if (severity !== undefined) details.severity = severity;
  event.event = details;

  const epoch = toCount(get('epoch-time'));
  if (epoch !== undefined && epoch > 0 && epoch < 32_503_680_000) event['@timestamp'] = new Date(epoch * 1000).toISOString();

  const observer: NonNullable<EcsEvent['observer']> = { ...event.observer, vendor: 'Juniper', product: 'SRX', type: 'firewall' };
  const hostname = context.syslog?.hostname;
  if (hostname !== undefined) observer.name = hostname;
  const ingressZone = get('source-zone-name');
  const egressZone = get('destination-zone-name');
  const ingressInterface = get('packet-incoming-interface');
  if (ingressZone !== undefined || ingressInterface !== undefined) observer.ingress = { ...(ingressInterface === undefined ? {} : { interface: { name: ingressInterface } }), ...(ingressZone === undefined ? {} : { zone: ingressZone }) };
  if (egressZone !== undefined) observer.egress = { zone: egressZone };
  event.observer = observer;

  const source: NonNullable<EcsEvent['source']> = {};
  const destination: NonNullable<EcsEvent['destination']> = {};
  setEndpoint(source, get('source-address'), get('source-port'));
  setEndpoint(destination, get('destination-address'), get('destination-port'));
  // Junos repeats the original tuple in the nat-* fields when nothing was translated.
  const natSource = natAddress(get('nat-source-address'));
  const natSourcePort = get('nat-source-port');
  if (natSource !== undefined && (natSource !== source.ip || toCount(natSourcePort) !== source.port)) setEndpoint((source.nat = {}), natSource, natSourcePort);
  const natDestination = natAddress(get('nat-destination-address'));
  const natDestinationPort = get('nat-destination-port');
  if (natDestination !== undefined && (natDestination !== destination.ip || toCount(natDestinationPort) !== destination.port)) setEndpoint((destination.nat = {}), natDestination, natDestinationPort);
  const counts: [string, 'bytes' | 'packets', NonNullable<EcsEvent['source']>][] = [
    ['bytes-from-client', 'bytes', source],
    ['bytes-from-server', 'bytes', destination],
    ['packets-from-client', 'packets', source],
    ['packets-from-server', 'packets', destination],
  ];
  for (const [key, field, target] of counts) {
    const value = toCount(get(key));
    if (value !== undefined) target[field] = value;
  }
  const user = get('username');
  if (user !== undefined) {
    source.user = { name: user };
    event.user = { name: user };
  }
  if (Object.keys(source).length > 0) event.source = source;
  if (Object.keys(destination).length > 0) event.destination = destination;

  const network: NonNullable<EcsEvent['network']> = {};
  const protocolId = get('protocol-id');
  if (protocolId !== undefined && toCount(protocolId) !== undefined) network.iana_number = protocolId;
  const transport = transportName(protocolId ?? get('protocol-name'));
  if (transport !== undefined) network.transport = transport;
  const service = get('service-name');
  if (service !== undefined) network.protocol = (service.startsWith('junos-') ? service.slice(6) : service).toLowerCase();
  const application = get('application') ?? get('application-name');
  if (application !== undefined) network.application = application.toLowerCase();
  if (source.bytes !== undefined || destination.bytes !== undefined) network.bytes = (source.bytes ?? 0) + (destination.bytes ?? 0);
  if (source.packets !== undefined || destination.packets !== undefined) network.packets = (source.packets ?? 0) + (destination.packets ?? 0);
  if (source.ip !== undefined) network.type = source.ip.includes(':') ? 'ipv6' : 'ipv4';
  if (Object.keys(network).length > 0) event.network = network;

  const rule: NonNullable<EcsEvent['rule']> = {};
  if (tag.startsWith('IDP_')) {
    const attack = get('attack-name');
    if (attack !== undefined) rule.name = attack;
    const ruleNumber = get('rule-name');
    if (ruleNumber !== undefined) rule.id = ruleNumber;
    const ruleset = get('rulebase-name') ?? get('policy-name');
    if (ruleset !== undefined) rule.ruleset = ruleset;
  } else {
    const policy = get('policy-name') ?? get('profile');
    if (policy !== undefined) rule.name = policy;
    const category = get('category');
    if (category !== undefined) rule.category = category;
  }
  const virus = get('virus-name');
  if (virus !== undefined) rule.description = virus;
  if (Object.keys(rule).length > 0) event.rule = rule;

  const url = get('url');
  if (url !== undefined) {
    const object = get('obj');
    event.url = toUrl(object !== undefined && object.startsWith('/') && !url.includes('/') ? `${url}${object}` : url);
  }
  addRelatedIps(event);
  addRelatedUser(event, user);
  return event;
}

/**
 * Juniper SRX security logs (`RT_FLOW` session create/close/deny, `RT_IDP` attacks, `RT_UTM`
 * web filtering and antivirus), in the structured-data (`junos@2636…`) and the BSD text
 * variants, to ECS network events.
 */
export const juniperSrxParser: Parser = {
  id: 'juniper-srx',
  description: 'Juniper SRX RT_FLOW, RT_IDP and RT_UTM security logs (structured-data or text)',
  programs: PROGRAMS,
  timeResolution:
    'The syslog header time stands (RFC 5424 carries its offset; a BSD header is read in the source time zone with the year inferred from the receive time); IDP `epoch-time` is UTC and replaces it.',
  matches(context) {
    const app = context.syslog?.appName?.toLowerCase();
    if (app !== undefined && PROGRAMS.includes(app)) return true;
    const text = context.text;
    return text.startsWith('RT_FLOW_SESSION_') || text.startsWith('IDP_ATTACK_LOG_EVENT') || text.startsWith('WEBFILTER_URL_') || text.startsWith('AV_VIRUS_');
  },
  parse(context): ParseResult {
    const read_ = read(context);
    if (read_ === undefined) return { failure: 'no_match' };
    if (!read_.fields.has('source-address')) return { failure: 'no_match' };
    return { event: toEvent(read_.tag, read_.fields, context) };
  },
};
