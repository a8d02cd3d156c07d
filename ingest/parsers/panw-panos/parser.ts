import type { EcsEvent, EventCategory, EventType } from '../../../core/ecs/event.js';
import { addRelatedIps, addRelatedUser, connectionTypes, localTimeToIso, setEndpoint, toCount, toPort } from '../firewall-b-support/fields.js';
import type { ParseContext, Parser, ParseResult } from '../parser.js';

/** The most columns any PAN-OS 11 log type has, with margin; a longer line is not PAN-OS. */
const MAX_COLUMNS = 256;

/**
 * Splits one PAN-OS CSV record. Fields with commas (URLs, user agents, file names) are quoted,
 * with `""` for a quote inside; an unterminated quote runs to the end of the line.
 */
export function splitCsv(text: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= text.length && fields.length < MAX_COLUMNS) {
    if (text.charCodeAt(i) === 34) {
      let value = '';
      let j = i + 1;
      for (;;) {
        const close = text.indexOf('"', j);
        if (close < 0) {
          value += text.slice(j);
          j = text.length;
          break;
        }
        value += text.slice(j, close);
        if (text.charCodeAt(close + 1) === 34) {
          value += '"';
          j = close + 2;
          continue;
        }
        j = close + 1;
        break;
      }
      fields.push(value);
      const comma = text.indexOf(',', j);
      if (comma < 0) break;
      i = comma + 1;
    } else {
      const comma = text.indexOf(',', i);
      if (comma < 0) {
        fields.push(text.slice(i));
        break;
      }
      fields.push(text.slice(i, comma));
      i = comma + 1;
    }
  }
  return fields;
}

/**
 * The CSV of the record. A BSD header without a tag (`Nov 30 16:09:08 PA-220 1,2018/11/30 …`)
 * makes the syslog decoder take `1,2018/11/30` for the app name and start the message at the
 * time of day, so the two are joined back.
 */
function csvText(context: ParseContext): string {
  const app = context.syslog?.appName;
  if (app !== undefined && app.includes(',')) return `${app} ${context.text}`;
  return context.text;
}

const LOG_TYPES = new Set(['TRAFFIC', 'THREAT', 'SYSTEM', 'CONFIG', 'GLOBALPROTECT', 'HIPMATCH', 'USERID', 'AUTH', 'DECRYPTION', 'TUNNEL', 'CORRELATION', 'GTP', 'SCTP', 'IPTAG']);

const TRAFFIC_ACTIONS: Record<string, string> = { start: 'flow_started', end: 'flow_terminated', drop: 'flow_dropped', deny: 'flow_denied' };
const THREAT_ACTIONS: Record<string, string> = {
  url: 'url_filtering',
  virus: 'malware_detected',
  spyware: 'spyware_detected',
  vulnerability: 'exploit_detected',
  file: 'file_match',
  scan: 'scan_detected',
  flood: 'flood_detected',
  packet: 'packet_attack',
  'wildfire-virus': 'malware_detected',
  wildfire: 'wildfire_verdict',
  data: 'data_match',
};
const SEVERITY: Record<string, number> = { critical: 1, high: 2, medium: 3, low: 4, informational: 5 };
/** PAN-OS actions that let the traffic through (`alert` is a threat logged and allowed). */
const ALLOWED = new Set(['allow', 'alert', 'continue', 'override']);

/** NAT columns that mean "not translated". */
const UNSET_NAT = new Set(['', '0.0.0.0', '::']);

