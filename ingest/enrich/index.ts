import type { EnrichConfig } from '../../core/config/ingest.js';
import type { Enricher } from './enricher.js';
import { createGeoipEnricher } from './geoip/enricher.js';
import { createListsEnricher } from './lists/enricher.js';

/** One enricher kind: its id and how it is built from the `ingest.enrich` slice (undefined = off). */
export interface EnricherDefinition {
  readonly id: string;
  readonly description: string;
  create(config: Readonly<EnrichConfig>): Enricher | undefined;
}

/**
 * Every enricher, listed by hand in the order they run (no registration by import side effect):
 * GeoIP first, so lists could one day tag by country; lists after.
 */
export const ENRICHERS: readonly EnricherDefinition[] = [
  {
    id: 'geoip',
    description: 'source/destination/client/server .geo from geoip-lite (public addresses only)',
    create: (config) => (config.geoip ? createGeoipEnricher() : undefined),
  },
  {
    id: 'lists',
    description: 'tags from configured IP/CIDR/domain lists',
    create: (config) => (config.lists.length > 0 ? createListsEnricher(config.lists) : undefined),
  },
];

/** The enrichers the configuration turns on, in order; throws a UserError for a bad list. */
export function createEnrichers(config: Readonly<EnrichConfig>): Enricher[] {
  return ENRICHERS.map((definition) => definition.create(config)).filter((enricher): enricher is Enricher => enricher !== undefined);
}
