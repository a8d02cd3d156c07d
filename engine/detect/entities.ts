import type { EventContext } from '../query/event-context.js';

/**
 * The ECS fields that name who or what an event is about: alerting deduplicates and incidents
 * group on them, and the console pivots on them. Ports, counters and free text are left out:
 * they vary between events about the same actor.
 */
export const ENTITY_FIELDS: readonly string[] = Object.freeze([
  'source.ip',
  'source.domain',
  'destination.ip',
  'destination.domain',
  'user.name',
  'user.target.name',
  'host.name',
  'observer.name',
  'url.domain',
  'dns.question.name',
  'file.path',
  'file.hash.md5',
  'file.hash.sha1',
  'file.hash.sha256',
  'process.name',
  'threat.software.name',
]);

/** An entity value longer than this is cut: a path is the longest legitimate one (PATH_MAX). */
const MAX_ENTITY_LENGTH = 4096;

/**
 * The entity fields the event holds, each with its first string or number value (a field holding
 * several values, such as `related.ip`, is not an entity here). Read through the event's context,
 * so values the rules already resolved are not resolved again.
 */
export function entitiesOf(ctx: EventContext, fields: readonly string[] = ENTITY_FIELDS): Record<string, string | number> {
  const entities: Record<string, string | number> = {};
  for (const field of fields) {
    for (const value of ctx.field(field).scalars) {
      if (typeof value === 'number') {
        entities[field] = value;
        break;
      }
      if (typeof value === 'string' && value.length > 0) {
        entities[field] = value.length > MAX_ENTITY_LENGTH ? value.slice(0, MAX_ENTITY_LENGTH) : value;
        break;
      }
    }
  }
  return entities;
}
