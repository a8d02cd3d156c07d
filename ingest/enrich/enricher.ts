import type { EcsEvent } from '../../core/ecs/event.js';

/**
 * The Enricher contract: adds context to a normalized event (GeoIP, list tags).
 *
 * - `enrich` is pure apart from its lookup data (loaded or compiled once, cached): no I/O per
 *   event, no clock. It returns a new event (or the same one when there is nothing to add) and
 *   never mutates its input.
 * - `enrich` never throws on odd events: a field it cannot use is skipped. {@link applyEnrichers}
 *   still guards each call, because a throw is a bug and must not lose the event.
 */
export interface Enricher {
  /** The enricher's id (= its folder name): `geoip`, `lists`. */
  readonly id: string;
  enrich(event: EcsEvent): EcsEvent;
}

/** Runs enrichers in order; one that throws (a bug) is skipped for that event, the event kept. */
export function applyEnrichers(enrichers: readonly Enricher[], event: EcsEvent): EcsEvent {
  let current = event;
  for (const enricher of enrichers) {
    try {
      current = enricher.enrich(current);
    } catch {
      // The event matters more than its enrichment; the enricher tests hunt such bugs.
    }
  }
  return current;
}
