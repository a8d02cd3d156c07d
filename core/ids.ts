import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Deterministic id from parts: the same parts always give the same id, so a replayed event, a
 * retried job or a duplicate trigger lands on the same record. 32 hex characters of SHA-256
 * (128 bits) over the parts joined by a separator that cannot occur inside a part's encoding.
 */
export function deterministicId(...parts: readonly (string | number)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    const text = String(part);
    hash.update(`${text.length}:${text};`);
  }
  return hash.digest('hex').slice(0, 32);
}

/** A random id: 32 hex characters (128 bits). */
export function randomId(): string {
  return randomBytes(16).toString('hex');
}

let lastMs = 0;
let sequence = 0;

/**
 * A random id that sorts by creation time: 12 hex digits of the millisecond, 4 of a counter that
 * orders ids made in the same millisecond by this process, then 16 random. Append-only logs
 * (audit, timelines) use it so entries with the same `at` still list in the order they were made.
 */
export function timeOrderedId(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    sequence = 0;
  } else {
    sequence = (sequence + 1) & 0xffff;
  }
  return `${lastMs.toString(16).padStart(12, '0').slice(-12)}${sequence.toString(16).padStart(4, '0')}${randomBytes(8).toString('hex')}`;
}

/** A random secret for sessions and API tokens: 32 bytes, base64url. */
export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 of a secret as hex, how tokens and sessions are stored. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Compares two hex digests in constant time. */
export function digestsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
