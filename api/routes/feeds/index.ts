import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest, FastifySchema } from 'fastify';
import { randomBytes } from 'node:crypto';
import { SYSTEM_CLOCK, type Clock } from '../../../core/clock.js';
import { digestsEqual, hashSecret } from '../../../core/ids.js';
import type { FilterNode } from '../../../core/query/filter.js';
import type { CaseStore } from '../../../core/stores/case-store.js';
import { MAX_LIST_LIMIT } from '../../../core/stores/case-store.js';
import { parseAddress } from '../../../playbooks/actions/address.js';
import type { FeedAccess } from '../../../playbooks/actions/block-ip/feed.js';
import { ErrorBody } from '../../plugins/openapi.js';

/** One blocklist feed: a `feed` driver instance's id and the SHA-256 (hex) of its token (see `feedAccess`). */
export type { FeedAccess } from '../../../playbooks/actions/block-ip/feed.js';

/** Options of {@link feedsRoutes}. */
export interface FeedsRouteOptions {
  /** The configured feeds; none means every request answers 401. */
  readonly feeds?: readonly FeedAccess[] | undefined;
  /** Where the BlockStates are read; without it a request with a valid token answers 503. */
  readonly cases?: CaseStore | undefined;
  /** @defaultValue the system clock */
  readonly clock?: Clock | undefined;
}

/**
 * The most lines a feed serves. FortiGate threat feeds load at most 131 072 entries and PAN-OS
 * external dynamic lists 50 000 to 150 000 depending on the model: a longer list would be cut by
 * the firewall anyway, at a place it chooses.
 */
export const MAX_FEED_ENTRIES = 100_000;

/**
 * The operation extension marking a public route that checks a token of its own (the feed token):
 * the authorization matrix expects 401 from it for every principal, since no session or API token
 * opens it.
 */
export const FEED_TOKEN_EXTENSION = 'x-watchpost-feed-token';

/** The longest token read from a request (feed tokens are at most 512 characters). */
const MAX_TOKEN_CHARS = 1024;

const FeedParams = Type.Object({ driverId: Type.String({ minLength: 1, maxLength: 63 }) }, { additionalProperties: false });
const FeedQuery = Type.Object({ token: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_TOKEN_CHARS })) });

/** The token a puller presents: basic-auth password, Bearer token, or `?token=`, in that order. */
function presentedToken(request: FastifyRequest<{ Querystring: Static<typeof FeedQuery> }>): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string' && header.length <= MAX_TOKEN_CHARS * 2) {
    const [scheme, value = ''] = header.split(/\s+/, 2);
    if (scheme?.toLowerCase() === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0) return decoded.slice(colon + 1);
    } else if (scheme?.toLowerCase() === 'bearer' && value.length > 0) {
      return value;
    }
  }
  return request.query.token;
}

/**
 * GET /api/v1/feeds/{driverId}: the blocklist of a `feed` driver as text/plain, one address or
 * CIDR prefix per line, sorted, for firewalls that pull block lists (FortiGate external threat
 * feeds, PAN-OS external dynamic lists, pfSense URL table aliases). It lists the BlockStates of
 * that driver that are active and not yet expired (or permanent: no expiresAt), so a block
 * disappears from the feed at its expiry even before the runner releases it. No comment lines: not every puller skips them.
 *
 * Public to the API's session and token guard (a firewall holds no Watchpost account), the route
 * checks the feed's own token instead: the basic-auth password (the user name is ignored; FortiGate
 * and PAN-OS send basic auth), a Bearer token, or `?token=` (pfSense URL tables can only use the
 * URL, so the token ends up in its config and possibly in proxy logs: give each feed its own
 * token). The SHA-256 of what is presented is compared in constant time with the feed's. A wrong
 * token and an unknown feed id both answer 401, so the route does not reveal which feeds exist.
 * Every address is parsed again before it is written, so a line is always an address.
 */
export async function feedsRoutes(app: FastifyInstance, options: FeedsRouteOptions): Promise<void> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const feeds = new Map((options.feeds ?? []).map((feed) => [feed.id, feed.tokenSha256.toLowerCase()]));
  // Compared against when the id is unknown, so both cases cost the same.
  const decoy = hashSecret(randomBytes(32).toString('hex'));

  const schema: FastifySchema & Record<string, unknown> = {
    summary: 'Blocklist feed of a feed driver (plain text, one address per line)',
    description:
      'Security: not a session or API-token route. The feed token of the driver is required, as the basic-auth password, a Bearer token or the `token` query parameter; ' +
      'a wrong token and an unknown feed both answer 401. Lists the active, unexpired blocks of the driver, sorted, one IPv4/IPv6 address or CIDR prefix per line.',
    tags: ['response'],
    [FEED_TOKEN_EXTENSION]: true,
    params: FeedParams,
    querystring: FeedQuery,
    response: {
      200: Type.String({ description: 'text/plain; charset=utf-8: one address or prefix per line, sorted; empty when nothing is blocked.' }),
      401: { ...ErrorBody, description: 'No or a wrong feed token, or no such feed.' },
      503: { ...ErrorBody, description: 'This process has no case store.' },
    },
  };

  app.get<{ Params: Static<typeof FeedParams>; Querystring: Static<typeof FeedQuery> }>(
    '/api/v1/feeds/:driverId',
    {
      config: { public: true },
      schema,
    },
    async (request, reply) => {
      const token = presentedToken(request);
      const expected = feeds.get(request.params.driverId);
      const matches = token !== undefined && token.length <= MAX_TOKEN_CHARS && digestsEqual(hashSecret(token), expected ?? decoy);
      if (!matches || expected === undefined) {
        // Pullers that understand challenges then retry with basic auth.
        return reply.code(401).header('www-authenticate', 'Basic realm="watchpost-feed", charset="UTF-8"').send({ error: 'unauthorized', message: 'a valid feed token is required' });
      }
      if (!options.cases) return reply.code(503).send({ error: 'unavailable', message: 'this process has no case store' });

      const filter: FilterNode = {
        op: 'and',
        children: [
          { op: 'eq', field: 'driver', value: request.params.driverId, caseSensitive: true },
          { op: 'eq', field: 'state', value: 'active', caseSensitive: true },
          { op: 'eq', field: 'kind', value: 'ip', caseSensitive: true },
          // No expiresAt: an approver made the block permanent.
          { op: 'or', children: [{ op: 'not', child: { op: 'exists', field: 'expiresAt' } }, { op: 'range', field: 'expiresAt', gt: new Date(clock.now()).toISOString() }] },
        ],
      };
      const entries = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await options.cases.blocks.list({ filter, sort: 'createdAt', limit: MAX_LIST_LIMIT, ...(cursor !== undefined ? { cursor } : {}) });
        for (const block of page.items) {
          try {
            entries.add(parseAddress(block.target).text);
          } catch {
            request.log.warn({ blockId: block.id }, 'block target is not an address; left out of the feed');
          }
        }
        cursor = page.nextCursor;
      } while (cursor !== undefined && entries.size < MAX_FEED_ENTRIES);
      const lines = [...entries].sort().slice(0, MAX_FEED_ENTRIES);
      return reply
        .type('text/plain; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(lines.length > 0 ? `${lines.join('\n')}\n` : '');
    },
  );
}
