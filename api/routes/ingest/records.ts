import type { RawRecord } from '../../../core/ingest/record.js';
import { mapMonitorAlert } from './monitors.js';

/** Longest client event id used as a record key (the event store's limit on `event.id`). */
export const MAX_CLIENT_ID_LENGTH = 512;

/** Where an HTTP request came from and who sent it. */
export interface RequestOrigin {
  /** The principal id (`token:<id>`): namespaces client ids so clients cannot collide. */
  readonly principalId: string;
  readonly receivedAt: number;
  readonly peer?: string;
  readonly listener?: string;
}

/**
 * The client's own id for an event: ECS `event.id`, nested or as a dotted key, when it is a
 * non-empty string; undefined otherwise (the pipeline then derives the id itself).
 */
export function clientEventId(object: Readonly<Record<string, unknown>>): string | undefined {
  const event = object.event;
  const nested = typeof event === 'object' && event !== null && !Array.isArray(event) ? (event as Record<string, unknown>).id : undefined;
  const id = typeof nested === 'string' ? nested : object['event.id'];
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}

/**
 * The raw record of one posted event. A monitor's alert (Zabbix, Nagios) is mapped to an ECS
 * alert here, so the pipeline stores it as given; anything else is passed on as sent. The key is
 * the client's event id prefixed by the principal, so a replayed request lands on the same events
 * and no client can overwrite or shadow another's.
 */
export function recordOf(object: Readonly<Record<string, unknown>>, text: Buffer, origin: RequestOrigin): RawRecord {
  const original = text.toString('utf8');
  const clientId = clientEventId(object);
  return {
    sourceId: 'http',
    transport: 'http',
    // A copy: a view would keep the whole request body alive for as long as any record lives.
    data: Buffer.from(text),
    receivedAt: origin.receivedAt,
    ...(origin.peer !== undefined ? { peer: origin.peer } : {}),
    ...(origin.listener !== undefined ? { listener: origin.listener } : {}),
    ...(clientId !== undefined ? { key: `${origin.principalId}:${clientId}` } : {}),
    event: mapMonitorAlert(object, original) ?? object,
  };
}

/** `ip:port`, with an IPv6 address in brackets, as records name peers and listeners. */
export function formatAddress(address: string | undefined, port: number | undefined): string | undefined {
  if (address === undefined) return undefined;
  const host = address.includes(':') ? `[${address}]` : address;
  return port === undefined ? host : `${host}:${port}`;
}
