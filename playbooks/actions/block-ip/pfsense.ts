/**
 * block-ip / unblock-ip on pfSense through the REST API package (pfSense-pkg-RESTAPI, pfrest.org,
 * API v2): the address is added to (removed from) a firewall alias that the operator's block rule
 * references, and the firewall is reloaded.
 *
 * Setup on the firewall: install the package, create an API key for a user allowed the
 * firewall/alias and firewall/apply endpoints, create an alias of type `host` (single addresses
 * only) or `network` (addresses and prefixes), and a block rule (WAN, source = the alias) above
 * the pass rules.
 *
 * The calls: `GET /api/v2/firewall/aliases?name=<alias>` (the plural endpoint takes field queries)
 * to read the alias with its `id`, `address` and `detail` arrays; `PATCH /api/v2/firewall/alias`
 * with the id, the name and the whole new `address` and `detail` arrays; `POST
 * /api/v2/firewall/apply` to reload the rules. The API key goes in `X-API-Key`.
 *
 * Alias ids are array positions: if an alias is deleted between the read and the write, the id may
 * name another alias. The PATCH therefore repeats the alias name, so pfSense refuses it (names are
 * unique) instead of renaming the other alias. Two concurrent writes may lose one entry: the API
 * has no revisions; verify after execute and the runner's reconcile put a lost entry back.
 *
 * Alias entries have no per-entry TTL: the block's expiry is the runner's `block-expiry` job,
 * which runs unblock-ip through this driver (and reconcile catches a lost job).
 *
 * Apply runs on every execute, changed or not: a first attempt may have written the alias and
 * failed before the apply, and its retry must still reload the rules.
 */
import { Type, type Static } from '@sinclair/typebox';
import { UserError } from '../../../core/errors.js';
import { parseAddress, type ParsedAddress } from '../address.js';
import type { BlockIpInput, UnblockIpInput } from '../definitions.js';
import { createHttpClient, HttpUrl, joinUrl, TimeoutSetting, TlsSettings, type HttpClient } from '../http.js';
import type { ActionId, Driver, DriverContext, DriverType } from '../types.js';

export const PfsenseSettings = Type.Object(
  {
    /** The firewall's web interface, e.g. `https://fw.example.net`. */
    url: HttpUrl,
    /** The alias the block rule references (pfSense alias names: letters, digits, `_`, at most 31). */
    alias: Type.String({ pattern: '^[A-Za-z0-9_]{1,31}$' }),
    /** Reload the firewall rules after a change (POST /api/v2/firewall/apply). @defaultValue true */
    apply: Type.Boolean({ default: true }),
    timeoutMs: TimeoutSetting,
    tls: TlsSettings,
  },
  { additionalProperties: false },
);
export type PfsenseSettings = Static<typeof PfsenseSettings>;

export const PfsenseCredentials = Type.Object({ apiKey: Type.String({ minLength: 8, maxLength: 512 }) }, { additionalProperties: false });
export type PfsenseCredentials = Static<typeof PfsenseCredentials>;

/** The alias as the API returns it (fields Watchpost uses). */
interface PfsenseAlias {
  readonly id: number;
  readonly name: string;
  readonly type: string;
  readonly address: string[];
  readonly detail: string[];
}

interface Envelope<T> {
  readonly data?: T;
}

/** pfSense forbids `||` inside a detail (it separates details in config.xml); keep it short. */
function detailText(reason: string): string {
  return `watchpost: ${reason}`.replace(/\|/g, '/').replace(/[\r\n]+/g, ' ').slice(0, 200);
}

/** The entry's address, or undefined for FQDNs, ranges and nested alias names. */
function entryAddress(entry: string): ParsedAddress | undefined {
  try {
    return parseAddress(entry);
  } catch {
    return undefined;
  }
}

class PfsenseDriver implements Driver {
  readonly type = 'pfsense';
  readonly actions: readonly ActionId[] = ['block-ip', 'unblock-ip'];
  private readonly http: HttpClient;

  constructor(
    readonly id: string,
    private readonly settings: PfsenseSettings,
    private readonly credentials: PfsenseCredentials,
  ) {
    this.http = createHttpClient({ timeoutMs: settings.timeoutMs, tls: settings.tls, secrets: [credentials.apiKey] });
  }

  private headers(): Record<string, string> {
    return { 'x-api-key': this.credentials.apiKey };
  }

