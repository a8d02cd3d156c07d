/**
 * block-ip / unblock-ip on OPNsense through its API: the alias utility endpoints add and remove
 * one address of an alias's pf table.
 *
 * Setup on the firewall: create an API key/secret for a user with the privilege "Firewall: Alias:
 * Edit" (System → Access → Users), create the alias (Firewall → Aliases) and a block rule using it.
 * The alias must exist: adding to an unknown name silently does nothing on some versions, which
 * verify then reports. Types:
 * - `host` or `network`: the address is also written into the alias content in config.xml, so it
 *   survives a reboot and a filter reload;
 * - `external (advanced)`: only the pf table changes (lost on reboot: reconcile puts it back).
 *
 * The calls (https://docs.opnsense.org/development/api/core/firewall.html, AliasUtilController):
 * `POST /api/firewall/alias_util/add/<alias>` and `.../delete/<alias>` with `{"address": "..."}`
 * answer `{"status": "done"}`; `GET /api/firewall/alias_util/list/<alias>` lists the table (older
 * versions answer an array of strings, newer ones `{"rows": [{"ip": "..."}], ...}`). Basic auth
 * with key:secret. The alias_util calls update the pf table at once, so no reconfigure is needed.
 *
 * Idempotent: the table is listed first and the call is skipped when the entry is already in the
 * asked state (`changed: false`). Alias entries have no per-entry TTL: the runner's expiry job
 * runs unblock-ip.
 */
import { Type, type Static } from '@sinclair/typebox';
import { UserError } from '../../../core/errors.js';
import { parseAddress, type ParsedAddress } from '../address.js';
import { basicAuth, createHttpClient, HttpUrl, joinUrl, TimeoutSetting, TlsSettings, type HttpClient } from '../http.js';
import type { ActionId, Driver, DriverContext, DriverType } from '../types.js';

export const OpnsenseSettings = Type.Object(
  {
    /** The firewall's web interface, e.g. `https://opnsense.example.net`. */
    url: HttpUrl,
    /** The alias the block rule references (OPNsense alias names: letters, digits, `_`, at most 32). */
    alias: Type.String({ pattern: '^[A-Za-z0-9_]{1,32}$' }),
    timeoutMs: TimeoutSetting,
    tls: TlsSettings,
  },
  { additionalProperties: false },
);
export type OpnsenseSettings = Static<typeof OpnsenseSettings>;

export const OpnsenseCredentials = Type.Object(
  { key: Type.String({ minLength: 8, maxLength: 512 }), secret: Type.String({ minLength: 8, maxLength: 512 }) },
  { additionalProperties: false },
);
export type OpnsenseCredentials = Static<typeof OpnsenseCredentials>;

type ListAnswer = readonly unknown[] | { readonly rows?: readonly unknown[] };

function entryText(row: unknown): string | undefined {
  if (typeof row === 'string') return row;
  if (typeof row === 'object' && row !== null && typeof (row as { ip?: unknown }).ip === 'string') return (row as { ip: string }).ip;
  return undefined;
}

function sameAddress(entry: string, target: ParsedAddress): boolean {
  try {
    return parseAddress(entry).cidr === target.cidr;
  } catch {
    return false;
  }
}

class OpnsenseDriver implements Driver {
  readonly type = 'opnsense';
  readonly actions: readonly ActionId[] = ['block-ip', 'unblock-ip'];
  private readonly http: HttpClient;
  private readonly authorization: string;

  constructor(
    readonly id: string,
    private readonly settings: OpnsenseSettings,
    credentials: OpnsenseCredentials,
  ) {
    this.authorization = basicAuth(credentials.key, credentials.secret);
    this.http = createHttpClient({ timeoutMs: settings.timeoutMs, tls: settings.tls, secrets: [credentials.key, credentials.secret, this.authorization] });
  }

  private url(command: 'add' | 'delete' | 'list'): URL {
    return joinUrl(this.settings.url, `/api/firewall/alias_util/${command}/${encodeURIComponent(this.settings.alias)}`);
  }

  private async present(target: ParsedAddress, signal: AbortSignal): Promise<boolean> {
    const response = await this.http.request({ method: 'GET', url: this.url('list'), headers: { authorization: this.authorization }, signal });
    const answer = response.json<ListAnswer>();
    const rows = Array.isArray(answer) ? answer : ((answer as { rows?: readonly unknown[] }).rows ?? []);
    return rows.some((row) => {
      const text = entryText(row);
      return text !== undefined && sameAddress(text, target);
    });
  }

  private async change(command: 'add' | 'delete', target: ParsedAddress, signal: AbortSignal): Promise<void> {
    const response = await this.http.request({ method: 'POST', url: this.url(command), headers: { authorization: this.authorization }, json: { address: target.text }, signal });
    const status = response.json<{ status?: unknown }>().status;
    if (status !== 'done') {
      throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `OPNsense refused to ${command} ${target.text} on alias ${this.settings.alias}: status ${JSON.stringify(status ?? null).slice(0, 60)}`);
    }
  }

  async execute(action: ActionId, input: unknown, context: DriverContext) {
    if (action !== 'block-ip' && action !== 'unblock-ip') throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `the opnsense driver does not serve ${action}`);
    const target = parseAddress((input as { address: string }).address);
    const present = await this.present(target, context.signal);
    const wanted = action === 'block-ip';
    if (present !== wanted) await this.change(wanted ? 'add' : 'delete', target, context.signal);
    return { changed: present !== wanted, detail: { alias: this.settings.alias, entry: target.text } };
  }

  async verify(action: ActionId, input: unknown, context: DriverContext) {
    if (action !== 'block-ip' && action !== 'unblock-ip') throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `the opnsense driver does not serve ${action}`);
    const present = await this.present(parseAddress((input as { address: string }).address), context.signal);
    return { holds: action === 'block-ip' ? present : !present, detail: { alias: this.settings.alias, present } };
  }

  async close(): Promise<void> {
    this.http.close();
  }
}

export const opnsenseDriver: DriverType<typeof OpnsenseSettings, typeof OpnsenseCredentials> = {
  type: 'opnsense',
  description: 'Adds blocked addresses to an OPNsense firewall alias through its API (alias_util add/delete/list).',
  actions: ['block-ip', 'unblock-ip'],
  settings: OpnsenseSettings,
  credentials: OpnsenseCredentials,
  create(config) {
    return new OpnsenseDriver(config.id, config.settings, config.credentials);
  },
};