/** The columns TRAFFIC and THREAT share (PAN-OS 8.1-11.x positions, 0-based). */
function common(fields: string[], context: ParseContext, event: EcsEvent): void {
  const observer = { ...event.observer, vendor: 'Palo Alto Networks', product: 'PAN-OS', type: 'firewall' };
  if (fields[2]) observer.serial_number = fields[2];
  if (fields[16] || fields[18]) observer.ingress = { ...(fields[18] ? { interface: { name: fields[18] } } : {}), ...(fields[16] ? { zone: fields[16] } : {}) };
  if (fields[17] || fields[19]) observer.egress = { ...(fields[19] ? { interface: { name: fields[19] } } : {}), ...(fields[17] ? { zone: fields[17] } : {}) };
  event.observer = observer;

  const source: NonNullable<EcsEvent['source']> = {};
  const destination: NonNullable<EcsEvent['destination']> = {};
  setEndpoint(source, fields[7], fields[24]);
  setEndpoint(destination, fields[8], fields[25]);
  const sourceNat = {};
  const destinationNat = {};
  // 0.0.0.0 / :: mean "no translation" in PAN-OS; a translated address keeps its port, even 0.
  if (!UNSET_NAT.has(fields[9] ?? '') && setEndpoint(sourceNat, fields[9], fields[26])) source.nat = sourceNat;
  if (!UNSET_NAT.has(fields[10] ?? '') && setEndpoint(destinationNat, fields[10], fields[27])) destination.nat = destinationNat;
  if (fields[12]) source.user = { name: fields[12] };
  if (fields[13]) destination.user = { name: fields[13] };
  if (Object.keys(source).length > 0) event.source = source;
  if (Object.keys(destination).length > 0) event.destination = destination;
  if (fields[12]) event.user = { name: fields[12] };
  if (fields[11]) event.rule = { name: fields[11] };

  const network: NonNullable<EcsEvent['network']> = {};
  if (fields[29]) network.transport = fields[29].toLowerCase();
  if (fields[14] && fields[14] !== 'not-applicable') network.application = fields[14];
  if (source.ip !== undefined) network.type = source.ip.includes(':') ? 'ipv6' : 'ipv4';
  event.network = network;
  if (source.nat !== undefined || destination.nat !== undefined) event.labels = { ...event.labels, nat_translated: 'true' };

  const generated = localTimeToIso(fields[6], context.timezone) ?? localTimeToIso(fields[1], context.timezone);
  if (generated !== undefined) event['@timestamp'] = generated;
  event.event = { ...event.event, timezone: context.timezone };
  addRelatedIps(event);
  addRelatedUser(event, fields[12], fields[13]);
}

function traffic(fields: string[], context: ParseContext, event: EcsEvent): void {
  common(fields, context, event);
  const subtype = fields[4] ?? '';
  const action = fields[30] ?? '';
  const allowed = action === '' ? undefined : ALLOWED.has(action);
  const phase = subtype === 'start' ? 'start' : subtype === 'end' ? 'end' : undefined;
  const types: EventType[] = connectionTypes(subtype === 'deny' || subtype === 'drop' ? false : allowed, phase);
  const details: NonNullable<EcsEvent['event']> = {
    ...event.event,
    kind: 'event',
    category: ['network'],
    type: types,
    action: TRAFFIC_ACTIONS[subtype] ?? subtype,
    outcome: types.includes('denied') ? 'failure' : 'success',
  };
  const start = localTimeToIso(fields[35], context.timezone);
  const elapsed = toCount(fields[36]);
  if (start !== undefined) {
    details.start = start;
    if (elapsed !== undefined) {
      details.end = new Date(Date.parse(start) + elapsed * 1000).toISOString();
      details.duration = elapsed * 1_000_000_000;
    }
  }
  event.event = details;
  const network = event.network ?? {};
  const bytes = toCount(fields[31]);
  const packets = toCount(fields[34]);
  if (bytes !== undefined) network.bytes = bytes;
  if (packets !== undefined) network.packets = packets;
  const sentBytes = toCount(fields[32]);
  const receivedBytes = toCount(fields[33]);
  const sentPackets = toCount(fields[44]);
  const receivedPackets = toCount(fields[45]);
  if (event.source) Object.assign(event.source, sentBytes === undefined ? {} : { bytes: sentBytes }, sentPackets === undefined ? {} : { packets: sentPackets });
  if (event.destination) Object.assign(event.destination, receivedBytes === undefined ? {} : { bytes: receivedBytes }, receivedPackets === undefined ? {} : { packets: receivedPackets });
  if (fields[52]) event.observer = { ...event.observer, name: fields[52] };
}

