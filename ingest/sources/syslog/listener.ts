import type { SyslogListenerConfig } from '../../../core/config/ingest.js';
import { OperationalError } from '../../../core/errors.js';
import type { SourceContext } from '../../source.js';

/** The address a syslog listener actually bound (the port is known even when 0 was asked). */
export interface SyslogListenerAddress {
  /** The bound IP, as the socket reports it (`127.0.0.1`, `::1`). */
  readonly host: string;
  readonly port: number;
  /** `host:port` (`[v6]:port`), as recorded in every record's `listener`. */
  readonly listener: string;
}

/** What the UDP and TCP/TLS runners receive from the source. */
export interface ListenerRun {
  readonly config: Readonly<SyslogListenerConfig>;
  readonly context: SourceContext;
  /** Called once, when the socket is bound. */
  readonly onListening: (address: SyslogListenerAddress) => void;
}

/** Most records in one batch handed to emit. */
export const BATCH_MAX_RECORDS = 1000;
/** Most bytes in one batch (a connection of 64 KiB frames still batches ~16 of them). */
export const BATCH_MAX_BYTES = 1024 * 1024;
/** Longest a record waits for its batch to fill. */
export const BATCH_MAX_DELAY_MS = 20;

/** Wraps a bind failure (EADDRINUSE, EACCES, EADDRNOTAVAIL) for the supervisor, which retries. */
export function listenError(config: Readonly<SyslogListenerConfig>, error: unknown): OperationalError {
  const code = (error as NodeJS.ErrnoException).code;
  return new OperationalError('WATCHPOST_ERR_SOURCE_LISTEN', `syslog ${config.protocol} listener ${config.id} cannot listen on ${config.listen}: ${(error as Error).message}`, {
    cause: error,
    details: { source: config.id, listen: config.listen, protocol: config.protocol, ...(code ? { errno: code } : {}) },
  });
}

/** The time zone for a sender: its own, if configured, else the listener's. */
export function timezoneFor(config: Readonly<SyslogListenerConfig>, ip: string): string {
  return (Object.hasOwn(config.timezones, ip) ? config.timezones[ip] : undefined) ?? config.timezone;
}
