/**
 * The ECS event for a record before any vendor parser exists: the syslog header mapped to
 * `log.syslog.*`, `host.*` and `process.*`, the message kept whole. The pipeline sets `event.id`.
 */
import type { EcsEvent } from '../../core/ecs/event.js';
import { ECS_VERSION } from '../../core/ecs/event.js';
import type { RawRecord } from '../../core/ingest/record.js';
import type { SyslogMessage } from './parse.js';
import { toIso } from './timestamp.js';

/** The tag on an event whose record was cut to the configured maximum size. */
export const TRUNCATED_TAG = '_watchpost_truncated';

/** Facility names by code (RFC 5424 §6.2.1), spelled as ECS `log.syslog.facility.name` examples do. */
export const FACILITY_NAMES: readonly string[] = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'security', 'console',
  'solaris-cron', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
];

/** Severity names by code (RFC 5424 §6.2.1), spelled as ECS `log.syslog.severity.name` examples do. */
export const SEVERITY_NAMES: readonly string[] = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'debug'];

/** The address part of a peer `ip:port` or `[v6]:port` (a bare address is returned as is). */
export function peerAddress(peer: string): string {
  if (peer.startsWith('[')) {
    const close = peer.indexOf(']');
    return close > 0 ? peer.slice(1, close) : peer;
  }
  const colon = peer.lastIndexOf(':');
  // More than one colon without brackets is a bare IPv6 address, not address:port.
  if (colon < 0 || peer.indexOf(':') !== colon) return peer;
  return peer.slice(0, colon);
}

function isoOf(ms: number): string {
  const iso = toIso(ms);
  if (iso !== undefined) return iso;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? new Date(0).toISOString() : date.toISOString();
}

/** The fields every event from a record has, whatever its format. */
function baseEvent(record: RawRecord, message: string, timestamp: string | undefined): EcsEvent {
  const created = isoOf(record.receivedAt);
  const event: EcsEvent = {
    '@timestamp': timestamp ?? created,
    message,
    ecs: { version: ECS_VERSION },
    event: { kind: 'event', original: record.data.toString('utf8'), created },
    watchpost: {
      input: {
        id: record.sourceId,
        transport: record.transport,
        ...(record.peer === undefined ? {} : { peer: record.peer }),
        ...(record.listener === undefined ? {} : { listener: record.listener }),
      },
      ...(record.truncated === true ? { parse: { truncated: true } } : {}),
    },
  };
  if (record.truncated === true) event.tags = [TRUNCATED_TAG];
  const log: NonNullable<EcsEvent['log']> = {};
  // The sender is where the log came from, not the network source of the activity it describes,
  // so it goes to log.source.address and never to source.ip.
  if (record.peer !== undefined) log.source = { address: peerAddress(record.peer) };
  if (record.file !== undefined) log.file = { path: record.file };
  if (record.offset !== undefined) log.offset = record.offset;
  if (Object.keys(log).length > 0) event.log = log;
  return event;
}

/** A process id as a number when it is one (`8710`), else undefined (`-`, `worker-3`). */
function numericPid(procId: string | undefined): number | undefined {
  if (procId === undefined || procId.length === 0 || procId.length > 10) return undefined;
  for (let i = 0; i < procId.length; i++) {
    const code = procId.charCodeAt(i);
    if (code < 48 || code > 57) return undefined;
  }
  const pid = Number(procId);
  return pid <= 2_147_483_647 ? pid : undefined;
}

/**
 * The ECS event for a syslog record: @timestamp from the message (else the receive time), the
 * header in `log.syslog.*`, `host.*` from the syslog hostname (else the sender's address).
 */
export function syslogEvent(record: RawRecord, message: SyslogMessage): EcsEvent {
  const event = baseEvent(record, message.message, message.timestamp);
  const syslog: NonNullable<NonNullable<EcsEvent['log']>['syslog']> = {};
  if (message.priority !== undefined) syslog.priority = message.priority;
  if (message.facility !== undefined) syslog.facility = { code: message.facility, ...nameOf(FACILITY_NAMES, message.facility) };
  if (message.severity !== undefined) syslog.severity = { code: message.severity, ...nameOf(SEVERITY_NAMES, message.severity) };
  if (message.hostname !== undefined) syslog.hostname = message.hostname;
  if (message.appName !== undefined) syslog.appname = message.appName;
  if (message.procId !== undefined) syslog.procid = message.procId;
  if (message.msgId !== undefined) syslog.msgid = message.msgId;
  if (message.version !== undefined) syslog.version = String(message.version);
  if (message.structuredData !== undefined) {
    const copy: Record<string, Record<string, string>> = {};
    for (const [id, params] of Object.entries(message.structuredData)) {
      Object.defineProperty(copy, id, { value: { ...params }, enumerable: true, writable: true, configurable: true });
    }
    syslog.structured_data = copy;
  }
  const log = event.log ?? {};
  if (Object.keys(syslog).length > 0) log.syslog = syslog;
  const level = message.severity === undefined ? undefined : SEVERITY_NAMES[message.severity];
  if (level !== undefined) log.level = level;
  if (Object.keys(log).length > 0) event.log = log;

  const host = message.hostname ?? (record.peer === undefined ? undefined : peerAddress(record.peer));
  if (host !== undefined) event.host = { hostname: host, name: host };
  if (message.hostname !== undefined) event.observer = { hostname: message.hostname };
  if (message.anomalies.length > 0) {
    event.watchpost = { ...event.watchpost, parse: { ...event.watchpost?.parse, anomalies: [...message.anomalies] } };
  }
  const pid = numericPid(message.procId);
  if (message.appName !== undefined || pid !== undefined) {
    event.process = { ...(message.appName === undefined ? {} : { name: message.appName }), ...(pid === undefined ? {} : { pid }) };
  }
  return event;
}

function nameOf(names: readonly string[], code: number): { name?: string } {
  const name = names[code];
  return name === undefined ? {} : { name };
}

/**
 * The ECS event for a record that is not syslog (a plain file line): the text as message, the
 * receive time as @timestamp, and where it was read (`log.file.path`, `log.offset`).
 */
export function plainEvent(record: RawRecord, text: string): EcsEvent {
  return baseEvent(record, text, undefined);
}
