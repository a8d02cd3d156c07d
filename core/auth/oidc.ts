import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import * as client from 'openid-client';
import type { Clock } from '../clock.js';
import type { OidcConfig } from '../config/schema.js';
import { OperationalError, UserError, WatchpostError } from '../errors.js';
import type { Logger } from '../log.js';

/** How long a sign-in may take between leaving for the provider and coming back. */
export const OIDC_FLOW_TTL_MS = 10 * 60_000;

/** Groups read from a claim, at most; a bigger list is cut (the mapping needs only the mapped ones). */
export const MAX_OIDC_GROUPS = 1000;

/** A group name longer than this is ignored (no mapping key may be longer). */
const MAX_GROUP_LENGTH = 256;

/** A sealed flow longer than this is refused unread; a real one is about 250 characters. */
const MAX_SEALED_LENGTH = 1024;

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What the provider vouched for, read from the validated ID token (and the userinfo endpoint). */
export interface OidcIdentity {
  /** `<issuer> <sub>`: the provider's stable id of the person, which the Watchpost user is bound to. */
  readonly subject: string;
  /** The value of `usernameClaim`, when it is a string. */
  readonly username?: string;
  readonly displayName?: string;
  readonly email?: string;
  /** The values of `groupsClaim` (strings only, at most {@link MAX_OIDC_GROUPS}). */
  readonly groups: readonly string[];
}

/** A sign-in under way: what the callback must match, kept in the browser sealed (see {@link OidcClient.begin}). */
interface OidcFlow {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  /** ms since the epoch. */
  readonly expiresAt: number;
}

/** Signs users in through an OpenID Connect provider; one per API process. */
export interface OidcClient {
  /**
   * Starts a sign-in (authorization code flow with PKCE S256, state and nonce): the provider URL
   * to send the browser to, and the flow sealed for a short-lived cookie. Throws
   * WATCHPOST_ERR_AUTH_OIDC_UNAVAILABLE when the provider's discovery document cannot be read.
   */
  begin(): Promise<{ readonly url: string; readonly sealedFlow: string }>;
  /**
   * Finishes a sign-in from the callback URL the browser came back to and the sealed flow of its
   * cookie: checks the flow and the state, exchanges the code (with the PKCE verifier), and lets
   * openid-client validate the ID token (signature against the provider's keys, issuer, audience,
   * nonce, expiry). Throws WATCHPOST_ERR_AUTH_OIDC when anything does not check out,
   * WATCHPOST_ERR_AUTH_OIDC_UNAVAILABLE when the provider cannot be reached.
   */
  finish(callbackUrl: URL, sealedFlow: string | undefined): Promise<OidcIdentity>;
}

