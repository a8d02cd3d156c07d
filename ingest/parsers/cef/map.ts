import type { EcsEvent } from '../../../core/ecs/event.js';
import type { ParseContext } from '../parser.js';
import type { CefRecord } from './decode.js';
import { decodeCef } from './decode.js';
import { addRelated, setFileHash, setLabel, toCount, toIp, toOutcome, toPort, baseName } from './ecs-util.js';
import { parseDeviceTime } from './time.js';

/**
 * The CEF text of a record. A BSD syslog decoder reads `host CEF:0|...` as program `CEF` and
 * message `0|...`; the prefix is put back so the decoder sees the whole record.
 */
export function cefText(context: ParseContext): string {
  if (context.syslog?.appName === 'CEF' && !context.text.includes('CEF:')) return `CEF:${context.text.trimStart()}`;
  return context.text;
}

/** Decodes the record's CEF, or undefined. */
export function decodeContext(context: ParseContext): CefRecord | undefined {
  return decodeCef(cefText(context));
}

/** CEF severity 0-10, or the words some devices write instead. */
export function cefSeverity(value: string): number | undefined {
  if (/^\d{1,2}$/.test(value)) {
    const number = Number(value);
    return number <= 10 ? number : undefined;
  }
  switch (value.toLowerCase()) {
    case 'low': return 3;
    case 'medium': return 6;
    case 'high': return 8;
    case 'very-high': return 10;
    default: return undefined;
  }
}

// Keys the mapping below consumes; all others are kept in labels (bounded).
const MAPPED = new Set([
  'src', 'dst', 'spt', 'dpt', 'shost', 'dhost', 'smac', 'dmac', 'suser', 'duser', 'suid', 'duid', 'act', 'proto', 'app', 'in', 'out',
  'request', 'requestMethod', 'requestClientApplication', 'fname', 'filePath', 'fileHash', 'fsize', 'msg', 'rt', 'start', 'end',
  'deviceExternalId', 'dvchost', 'dvc', 'outcome', 'cat', 'deviceDirection',
  'cs1', 'cs2', 'cs3', 'cs4', 'cs5', 'cs6', 'cs1Label', 'cs2Label', 'cs3Label', 'cs4Label', 'cs5Label', 'cs6Label',
  'cn1', 'cn2', 'cn3', 'cn1Label', 'cn2Label', 'cn3Label',
]);

const CUSTOM = ['cs1', 'cs2', 'cs3', 'cs4', 'cs5', 'cs6', 'cn1', 'cn2', 'cn3'] as const;

/** How a vendor parser built on CEF adjusts the generic mapping. */
export interface CefMapOptions {
  /** Vendor keys the vendor parser maps itself: not copied to labels. */
  readonly consumed?: ReadonlySet<string>;
  /** The label name of an unmapped vendor key (`TrendMicroDsTenant` → `tenant`). */
  readonly labelName?: (key: string) => string;
}

function endpoint(event: EcsEvent, side: 'source' | 'destination'): NonNullable<EcsEvent['source']> {
  return (event[side] ??= {});
}

/**
 * The ECS event of a CEF record, following Elastic's `decode_cef` key mapping: the header gives
 * `observer.vendor/product/version`, `event.code` (signature id), `event.severity` and `message`
 * (the Name, replaced by `msg` when present); the extension keys map as Elastic maps them
 * (`in` → source.bytes, `out` → destination.bytes, `deviceExternalId` → observer.name). Choices of
 * our own: `cat` → `rule.category` (free text that `event.category` cannot hold), custom
 * strings/numbers → `labels.<their label>` (or `labels.cs1` when unlabelled), every other
 * unmapped key → `labels.<key>`, at most 50 labels.
 */
