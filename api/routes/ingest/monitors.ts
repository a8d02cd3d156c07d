import { isIP } from 'node:net';
import { ECS_VERSION, type EcsEvent } from '../../../core/ecs/event.js';

/**
 * Alerts from monitoring systems posted to HTTP ingest, recognised by their field names and mapped
 * to ECS alerts (`event.kind: alert`). Monitors send whatever their notification script or
 * webhook template builds, so detection asks for a combination of fields no ECS event has at its
 * top level, and mapping reads each field under the names the common templates use.
 * Pure functions: no clock, no I/O.
 */

/** The monitors recognised. */
export type MonitorModule = 'zabbix' | 'nagios';

/** An alert mapped to ECS; `@timestamp` only when the monitor sent one (else the pipeline sets it). */
export type MonitorAlert = Omit<EcsEvent, '@timestamp'> & {
  '@timestamp'?: string;
  /** ECS `service.name`: the Nagios/Icinga service the notification is about. */
  service?: { name: string };
};

type Fields = Readonly<Record<string, unknown>>;

/** The first of `names` holding a non-empty string or a finite number, as a trimmed string. */
function pick(object: Fields, names: readonly string[]): string | undefined {
  for (const name of names) {
    if (!Object.hasOwn(object, name)) continue;
    const value = object[name];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  }
  return undefined;
}

const ZABBIX = {
  eventId: ['event_id', 'eventid', 'eventId'],
  trigger: ['trigger_name', 'trigger', 'event_name', 'triggerName'],
  triggerId: ['trigger_id', 'triggerid', 'triggerId'],
  host: ['host', 'hostname', 'host_name', 'hostName'],
  hostIp: ['host_ip', 'hostip', 'host_address'],
  severity: ['severity', 'event_severity', 'event_nseverity', 'nseverity'],
  status: ['status', 'event_status', 'trigger_status'],
  message: ['message', 'alert_message', 'event_message', 'subject'],
} as const;

const NAGIOS = {
  host: ['HOSTNAME', 'host_name', 'HOSTDISPLAYNAME', 'hostname'],
  hostAddress: ['HOSTADDRESS', 'host_address'],
  service: ['SERVICEDESC', 'service_description', 'SERVICENAME', 'SERVICEDISPLAYNAME', 'service_name'],
  serviceState: ['SERVICESTATE', 'service_state'],
  hostState: ['HOSTSTATE', 'host_state'],
  state: ['state', 'STATE'],
  notificationType: ['NOTIFICATIONTYPE', 'notification_type'],
  output: ['OUTPUT', 'SERVICEOUTPUT', 'HOSTOUTPUT', 'output', 'service_output', 'host_output', 'plugin_output'],
  epochSeconds: ['TIMET', 'timet', 'timestamp'],
} as const;

/** Zabbix severities by name, as Zabbix numbers them (0 not classified .. 5 disaster). */
const ZABBIX_SEVERITY: Readonly<Record<string, number>> = {
  'not classified': 0,
  information: 1,
  informational: 1,
  info: 1,
  warning: 2,
  average: 3,
  high: 4,
  disaster: 5,
};

/** Nagios service states by name, as plugins return them. */
const NAGIOS_SERVICE_STATE: Readonly<Record<string, number>> = { ok: 0, warning: 1, critical: 2, unknown: 3 };

/** Nagios host states by name. */
const NAGIOS_HOST_STATE: Readonly<Record<string, number>> = { up: 0, down: 1, unreachable: 2 };

/** Which monitor sent this object, or undefined for anything else (an ECS event, an agent's record). */
export function detectMonitor(object: Fields): MonitorModule | undefined {
  const has = (names: readonly string[]): boolean => pick(object, names) !== undefined;
  if (has(ZABBIX.eventId) && has(ZABBIX.trigger) && has(ZABBIX.host) && (has(ZABBIX.severity) || has(ZABBIX.status))) return 'zabbix';
  const state = has(NAGIOS.serviceState) || has(NAGIOS.hostState) || has(NAGIOS.state);
  if (has(NAGIOS.host) && (has(NAGIOS.notificationType) || (state && (has(NAGIOS.service) || has(NAGIOS.output))))) return 'nagios';
  return undefined;
}

/** The numeric severity of a state or severity: a number as sent, a known name by `table`. */
function numericSeverity(value: string | undefined, table: Readonly<Record<string, number>>): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d{1,2}$/.test(value)) return Number(value);
  return table[value.toLowerCase()];
}

function hostOf(name: string | undefined, address: string | undefined): MonitorAlert['host'] {
  const ip = address !== undefined && isIP(address) !== 0 ? [address] : undefined;
  if (name === undefined && ip === undefined) return undefined;
  return { ...(name !== undefined ? { name } : {}), ...(ip ? { ip } : {}) };
}

/** The user-supplied `@timestamp`, when it is a string: kept as the monitor sent it. */
function timestampOf(object: Fields): string | undefined {
  const value = object['@timestamp'];
  return typeof value === 'string' ? value : undefined;
}

