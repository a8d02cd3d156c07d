import type { EcsEvent, EventCategory, EventType } from '../../../core/ecs/event.js';
import { toIso, wallToNaiveMs } from '../../syslog/timestamp.js';
import { addRelated, setFileHash, setFilePath, setLabel, toIp, toPort } from '../cef/ecs-util.js';
import { parseJsonObject } from '../json/parser.js';
import type { Parser, ParseContext, ParseResult } from '../parser.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const SEVERITY: Readonly<Record<string, number>> = { information: 1, informational: 1, warning: 4, error: 6, critical: 8, fatal: 10 };

/** `06-May-2021 09:59:37`: ESET PROTECT writes `occured` in UTC. */
function occured(value: string | undefined): string | undefined {
  const match = value === undefined ? null : /^(\d{2})-([A-Z][a-z]{2})-(\d{4}) (\d{2}):(\d{2}):(\d{2})$/.exec(value);
  if (!match) return undefined;
  const month = MONTHS.indexOf(match[2] as string) + 1;
  const [day, year, hour, minute, second] = [match[1], match[3], match[4], match[5], match[6]].map(Number) as [number, number, number, number, number];
  if (month === 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  return toIso(wallToNaiveMs({ year, month, day, hour, minute, second, millisecond: 0 }));
}

function str(doc: Record<string, unknown>, key: string): string | undefined {
  const value = Object.prototype.hasOwnProperty.call(doc, key) ? doc[key] : undefined;
  if (typeof value === 'string') return value === '' ? undefined : value;
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

/** `file:///C:/Users/x/a.exe` → `C:/Users/x/a.exe`; other URIs stay as they are. */
function uriPath(uri: string | undefined): string | undefined {
  if (uri === undefined) return undefined;
  if (!uri.startsWith('file:///')) return uri;
  const path = uri.slice(8);
  return /^[A-Za-z]:/.test(path) ? path : `/${path}`;
}

function setUser(event: EcsEvent, raw: string | undefined): void {
  if (raw === undefined) return;
  const slash = raw.indexOf('\\');
  const name = slash < 0 ? raw : raw.slice(slash + 1);
  if (name === '') return;
  event.user = { name, ...(slash > 0 ? { domain: raw.slice(0, slash) } : {}) };
  addRelated(event, 'user', name);
}

function classify(event: EcsEvent, doc: Record<string, unknown>, type: string): { kind: 'alert' | 'event'; category: EventCategory[]; type: EventType[]; outcome?: 'success' | 'failure' } {
  const action = (str(doc, 'action_taken') ?? str(doc, 'action') ?? '').toLowerCase();
  switch (type) {
    case 'Threat_Event': {
      const name = str(doc, 'threat_name');
      if (name !== undefined) {
        event.threat = { ...event.threat, software: { name, ...(str(doc, 'threat_type') === undefined ? {} : { type: str(doc, 'threat_type') as string }) } };
        event.rule = { ...event.rule, name };
      }
      setFilePath(event, uriPath(str(doc, 'object_uri')));
      setFileHash(event, str(doc, 'hash'));
      const process = str(doc, 'processname');
      if (process !== undefined) event.process = { executable: process };
      const handled = str(doc, 'threat_handled');
      const kind: EventType = action.includes('delet') ? 'deletion' : action.includes('clean') || action.includes('block') || action.includes('quarantin') ? 'denied' : 'info';
      return { kind: 'alert', category: ['malware', 'file'], type: [kind], ...(handled === 'true' ? { outcome: 'success' as const } : handled === 'false' ? { outcome: 'failure' as const } : {}) };
    }
    case 'FirewallAggregated_Event': {
      const inbound = str(doc, 'inbound') === 'true';
      const source = { ip: toIp(str(doc, 'source_address')), port: toPort(str(doc, 'source_port')) };
      const target = { ip: toIp(str(doc, 'target_address')), port: toPort(str(doc, 'target_port')) };
      if (source.ip !== undefined || source.port !== undefined) event.source = { ...(source.ip === undefined ? {} : { ip: source.ip }), ...(source.port === undefined ? {} : { port: source.port }) };
      if (target.ip !== undefined || target.port !== undefined) event.destination = { ...(target.ip === undefined ? {} : { ip: target.ip }), ...(target.port === undefined ? {} : { port: target.port }) };
      addRelated(event, 'ip', source.ip, target.ip);
      const protocol = str(doc, 'protocol');
      event.network = { ...(protocol === undefined ? {} : { transport: protocol.toLowerCase() }), direction: inbound ? 'inbound' : 'outbound' };
      const rule = str(doc, 'rule_name');
      if (rule !== undefined) event.rule = { name: rule, ...(str(doc, 'rule_id') === undefined ? {} : { id: str(doc, 'rule_id') as string }) };
      const process = str(doc, 'process_name');
      if (process !== undefined) event.process = { executable: process };
      setUser(event, str(doc, 'account'));
      const threat = str(doc, 'threat_name');
      if (threat !== undefined) event.threat = { ...event.threat, software: { name: threat } };
      const denied = /block|deny|drop/.test(action);
      return { kind: threat === undefined ? 'event' : 'alert', category: ['network'], type: ['connection', denied ? 'denied' : 'allowed'] };
    }
    case 'HipsAggregated_Event': {
      const application = str(doc, 'application');
      if (application !== undefined) event.process = { executable: application };
      const rule = str(doc, 'rule_name');
      if (rule !== undefined) event.rule = { name: rule, ...(str(doc, 'rule_id') === undefined ? {} : { id: str(doc, 'rule_id') as string }) };
      return { kind: 'alert', category: ['intrusion_detection', 'host'], type: [/block|deny/.test(action) ? 'denied' : 'info'] };
    }
    case 'Audit_Event': {
      setUser(event, str(doc, 'user'));
      const detail = str(doc, 'detail');
      if (detail !== undefined) event.message = detail;
      const result = (str(doc, 'result') ?? '').toLowerCase();
      const login = action.includes('login') || action.includes('logout');
      return {
        kind: 'event',
        category: login ? ['authentication'] : ['configuration'],
        type: login ? ['start'] : ['change'],
        ...(result === 'success' ? { outcome: 'success' as const } : result === 'failed' || result === 'failure' ? { outcome: 'failure' as const } : {}),
      };
    }
    case 'EnterpriseInspectorAlert_Event':
    case 'Blocked_File_Event': {
      const process = str(doc, 'processname');
      if (process !== undefined) event.process = { executable: process };
      setUser(event, str(doc, 'username'));
      const rule = str(doc, 'rulename');
      if (rule !== undefined) event.rule = { name: rule };
      setFilePath(event, uriPath(str(doc, 'object_uri')));
      setFileHash(event, str(doc, 'hash'));
      return type === 'Blocked_File_Event'
        ? { kind: 'alert', category: ['malware', 'file'], type: ['denied'] }
        : { kind: 'alert', category: ['intrusion_detection'], type: ['info'] };
    }
    default:
      return { kind: 'event', category: ['host'], type: ['info'] };
  }
}

function parseEset(context: ParseContext): ParseResult {
  const doc = parseJsonObject(context.text);
  const type = doc === undefined ? undefined : str(doc, 'event_type');
  if (doc === undefined || type === undefined || !type.endsWith('_Event')) return { failure: 'no_match' };
  const event: EcsEvent = structuredClone(context.base);
  // The syslog tag (ERAServer) is the relaying server, not a process on the reported host.
  delete event.process;
  const at = occured(str(doc, 'occured'));
  if (at !== undefined) event['@timestamp'] = at;
  const host = str(doc, 'hostname');
  const ip = toIp(str(doc, 'ipv4')) ?? toIp(str(doc, 'ipv6'));
  if (host !== undefined) event.host = { ...event.host, name: host, hostname: host, ...(ip === undefined ? {} : { ip: [ip] }) };
  if (ip !== undefined) addRelated(event, 'ip', ip);
  setUser(event, str(doc, 'username'));
  const classified = classify(event, doc, type);
  const severityWord = str(doc, 'severity');
  const severity = severityWord === undefined ? undefined : SEVERITY[severityWord.toLowerCase()];
  const action = str(doc, 'action_taken') ?? str(doc, 'action');
  const dataset = type.replace(/_Event$/, '').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  event.event = {
    ...event.event,
    kind: classified.kind,
    category: classified.category,
    type: classified.type,
    ...(classified.outcome === undefined ? {} : { outcome: classified.outcome }),
    ...(action === undefined ? {} : { action }),
    ...(severity === undefined ? {} : { severity }),
    module: 'eset',
    dataset: `eset.${dataset}`,
  };
  if (event.message === context.text) {
    const detail = str(doc, 'threat_name') ?? str(doc, 'rule_name') ?? str(doc, 'detail');
    event.message = detail === undefined ? type : `${type}: ${detail}`;
  }
  event.observer = { ...event.observer, vendor: 'ESET', product: 'ESET PROTECT', type: 'antivirus' };
  for (const key of ['scanner_id', 'circumstances', 'source_uuid', 'aggregate_count', 'engine_version']) {
    const value = str(doc, key);
    if (value !== undefined) setLabel(event, key, value);
  }
  return { event };
}

/**
 * ESET PROTECT / ERA server events exported by syslog as JSON (`ERAServer[pid]: {"event_type":
 * "Threat_Event", ...}`): threats, firewall, HIPS, audit, Enterprise Inspector alerts and blocked
 * files. Elastic ships no pipeline for this form (Wazuh rules only), so the mapping is ours: the
 * threat name in `threat.software.name` and `rule.name`, the dataset from the event type
 * (`eset.threat`, `eset.firewall_aggregated`), `occured` (UTC) as `@timestamp`.
 */
export const esetParser: Parser = {
  id: 'eset',
  description: 'ESET PROTECT (ERA) syslog JSON export',
  programs: ['eraserver', 'eraagent', 'esetprotect'],
  timeResolution: '"occured" (dd-MMM-yyyy HH:mm:ss, UTC as ESET documents it), else the syslog header (year inferred, source time zone).',
  matches(context) {
    return context.text.charCodeAt(0) === 123 && context.text.includes('"event_type":"') && context.text.includes('_Event"');
  },
  parse: parseEset,
};