function threat(fields: string[], context: ParseContext, event: EcsEvent): void {
  common(fields, context, event);
  const subtype = fields[4] ?? '';
  const action = fields[30] ?? '';
  const allowed = ALLOWED.has(action);
  const categories: EventCategory[] = ['intrusion_detection', 'threat', 'network'];
  if (subtype === 'virus' || subtype === 'wildfire-virus' || subtype === 'spyware') categories.unshift('malware');
  const details: NonNullable<EcsEvent['event']> = {
    ...event.event,
    kind: 'alert',
    category: categories,
    type: [allowed ? 'allowed' : 'denied'],
    action: THREAT_ACTIONS[subtype] ?? subtype,
    outcome: allowed ? 'success' : 'failure',
  };
  const severity = SEVERITY[fields[34] ?? ''];
  if (severity !== undefined) details.severity = severity;
  event.event = details;
  if (fields[34]) event.log = { ...event.log, level: fields[34] };
  if (fields[35] === 'client-to-server') event.network = { ...event.network, direction: 'inbound' };
  else if (fields[35] === 'server-to-client') event.network = { ...event.network, direction: 'outbound' };

  const misc = fields[31] ?? '';
  if (subtype === 'url' && misc.length > 0) url(misc, event);
  else if ((subtype === 'file' || subtype === 'virus' || subtype === 'wildfire' || subtype === 'wildfire-virus') && misc.length > 0) event.file = { name: misc };
  const threatId = threatName(fields[32] ?? '', subtype);
  if (threatId.name !== undefined || threatId.id !== undefined) {
    event.rule = { ...event.rule, ...(threatId.id === undefined ? {} : { id: threatId.id }), ...(threatId.name === undefined ? {} : { description: threatId.name }) };
  }
  if (fields[33]) event.rule = { ...event.rule, category: fields[33] };
  if (fields[46]) event.user_agent = { original: fields[46] };
  if (fields[49]) event.http = { ...event.http, request: { ...event.http?.request, referrer: fields[49] } };
  if (fields[63]) event.http = { ...event.http, request: { ...event.http?.request, method: fields[63].toUpperCase() } };
  if (fields[59]) event.observer = { ...event.observer, name: fields[59] };
}

/** `Name(1234)` or `(9999)` (URL filtering) into name and id. */
function threatName(text: string, subtype: string): { name?: string; id?: string } {
  const open = text.lastIndexOf('(');
  if (open < 0 || !text.endsWith(')')) return text.length > 0 ? { name: text } : {};
  const id = text.slice(open + 1, -1);
  const name = text.slice(0, open).trim();
  return { ...(id.length > 0 ? { id } : {}), ...(name.length > 0 ? { name } : subtype === 'url' ? { name: 'URL-filtering' } : {}) };
}

/** PAN-OS writes the URL without a scheme (`host/path?query`). */
function url(original: string, event: EcsEvent): void {
  const schemeEnd = original.indexOf('://');
  const rest = schemeEnd >= 0 ? original.slice(schemeEnd + 3) : original;
  const slash = rest.indexOf('/');
  const hostPort = slash >= 0 ? rest.slice(0, slash) : rest;
  const pathQuery = slash >= 0 ? rest.slice(slash) : '';
  const question = pathQuery.indexOf('?');
  const path = question >= 0 ? pathQuery.slice(0, question) : pathQuery;
  const colon = hostPort.lastIndexOf(':');
  const port = colon > 0 && !hostPort.includes(']') ? toPort(hostPort.slice(colon + 1)) : undefined;
  const domain = port !== undefined ? hostPort.slice(0, colon) : hostPort;
  const result: NonNullable<EcsEvent['url']> = { original };
  if (schemeEnd > 0) result.scheme = original.slice(0, schemeEnd).toLowerCase();
  if (domain.length > 0) result.domain = domain;
  if (port !== undefined) result.port = port;
  if (path.length > 0) result.path = path;
  if (question >= 0 && question + 1 < pathQuery.length) result.query = pathQuery.slice(question + 1);
  event.url = result;
  if (domain.length > 0) event.destination = { ...event.destination, domain };
}

