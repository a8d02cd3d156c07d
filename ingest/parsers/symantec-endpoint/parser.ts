import type { EcsEvent, EventType } from '../../../core/ecs/event.js';
import { toIso, zonedWallToUtc } from '../../syslog/timestamp.js';
import { addRelated, hashKind, setFilePath, toCount, toIp, toPort } from '../cef/ecs-util.js';
import type { Parser, ParseContext, ParseResult } from '../parser.js';

/** The comma-separated fields of a SEPM syslog export line: `Key: value` pairs and bare fields. */
interface SepFields {
  readonly first: string;
  readonly pairs: ReadonlyMap<string, string>;
  readonly bare: readonly string[];
}

function split(text: string): SepFields | undefined {
  const parts = text.split(',');
  if (parts.length < 5) return undefined;
  const pairs = new Map<string, string>();
  const bare: string[] = [];
  for (const part of parts.slice(1)) {
    const colon = part.indexOf(': ');
    const key = colon > 0 ? part.slice(0, colon).trim() : '';
    // A key is short words (`Local Host IP`, `SHA-256`); anything else is a bare positional field.
    if (colon > 0 && colon <= 40 && /^[A-Za-z][A-Za-z0-9 ()\-/]*$/.test(key)) {
      if (!pairs.has(key)) pairs.set(key, part.slice(colon + 2).trim());
    } else if (/^[A-Za-z][A-Za-z ]{0,39}:$/.test(part.trim())) {
      // `Downloaded by:` at the end of the line: a key with an empty value.
      pairs.set(part.trim().slice(0, -1), '');
    } else bare.push(part.trim());
  }
  return { first: (parts[0] as string).trim(), pairs, bare };
}

/** `2019-09-03 08:12:25` in the source zone (SEPM writes its server time without offset). */
function sepTime(value: string | undefined, zone: string): string | undefined {
  const match = value === undefined ? null : /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(value);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const instant = zonedWallToUtc({ year, month, day, hour, minute, second, millisecond: 0 }, zone);
  return instant === undefined ? undefined : toIso(instant);
}

