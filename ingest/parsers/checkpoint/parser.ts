import type { EcsEvent, EventType } from '../../../core/ecs/event.js';
import { addRelatedIps, addRelatedUser, setEndpoint, toCount, toIp, transportName, unique } from '../firewall-b-support/fields.js';
import type { ParseContext, Parser, ParseResult } from '../parser.js';

/** More pairs than any Log Exporter record carries: a guard against pathological input. */
const MAX_PAIRS = 512;

/**
 * Reads Log Exporter's `[key:"value"; key:"value"; …]` body. A backslash escapes the next
 * character (`\"`, `\\`, `\]`); values may hold `;`, `]` and braces, so only an unescaped quote
 * ends one. Returns undefined when the text is not in that shape.
 */
export function parseCheckpointPairs(text: string): Map<string, string> | undefined {
  const pairs = new Map<string, string>();
  let i = 0;
  const length = text.length;
  while (i < length && pairs.size < MAX_PAIRS) {
    const code = text.charCodeAt(i);
    // Separators between pairs: spaces, `;`, the opening and closing brackets.
    if (code === 32 || code === 59 || code === 91 || code === 93 || code === 9) {
      i++;
      continue;
    }
    const colon = text.indexOf(':"', i);
    if (colon < 0) break;
    const key = text.slice(i, colon);
    if (key.length === 0 || key.length > 64 || key.includes(' ') || key.includes('"')) return pairs.size > 0 ? pairs : undefined;
    let value = '';
    let j = colon + 2;
    let closed = false;
    while (j < length) {
      const c = text.charCodeAt(j);
      if (c === 92 && j + 1 < length) {
        value += text[j + 1];
        j += 2;
        continue;
      }
      if (c === 34) {
        closed = true;
        break;
      }
      // Copy the run up to the next quote or backslash at once.
      let end = j + 1;
      while (end < length) {
        const next = text.charCodeAt(end);
        if (next === 34 || next === 92) break;
        end++;
      }
      value += text.slice(j, end);
      j = end;
    }
    pairs.set(key, value);
    if (!closed) break;
    i = j + 1;
  }
  return pairs.size > 0 ? pairs : undefined;
}

/** The pairs from RFC 5424 structured data (`[Fields@1.3.6.1.4.1.2620 key="value" …]`), when sent that way. */
function structuredPairs(context: ParseContext): Map<string, string> | undefined {
  const data = context.syslog?.structuredData;
  if (data === undefined) return undefined;
  for (const [id, params] of Object.entries(data)) {
    if (id.includes('2620') || id.toLowerCase().startsWith('fields')) return new Map(Object.entries(params));
  }
  return undefined;
}

const ALLOWED = new Set(['accept', 'allow', 'inline', 'bypass', 'encrypt', 'decrypt']);
const DENIED = new Set(['drop', 'reject', 'block', 'prevent', 'deny', 'redirect']);

/** `cn=cp_mgmt,o=gw-da58d3..tmn8s8` → `cp_mgmt`. */
function commonName(sic: string | undefined): string | undefined {
  if (sic === undefined || sic.length < 4 || sic.slice(0, 3).toLowerCase() !== 'cn=') return undefined;
  const comma = sic.indexOf(',');
  const name = comma < 0 ? sic.slice(3) : sic.slice(3, comma);
  return name.length > 0 ? name : undefined;
}

/** `product=VPN-1 & FireWall-1[db_tag=…` → `VPN-1 & FireWall-1`. */
function policyProduct(tag: string | undefined): string | undefined {
  if (tag === undefined || !tag.startsWith('product=')) return undefined;
  const end = tag.indexOf('[');
  const product = end < 0 ? tag.slice(8) : tag.slice(8, end);
  return product.length > 0 ? product : undefined;
}

