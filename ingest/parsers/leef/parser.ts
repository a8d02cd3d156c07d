import type { EcsEvent } from '../../../core/ecs/event.js';
import { addRelated, setLabel, toCount, toIp, toPort } from '../cef/ecs-util.js';
import { parseDeviceTime } from '../cef/time.js';
import type { Parser, ParseContext, ParseResult } from '../parser.js';

/** One decoded LEEF record. */
export interface LeefRecord {
  readonly version: string;
  readonly vendor: string;
  readonly product: string;
  readonly productVersion: string;
  readonly eventId: string;
  readonly attributes: ReadonlyMap<string, string>;
}

const MAX_ATTRIBUTES = 256;

/** LEEF 2.0's delimiter field: one character, or its code as `x09` / `0x09`. */
function delimiterOf(field: string): string | undefined {
  if (field.length === 1) return field;
  const hex = /^(?:0?x)([0-9a-fA-F]{1,4})$/i.exec(field)?.[1];
  return hex === undefined ? undefined : String.fromCharCode(parseInt(hex, 16));
}

/**
 * Decodes `LEEF:1.0|Vendor|Product|Version|EventID|k=v<TAB>k=v` and
 * `LEEF:2.0|Vendor|Product|Version|EventID|Delimiter|k=v^k=v` (tab when the delimiter is absent).
 */
export function decodeLeef(text: string): LeefRecord | undefined {
  const start = text.indexOf('LEEF:');
  if (start < 0) return undefined;
  const fields: string[] = [];
  let pos = start + 5;
  while (fields.length < 5) {
    const bar = text.indexOf('|', pos);
    if (bar < 0) return undefined;
    fields.push(text.slice(pos, bar));
    pos = bar + 1;
  }
  const [version, vendor, product, productVersion, eventId] = fields as [string, string, string, string, string];
  if (version !== '1.0' && version !== '2.0' && version !== '1' && version !== '2') return undefined;
  let delimiter = '\t';
  if (version.startsWith('2')) {
    const bar = text.indexOf('|', pos);
    const candidate = bar >= 0 && bar - pos <= 6 ? delimiterOf(text.slice(pos, bar)) : undefined;
    if (candidate !== undefined) {
      delimiter = candidate;
      pos = bar + 1;
    }
  }
  const attributes = new Map<string, string>();
  const body = text.slice(pos);
  // Some senders replace tabs by spaces; with no tab at all, fall back to ` key=` boundaries.
  const parts = delimiter === '\t' && !body.includes('\t') ? splitOnKeys(body) : body.split(delimiter);
  for (const part of parts) {
    if (attributes.size >= MAX_ATTRIBUTES) break;
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    if (key !== '' && !attributes.has(key)) attributes.set(key, part.slice(eq + 1));
  }
  return { version, vendor, product, productVersion, eventId, attributes };
}

/** Splits `a=1 b=two words c=3` before each ` key=`. */
function splitOnKeys(body: string): string[] {
  const parts: string[] = [];
  let last = 0;
  const pattern = / (?=[A-Za-z_][\w.]{0,63}=)/g;
  for (let match = pattern.exec(body); match !== null; match = pattern.exec(body)) {
    parts.push(body.slice(last, match.index));
    last = match.index + 1;
  }
  parts.push(body.slice(last));
  return parts;
}

const MAPPED = new Set(['src', 'dst', 'srcPort', 'dstPort', 'srcPreNAT', 'dstPreNAT', 'srcPostNAT', 'dstPostNAT', 'srcMAC', 'dstMAC', 'usrName', 'proto', 'sev', 'cat', 'devTime', 'devTimeFormat', 'srcBytes', 'dstBytes', 'srcPackets', 'dstPackets', 'identHostName', 'url', 'action', 'msg']);

