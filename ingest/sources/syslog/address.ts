import { UserError } from '../../../core/errors.js';

/** A listen address split into host and port. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Splits `host:port` or `[v6]:port` (the config's HostPort form) into its parts. */
export function parseListen(listen: string): HostPort {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):([0-9]{1,5})$/.exec(listen);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    throw new UserError('WATCHPOST_ERR_SOURCE_CONFIG', `cannot parse listen address ${listen}`, { details: { listen } });
  }
  return { host: match[1] ?? match[2] ?? '', port };
}

/**
 * The sender's IP as operators write it: an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, what a
 * dual-stack socket reports for an IPv4 peer) becomes the plain IPv4 address, so per-sender
 * time zones and peer fields use one spelling.
 */
export function normalizeIp(ip: string): string {
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip) ? ip.slice(7) : ip;
}

/** Formats `ip:port`, bracketing IPv6 (`[2001:db8::1]:514`). */
export function formatAddress(ip: string, port: number): string {
  const normalized = normalizeIp(ip);
  return normalized.includes(':') ? `[${normalized}]:${port}` : `${normalized}:${port}`;
}
