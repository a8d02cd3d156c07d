/**
 * What the ticket drivers share: the key a ticket is found again by, so that a retried step
 * finds the ticket its first attempt made instead of opening a second one, and HTML escaping.
 */
import { createHash } from 'node:crypto';

/** References that can go into a query as they are (no quote, caret, space or operator). */
const PLAIN_REFERENCE = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The correlation key of a reference: the reference itself when it is plain (an incident id),
 * else `sha256-` and 32 hex digits of its SHA-256, so that no reference text ever reaches a
 * ServiceNow encoded query or a Freshservice filter where it could change the query's meaning.
 */
export function correlationKey(reference: string): string {
  return PLAIN_REFERENCE.test(reference) ? reference : `sha256-${createHash('sha256').update(reference, 'utf8').digest('hex').slice(0, 32)}`;
}
