/**
 * The blocklist feed: block-ip without touching any device. The runner records the block as a
 * BlockState whose `driver` is this instance's id, and `GET /api/v1/feeds/<id>` (api/routes/feeds)
 * serves the active, unexpired ones as plain text, one address or prefix per line, to firewalls
 * that pull lists: FortiGate external threat feeds (IP address type; HTTP basic auth), PAN-OS
 * external dynamic lists (IP list; client basic auth) and pfSense URL table aliases (the token in
 * the URL, `?token=`, since pfSense cannot send credentials). The firewall's refresh interval
 * bounds how late a block and its expiry take effect.
 *
 * So execute changes nothing remote and always reports `changed: true` (the BlockState is the
 * effect), and verify always holds: what is stored is what is served.
 *
 * The token (credentials.token) is what the firewall presents; the API keeps only its SHA-256
 * ({@link feedAccess}), which the composition root passes to the API as `feeds`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { hashSecret } from '../../../core/ids.js';
import { UserError } from '../../../core/errors.js';
import { parseAddress } from '../address.js';
import type { ActionId, Driver, DriverType } from '../types.js';

export const FeedSettings = Type.Object(
  {
    /** Shown by `watchpost actions list`; no effect. */
    description: Type.Optional(Type.String({ maxLength: 300 })),
  },
  { additionalProperties: false },
);
export type FeedSettings = Static<typeof FeedSettings>;

export const FeedCredentials = Type.Object(
  {
    /** The secret the pulling firewall presents (basic-auth password, Bearer token or `?token=`). At least 24 characters. */
    token: Type.String({ minLength: 24, maxLength: 512, pattern: '^[\\x21-\\x7e]+$' }),
  },
  { additionalProperties: false },
);
export type FeedCredentials = Static<typeof FeedCredentials>;

/** What the feed route needs to know about one feed: its id and the SHA-256 (hex) of its token. */
export interface FeedAccess {
  readonly id: string;
  readonly tokenSha256: string;
}

/** The feed route's view of a feed driver's config. */
export function feedAccess(id: string, token: string): FeedAccess {
  return { id, tokenSha256: hashSecret(token) };
}

export const feedDriver: DriverType<typeof FeedSettings, typeof FeedCredentials> = {
  type: 'feed',
  description: 'Serves blocked addresses as a token-protected plain-text list (GET /api/v1/feeds/<id>) for FortiGate threat feeds, PAN-OS external dynamic lists and pfSense URL tables.',
  actions: ['block-ip', 'unblock-ip'],
  settings: FeedSettings,
  credentials: FeedCredentials,
  create(config): Driver {
    return {
      id: config.id,
      type: 'feed',
      actions: ['block-ip', 'unblock-ip'],
      async execute(action: ActionId, input: unknown) {
        if (action !== 'block-ip' && action !== 'unblock-ip') throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `the feed driver does not serve ${action}`);
        const target = parseAddress((input as { address: string }).address);
        return { changed: true, detail: { feed: config.id, entry: target.text } };
      },
      async verify(action: ActionId) {
        if (action !== 'block-ip' && action !== 'unblock-ip') throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `the feed driver does not serve ${action}`);
        return { holds: true, detail: { feed: config.id } };
      },
    };
  },
};
