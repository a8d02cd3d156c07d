import type { EcsEvent, EventCategory, EventType } from '../../../core/ecs/event.js';
import {
  addRelatedIps,
  addRelatedUser,
  localTimeToIso,
  parseKeyValues,
  SEVERITY_BY_NAME,
  setEndpoint,
  toCount,
  toMac,
  toUrl,
  transportName,
} from '../firewall-b-support/fields.js';
import type { Parser, ParseResult } from '../parser.js';

/** Zone types toward the outside; LAN/DMZ/VPN/WiFi are treated as inside. */
function direction(from: string | undefined, to: string | undefined): NonNullable<EcsEvent['network']>['direction'] | undefined {
  if (!from || !to) return undefined;
  const fromOut = from.toUpperCase() === 'WAN';
  const toOut = to.toUpperCase() === 'WAN';
  if (fromOut && toOut) return 'external';
  if (fromOut) return 'inbound';
  if (toOut) return 'outbound';
  return 'internal';
}

/**
 * Sophos XG / SFOS (Sophos Firewall) syslog: `device="SFW" date=… time=… log_id=… log_type=…`
 * key=value records. Firewall logs become network connection events, Anti-Virus, IPS and ATP
 * logs alerts, the way Elastic's sophos.xg integration maps them.
 */
