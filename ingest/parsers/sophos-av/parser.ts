import type { EcsEvent, EventCategory, EventType } from '../../../core/ecs/event.js';
import { toIso, zonedWallToUtc } from '../../syslog/timestamp.js';
import { addRelated, setFilePath } from '../cef/ecs-util.js';
import type { Parser, ParseContext, ParseResult } from '../parser.js';

interface Kind {
  kind: 'alert' | 'event';
  category: EventCategory[];
  type: EventType[];
  action: string;
  outcome?: 'success' | 'failure';
}

/** The text of `<tag>...</tag>` elements, in order (SAV for UNIX writes one flat element list). */
function elements(xml: string, tag: string): string[] {
  const values: string[] = [];
  const open = `<${tag}>`;
  const close = `</${tag}>`;
  let pos = 0;
  while (values.length < 32) {
    const start = xml.indexOf(open, pos);
    if (start < 0) break;
    const end = xml.indexOf(close, start + open.length);
    if (end < 0) break;
    values.push(xml.slice(start + open.length, end).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&'));
    pos = end + close.length;
  }
  return values;
}

/** Sophos Anti-Virus for UNIX: `<log><category>savscan.log</category>...<msg>CODE %s</msg><time>epoch</time><arg>..</arg></log>`. */
function parseXml(event: EcsEvent, text: string): Kind | undefined {
  const template = elements(text, 'msg')[0];
  if (template === undefined) return undefined;
  const args = elements(text, 'arg');
  const code = template.split(' ')[0] ?? template;
  let index = 0;
  event.message = template.replace(/%s/g, () => args[index++] ?? '');
  const time = elements(text, 'time')[0];
  if (time !== undefined && /^\d{9,10}$/.test(time)) {
    const at = toIso(Number(time) * 1000);
    if (at !== undefined) event['@timestamp'] = at;
  }
  const level = elements(text, 'level')[0];
  if (level !== undefined) event.log = { ...event.log, level: level.toLowerCase() };
  if (code.includes('THREAT') || code.includes('INFECTED') || code.includes('VIRUS')) {
    const path = args.find((arg) => arg.includes('/') || arg.includes('\\')) ?? args[0];
    setFilePath(event, path);
    const threat = args.find((arg) => arg !== path && arg !== '');
    if (threat !== undefined) event.threat = { ...event.threat, software: { name: threat, type: 'Malware' } };
    return { kind: 'alert', category: ['malware', 'file'], type: ['info'], action: code.toLowerCase() };
  }
  if (code.includes('UPDATE')) return { kind: 'event', category: ['configuration'], type: ['change'], action: code.toLowerCase(), ...(code.startsWith('NO_') || code.includes('FAIL') ? { outcome: 'failure' as const } : {}) };
  if (code.includes('DIED') || code.includes('ERROR')) return { kind: 'event', category: ['malware'], type: ['error'], action: code.toLowerCase(), outcome: 'failure' };
  return { kind: 'event', category: ['malware'], type: ['info'], action: code.toLowerCase() };
}

/** Sophos Endpoint (Windows) SAV log: `20261124 093300<TAB>text`, local time of the machine. */
function parseSavLine(event: EcsEvent, text: string, context: ParseContext): Kind | undefined {
  const match = /^(\d{4})(\d{2})(\d{2}) (\d{2})(\d{2})(\d{2})\t(.+)$/.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 60) {
    const instant = zonedWallToUtc({ year, month, day, hour, minute, second, millisecond: 0 }, context.timezone);
    const at = instant === undefined ? undefined : toIso(instant);
    if (at !== undefined) event['@timestamp'] = at;
  }
  const body = match[7] as string;
  event.message = body;
  const file = /File "([^"]+)"/.exec(body)?.[1];
  setFilePath(event, file);
  const threat = /virus\/spyware '([^']+)'|Threat '([^']+)'|threat '([^']+)'/i.exec(body);
  const threatName = threat?.[1] ?? threat?.[2] ?? threat?.[3];
  if (threatName !== undefined) event.threat = { ...event.threat, software: { name: threatName, type: 'Malware' } };
  const user = /User \(([^)]+)\)/.exec(body)?.[1];
  if (user !== undefined) {
    const slash = user.indexOf('\\');
    event.user = { name: slash < 0 ? user : user.slice(slash + 1), ...(slash > 0 ? { domain: user.slice(0, slash) } : {}) };
    addRelated(event, 'user', event.user.name);
  }
  const lower = body.toLowerCase();
  if (lower.includes('belongs to virus') || lower.includes('has been detected')) return { kind: 'alert', category: ['malware', 'file'], type: ['info'], action: 'threat-detected' };
  if (lower.includes('has been deleted')) return { kind: 'event', category: ['malware', 'file'], type: ['deletion'], action: 'file-deleted', outcome: 'success' };
  if (lower.includes('moved to') || lower.includes('cleaned up') || lower.includes('quarantined')) return { kind: 'event', category: ['malware', 'file'], type: ['denied'], action: 'threat-cleaned', outcome: 'success' };
  if (lower.startsWith('could not') || lower.includes('failed')) return { kind: 'event', category: ['malware'], type: ['error'], action: 'cleanup-failed', outcome: 'failure' };
  if (lower.startsWith('scan ') && lower.endsWith('started.')) return { kind: 'event', category: ['malware'], type: ['start'], action: 'scan-started' };
  if (lower.startsWith('scan ') && lower.endsWith('completed.')) return { kind: 'event', category: ['malware'], type: ['end'], action: 'scan-completed', outcome: 'success' };
  if (lower.includes('on-access scanning')) return { kind: 'event', category: ['configuration'], type: ['change'], action: lower.includes('stopped') ? 'on-access-stopped' : 'on-access-started' };
  if (lower.startsWith('using detection data')) return { kind: 'event', category: ['configuration'], type: ['info'], action: 'detection-data' };
  return { kind: 'event', category: ['malware'], type: ['info'], action: 'log' };
}