/**
 * A Zabbix webhook alert as ECS: `rule.name` is the trigger, `event.severity` Zabbix's 0-5 scale,
 * `event.action` the status (`problem`, `resolved`, `update`). `original` is the JSON as received.
 */
export function mapZabbixAlert(object: Fields, original: string): MonitorAlert {
  const host = pick(object, ZABBIX.host);
  const trigger = pick(object, ZABBIX.trigger);
  const status = pick(object, ZABBIX.status);
  // Zabbix's `event_value` is 1 for a problem and 0 for its recovery when no status text is sent.
  const action = status?.toLowerCase() ?? { '1': 'problem', '0': 'resolved' }[pick(object, ['event_value']) ?? ''];
  const severity = numericSeverity(pick(object, ZABBIX.severity), ZABBIX_SEVERITY);
  const eventId = pick(object, ZABBIX.eventId);
  const triggerId = pick(object, ZABBIX.triggerId);
  const message = pick(object, ZABBIX.message) ?? [status, trigger, host ? `on ${host}` : undefined].filter(Boolean).join(' ');
  const timestamp = timestampOf(object);
  const hostEcs = hostOf(host, pick(object, ZABBIX.hostIp));
  return {
    ...(timestamp !== undefined ? { '@timestamp': timestamp } : {}),
    message,
    ecs: { version: ECS_VERSION },
    event: {
      kind: 'alert',
      module: 'zabbix',
      dataset: 'zabbix.alert',
      ...(action !== undefined ? { action } : {}),
      ...(severity !== undefined ? { severity } : {}),
      ...(eventId !== undefined ? { code: eventId } : {}),
      original,
    },
    ...(hostEcs ? { host: hostEcs } : {}),
    rule: { ...(trigger !== undefined ? { name: trigger } : {}), ...(triggerId !== undefined ? { id: triggerId } : {}), ruleset: 'zabbix' },
    observer: { vendor: 'Zabbix', product: 'Zabbix', type: 'monitoring' },
  };
}

/**
 * A Nagios or Icinga notification as ECS: `rule.name` is the service (or `host check` for a host
 * notification), `event.severity` the plugin state (service 0 OK, 1 WARNING, 2 CRITICAL,
 * 3 UNKNOWN; host 0 UP, 1 DOWN, 2 UNREACHABLE), `event.action` the notification type.
 */
export function mapNagiosNotification(object: Fields, original: string): MonitorAlert {
  const host = pick(object, NAGIOS.host);
  const service = pick(object, NAGIOS.service);
  const state =
    service !== undefined
      ? (pick(object, NAGIOS.serviceState) ?? pick(object, NAGIOS.state) ?? pick(object, NAGIOS.hostState))
      : (pick(object, NAGIOS.hostState) ?? pick(object, NAGIOS.state) ?? pick(object, NAGIOS.serviceState));
  const notificationType = pick(object, NAGIOS.notificationType);
  const output = pick(object, NAGIOS.output);
  const severity = numericSeverity(state, service === undefined ? NAGIOS_HOST_STATE : NAGIOS_SERVICE_STATE);
  const subject = service !== undefined ? `${host ?? '?'}/${service}` : (host ?? '?');
  const message = `${notificationType !== undefined ? `${notificationType}: ` : ''}${subject}${state !== undefined ? ` is ${state}` : ''}${output !== undefined ? `: ${output}` : ''}`;
  const seconds = pick(object, NAGIOS.epochSeconds);
  const timestamp = timestampOf(object) ?? (seconds !== undefined && /^\d{9,11}$/.test(seconds) ? new Date(Number(seconds) * 1000).toISOString() : undefined);
  const hostEcs = hostOf(host, pick(object, NAGIOS.hostAddress));
  return {
    ...(timestamp !== undefined ? { '@timestamp': timestamp } : {}),
    message,
    ecs: { version: ECS_VERSION },
    event: {
      kind: 'alert',
      module: 'nagios',
      dataset: 'nagios.notification',
      ...(notificationType !== undefined ? { action: notificationType.toLowerCase() } : {}),
      ...(severity !== undefined ? { severity } : {}),
      original,
    },
    ...(hostEcs ? { host: hostEcs } : {}),
    ...(service !== undefined ? { service: { name: service } } : {}),
    rule: { name: service ?? 'host check', ruleset: 'nagios' },
    // Nagios or one of its forks (Icinga, Naemon): the payload does not say which.
    observer: { type: 'monitoring' },
  };
}

/** The object mapped to an ECS alert when a monitor sent it, or undefined to store it as sent. */
export function mapMonitorAlert(object: Fields, original: string): MonitorAlert | undefined {
  switch (detectMonitor(object)) {
    case 'zabbix':
      return mapZabbixAlert(object, original);
    case 'nagios':
      return mapNagiosNotification(object, original);
    case undefined:
      return undefined;
  }
}
