import type { EcsEvent } from '../../../core/ecs/event.js';
import { parseDeviceTime } from '../cef/time.js';
import type { Parser, ParseContext, ParseResult } from '../parser.js';

/** The top-level ECS field sets a JSON line may carry and we keep as given. */
const ECS_ROOTS = new Set([
  'message', 'tags', 'labels', 'event', 'source', 'destination', 'client', 'server', 'network', 'observer', 'host', 'user', 'group',
  'process', 'file', 'url', 'http', 'user_agent', 'dns', 'rule', 'threat', 'log', 'error', 'related', 'service',
]);
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_DEPTH = 8;

/** The object on a JSON line, or undefined when the line is not one JSON object. */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Deep-merges `from` into `into` (objects merge, anything else replaces), skipping prototype keys. */
function merge(into: Record<string, unknown>, from: Record<string, unknown>, depth: number): void {
  for (const [key, value] of Object.entries(from)) {
    if (FORBIDDEN.has(key)) continue;
    const current = Object.prototype.hasOwnProperty.call(into, key) ? into[key] : undefined;
    if (isPlainObject(value) && depth < MAX_DEPTH) {
      const target: Record<string, unknown> = isPlainObject(current) ? current : {};
      if (target !== current) define(into, key, target);
      merge(target, value, depth + 1);
    } else {
      define(into, key, structuredClone(value));
    }
  }
}

/** `{"source.ip": "1.2.3.4"}` → `{source: {ip: "1.2.3.4"}}`; nested objects are expanded too. */
function expandDotted(object: Record<string, unknown>, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    const path = key.split('.');
    if (path.some((part) => part === '' || FORBIDDEN.has(part))) continue;
    const expanded = isPlainObject(value) && depth < MAX_DEPTH ? expandDotted(value, depth + 1) : value;
    let node = out;
    for (const part of path.slice(0, -1)) {
      const next = Object.prototype.hasOwnProperty.call(node, part) ? node[part] : undefined;
      if (isPlainObject(next)) node = next;
      else {
        const created: Record<string, unknown> = {};
        define(node, part, created);
        node = created;
      }
    }
    const last = path[path.length - 1] as string;
    const existing = Object.prototype.hasOwnProperty.call(node, last) ? node[last] : undefined;
    if (isPlainObject(existing) && isPlainObject(expanded)) merge(existing, expanded, depth + 1);
    else define(node, last, expanded);
  }
  return out;
}

function timestampOf(value: unknown, context: ParseContext): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return parseDeviceTime(String(Math.trunc(value)), context.timezone, context.record.receivedAt);
  return typeof value === 'string' && value.length <= 64 ? parseDeviceTime(value, context.timezone, context.record.receivedAt) : undefined;
}

function parseJson(context: ParseContext): ParseResult {
  const object = parseJsonObject(context.text);
  if (object === undefined) return { failure: 'no_match' };
  const doc = expandDotted(object);
  const event = structuredClone(context.base) as EcsEvent & Record<string, unknown>;
  const ecsShaped = '@timestamp' in doc || 'ecs' in doc || Object.keys(doc).some((key) => ECS_ROOTS.has(key) && key !== 'message');
  if (ecsShaped) {
    const kept: Record<string, unknown> = {};
    for (const key of Object.keys(doc)) if (ECS_ROOTS.has(key)) define(kept, key, doc[key]);
    // The transport's own record of the line stays authoritative.
    if (isPlainObject(kept.event)) {
      delete kept.event.original;
      delete kept.event.id;
    }
    if (isPlainObject(kept.log)) delete kept.log.syslog;
    merge(event, kept, 0);
  } else {
    const text = doc.message ?? doc.msg;
    if (typeof text === 'string') event.message = text;
  }
  const at = timestampOf(doc['@timestamp'] ?? doc.timestamp ?? doc.time ?? doc.ts, context);
  if (at !== undefined) event['@timestamp'] = at;
  const e = (event.event ??= {});
  e.kind ??= 'event';
  e.dataset ??= 'json.log';
  e.module ??= 'json';
  return { event };
}

/**
 * One JSON object per line. ECS-shaped documents (an `@timestamp`, `ecs` or any ECS field set,
 * nested or with dotted keys) are kept as given, merged over the transport's event (its
 * `event.original`, `log.syslog` and Watchpost fields win); other JSON keeps its `message`/`msg`
 * as the message and the rest only in `event.original`. `@timestamp` (else `timestamp`, `time`, `ts`)
 * sets the event time when it parses.
 */
export const jsonParser: Parser = {
  id: 'json',
  description: 'JSON lines (ECS-shaped or any object)',
  programs: [],
  timeResolution:
    '@timestamp, else timestamp or time: RFC 3339 with its offset, epoch ms or s, or a zone-less date read in the source time zone; else the syslog header or receive time.',
  matches(context) {
    const text = context.text;
    return (text.charCodeAt(0) === 123 || (text.charCodeAt(0) === 32 && text.trimStart().startsWith('{'))) && text.trimEnd().endsWith('}');
  },
  parse: parseJson,
};