function leefToEcs(record: LeefRecord, context: ParseContext): EcsEvent {
  const a = record.attributes;
  const get = (key: string): string | undefined => {
    const value = a.get(key)?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const event: EcsEvent = structuredClone(context.base);
  const sevText = get('sev');
  const severity = sevText !== undefined && /^\d{1,2}$/.test(sevText) ? Number(sevText) : undefined;
  event.event = {
    ...event.event,
    kind: 'event',
    ...(record.eventId === '' ? {} : { code: record.eventId }),
    ...(severity === undefined ? {} : { severity }),
    module: 'leef',
    dataset: 'leef.log',
  };
  event.observer = {
    ...event.observer,
    ...(record.vendor === '' ? {} : { vendor: record.vendor }),
    ...(record.product === '' ? {} : { product: record.product }),
    ...(record.productVersion === '' ? {} : { version: record.productVersion }),
  };
  const devTime = get('devTime');
  const at = devTime === undefined ? undefined : parseDeviceTime(devTime, context.timezone, context.record.receivedAt);
  if (at !== undefined) event['@timestamp'] = at;
  for (const side of ['source', 'destination'] as const) {
    const prefix = side === 'source' ? 'src' : 'dst';
    const ip = toIp(get(prefix));
    const port = toPort(get(`${prefix}Port`));
    const mac = get(`${prefix}MAC`);
    const bytes = toCount(get(`${prefix}Bytes`));
    const packets = toCount(get(`${prefix}Packets`));
    const natIp = toIp(get(`${prefix}PostNAT`));
    if (ip === undefined && port === undefined && mac === undefined && bytes === undefined && packets === undefined && natIp === undefined) continue;
    event[side] = {
      ...(ip === undefined ? {} : { ip }),
      ...(port === undefined ? {} : { port }),
      ...(mac === undefined ? {} : { mac }),
      ...(bytes === undefined ? {} : { bytes }),
      ...(packets === undefined ? {} : { packets }),
      ...(natIp === undefined ? {} : { nat: { ip: natIp } }),
    };
    addRelated(event, 'ip', ip, natIp);
  }
  const user = get('usrName');
  if (user !== undefined) {
    event.user = { name: user };
    addRelated(event, 'user', user);
  }
  const proto = get('proto');
  if (proto !== undefined) event.network = { transport: proto.toLowerCase() };
  const category = get('cat');
  if (category !== undefined) event.rule = { category };
  const action = get('action');
  if (action !== undefined) event.event.action = action;
  const url = get('url');
  if (url !== undefined) event.url = { original: url };
  const message = get('msg');
  if (message !== undefined) event.message = message;
  const identHost = get('identHostName');
  if (identHost !== undefined) addRelated(event, 'hosts', identHost);
  for (const [key, value] of a) if (!MAPPED.has(key) && value !== '') setLabel(event, key, value);
  return event;
}

function parseLeef(context: ParseContext): ParseResult {
  // A BSD syslog decoder reads `host LEEF:1.0|...` as program `LEEF` and message `1.0|...`.
  const fromProgram = context.syslog?.appName === 'LEEF' && !context.text.includes('LEEF:');
  const text = fromProgram ? `LEEF:${context.text.trimStart()}` : context.text;
  const record = decodeLeef(text);
  if (record === undefined) return { failure: 'no_match' };
  const event = leefToEcs(record, context);
  if (event.message === context.text) event.message = text;
  if (event.process?.name === 'LEEF' && event.process.pid === undefined) delete event.process;
  return { event };
}

/**
 * IBM QRadar Log Event Extended Format 1.0 and 2.0 (with its custom delimiter): the header gives
 * `observer.vendor/product/version` and `event.code`; the predefined keys map to ECS (src, dst,
 * srcPort, dstPort, srcMAC/dstMAC, srcBytes/dstBytes, usrName, proto, sev, cat → rule.category as
 * in CEF, devTime, url, action), every other key to `labels` (at most 50).
 */
export const leefParser: Parser = {
  id: 'leef',
  description: 'IBM LEEF 1.0 and 2.0, any vendor',
  // Not routed by program `LEEF` (what a BSD header makes of the marker) so vendor parsers go first.
  programs: [],
  timeResolution:
    'devTime (else the syslog header or receive time): epoch ms, RFC 3339, or the default devTimeFormat "MMM dd yyyy HH:mm:ss[.SSS] [zone]" read in the source time zone unless a zone follows.',
  matches(context) {
    return context.text.includes('LEEF:') || context.syslog?.appName === 'LEEF';
  },
  parse: parseLeef,
};
