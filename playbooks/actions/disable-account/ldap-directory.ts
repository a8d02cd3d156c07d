/**
 * What the ldap and active-directory drivers share: the connection settings, one bound session
 * per operation, finding the one entry an account names, and turning LDAP failures into the
 * driver error codes (retry when the server is down or slow, never when it said no).
 *
 * A session per operation (connect, bind, work, unbind) rather than a pooled connection: a step
 * touches a directory a handful of times a day, and a fresh bind means a changed password or a
 * restarted server never leaves a stale connection behind.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Type } from '@sinclair/typebox';
import { Client, ResultCodeError, SizeLimitExceededError, type Change, type Entry } from 'ldapts';
import { OperationalError, UserError, type WatchpostError } from '../../../core/errors.js';
import type { Logger } from '../../../core/log.js';
import { accountFilter, checkFilterTemplate } from './ldap-filter.js';

/** The largest CA bundle read from `tls.caFile`. */
const MAX_CA_BYTES = 1024 * 1024;

/** Connection settings of both LDAP drivers (each adds its own `userFilter` default and mode). */
export const LDAP_CONNECTION_SETTINGS = {
  url: Type.String({ pattern: '^ldaps?://[^\\s/]+/?$', maxLength: 500, description: 'ldap://host:port or ldaps://host:port.' }),
  startTls: Type.Optional(Type.Boolean({ default: false, description: 'Upgrade an ldap:// connection with StartTLS before binding.' })),
  tls: Type.Optional(
    Type.Object(
      {
        caFile: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: "PEM file of the CA(s) that sign the server's certificate." })),
        rejectUnauthorized: Type.Optional(Type.Boolean({ default: true, description: 'Refuse a server certificate that does not verify.' })),
        serverName: Type.Optional(Type.String({ minLength: 1, maxLength: 253, description: "The name the server's certificate must carry, when not the URL's host." })),
      },
      { additionalProperties: false },
    ),
  ),
  bindDn: Type.String({ minLength: 1, maxLength: 1000, description: 'The service account the driver binds as.' }),
  baseDn: Type.String({ minLength: 1, maxLength: 1000, description: 'Where accounts are searched (subtree).' }),
  connectTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 120_000, default: 5000 })),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 300_000, default: 10_000, description: 'Time limit of each LDAP operation.' })),
} as const;

/** Credentials of both LDAP drivers. */
export const LdapCredentials = Type.Object(
  { bindPassword: Type.String({ minLength: 1, maxLength: 8192, description: 'The password of bindDn.' }) },
  { additionalProperties: false },
);

/** The connection part of an LDAP driver's settings, after the schema. */
export interface LdapConnectionSettings {
  readonly url: string;
  readonly startTls?: boolean;
  readonly tls?: { readonly caFile?: string; readonly rejectUnauthorized?: boolean; readonly serverName?: string };
  readonly bindDn: string;
  readonly baseDn: string;
  readonly userFilter: string;
  readonly connectTimeoutMs?: number;
  readonly timeoutMs?: number;
}

/** Result codes that mean the server is busy or down (RFC 4511 appendix A): retrying may help. */
const TRANSIENT_RESULT_CODES = new Set([3 /* timeLimitExceeded */, 11 /* adminLimitExceeded */, 51 /* busy */, 52 /* unavailable */, 80 /* other */]);

/** Node TLS error codes of a certificate that does not verify: a configuration problem, not an outage. */
const TLS_VERIFY_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_/;

/**
 * Maps a failure of an LDAP operation to a driver error: a result code the server chose
 * (invalid credentials 49, insufficient access 50, no such object 32, ...) is a refusal
 * (WATCHPOST_ERR_DRIVER_REJECTED) unless it says the server is busy or unavailable; a refused or
 * lost connection, a timeout or an abort is WATCHPOST_ERR_DRIVER_UNAVAILABLE (retried).
 */
export function ldapError(driverId: string, operation: string, error: unknown, signal?: AbortSignal): WatchpostError {
  if (error instanceof OperationalError || error instanceof UserError) return error;
  const message = error instanceof Error ? error.message.replace(/\s+/g, ' ').slice(0, 300) : String(error);
  if (signal?.aborted) return new OperationalError('WATCHPOST_ERR_DRIVER_UNAVAILABLE', `driver ${driverId}: ${operation} aborted (step timeout or shutdown)`, { cause: error });
  if (error instanceof ResultCodeError) {
    const text = `driver ${driverId}: ${operation} failed with LDAP result ${error.code} (${error.name}): ${message}`;
    return TRANSIENT_RESULT_CODES.has(error.code)
      ? new OperationalError('WATCHPOST_ERR_DRIVER_UNAVAILABLE', text, { cause: error, details: { resultCode: error.code } })
      : new UserError('WATCHPOST_ERR_DRIVER_REJECTED', text, { cause: error, details: { resultCode: error.code } });
  }
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && TLS_VERIFY_ERROR.test(code)) {
    return new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `driver ${driverId}: ${operation}: the server's certificate does not verify (${code})`, { cause: error });
  }
  return new OperationalError('WATCHPOST_ERR_DRIVER_UNAVAILABLE', `driver ${driverId}: ${operation} failed: ${message}`, { cause: error });
}

