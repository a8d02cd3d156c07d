import { describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../../core/ecs/event.js';
import { createGeoipEnricher, type GeoLookup } from './enricher.js';
import { LruCache } from './lru.js';
import { canonicalIp, isSpecialIp } from './special-ranges.js';

const at = '2026-01-01T00:00:00.000Z';

describe('geoip enricher (real geoip-lite lookups)', () => {
  const enricher = createGeoipEnricher();

  it('locates public IPv4 addresses in source and destination', () => {
    const event = enricher.enrich({ '@timestamp': at, source: { ip: '8.8.8.8', port: 53 }, destination: { ip: '81.2.69.142' } });
    expect(event.source?.geo?.country_iso_code).toBe('US');
    expect(event.source?.geo?.country_name).toBe('United States');
    expect(event.source?.port).toBe(53);
    expect(event.destination?.geo).toMatchObject({ country_iso_code: 'GB', country_name: 'United Kingdom' });
    expect(event.destination?.geo?.location?.lat).toEqual(expect.any(Number));
    expect(event.destination?.geo?.timezone).toMatch(/^Europe\//);
  });

  it('locates client/server and public IPv6 addresses', () => {
    const event = enricher.enrich({ '@timestamp': at, client: { ip: '2001:4860:4860::8888' }, server: { ip: '::ffff:81.2.69.142' } });
    expect(event.client?.geo?.country_iso_code).toBe('US');
    expect(event.server?.geo?.country_iso_code).toBe('GB');
  });

  it('skips private, loopback, link-local, CGNAT, documentation and multicast addresses, and non-addresses', () => {
    for (const ip of ['10.1.2.3', '172.16.5.4', '192.168.1.1', '127.0.0.1', '169.254.1.1', '100.64.0.1', '192.0.2.1', '198.51.100.7', '203.0.113.9', '224.0.0.1', '::1', 'fe80::1', 'fd00::1', '2001:db8::1', 'ff02::1', 'not-an-ip', '']) {
      const input: EcsEvent = { '@timestamp': at, source: { ip } };
      expect(enricher.enrich(input), ip).toBe(input);
    }
  });

  it('does not mutate its input, keeps a parser-set geo, caches answers', () => {
    let calls = 0;
    const lookup: GeoLookup = () => {
      calls += 1;
      return { country: 'FR', region: 'IDF', city: 'Paris', timezone: 'Europe/Paris', ll: [48.86, 2.35] };
    };
    const cached = createGeoipEnricher({ lookup, cacheEntries: 2 });
    const input: EcsEvent = { '@timestamp': at, source: { ip: '9.9.9.9' } };
    const output = cached.enrich(input);
    expect(input.source?.geo).toBeUndefined();
    expect(output.source?.geo).toEqual({ country_iso_code: 'FR', country_name: 'France', region_iso_code: 'FR-IDF', city_name: 'Paris', location: { lat: 48.86, lon: 2.35 }, timezone: 'Europe/Paris' });
    cached.enrich(input);
    expect(calls).toBe(1);
    const preset: EcsEvent = { '@timestamp': at, source: { ip: '9.9.9.9', geo: { country_iso_code: 'DE' } } };
    expect(cached.enrich(preset)).toBe(preset);
  });
});

describe('special ranges and LRU', () => {
  it('canonicalizes IPv4-mapped IPv6 and rejects non-addresses', () => {
    expect(canonicalIp('::ffff:10.0.0.1')).toEqual({ ip: '10.0.0.1', family: 'ipv4' });
    expect(canonicalIp('fe80::1%eth0')).toEqual({ ip: 'fe80::1', family: 'ipv6' });
    expect(canonicalIp('host.example')).toBeUndefined();
    expect(isSpecialIp('8.8.8.8')).toBe(false);
    expect(isSpecialIp('100.127.255.255')).toBe(true);
  });

  it('evicts the least recently used entry', () => {
    const lru = new LruCache<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.get('a');
    lru.set('c', 3);
    expect([lru.has('a'), lru.has('b'), lru.has('c'), lru.size]).toEqual([true, false, true, 2]);
  });
});
