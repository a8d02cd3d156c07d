import type * as GeoipLite from 'geoip-lite';
import { createRequire } from 'node:module';
import type { EcsEndpoint, EcsEvent, EcsGeo } from '../../../core/ecs/event.js';
import type { Enricher } from '../enricher.js';
import { LruCache } from './lru.js';
import { canonicalIp, isSpecialIp } from './special-ranges.js';

/** The endpoints whose `ip` gets a `geo`. */
export const GEO_FIELDS = ['source', 'destination', 'client', 'server'] as const;

/** Addresses remembered (with their answer, found or not) by default. */
export const DEFAULT_GEOIP_CACHE_ENTRIES = 10_000;

/** What a lookup function answers: geoip-lite's shape, the parts used. */
export interface GeoLookupResult {
  readonly country: string;
  readonly region: string;
  readonly city: string;
  readonly timezone: string;
  readonly ll: readonly [number | null, number | null] | readonly number[];
}

/** An IP to location lookup (geoip-lite's `lookup`). */
export type GeoLookup = (ip: string) => GeoLookupResult | null;

/** Options of {@link createGeoipEnricher}. */
export interface GeoipEnricherOptions {
  /**
   * The lookup; geoip-lite's by default, loaded at the first lookup because it reads ~100 MB of
   * data into memory, which a process that never sees a public address should not pay for.
   */
  readonly lookup?: GeoLookup;
  /** @defaultValue {@link DEFAULT_GEOIP_CACHE_ENTRIES} */
  readonly cacheEntries?: number;
}

let geoipLite: GeoLookup | undefined;

/** geoip-lite's lookup, required on first call (its import loads the whole database synchronously). */
function defaultLookup(ip: string): GeoLookupResult | null {
  if (!geoipLite) {
    const module = createRequire(import.meta.url)('geoip-lite') as typeof GeoipLite;
    geoipLite = (address) => module.lookup(address);
  }
  return geoipLite(ip);
}

const COUNTRY_NAMES = new Intl.DisplayNames(['en'], { type: 'region' });

function countryName(code: string): string | undefined {
  try {
    const name = COUNTRY_NAMES.of(code);
    return name === code ? undefined : name;
  } catch {
    return undefined;
  }
}

/** ECS geo of a lookup answer. */
export function toEcsGeo(result: GeoLookupResult): EcsGeo | undefined {
  if (!result.country) return undefined;
  const geo: EcsGeo = { country_iso_code: result.country };
  const name = countryName(result.country);
  if (name !== undefined) geo.country_name = name;
  if (result.region) geo.region_iso_code = `${result.country}-${result.region}`;
  if (result.city) geo.city_name = result.city;
  const [lat, lon] = result.ll;
  if (typeof lat === 'number' && typeof lon === 'number' && Number.isFinite(lat) && Number.isFinite(lon)) geo.location = { lat, lon };
  if (result.timezone) geo.timezone = result.timezone;
  return geo;
}

/**
 * GeoIP: fills `<field>.geo` for source, destination, client and server addresses from
 * geoip-lite's country/city data. Private, loopback, link-local, CGNAT, documentation,
 * multicast and reserved addresses are skipped. Answers (including "unknown") are cached in an
 * LRU. A `geo` the parser already set is kept. There is no ASN: geoip-lite ships none and no
 * offline ASN package is installed.
 */
export function createGeoipEnricher(options: GeoipEnricherOptions = {}): Enricher {
  const lookup = options.lookup ?? defaultLookup;
  const cache = new LruCache<string, EcsGeo | null>(options.cacheEntries ?? DEFAULT_GEOIP_CACHE_ENTRIES);

  const geoOf = (text: string): EcsGeo | null => {
    const cached = cache.get(text);
    if (cached !== undefined) return cached;
    const address = canonicalIp(text);
    let geo: EcsGeo | null = null;
    if (address && !isSpecialIp(address.ip)) {
      const result = lookup(address.ip);
      geo = result ? (toEcsGeo(result) ?? null) : null;
    }
    cache.set(text, geo);
    return geo;
  };

  return {
    id: 'geoip',
    enrich(event) {
      let enriched: EcsEvent | undefined;
      for (const field of GEO_FIELDS) {
        const endpoint: EcsEndpoint | undefined = event[field];
        if (!endpoint || typeof endpoint.ip !== 'string' || endpoint.geo) continue;
        const geo = geoOf(endpoint.ip);
        if (!geo) continue;
        enriched ??= Object.assign({}, event);
        // A copy per event: the cached object is shared and consumers may mutate their event.
        // Object.assign rather than spreads: this runs for most firewall events.
        const copy: EcsGeo = Object.assign({}, geo);
        if (geo.location) copy.location = Object.assign({}, geo.location);
        enriched[field] = Object.assign({}, endpoint, { geo: copy });
      }
      return enriched ?? event;
    },
  };
}