/** `CCF9E4A91226` → `CC-F9-E4-A9-12-26` (ECS MAC notation). */
function mac(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const hex = value.replace(/[-:]/g, '').toUpperCase();
  return /^[0-9A-F]{12}$/.test(hex) ? (hex.match(/../g) as string[]).join('-') : undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function setUser(event: EcsEvent, name: string | undefined, domain: string | undefined): void {
  const user = nonEmpty(name);
  if (user === undefined) return;
  event.user = { name: user, ...(nonEmpty(domain) === undefined ? {} : { domain: domain as string }) };
  addRelated(event, 'user', user);
}

function riskEvent(event: EcsEvent, fields: SepFields, context: ParseContext): void {
  const p = fields.pairs;
  const e = (event.event ??= {});
  const action = nonEmpty(p.get('Actual action'));
  const lower = (action ?? '').toLowerCase();
  const type: EventType[] = lower.includes('deleted') ? ['deletion'] : lower.includes('quarantined') || lower.includes('cleaned') || lower.includes('blocked') || lower.includes('terminat') ? ['denied'] : ['info'];
  Object.assign(e, {
    kind: 'event',
    category: ['malware', 'file'],
    type,
    provider: 'Agent Risk Log',
    ...(action === undefined ? {} : { action }),
    ...(lower.includes('failed') ? { outcome: 'failure' } : action === undefined ? {} : { outcome: 'success' }),
  });
  event.message = fields.first;
  const host = nonEmpty(p.get('Computer name'));
  if (host !== undefined) event.host = { ...event.host, name: host, hostname: host };
  setUser(event, p.get('User'), p.get('Domain'));
  const risk = nonEmpty(p.get('Risk name'));
  if (risk !== undefined) event.threat = { ...event.threat, software: { name: risk, type: 'Malware' } };
  // The path is the first bare field after Occurrences.
  setFilePath(event, fields.bare.find((part) => part !== ''));
  const size = toCount(p.get('File size (bytes)'));
  if (size !== undefined) event.file = { ...event.file, size };
  const at = sepTime(p.get('Event time'), context.timezone);
  if (at !== undefined) event['@timestamp'] = at;
  const end = sepTime(p.get('End'), context.timezone);
  if (end !== undefined) e.end = end;
  const ip = toIp(p.get('IP Address'));
  if (ip !== undefined) event.host = { ...event.host, ip: [ip] };
}

function trafficEvent(event: EcsEvent, fields: SepFields, context: ParseContext): void {
  const p = fields.pairs;
  const e = (event.event ??= {});
  const inbound = fields.bare.some((part) => part.toLowerCase() === 'inbound');
  const transport = fields.bare.find((part) => /^(?:tcp|udp|icmp|icmpv6)$/i.test(part));
  const local = { ip: toIp(p.get('Local Host IP')), port: toPort(p.get('Local Port')), mac: mac(p.get('Local Host MAC')), domain: undefined as string | undefined };
  const remote = { ip: toIp(p.get('Remote Host IP')), port: toPort(p.get('Remote Port')), mac: mac(p.get('Remote Host MAC')), domain: nonEmpty(p.get('Remote Host Name')) };
  const [source, destination] = inbound ? [remote, local] : [local, remote];
  const endpoint = (side: typeof remote): NonNullable<EcsEvent['source']> => ({
    ...(side.ip === undefined ? {} : { address: side.ip, ip: side.ip }),
    ...(side.port === undefined ? {} : { port: side.port }),
    ...(side.mac === undefined ? {} : { mac: side.mac }),
    ...(side.domain === undefined ? {} : { domain: side.domain }),
  });
  event.source = endpoint(source);
  event.destination = endpoint(destination);
  addRelated(event, 'ip', local.ip, remote.ip);
  event.network = { ...(transport === undefined ? {} : { transport: transport.toLowerCase() }), direction: inbound ? 'ingress' : 'egress' };
  const action = nonEmpty(p.get('Action'))?.toLowerCase();
  const denied = action !== undefined && /block|drop|deny/.test(action);
  Object.assign(e, {
    kind: 'event',
    category: ['intrusion_detection', 'network'],
    type: ['connection', 'process', denied ? 'denied' : 'allowed'],
    provider: 'Agent Traffic Log',
    ...(action === undefined ? {} : { action }),
  });
  const start = sepTime(p.get('Begin'), context.timezone);
  if (start !== undefined) e.start = start;
  const end = sepTime(p.get('End Time'), context.timezone);
  if (end !== undefined) e.end = end;
  const rule = nonEmpty(p.get('Rule'));
  if (rule !== undefined) event.rule = { name: rule };
  const application = nonEmpty(p.get('Application'));
  if (application !== undefined) event.process = { executable: application };
  setUser(event, p.get('User Name'), p.get('Domain Name'));
  const host = nonEmpty(fields.first);
  if (host !== undefined) {
    event.host = { ...event.host, name: host, hostname: host, ...(local.ip === undefined ? {} : { ip: [local.ip] }), ...(local.mac === undefined ? {} : { mac: [local.mac] }) };
  }
  // The hashes are of the application that made the connection.
  for (const [kind, hash] of [['md5', p.get('MD-5')], ['sha256', p.get('SHA-256')]] as const) {
    if (hash === undefined || hashKind(hash) !== kind) continue;
    event.process = { ...event.process, hash: { ...event.process?.hash, [kind]: hash.toLowerCase() } };
    addRelated(event, 'hash', hash.toLowerCase());
  }
}

/** `Category: 2`, the second field of an Agent System Log line. */
const SYSTEM_CATEGORY = /^Category: \d{1,3}$/;
/** A `Key: value` field after the description (`Event time: ...`, `Group Name: ...`). */
const KEYED_FIELD = /^[A-Z][A-Za-z ]{0,39}: /;

/**
 * Agent System Log: `<host>,Category: <n>,<event source>,<description>[,Event time: ...]...`.
 * The description may itself contain commas; it runs to the first `Key: value` field. Auto-Protect
 * being switched off or on is named in event.action (`auto-protect-disabled`/`-enabled`) with
 * event.category configuration; other system messages keep their text only. The description is
 * the message, and the syslog program stays, so rules searching the text still find it.
 */
function systemEvent(event: EcsEvent, text: string, context: ParseContext): boolean {
  const parts = text.split(',');
  if (parts.length < 4 || !SYSTEM_CATEGORY.test((parts[1] as string).trim())) return false;
  let end = 4;
  while (end < parts.length && !KEYED_FIELD.test((parts[end] as string).trim())) end++;
  const description = parts.slice(3, end).join(',').trim();
  if (description === '') return false;
  const keyed = new Map<string, string>();
  for (const part of parts.slice(end)) {
    const colon = part.indexOf(': ');
    if (colon > 0 && !keyed.has(part.slice(0, colon).trim())) keyed.set(part.slice(0, colon).trim(), part.slice(colon + 2).trim());
  }
  const e = (event.event ??= {});
  // `Auto-Protect failed to load` or `could not be started` names no change of state.
  const autoProtect = /auto-protect/i.test(description) && !/\b(?:not|failed|failure|error)\b/i.test(description);
  const action = !autoProtect
    ? undefined
    : /\b(?:disabled|stopped|unloaded|turned off|shut ?down)\b/i.test(description)
      ? 'auto-protect-disabled'
      : /\b(?:enabled|started|loaded|turned on)\b/i.test(description)
        ? 'auto-protect-enabled'
        : undefined;
  Object.assign(e, {
    kind: 'event',
    provider: 'Agent System Log',
    ...(action === undefined ? {} : { action, category: ['configuration'], type: ['change'], outcome: 'success' }),
  });
  event.message = description;
  const host = nonEmpty((parts[0] as string).trim());
  if (host !== undefined) event.host = { ...event.host, name: host, hostname: host };
  const at = sepTime(keyed.get('Event time'), context.timezone);
  if (at !== undefined) event['@timestamp'] = at;
  return true;
}

function parseSymantec(context: ParseContext): ParseResult {
  const text = context.text.trim();
  const fields = split(text);
  const event: EcsEvent = structuredClone(context.base);
  if (fields?.pairs.has('Risk name') === true) riskEvent(event, fields, context);
  else if (fields !== undefined && fields.pairs.has('Local Host IP') && fields.pairs.has('Remote Host IP')) trafficEvent(event, fields, context);
  else if (!systemEvent(event, text, context)) return { failure: 'no_match' };
  event.event = { ...event.event, module: 'symantec_endpoint', dataset: 'symantec_endpoint.log' };
  event.observer = { ...event.observer, vendor: 'Symantec', product: 'Endpoint Protection', type: 'antivirus' };
  return { event };
}

/**
 * Symantec Endpoint Protection Manager syslog export: Agent Risk Log (`Security risk found,...,
 * Risk name: ...`) and Agent Traffic Log (`<host>,Local Host IP: ...,Remote Host IP: ...`), mapped
 * after Elastic's symantec_endpoint pipeline (event.provider, source/destination by direction,
 * MACs as `AA-BB-...`). Additions of ours: the risk name in `threat.software.name`, and
 * malware/file categories on risk events. Agent System Log lines (`<host>,Category: 2,Symantec
 * Endpoint Protection,Auto-Protect is disabled ...`) are read too (see systemEvent). Other SEP log
 * types are not parsed yet.
 */
export const symantecEndpointParser: Parser = {
  id: 'symantec-endpoint',
  description: 'Symantec Endpoint Protection (SEPM syslog export: risk, traffic and agent system logs)',
  programs: [],
  timeResolution: 'Event time / Begin / End ("yyyy-MM-dd HH:mm:ss", SEPM server time) read in the source time zone; traffic lines, and system lines without Event time, keep the syslog header time.',
  matches(context) {
    const text = context.text;
    if (text.includes(',Risk name: ') || text.includes(',Local Host IP: ')) return true;
    const category = text.indexOf(',Category: ');
    if (category < 0) return false;
    const digit = text.charCodeAt(category + 11);
    return digit >= 48 && digit <= 57;
  },
  parse: parseSymantec,
};
