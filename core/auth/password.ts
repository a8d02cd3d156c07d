import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { UserError } from '../errors.js';

/** Shortest password accepted, in characters (NIST SP 800-63B's minimum). */
export const MIN_PASSWORD_LENGTH = 8;

/**
 * Longest password accepted, in characters: long passphrases are welcome, but hashing megabytes
 * on request would be a cheap way to burn CPU.
 */
export const MAX_PASSWORD_LENGTH = 1024;

/** Cost parameters of scrypt (RFC 7914). */
export interface ScryptParameters {
  /** CPU and memory cost, a power of two. */
  readonly N: number;
  /** Block size. */
  readonly r: number;
  /** Parallelism. */
  readonly p: number;
}

/**
 * N = 2^15, r = 8, p = 1: 128·N·r = 32 MiB of memory and about 50–100 ms of one core per hash,
 * OWASP's Password Storage Cheat Sheet's scrypt setting (N ≥ 2^17 with r = 8 is its first choice
 * but costs 128 MiB per login, too much for a small box that may see a burst of them). The
 * memory hardness is what makes GPU and ASIC guessing expensive; argon2id would be the first
 * choice, but it needs a native package while scrypt ships with node:crypto.
 */
export const DEFAULT_SCRYPT: ScryptParameters = Object.freeze({ N: 2 ** 15, r: 8, p: 1 });

const SALT_BYTES = 16;
const KEY_BYTES = 32;

// A stored hash is trusted, but bounding what it may ask for keeps a corrupted or planted record
// from making one verification allocate gigabytes.
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

const ENCODED = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9_-]{16,128})\$([A-Za-z0-9_-]{16,256})$/;

/** Hashes and checks passwords; the login service and the CLI receive one. */
export interface PasswordHasher {
  /** The encoded hash of a password that passed {@link checkPasswordPolicy}. */
  hash(password: string): Promise<string>;
  /**
   * True when `password` matches `encoded`. With `encoded` undefined (unknown user, user without
   * a password) it does the same work against a dummy hash and resolves false, so the time taken
   * does not tell whether the user exists.
   */
  verify(password: string, encoded: string | undefined): Promise<boolean>;
  /** True when `encoded` was made with weaker parameters than the current ones (rehash at login). */
  needsRehash(encoded: string): boolean;
}

function derive(password: string, salt: Buffer, params: ScryptParameters): Promise<Buffer> {
  // maxmem must exceed 128·N·r·p, and node's default (32 MiB) is exactly our default's need.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 2 * 128 * params.N * params.r * params.p + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_BYTES, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/**
 * Unicode-normalised so that a password typed as composed or decomposed characters (é or e + ´)
 * is the same password, as NIST SP 800-63B asks.
 */
function normalise(password: string): string {
  return password.normalize('NFC');
}

/** The length of a password in characters (code points, after normalisation). */
export function passwordLength(password: string): number {
  return [...normalise(password)].length;
}

/** Throws WATCHPOST_ERR_AUTH_PASSWORD_POLICY when the password is too short or too long. */
export function checkPasswordPolicy(password: string): void {
  const length = passwordLength(password);
  if (length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) {
    throw new UserError(
      'WATCHPOST_ERR_AUTH_PASSWORD_POLICY',
      `a password must have ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters (this one has ${length})`,
    );
  }
}

/** A strong random password to show once: 24 base64url characters, 144 bits. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

interface Decoded {
  readonly params: ScryptParameters;
  readonly salt: Buffer;
  readonly key: Buffer;
}

function decode(encoded: string): Decoded | undefined {
  const match = ENCODED.exec(encoded);
  if (!match) return undefined;
  const [N, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (N < 2 || N > MAX_N || (N & (N - 1)) !== 0 || r < 1 || r > MAX_R || p < 1 || p > MAX_P) return undefined;
  return { params: { N, r, p }, salt: Buffer.from(match[4] as string, 'base64url'), key: Buffer.from(match[5] as string, 'base64url') };
}

/**
 * A {@link PasswordHasher} on node:crypto's scrypt. The encoded form is versioned by its
 * parameters, `scrypt$N$r$p$<salt>$<hash>` (salt and hash base64url, 16 random bytes of salt,
 * 32 bytes of hash), so raising the defaults later still verifies old hashes and
 * {@link PasswordHasher.needsRehash} tells which to upgrade. Written by hand because the format
 * is ours; the cryptography is node's.
 */
export function scryptHasher(params: ScryptParameters = DEFAULT_SCRYPT): PasswordHasher {
  const encode = (salt: Buffer, key: Buffer): string => `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
  let dummy: Promise<string> | undefined;

  const hash = async (password: string): Promise<string> => {
    checkPasswordPolicy(password);
    const salt = randomBytes(SALT_BYTES);
    return encode(salt, await derive(normalise(password), salt, params));
  };

  return {
    hash,
    async verify(password, encoded) {
      const decoded = encoded === undefined ? undefined : decode(encoded);
      if (!decoded) {
        // Same parameters as a real hash, so an unknown user costs what a known one does.
        dummy ??= (async () => {
          const salt = randomBytes(SALT_BYTES);
          return encode(salt, await derive(generatePassword(), salt, params));
        })();
        const fake = decode(await dummy) as Decoded;
        await derive(normalise(password), fake.salt, fake.params);
        return false;
      }
      const key = await derive(normalise(password), decoded.salt, decoded.params);
      return key.length === decoded.key.length && timingSafeEqual(key, decoded.key);
    },
    needsRehash(encoded) {
      const decoded = decode(encoded);
      if (!decoded) return true;
      return decoded.params.N < params.N || decoded.params.r < params.r || decoded.params.p < params.p;
    },
  };
}