function toEvent(pairs: Map<string, string>, context: ParseContext): EcsEvent {
  const get = (key: string): string | undefined => {
    const value = pairs.get(key);
    return value === undefined || value.length === 0 ? undefined : value;
  };
  const event: EcsEvent = Object.assign({}, context.base); // not a spread: spreading the base event was the hot spot
  const action = get('action');
  const lower = action?.toLowerCase();
  const allowed = lower === undefined ? undefined : ALLOWED.has(lower) ? true : DENIED.has(lower) ? false : undefined;
  const types: EventType[] = allowed === undefined ? ['connection'] : ['connection', allowed ? 'allowed' : 'denied'];
  const details: NonNullable<EcsEvent['event']> = {
    ...event.event,
    module: 'checkpoint',
    dataset: 'checkpoint.firewall',
    kind: 'event',
    category: ['network'],
    type: types,
    timezone: context.timezone,
  };
  if (action !== undefined) details.action = action;
  // Elastic reports the firewall doing what its rule said (accept or drop) as a success.
  if (allowed !== undefined) details.outcome = 'success';
  // Not event.id: that is Watchpost's deterministic storage id (the dedup key).
  const loguid = get('loguid');
  if (loguid !== undefined) event.labels = { ...event.labels, checkpoint_loguid: loguid };
  const sequence = toCount(get('sequencenum'));
  if (sequence !== undefined) details.sequence = sequence;
  const epoch = toCount(get('time'));
  if (epoch !== undefined && epoch < 32_503_680_000) event['@timestamp'] = new Date(epoch * 1000).toISOString();
  event.event = details;

  const observer: NonNullable<EcsEvent['observer']> = { ...event.observer, vendor: 'Checkpoint', type: 'firewall' };
  const origin = get('origin');
  if (origin !== undefined) {
    observer.name = origin;
    if (toIp(origin) !== undefined) observer.ip = [origin];
  }
  const hostname = commonName(get('originsicname')) ?? get('origin_sic_name');
  if (hostname !== undefined) observer.hostname = hostname;
  const product = get('product') ?? policyProduct(get('__policy_id_tag'));
  if (product !== undefined) observer.product = product;
  const iface = get('ifname');
  const direction = get('ifdir');
  if (iface !== undefined) {
    if (direction === 'outbound') observer.egress = { interface: { name: iface } };
    else observer.ingress = { interface: { name: iface } };
  }
  event.observer = observer;

  const source: NonNullable<EcsEvent['source']> = {};
  const destination: NonNullable<EcsEvent['destination']> = {};
  setEndpoint(source, get('src'), get('s_port'));
  setEndpoint(destination, get('dst'), get('service'));
  const sourceNat = {};
  const destinationNat = {};
  if (setEndpoint(sourceNat, nat(get('xlatesrc')), nat(get('xlatesport')))) source.nat = sourceNat;
  if (setEndpoint(destinationNat, nat(get('xlatedst')), nat(get('xlatedport')))) destination.nat = destinationNat;
  const sourceUser = get('src_user_name') ?? get('user');
  const destinationUser = get('dst_user_name');
  if (sourceUser !== undefined) source.user = { name: sourceUser };
  if (destinationUser !== undefined) destination.user = { name: destinationUser };
  const counts: [string, 'bytes' | 'packets', typeof source][] = [
    ['client_outbound_bytes', 'bytes', source],
    ['server_outbound_bytes', 'bytes', destination],
    ['client_outbound_packets', 'packets', source],
    ['server_outbound_packets', 'packets', destination],
  ];
  for (const [key, field, target] of counts) {
    const value = toCount(get(key));
    if (value !== undefined) target[field] = value;
  }
  if (Object.keys(source).length > 0) event.source = source;
  if (Object.keys(destination).length > 0) event.destination = destination;
  const user = get('user') ?? sourceUser;
  if (user !== undefined) event.user = { name: user };

  const network: NonNullable<EcsEvent['network']> = {};
  const proto = get('proto');
  if (proto !== undefined && toCount(proto) !== undefined) network.iana_number = proto;
  const transport = transportName(proto);
  if (transport !== undefined) network.transport = transport;
  if (direction === 'inbound' || direction === 'outbound') network.direction = direction;
  const service = get('service_id');
  if (service !== undefined) network.application = service.toLowerCase();
  const bytes = toCount(get('bytes'));
  if (bytes !== undefined) network.bytes = bytes;
  const packets = toCount(get('packets')) ?? toCount(get('packet_amount'));
  if (packets !== undefined) network.packets = packets;
  if (source.ip !== undefined) network.type = source.ip.includes(':') ? 'ipv6' : 'ipv4';
  if (Object.keys(network).length > 0) event.network = network;

  const rule: NonNullable<EcsEvent['rule']> = {};
  const ruleName = get('rule_name');
  const ruleUid = get('rule_uid');
  const ruleNumber = get('rule') ?? get('match_id');
  if (ruleName !== undefined) rule.name = ruleName;
  if (ruleUid !== undefined) rule.uuid = ruleUid;
  if (ruleNumber !== undefined) rule.id = ruleNumber;
  const layer = get('layer_name');
  if (layer !== undefined) {
    // Elastic's integration puts the policy layer in network.name; it is also the rule's ruleset.
    rule.ruleset = layer;
    event.network = { ...event.network, name: layer };
  }
  if (Object.keys(rule).length > 0) event.rule = rule;

  const reason = get('drop_reason') ?? get('reason');
  if (reason !== undefined) event.event = { ...event.event, reason };
  const message = get('message_info') ?? get('msg');
  if (message !== undefined) event.message = message;

  addRelatedIps(event);
  const ips = unique([...(event.related?.ip ?? []), ...(observer.ip ?? [])]);
  if (ips.length > 0) event.related = { ...event.related, ip: ips };
  addRelatedUser(event, sourceUser, destinationUser);
  return event;
}

/** Check Point leaves translated fields at 0.0.0.0 / 0 when no NAT applied. */
function nat(value: string | undefined): string | undefined {
  return value === '0.0.0.0' || value === '0' || value === '::' ? undefined : value;
}

/**
 * Check Point gateways through Log Exporter in its syslog format (`[key:"value"; …]`, usually
 * in an RFC 5424 frame) or as RFC 5424 structured data: firewall, VPN and blade logs to ECS
 * network events, the way Elastic's checkpoint integration maps them.
 */
export const checkpointParser: Parser = {
  id: 'checkpoint',
  description: 'Check Point Log Exporter syslog (key:"value"; pairs)',
  programs: ['checkpoint'],
  timeResolution: 'The `time` field is a Unix epoch (UTC) and becomes @timestamp; without it the syslog header time stands (RFC 5424 carries its offset).',
  matches(context) {
    const text = context.text;
    const start = text.charCodeAt(0) === 91 ? 1 : 0;
    // Keys are identifiers (`action`, `__policy_id_tag`): rules out JSON's `{"key":"value"}`.
    const first = text.charCodeAt(start);
    if (!((first >= 97 && first <= 122) || (first >= 65 && first <= 90) || first === 95)) return false;
    const colon = text.indexOf(':"', start);
    return colon > start && colon < start + 64 && text.lastIndexOf(' ', colon) < start;
  },
  parse(context): ParseResult {
    const pairs = structuredPairs(context) ?? parseCheckpointPairs(context.text);
    if (pairs === undefined) return { failure: 'no_match' };
    if (!pairs.has('action') && !pairs.has('origin') && !pairs.has('product') && !pairs.has('loguid')) return { failure: 'no_match' };
    return { event: toEvent(pairs, context) };
  },
};