function parseSophos(context: ParseContext): ParseResult {
  const text = context.text.trim();
  const event: EcsEvent = structuredClone(context.base);
  const kind = text.startsWith('<log>') ? parseXml(event, text) : parseSavLine(event, text, context);
  if (kind === undefined) return { failure: 'no_match' };
  event.event = {
    ...event.event,
    kind: kind.kind,
    category: kind.category,
    type: kind.type,
    action: kind.action,
    ...(kind.outcome === undefined ? {} : { outcome: kind.outcome }),
    module: 'sophos',
    dataset: text.startsWith('<log>') ? 'sophos.sav_unix' : 'sophos.sav',
  };
  event.observer = { ...event.observer, vendor: 'Sophos', product: 'Sophos Anti-Virus', type: 'antivirus' };
  if (event.threat?.software?.name !== undefined) event.rule = { ...event.rule, name: event.threat.software.name };
  return { event };
}

/**
 * Sophos Anti-Virus logs: the XML lines of Sophos Anti-Virus for UNIX (savscan, savupdate: `<log>
 * <msg>CODE %s</msg><time>epoch</time><arg>..</arg></log>`, the template filled with its args) and
 * the SAV log of Sophos Endpoint/Central on Windows (`yyyyMMdd HHmmss<TAB>text`: detections,
 * clean-ups, scans, on-access changes). No Elastic pipeline exists for these (Wazuh rules only);
 * the mapping follows our other antivirus parsers (threat name in `threat.software.name`).
 */
export const sophosAvParser: Parser = {
  id: 'sophos-av',
  description: 'Sophos Anti-Virus (UNIX XML log, Endpoint/Central SAV log)',
  programs: ['savd', 'savscan', 'savupdate', 'sophosav'],
  timeResolution: 'XML: <time> epoch seconds (UTC). SAV log: "yyyyMMdd HHmmss", local machine time read in the source time zone.',
  matches(context) {
    const text = context.text;
    return (text.startsWith('<log><category>') && text.includes('<msg>')) || (text.length > 16 && text.charCodeAt(15) === 9 && text.charCodeAt(8) === 32 && /^\d{8} \d{6}\t/.test(text));
  },
  parse: parseSophos,
};