/** What {@link createOidcClient} needs. */
export interface OidcClientOptions {
  readonly config: Readonly<OidcConfig>;
  /** Stamps and checks the flow's expiry. */
  readonly clock: Clock;
  readonly logger: Logger;
  /** How requests reach the provider. @defaultValue the global fetch */
  readonly fetch?: client.CustomFetch;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Plain HTTP is allowed to a provider on this machine only (a development Keycloak), never across a network. */
function insecureAllowed(url: URL): boolean {
  if (url.protocol === 'https:') return false;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return true;
  throw new UserError('WATCHPOST_ERR_CONFIG_INVALID', `auth.oidc: ${url.origin} must use https (plain http is allowed only to localhost)`);
}

function parseUrl(text: string, key: string): URL {
  try {
    return new URL(text);
  } catch (error) {
    throw new UserError('WATCHPOST_ERR_CONFIG_INVALID', `auth.oidc.${key} is not a URL`, { cause: error });
  }
}

/**
 * The key that seals flows: derived (HKDF-SHA256) from the client secret, so every API process
 * with the same configuration can open a flow another began; without a secret, a random key of
 * this process (a sign-in must then come back to the process that began it).
 */
function flowKey(config: Readonly<OidcConfig>): Buffer {
  if (config.clientSecret === undefined) return randomBytes(32);
  return Buffer.from(hkdfSync('sha256', config.clientSecret, config.clientId, 'watchpost oidc flow cookie v1', 32));
}

/**
 * Seals a flow with AES-256-GCM: the browser keeps it but can neither read the PKCE verifier and
 * nonce nor alter anything without the open failing. Written by hand over node:crypto because the
 * cookie plugin's signing only authenticates and its secret is not configured in this app.
 */
function seal(key: Buffer, flow: OidcFlow): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(flow), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** The flow of a sealed text, or undefined when it is malformed, forged or expired. */
function open(key: Buffer, sealed: string | undefined, now: number): OidcFlow | undefined {
  if (sealed === undefined || sealed.length > MAX_SEALED_LENGTH || !/^[A-Za-z0-9_-]+$/.test(sealed)) return undefined;
  const raw = Buffer.from(sealed, 'base64url');
  if (raw.length <= IV_BYTES + TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    const text = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    const flow = JSON.parse(text) as Partial<OidcFlow>;
    if (typeof flow.state !== 'string' || typeof flow.nonce !== 'string' || typeof flow.codeVerifier !== 'string' || typeof flow.expiresAt !== 'number') {
      return undefined;
    }
    return flow.expiresAt > now ? (flow as OidcFlow) : undefined;
  } catch {
    return undefined;
  }
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The strings of a groups claim: a list, or one group as a bare string (some providers do that). */
export function groupsOf(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  return items
    .filter((item): item is string => typeof item === 'string' && item.length > 0 && item.length <= MAX_GROUP_LENGTH)
    .slice(0, MAX_OIDC_GROUPS);
}

function text(value: unknown, max: number): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value.slice(0, max) : undefined;
}

const REFUSED = 'OIDC sign-in failed';

/**
 * Sorts what openid-client threw: the provider out of reach (network, timeout, a 5xx answer) is
 * operational; anything else (a provider error in the callback, a state, nonce, audience,
 * issuer, expiry or signature that does not check out) refuses this sign-in.
 */
function classify(error: unknown): WatchpostError {
  if (error instanceof WatchpostError) return error;
  const code = (error as { code?: unknown }).code;
  const status = error instanceof client.ResponseBodyError ? error.status : (error as { cause?: { status?: unknown } }).cause?.status;
  if (error instanceof TypeError || code === 'OAUTH_TIMEOUT' || code === 'OAUTH_ABORT' || (typeof status === 'number' && status >= 500)) {
    return new OperationalError('WATCHPOST_ERR_AUTH_OIDC_UNAVAILABLE', 'the OIDC provider cannot be reached; try again later', { cause: error });
  }
  if (error instanceof client.AuthorizationResponseError) {
    // The provider's own error code (access_denied, login_required...): short and safe to show.
    return new UserError('WATCHPOST_ERR_AUTH_OIDC', `${REFUSED}: the provider answered ${error.error.slice(0, 64)}`, { cause: error });
  }
  const reason = error instanceof Error ? error.message.slice(0, 120) : 'unexpected answer';
  return new UserError('WATCHPOST_ERR_AUTH_OIDC', `${REFUSED}: ${reason}`, { cause: error });
}

/**
 * An OIDC client over openid-client. The provider's discovery document is read at the first
 * sign-in, not at start, so an API whose provider is down still starts (and serves local
 * sign-in); a failed read is retried by the next sign-in. ID token signatures are verified
 * against the provider's JWKS even though the token comes straight from the token endpoint
 * (openid-client's non-repudiation checks), so a token altered on the way is refused too.
 */
export function createOidcClient(options: OidcClientOptions): OidcClient {
  const { config, clock, logger } = options;
  const issuer = parseUrl(config.issuer, 'issuer');
  const redirectUri = parseUrl(config.redirectUri, 'redirectUri');
  const insecure = insecureAllowed(issuer);
  const key = flowKey(config);
  const scope = [...new Set(['openid', ...config.scopes])].join(' ');
  let discovered: Promise<client.Configuration> | undefined;

  const configuration = (): Promise<client.Configuration> => {
    discovered ??= (async () => {
      const found = await client.discovery(
        issuer,
        config.clientId,
        undefined,
        config.clientSecret !== undefined ? client.ClientSecretBasic(config.clientSecret) : client.None(),
        {
          execute: insecure ? [client.allowInsecureRequests] : [],
          timeout: Math.ceil(config.timeoutMs / 1000),
          ...(options.fetch !== undefined ? { [client.customFetch]: options.fetch } : {}),
        },
      );
      client.enableNonRepudiationChecks(found);
      logger.info({ issuer: config.issuer }, 'OIDC provider discovered');
      return found;
    })().catch((error: unknown) => {
      discovered = undefined;
      const sorted = classify(error);
      logger.warn({ err: error, issuer: config.issuer }, 'reading the OIDC provider\u2019s discovery document failed');
      // A discovery answer that does not check out (wrong issuer) is the operator's to fix, but
      // from the user's side the provider is as good as unreachable.
      throw sorted instanceof OperationalError
        ? sorted
        : new OperationalError('WATCHPOST_ERR_AUTH_OIDC_UNAVAILABLE', 'the OIDC provider\u2019s discovery document cannot be used; see the server log', { cause: error });
    });
    return discovered;
  };

  return {
    async begin() {
      const found = await configuration();
      const flow: OidcFlow = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        codeVerifier: client.randomPKCECodeVerifier(),
        expiresAt: clock.now() + OIDC_FLOW_TTL_MS,
      };
      const url = client.buildAuthorizationUrl(found, {
        redirect_uri: redirectUri.href,
        scope,
        response_type: 'code',
        state: flow.state,
        nonce: flow.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(flow.codeVerifier),
        code_challenge_method: 'S256',
      });
      return { url: url.href, sealedFlow: seal(key, flow) };
    },

    async finish(callbackUrl, sealedFlow) {
      const flow = open(key, sealedFlow, clock.now());
      if (!flow) throw new UserError('WATCHPOST_ERR_AUTH_OIDC', `${REFUSED}: the sign-in cookie is missing or expired; start again`);
      const state = callbackUrl.searchParams.get('state');
      // Checked here as well as by openid-client, to refuse a forged callback before any request.
      if (state === null || !sameText(state, flow.state)) throw new UserError('WATCHPOST_ERR_AUTH_OIDC', `${REFUSED}: the state does not match this browser\u2019s sign-in`);
      const found = await configuration();
      try {
        // The callback is matched against the registered redirect URI, not the Host header.
        const current = new URL(redirectUri.href);
        current.search = callbackUrl.search;
        const tokens = await client.authorizationCodeGrant(found, current, {
          pkceCodeVerifier: flow.codeVerifier,
          expectedState: flow.state,
          expectedNonce: flow.nonce,
          idTokenExpected: true,
        });
        const claims = tokens.claims();
        if (!claims) throw new UserError('WATCHPOST_ERR_AUTH_OIDC', `${REFUSED}: the provider sent no ID token`);
        let source: Record<string, unknown> = claims;
        const userinfo = found.serverMetadata().userinfo_endpoint;
        if ((claims[config.groupsClaim] === undefined || claims[config.usernameClaim] === undefined) && userinfo !== undefined) {
          // Keycloak and others may leave groups out of the ID token; the userinfo endpoint has them.
          const info = await client.fetchUserInfo(found, tokens.access_token, claims.sub);
          source = { ...info, ...claims };
          if (claims[config.groupsClaim] === undefined) source[config.groupsClaim] = info[config.groupsClaim];
        }
        const username = text(source[config.usernameClaim], 256);
        const displayName = text(source.name, 200);
        const email = text(source.email, 254);
        return {
          subject: `${claims.iss} ${claims.sub}`,
          ...(username !== undefined ? { username } : {}),
          ...(displayName !== undefined ? { displayName } : {}),
          ...(email !== undefined ? { email } : {}),
          groups: groupsOf(source[config.groupsClaim]),
        };
      } catch (error) {
        const sorted = classify(error);
        if (sorted instanceof OperationalError) logger.warn({ err: error, issuer: config.issuer }, 'OIDC provider unreachable during sign-in');
        else logger.debug({ err: error }, 'OIDC sign-in refused');
        throw sorted;
      }
    },
  };
}