function basic(fields: string[], context: ParseContext, event: EcsEvent): void {
  const observer = { ...event.observer, vendor: 'Palo Alto Networks', product: 'PAN-OS', type: 'firewall' };
  if (fields[2]) observer.serial_number = fields[2];
  event.observer = observer;
  const generated = localTimeToIso(fields[6], context.timezone) ?? localTimeToIso(fields[1], context.timezone);
  if (generated !== undefined) event['@timestamp'] = generated;
  event.event = { ...event.event, kind: 'event', timezone: context.timezone, ...(fields[4] ? { action: fields[4].toLowerCase() } : {}) };
}

function system(fields: string[], context: ParseContext, event: EcsEvent): void {
  // SYSTEM: …, 7 vsys, 8 eventid, 9 object, 12 module, 13 severity, 14 description.
  const observer = { ...event.observer, vendor: 'Palo Alto Networks', product: 'PAN-OS', type: 'firewall' };
  if (fields[2]) observer.serial_number = fields[2];
  event.observer = observer;
  const generated = localTimeToIso(fields[6], context.timezone) ?? localTimeToIso(fields[1], context.timezone);
  if (generated !== undefined) event['@timestamp'] = generated;
  const severity = SEVERITY[fields[13] ?? ''];
  event.event = { ...event.event, kind: 'event', category: ['host'], type: ['info'], timezone: context.timezone, ...(fields[8] ? { action: fields[8] } : {}), ...(severity === undefined ? {} : { severity }) };
  if (fields[13]) event.log = { ...event.log, level: fields[13] };
  if (fields[14]) event.message = fields[14];
}

function config(fields: string[], context: ParseContext, event: EcsEvent): void {
  // CONFIG: …, 7 host, 8 vsys, 9 command, 10 admin, 11 client, 12 result, 13 path.
  const observer = { ...event.observer, vendor: 'Palo Alto Networks', product: 'PAN-OS', type: 'firewall' };
  if (fields[2]) observer.serial_number = fields[2];
  event.observer = observer;
  const generated = localTimeToIso(fields[6], context.timezone) ?? localTimeToIso(fields[1], context.timezone);
  if (generated !== undefined) event['@timestamp'] = generated;
  const result = (fields[12] ?? '').toLowerCase();
  event.event = {
    ...event.event,
    kind: 'event',
    category: ['configuration'],
    type: ['change'],
    timezone: context.timezone,
    ...(fields[9] ? { action: fields[9] } : {}),
    ...(result === 'succeeded' ? { outcome: 'success' as const } : result === 'failed' ? { outcome: 'failure' as const } : {}),
  };
  if (fields[10]) {
    event.user = { name: fields[10] };
    addRelatedUser(event, fields[10]);
  }
  const client = setEndpoint({}, fields[7], undefined) ? fields[7] : undefined;
  if (client !== undefined) {
    event.source = { ip: client };
    addRelatedIps(event);
  }
  if (fields[13]) event.message = fields[13].trim();
}

