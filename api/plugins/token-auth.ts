import type { Role } from '../../core/cases/types.js';
import { SYSTEM_CLOCK, type Clock } from '../../core/clock.js';
import { digestsEqual, hashSecret } from '../../core/ids.js';
import { silentLogger, type Logger } from '../../core/log.js';
import type { CaseStore } from '../../core/stores/case-store.js';
import { modify } from '../../core/stores/modify.js';
import type { Authenticator, Principal } from './auth-guard.js';

/** What every Watchpost API token starts with, so secret scanners and people can recognise one. */
export const TOKEN_PREFIX = 'wp_';

/** Longest remembered positive lookup: revoking a token or disabling its user bites within this. */
export const MAX_TOKEN_CACHE_MS = 30_000;

// Token ids are our own random hex ids; the bound keeps junk out of store lookups. The secret is
// base64url (which may contain `_`), so it is everything after the id's underscore.
const BEARER = /^Bearer[ \t]+wp_([A-Za-z0-9-]{1,64})_([A-Za-z0-9_-]{16,256})[ \t]*$/i;

/** The bearer value of a token as shown once at creation: `wp_<id>_<secret>`. */
export function formatToken(id: string, secret: string): string {
  return `${TOKEN_PREFIX}${id}_${secret}`;
}

/** Splits an `Authorization: Bearer wp_<id>_<secret>` header, or undefined for anything else. */
export function parseBearerToken(header: string | undefined): { readonly id: string; readonly secret: string } | undefined {
  if (header === undefined) return undefined;
  const match = BEARER.exec(header);
  return match ? { id: match[1] as string, secret: match[2] as string } : undefined;
}

/** Options of {@link tokenAuthenticator}. */
export interface TokenAuthenticatorOptions {
  /** @defaultValue the system clock */
  readonly clock?: Clock;
  /** How long a successful lookup is reused, at most {@link MAX_TOKEN_CACHE_MS}. @defaultValue 15000 */
  readonly cacheTtlMs?: number;
  /** `lastUsedAt` is written at most this often per token. @defaultValue 60000 */
  readonly touchIntervalMs?: number;
  /** Tokens remembered at once; the oldest entry goes first. @defaultValue 10000 */
  readonly maxCacheEntries?: number;
  /** @defaultValue a silent logger */
  readonly logger?: Logger;
}

interface CacheEntry {
  readonly secretHash: string;
  readonly principal: Principal;
  /** The token's own expiry, ms, re-checked on every hit. */
  readonly expiresAt: number;
  readonly cachedUntil: number;
}

/**
 * An {@link Authenticator} for API tokens (`Authorization: Bearer wp_<id>_<secret>`): the token
 * must exist, its secret's SHA-256 must equal the stored hash (compared in constant time), it must
 * be neither revoked nor expired, and its user must exist and be enabled. The principal is
 * `token:<id>` with the token's roles that its user still holds (a token never outranks its user).
 *
 * A positive lookup is reused for `cacheTtlMs` so a busy agent does not read the store on every
 * request; the secret is still checked against the cached hash each time. The price is that a
 * revocation, a disabled user or a role change takes up to that long to bite. `lastUsedAt` is
 * written in the background at most once per `touchIntervalMs`, never delaying the request.
 * Neither the header nor the secret is ever logged.
 */
export function tokenAuthenticator(cases: CaseStore, options: TokenAuthenticatorOptions = {}): Authenticator {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const cacheTtlMs = Math.min(options.cacheTtlMs ?? 15_000, MAX_TOKEN_CACHE_MS);
  const touchIntervalMs = options.touchIntervalMs ?? 60_000;
  const maxEntries = options.maxCacheEntries ?? 10_000;
  const logger = options.logger ?? silentLogger();
  const cache = new Map<string, CacheEntry>();
  const touched = new Map<string, number>();

  const refuse = (tokenId: string, reason: string): undefined => {
    logger.debug({ tokenId, reason }, 'api token refused');
    return undefined;
  };

  const remember = <V>(map: Map<string, V>, key: string, value: V): void => {
    map.delete(key);
    // Insertion order is age order: the first key is the oldest.
    if (map.size >= maxEntries) map.delete(map.keys().next().value as string);
    map.set(key, value);
  };

  const touch = (tokenId: string, lastUsedAt: string | undefined, now: number): void => {
    const known = touched.get(tokenId);
    const last = known ?? (lastUsedAt === undefined ? Number.NEGATIVE_INFINITY : Date.parse(lastUsedAt));
    if (now - last < touchIntervalMs) {
      // Remember the stored time, so that cache hits (which do not read the store) know it too.
      if (known === undefined) remember(touched, tokenId, last);
      return;
    }
    remember(touched, tokenId, now);
    const at = new Date(now).toISOString();
    // In the background: a slow or failing write must not fail or delay the request it counts.
    void modify(cases.tokens, tokenId, (current) => ({ ...current, lastUsedAt: at })).catch((error: unknown) => {
      logger.warn({ err: error, tokenId }, 'recording the last use of an api token failed');
    });
  };

  return async (request) => {
    const header = request.headers.authorization;
    const bearer = parseBearerToken(typeof header === 'string' ? header : undefined);
    if (!bearer) return undefined;
    const now = clock.now();
    const presented = hashSecret(bearer.secret);

    const cached = cache.get(bearer.id);
    if (cached && cached.cachedUntil > now) {
      if (!digestsEqual(presented, cached.secretHash)) return refuse(bearer.id, 'secret');
      if (cached.expiresAt <= now) return refuse(bearer.id, 'expired');
      touch(bearer.id, undefined, now);
      return cached.principal;
    }

    const token = await cases.tokens.get(bearer.id);
    if (!token) return refuse(bearer.id, 'unknown');
    if (!digestsEqual(presented, token.secretHash)) return refuse(bearer.id, 'secret');
    if (token.revoked) return refuse(bearer.id, 'revoked');
    const expiresAt = token.expiresAt === undefined ? Number.POSITIVE_INFINITY : Date.parse(token.expiresAt);
    // An unparsable expiry is treated as expired: fail closed.
    if (!(expiresAt > now)) return refuse(bearer.id, 'expired');
    const user = await cases.users.get(token.userId);
    if (!user) return refuse(bearer.id, 'user_missing');
    if (user.disabled) return refuse(bearer.id, 'user_disabled');

    const roles: readonly Role[] = Object.freeze(token.roles.filter((role) => user.roles.includes(role)));
    const principal: Principal = Object.freeze({ id: `token:${token.id}`, roles });
    remember(cache, token.id, { secretHash: token.secretHash, principal, expiresAt, cachedUntil: now + cacheTtlMs });
    touch(token.id, token.lastUsedAt, now);
    return principal;
  };
}