  private async readAlias(signal: AbortSignal): Promise<PfsenseAlias> {
    const response = await this.http.request({
      method: 'GET',
      url: joinUrl(this.settings.url, '/api/v2/firewall/aliases', { name: this.settings.alias }),
      headers: this.headers(),
      signal,
    });
    const found = (response.json<Envelope<PfsenseAlias[]>>().data ?? []).find((alias) => alias.name === this.settings.alias);
    if (!found) throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `pfSense has no alias named ${this.settings.alias} (create it, type host or network)`);
    if (found.type !== 'host' && found.type !== 'network') {
      throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `pfSense alias ${this.settings.alias} is of type ${String(found.type)}; it must be host or network`);
    }
    return { ...found, address: [...(found.address ?? [])], detail: [...(found.detail ?? [])] };
  }

  private async writeAlias(alias: PfsenseAlias, address: string[], detail: string[], signal: AbortSignal): Promise<void> {
    await this.http.request({
      method: 'PATCH',
      url: joinUrl(this.settings.url, '/api/v2/firewall/alias'),
      headers: this.headers(),
      json: { id: alias.id, name: alias.name, address, detail },
      signal,
    });
  }

  private async apply(signal: AbortSignal): Promise<boolean> {
    if (!this.settings.apply) return false;
    await this.http.request({ method: 'POST', url: joinUrl(this.settings.url, '/api/v2/firewall/apply'), headers: this.headers(), json: {}, signal });
    return true;
  }

  /** Indexes of the alias entries that are the address (whatever spelling pfSense kept). */
  private matches(alias: PfsenseAlias, target: ParsedAddress): number[] {
    return alias.address.flatMap((entry, index) => (entryAddress(entry)?.cidr === target.cidr ? [index] : []));
  }

  async execute(action: ActionId, input: unknown, context: DriverContext) {
    const { signal } = context;
    if (action === 'block-ip') {
      const { address, reason } = input as BlockIpInput;
      const target = parseAddress(address);
      const alias = await this.readAlias(signal);
      if (alias.type === 'host' && target.prefix !== (target.family === 4 ? 32 : 128)) {
        throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `pfSense alias ${alias.name} is of type host and cannot hold the prefix ${target.cidr}; use a network alias`);
      }
      const present = this.matches(alias, target).length > 0;
      if (!present) {
        // Detail entries pair with addresses by position: pad when the alias had fewer.
        const detail = alias.address.map((_, index) => alias.detail[index] ?? '');
        await this.writeAlias(alias, [...alias.address, alias.type === 'network' ? target.cidr : target.text], [...detail, detailText(reason)], signal);
      }
      const applied = await this.apply(signal);
      return { changed: !present, detail: { alias: alias.name, entry: target.text, applied } };
    }
    if (action === 'unblock-ip') {
      const { address } = input as UnblockIpInput;
      const target = parseAddress(address);
      const alias = await this.readAlias(signal);
      const drop = new Set(this.matches(alias, target));
      if (drop.size > 0) {
        const keep = (_: unknown, index: number): boolean => !drop.has(index);
        await this.writeAlias(alias, alias.address.filter(keep), alias.address.map((_, index) => alias.detail[index] ?? '').filter(keep), signal);
      }
      const applied = await this.apply(signal);
      return { changed: drop.size > 0, detail: { alias: alias.name, entry: target.text, applied } };
    }
    throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `the pfsense driver does not serve ${action}`);
  }

  async verify(action: ActionId, input: unknown, context: DriverContext) {
    const target = parseAddress((input as { address: string }).address);
    const alias = await this.readAlias(context.signal);
    const present = this.matches(alias, target).length > 0;
    if (action === 'block-ip') return { holds: present, detail: { alias: alias.name, present } };
    if (action === 'unblock-ip') return { holds: !present, detail: { alias: alias.name, present } };
    throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `the pfsense driver does not serve ${action}`);
  }

  async close(): Promise<void> {
    this.http.close();
  }
}

export const pfsenseDriver: DriverType<typeof PfsenseSettings, typeof PfsenseCredentials> = {
  type: 'pfsense',
  description: 'Adds blocked addresses to a pfSense firewall alias through the REST API package (v2) and reloads the rules.',
  actions: ['block-ip', 'unblock-ip'],
  settings: PfsenseSettings,
  credentials: PfsenseCredentials,
  create(config) {
    return new PfsenseDriver(config.id, config.settings, config.credentials);
  },
};