export const sophosXgParser: Parser = {
  id: 'sophos-xg',
  description: 'Sophos XG / SFOS firewall key=value syslog',
  programs: [],
  timeResolution:
    '`date=` and `time=` are the firewall\'s local time; its `timezone="IST"` abbreviation is ambiguous and ignored (as Elastic does), so they are read in the source time zone (`timezone`, default UTC).',
  matches(context) {
    const text = context.text;
    return text.startsWith('device=') || (text.includes('log_type=') && text.includes('device_name='));
  },
  parse(context): ParseResult {
    const pairs = parseKeyValues(context.text);
    const get = (key: string): string | undefined => {
      const value = pairs.get(key);
      return value === undefined || value.length === 0 ? undefined : value;
    };
    const logType = get('log_type');
    if (logType === undefined || (get('log_id') === undefined && get('device_name') === undefined)) return { failure: 'no_match' };
    const subtype = get('log_subtype');
    const component = get('log_component');
    const event: EcsEvent = Object.assign({}, context.base); // not a spread: spreading the base event was the hot spot

    const timestamp = get('date') !== undefined && get('time') !== undefined ? localTimeToIso(`${get('date')} ${get('time')}`, context.timezone) : undefined;
    if (timestamp !== undefined) event['@timestamp'] = timestamp;

    const type = logType.toLowerCase();
    const status = (get('status') ?? subtype ?? '').toLowerCase();
    const allowed = status === 'allow' || status === 'allowed' ? true : status === 'deny' || status === 'denied' || status === 'drop' ? false : undefined;
    let kind: 'event' | 'alert' = 'event';
    let categories: EventCategory[] = ['network'];
    let types: EventType[] = ['connection'];
    if (type === 'firewall') {
      if (allowed !== undefined) types.push(allowed ? 'allowed' : 'denied');
      const connevent = get('connevent');
      if (connevent === 'Start') types.push('start');
      else if (connevent === 'Stop') types.push('end');
      // Security Heartbeat blocks a host whose endpoint agent reports a threat (health red).
      if (component === 'Heartbeat' && allowed === false) {
        kind = 'alert';
        categories = ['intrusion_detection', 'network'];
      }
    } else if (type === 'anti-virus' || type === 'anti-spam' || type === 'sandbox' || type === 'atp') {
      kind = 'alert';
      categories = ['malware', 'network'];
      types = ['info', 'denied', 'connection'];
    } else if (type === 'idp' || type === 'ips') {
      kind = 'alert';
      categories = ['intrusion_detection', 'network'];
      types = ['info', allowed === true ? 'allowed' : 'denied', 'connection'];
    } else if (type === 'content filtering') {
      categories = ['network', 'web'];
      types = ['connection', allowed === false || subtype === 'Denied' ? 'denied' : 'allowed'];
    } else if (type === 'event' || type === 'system health') {
      categories = ['host'];
      types = ['info'];
    }
    const details: NonNullable<EcsEvent['event']> = {
      ...event.event,
      module: 'sophos',
      dataset: 'sophos.xg',
      kind,
      category: categories,
      type: types,
      timezone: context.timezone,
      // Elastic reports the firewall enforcing its policy as a success, allow or deny.
      outcome: 'success',
    };
    if (subtype !== undefined) details.action = type === 'firewall' ? subtype.toLowerCase() : subtype;
    const logId = get('log_id');
    if (logId !== undefined && logId.length >= 5) details.code = logId.slice(-5);
    const severity = SEVERITY_BY_NAME[(get('priority') ?? get('severity') ?? '').toLowerCase()];
    if (severity !== undefined) {
      details.severity = severity.code;
      event.log = { ...event.log, level: severity.level };
    }
    const duration = toCount(get('duration'));
    if (duration !== undefined && timestamp !== undefined) {
      details.duration = duration * 1_000_000_000;
      details.start = timestamp;
      details.end = new Date(Date.parse(timestamp) + duration * 1000).toISOString();
    }
    const reason = get('message');
    if (reason !== undefined) details.reason = reason;
    event.event = details;

    const observer: NonNullable<EcsEvent['observer']> = { ...event.observer, vendor: 'Sophos', product: 'XG', type: 'firewall' };
    const deviceName = get('device_name');
    if (deviceName !== undefined) observer.name = deviceName;
    const serial = get('device_id');
    if (serial !== undefined) observer.serial_number = serial;
    const inIf = get('in_interface') ?? get('in_display_interface');
    const outIf = get('out_interface') ?? get('out_display_interface');
    if (inIf !== undefined || get('srczone') !== undefined) observer.ingress = { ...(inIf === undefined ? {} : { interface: { name: inIf } }), ...(get('srczone') === undefined ? {} : { zone: get('srczone') }) };
    if (outIf !== undefined || get('dstzone') !== undefined) observer.egress = { ...(outIf === undefined ? {} : { interface: { name: outIf } }), ...(get('dstzone') === undefined ? {} : { zone: get('dstzone') }) };
    event.observer = observer;

    const source: NonNullable<EcsEvent['source']> = {};
    const destination: NonNullable<EcsEvent['destination']> = {};
    setEndpoint(source, get('src_ip'), get('src_port'));
    setEndpoint(destination, get('dst_ip'), get('dst_port'));
    const mac = toMac(get('src_mac'));
    if (mac !== undefined) source.mac = mac;
    const destinationMac = toMac(get('dst_mac'));
    if (destinationMac !== undefined) destination.mac = destinationMac;
    const sourceNat: { ip?: string; port?: number } = {};
    const destinationNat: { ip?: string; port?: number } = {};
    if (setEndpoint(sourceNat, get('tran_src_ip'), get('tran_src_port'))) source.nat = sourceNat;
    if (setEndpoint(destinationNat, get('tran_dst_ip'), get('tran_dst_port'))) destination.nat = destinationNat;
    const counts: [string, 'bytes' | 'packets', NonNullable<EcsEvent['source']>][] = [
      ['sent_bytes', 'bytes', source],
      ['recv_bytes', 'bytes', destination],
      ['sent_pkts', 'packets', source],
      ['recv_pkts', 'packets', destination],
    ];
    for (const [key, field, target] of counts) {
      const value = toCount(get(key));
      if (value !== undefined) target[field] = value;
    }
    const userName = get('user_name') ?? get('user');
    if (userName !== undefined) {
      source.user = { name: userName, ...(get('user_gp') === undefined ? {} : { group: { name: get('user_gp') } }) };
      event.user = { name: userName };
    }
    if (Object.keys(source).length > 0) event.source = source;
    if (Object.keys(destination).length > 0) event.destination = destination;

    const network: NonNullable<EcsEvent['network']> = {};
    const transport = transportName(get('protocol'));
    if (transport !== undefined) network.transport = transport;
    const application = type === 'firewall' ? get('application') : component;
    if (application !== undefined) network.protocol = application.toLowerCase();
    const flow = direction(get('srczonetype'), get('dstzonetype'));
    if (flow !== undefined) network.direction = flow;
    if (source.bytes !== undefined || destination.bytes !== undefined) network.bytes = (source.bytes ?? 0) + (destination.bytes ?? 0);
    if (source.packets !== undefined || destination.packets !== undefined) network.packets = (source.packets ?? 0) + (destination.packets ?? 0);
    if (source.ip !== undefined) network.type = source.ip.includes(':') ? 'ipv6' : 'ipv4';
    if (Object.keys(network).length > 0) event.network = network;

    const rule: NonNullable<EcsEvent['rule']> = {};
    const ruleId = get('fw_rule_id');
    if (ruleId !== undefined) rule.id = ruleId;
    const policyType = get('policy_type');
    if (policyType !== undefined) rule.ruleset = policyType;
    const ruleName = get('fw_rule_name') ?? get('rule_name');
    if (ruleName !== undefined) rule.name = ruleName;
    if (Object.keys(rule).length > 0) event.rule = rule;

    const url = get('url');
    if (url !== undefined) event.url = toUrl(url);
    const domain = get('domainname') ?? get('domain');
    if (domain !== undefined) event.url = { ...event.url, domain };
    const virus = get('virus') ?? get('malware');
    if (virus !== undefined) event.rule = { ...event.rule, name: virus, category: 'malware' };
    const signature = get('signature_msg');
    if (signature !== undefined) event.rule = { ...event.rule, name: signature, ...(get('signature_id') === undefined ? {} : { id: get('signature_id') }) };
    const file = get('filename');
    if (file !== undefined) event.file = { name: file };

    addRelatedIps(event);
    addRelatedUser(event, userName);
    return { event };
  },
};