function globalProtect(fields: string[], context: ParseContext, event: EcsEvent): void {
  // GLOBALPROTECT (9.1+): 7 vsys, 8 eventid, 9 stage, 10 auth method, 11 tunnel type, 12 user,
  // 13 source region, 14 machine name, 15 public ip, 16 public ipv6, 17 private ip, …, 27 status.
  const observer = { ...event.observer, vendor: 'Palo Alto Networks', product: 'PAN-OS', type: 'firewall' };
  if (fields[2]) observer.serial_number = fields[2];
  event.observer = observer;
  const generated = localTimeToIso(fields[6], context.timezone) ?? localTimeToIso(fields[1], context.timezone);
  if (generated !== undefined) event['@timestamp'] = generated;
  const status = (fields[27] ?? '').toLowerCase();
  event.event = {
    ...event.event,
    kind: 'event',
    category: ['authentication', 'network'],
    type: ['info'],
    timezone: context.timezone,
    ...(fields[8] ? { action: fields[8] } : {}),
    ...(status === 'success' ? { outcome: 'success' as const } : status === 'failure' ? { outcome: 'failure' as const } : {}),
  };
  if (fields[12]) {
    event.user = { name: fields[12] };
    addRelatedUser(event, fields[12]);
  }
  const source = {};
  if (setEndpoint(source, fields[15], undefined)) event.source = source;
  if (fields[14]) event.host = { ...event.host, name: fields[14] };
  addRelatedIps(event);
}

/** Drops the app name the syslog decoder took from the first CSV columns (see csvText). */
function untag(event: EcsEvent): void {
  delete event.process;
  const syslog = event.log?.syslog;
  if (syslog?.appname !== undefined) {
    const { appname: _appname, ...rest } = syslog;
    event.log = { ...event.log, syslog: rest };
  }
}

/**
 * Palo Alto Networks PAN-OS syslog in the default CSV format (BSD or IETF header). TRAFFIC and
 * THREAT map to ECS network / intrusion-detection events the way Elastic's panw integration
 * does; SYSTEM, CONFIG and GLOBALPROTECT get the basic categorisation.
 */
export const panwPanosParser: Parser = {
  id: 'panw-panos',
  description: 'Palo Alto Networks PAN-OS CSV syslog (TRAFFIC, THREAT, SYSTEM, CONFIG, GLOBALPROTECT)',
  programs: [],
  timeResolution:
    'The generated time (`YYYY/MM/DD hh:mm:ss`, with the year) is local firewall time without an offset: it is read in the source time zone (`timezone`, default UTC) and becomes @timestamp; event.start/end too.',
  matches(context) {
    // The log type is the 4th column, right after `<receive time>,<serial>,`.
    const text = context.syslog?.appName?.includes(',') === true ? context.syslog.appName : context.text;
    return text.length >= 7 && (text.startsWith('1,') || text.startsWith('0,') || text.startsWith(',')) && text.charCodeAt(text.indexOf(',') + 5) === 47;
  },
  parse(context): ParseResult {
    const fields = splitCsv(csvText(context));
    const type = fields[3] ?? '';
    if (fields.length < 10 || !LOG_TYPES.has(type)) return { failure: 'no_match' };
    const event: EcsEvent = { ...context.base, event: { ...context.base.event, module: 'panw', dataset: 'panw.panos' } };
    if (context.syslog?.appName?.includes(',') === true) {
      untag(event);
      event.message = csvText(context);
    }
    switch (type) {
      case 'TRAFFIC':
        if (fields.length < 46) return { failure: 'short_record' };
        traffic(fields, context, event);
        break;
      case 'THREAT':
        if (fields.length < 40) return { failure: 'short_record' };
        threat(fields, context, event);
        break;
      case 'SYSTEM':
        system(fields, context, event);
        break;
      case 'CONFIG':
        config(fields, context, event);
        break;
      case 'GLOBALPROTECT':
        globalProtect(fields, context, event);
        break;
      default:
        // HIPMATCH, USERID, AUTH, DECRYPTION…: known PAN-OS records without a detailed mapping yet;
        // stored with the device and time rather than as parse failures.
        basic(fields, context, event);
    }
    if (fields[3]) event.labels = { ...event.labels, panos_type: fields[3].toLowerCase(), ...(fields[4] ? { panos_subtype: fields[4] } : {}) };
    return { event };
  },
};