export function cefToEcs(record: CefRecord, context: ParseContext, dataset: string, options: CefMapOptions = {}): EcsEvent {
  const x = record.extensions;
  const event: EcsEvent = structuredClone(context.base);
  const get = (key: string): string | undefined => {
    const value = x.get(key);
    return value === undefined || value === '' ? undefined : value;
  };
  // The BSD decoder read the `CEF:` marker as the program name; it names no process.
  if (event.process?.name === 'CEF' && event.process.pid === undefined) delete event.process;
  const severity = cefSeverity(record.severity);
  const [module] = dataset.split('.');
  event.event = {
    ...event.event,
    kind: 'event',
    ...(record.signatureId === '' ? {} : { code: record.signatureId }),
    ...(severity === undefined ? {} : { severity }),
    dataset,
    ...(module === undefined ? {} : { module }),
  };
  const message = get('msg') ?? (record.name === '' ? undefined : record.name);
  if (message !== undefined) event.message = message;
  event.observer = {
    ...event.observer,
    ...(record.vendor === '' ? {} : { vendor: record.vendor }),
    ...(record.product === '' ? {} : { product: record.product }),
    ...(record.deviceVersion === '' ? {} : { version: record.deviceVersion }),
  };
  const dvchost = get('dvchost');
  if (dvchost !== undefined) event.observer.hostname = dvchost;
  const dvc = toIp(get('dvc'));
  if (dvc !== undefined) event.observer.ip = [dvc];
  const externalId = get('deviceExternalId');
  if (externalId !== undefined) event.observer.name = externalId;

  const timestamp = get('rt');
  const at = timestamp === undefined ? undefined : parseDeviceTime(timestamp, context.timezone, context.record.receivedAt);
  if (at !== undefined) event['@timestamp'] = at;
  const start = get('start');
  const startAt = start === undefined ? undefined : parseDeviceTime(start, context.timezone, context.record.receivedAt);
  if (startAt !== undefined) event.event.start = startAt;
  const end = get('end');
  const endAt = end === undefined ? undefined : parseDeviceTime(end, context.timezone, context.record.receivedAt);
  if (endAt !== undefined) event.event.end = endAt;

  for (const side of ['source', 'destination'] as const) {
    const s = side === 'source' ? 's' : 'd';
    const ip = toIp(get(`${s === 's' ? 'src' : 'dst'}`));
    const port = toPort(get(`${s}pt`));
    const host = get(`${s}host`);
    const mac = get(`${s}mac`);
    const user = get(`${s}user`);
    const uid = get(`${s}uid`);
    const bytes = toCount(get(side === 'source' ? 'in' : 'out'));
    if (ip === undefined && port === undefined && host === undefined && mac === undefined && user === undefined && uid === undefined && bytes === undefined) continue;
    const target = endpoint(event, side);
    if (ip !== undefined) target.ip = ip;
    if (port !== undefined) target.port = port;
    if (host !== undefined) target.domain = host;
    if (mac !== undefined) target.mac = mac;
    if (bytes !== undefined) target.bytes = bytes;
    if (user !== undefined || uid !== undefined) target.user = { ...(user === undefined ? {} : { name: user }), ...(uid === undefined ? {} : { id: uid }) };
    addRelated(event, 'ip', ip);
    addRelated(event, 'user', user);
    addRelated(event, 'hosts', host);
  }

  const action = get('act');
  if (action !== undefined) event.event.action = action;
  const outcome = toOutcome(get('outcome'));
  if (outcome !== undefined) event.event.outcome = outcome;
  const proto = get('proto');
  const app = get('app');
  const direction = get('deviceDirection');
  if (proto !== undefined || app !== undefined || direction === '0' || direction === '1') {
    event.network = {
      ...(proto === undefined ? {} : { transport: proto.toLowerCase() }),
      ...(app === undefined ? {} : { protocol: app.toLowerCase() }),
      ...(direction === '0' ? { direction: 'inbound' as const } : direction === '1' ? { direction: 'outbound' as const } : {}),
    };
  }
  const request = get('request');
  if (request !== undefined) event.url = { original: request };
  const method = get('requestMethod');
  if (method !== undefined) event.http = { request: { method } };
  const agent = get('requestClientApplication');
  if (agent !== undefined) event.user_agent = { original: agent };

  const fname = get('fname');
  const filePath = get('filePath');
  const fsize = toCount(get('fsize'));
  if (fname !== undefined || filePath !== undefined || fsize !== undefined) {
    const name = fname ?? (filePath === undefined ? undefined : baseName(filePath));
    event.file = {
      ...(filePath === undefined ? {} : { path: filePath }),
      ...(name === undefined || name === '' ? {} : { name }),
      ...(fsize === undefined ? {} : { size: fsize }),
    };
  }
  setFileHash(event, get('fileHash'));
  const category = get('cat');
  if (category !== undefined) event.rule = { ...event.rule, category };

  for (const key of CUSTOM) {
    const value = get(key);
    if (value === undefined) continue;
    setLabel(event, get(`${key}Label`) ?? key, value);
  }
  for (const [key, value] of x) {
    if (!MAPPED.has(key) && value !== '' && options.consumed?.has(key) !== true) setLabel(event, options.labelName?.(key) ?? key, value);
  }
  return event;
}

/** Decodes and maps the record as generic CEF under `dataset`, or gives the failure reason. */
export function parseCef(context: ParseContext, dataset: string): { event: EcsEvent } | { failure: string } {
  const record = decodeContext(context);
  return record === undefined ? { failure: 'no_match' } : { event: cefToEcs(record, context, dataset) };
}