/** The LDAP result code of a failure: of an ldapts error, or of a driver error made from one. */
export function resultCodeOf(error: unknown): number | undefined {
  if (error instanceof ResultCodeError) return error.code;
  if (error instanceof UserError || error instanceof OperationalError) {
    const code = error.details.resultCode;
    return typeof code === 'number' ? code : undefined;
  }
  return undefined;
}

/** The values of attribute `name` on an entry, whatever case the server spelled it in. */
export function attributeValues(entry: Entry, name: string): string[] {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(entry)) {
    if (key === 'dn' || key.toLowerCase() !== wanted) continue;
    const values = Array.isArray(value) ? value : [value];
    return values.map((item) => (Buffer.isBuffer(item) ? item.toString('utf8') : item));
  }
  return [];
}

/** A directory an LDAP driver works on: bound sessions and account lookup. */
export class LdapDirectory {
  private readonly tlsOptions: ConnectionOptions;
  private readonly secure: boolean;

  constructor(
    private readonly driverId: string,
    private readonly settings: LdapConnectionSettings,
    private readonly bindPassword: string,
    logger: Logger,
  ) {
    this.secure = settings.url.startsWith('ldaps://');
    if (this.secure && settings.startTls) {
      throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `driver ${driverId}: startTls applies to ldap:// URLs; ldaps:// is TLS already`);
    }
    checkFilterTemplate(driverId, settings.userFilter);
    this.tlsOptions = { rejectUnauthorized: settings.tls?.rejectUnauthorized ?? true };
    if (settings.tls?.serverName) this.tlsOptions.servername = settings.tls.serverName;
    if (settings.tls?.caFile) this.tlsOptions.ca = readCaFile(driverId, settings.tls.caFile);
    if (!this.secure && !settings.startTls) {
      logger.warn({ driver: driverId }, 'LDAP driver binds without TLS: the bind password crosses the network in clear (set startTls or use ldaps://)');
    }
  }

  /**
   * Connects, optionally upgrades with StartTLS, binds as the service account, runs `work` and
   * unbinds. Aborting `signal` closes the connection, which fails the operation in flight.
   */
  async session<T>(signal: AbortSignal, work: (client: Client) => Promise<T>): Promise<T> {
    if (signal.aborted) throw ldapError(this.driverId, 'connect', signal.reason, signal);
    const client = new Client({
      url: this.settings.url,
      connectTimeout: this.settings.connectTimeoutMs ?? 5000,
      timeout: this.settings.timeoutMs ?? 10_000,
      ...(this.secure ? { tlsOptions: this.tlsOptions } : {}),
    });
    const onAbort = (): void => void client.unbind().catch(() => undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    let operation = 'connect';
    try {
      if (this.settings.startTls) {
        operation = 'StartTLS';
        await client.startTLS(this.tlsOptions);
      }
      operation = 'bind';
      await client.bind(this.settings.bindDn, this.bindPassword);
      operation = 'request';
      return await work(client);
    } catch (error) {
      throw ldapError(this.driverId, operation, error, signal);
    } finally {
      signal.removeEventListener('abort', onAbort);
      await client.unbind().catch(() => undefined);
    }
  }

  /**
   * Finds the one entry `account` names under baseDn with the escaped userFilter, reading
   * `attributes` (operational ones must be named). None → "no such account", more than one →
   * "ambiguous": both WATCHPOST_ERR_DRIVER_REJECTED, since acting on a guess is worse than not acting.
   */
  async findAccount(client: Client, account: string, attributes: readonly string[]): Promise<Entry> {
    const filter = accountFilter(this.settings.userFilter, account);
    let entries: Entry[];
    try {
      const result = await client.search(this.settings.baseDn, { scope: 'sub', filter, attributes: [...attributes], sizeLimit: 2, timeLimit: Math.ceil((this.settings.timeoutMs ?? 10_000) / 1000) });
      entries = result.searchEntries;
    } catch (error) {
      if (error instanceof SizeLimitExceededError) entries = [{ dn: '' }, { dn: '' }];
      else throw ldapError(this.driverId, 'search', error);
    }
    if (entries.length === 0) throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `driver ${this.driverId}: no such account ${JSON.stringify(account)} under ${this.settings.baseDn}`);
    if (entries.length > 1) throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `driver ${this.driverId}: account ${JSON.stringify(account)} is ambiguous: more than one entry matches under ${this.settings.baseDn}`);
    return entries[0] as Entry;
  }

  /** Applies `changes` to `dn` in one modify request (atomic per RFC 4511 section 4.6). */
  async modify(client: Client, dn: string, changes: Change[]): Promise<void> {
    try {
      await client.modify(dn, changes);
    } catch (error) {
      throw ldapError(this.driverId, 'modify', error);
    }
  }
}

function readCaFile(driverId: string, path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `driver ${driverId}: cannot read tls.caFile ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (text.length > MAX_CA_BYTES || !text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `driver ${driverId}: tls.caFile ${path} is not a PEM certificate bundle of at most 1 MiB`);
  }
  return text;
}
