import type { EcsEvent } from './api';

/** Common ECS fields offered before any result is in (and alongside the fields of the results). */
export const COMMON_FIELDS: readonly string[] = [
  '@timestamp',
  'message',
  'event.original',
  'event.action',
  'event.category',
  'event.code',
  'event.dataset',
  'event.kind',
  'event.module',
  'event.outcome',
  'event.type',
  'event.severity',
  'source.ip',
  'source.port',
  'source.geo.country_iso_code',
  'source.user.name',
  'destination.ip',
  'destination.port',
  'destination.domain',
  'network.protocol',
  'network.transport',
  'user.name',
  'user.domain',
  'host.name',
  'host.ip',
  'observer.name',
  'observer.vendor',
  'observer.product',
  'process.name',
  'process.command_line',
  'file.path',
  'file.hash.sha256',
  'url.full',
  'url.domain',
  'http.request.method',
  'http.response.status_code',
  'user_agent.original',
  'rule.name',
  'tags',
  'log.syslog.hostname',
  'log.syslog.appname',
];

/** The fields shown as columns of the results when present, after time and message. */
export const KEY_FIELDS: readonly string[] = ['event.action', 'event.outcome', 'source.ip', 'destination.ip', 'destination.port', 'user.name', 'host.name'];

/** An event's leaves by dotted name (`source.ip`); arrays stay values. */
export function flatten(event: EcsEvent, prefix = '', into: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [key, value] of Object.entries(event)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) flatten(value as EcsEvent, name, into);
    else into[name] = value;
  }
  return into;
}

/** A leaf as text: strings as they are, the rest as JSON. */
export function textOf(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Every field of the rows, sorted, for suggestions, statistics and the CSV's columns. */
export function fieldsOf(rows: readonly Record<string, unknown>[]): string[] {
  const names = new Set<string>();
  for (const row of rows) for (const name of Object.keys(row)) names.add(name);
  return [...names].sort();
}
