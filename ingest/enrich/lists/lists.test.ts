import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EnrichListConfig } from '../../../core/config/ingest.js';
import type { EcsEvent } from '../../../core/ecs/event.js';
import { hasCode } from '../../../core/errors.js';
import { applyEnrichers } from '../enricher.js';
import { createEnrichers } from '../index.js';
import { createListsEnricher } from './enricher.js';

const at = '2026-01-01T00:00:00.000Z';
const list = (partial: Partial<EnrichListConfig> & { name: string; tag: string }): EnrichListConfig => ({ cidrs: [], ips: [], domains: [], ...partial });

describe('lists enricher', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wp-lists-'));
  const file = join(dir, 'bad.txt');
  writeFileSync(file, '# known bad\n203.0.113.7\n198.51.100.0/24  # a network\n\nevil.example\n2001:db8:bad::/48\n');
  const enricher = createListsEnricher([
    list({ name: 'internal', tag: 'internal', cidrs: ['10.0.0.0/8', 'fd00::/8'], ips: ['192.168.1.1'] }),
    list({ name: 'bad', tag: 'known-bad', file }),
    list({ name: 'corp', tag: 'corp-domain', domains: ['Corp.Example.'] }),
  ]);
  const tags = (event: Omit<EcsEvent, '@timestamp'>): string[] | undefined => enricher.enrich({ '@timestamp': at, ...event }).tags;

  it('tags by IPv4/IPv6 address and network in source.ip or destination.ip', () => {
    expect(tags({ source: { ip: '10.2.3.4' } })).toEqual(['internal']);
    expect(tags({ destination: { ip: 'fd12::1' } })).toEqual(['internal']);
    expect(tags({ source: { ip: '192.168.1.1' }, destination: { ip: '203.0.113.7' } })).toEqual(['internal', 'known-bad']);
    expect(tags({ source: { ip: '198.51.100.200' } })).toEqual(['known-bad']);
    expect(tags({ source: { ip: '2001:db8:bad::5' } })).toEqual(['known-bad']);
    expect(tags({ source: { ip: '::ffff:10.0.0.1' } })).toEqual(['internal']);
    expect(tags({ source: { ip: '192.168.1.2' } })).toBeUndefined();
  });

  it('tags by domain, exactly or as a subdomain, case-insensitively', () => {
    expect(tags({ url: { domain: 'corp.example' } })).toEqual(['corp-domain']);
    expect(tags({ destination: { domain: 'WWW.corp.example' } })).toEqual(['corp-domain']);
    expect(tags({ dns: { question: { name: 'a.b.evil.example.' } } })).toEqual(['known-bad']);
    expect(tags({ url: { domain: 'notcorp.example' } })).toBeUndefined();
  });

  it('keeps existing tags once and does not mutate the input', () => {
    const input: EcsEvent = { '@timestamp': at, tags: ['internal', 'x'], source: { ip: '10.0.0.1' }, destination: { ip: '203.0.113.7' } };
    expect(enricher.enrich(input).tags).toEqual(['internal', 'x', 'known-bad']);
    expect(input.tags).toEqual(['internal', 'x']);
  });

  it('refuses a bad entry or an unreadable file with a UserError', () => {
    expect(() => createListsEnricher([list({ name: 'x', tag: 't', cidrs: ['10.0.0.0/33'] })])).toThrow(/10.0.0.0\/33/);
    expect(() => createListsEnricher([list({ name: 'x', tag: 't', ips: ['nope'] })])).toThrow(expect.objectContaining({ code: 'WATCHPOST_ERR_CONFIG_INVALID' }));
    try {
      createListsEnricher([list({ name: 'x', tag: 't', file: join(dir, 'missing') })]);
      expect.unreachable();
    } catch (error) {
      expect(hasCode(error, 'WATCHPOST_ERR_CONFIG_READ')).toBe(true);
    }
  });
});

describe('enricher registry', () => {
  it('builds geoip unless disabled and lists when configured; a throwing enricher does not lose the event', () => {
    expect(createEnrichers({ geoip: true, lists: [] }).map((e) => e.id)).toEqual(['geoip']);
    expect(createEnrichers({ geoip: false, lists: [list({ name: 'a', tag: 'a', ips: ['1.1.1.1'] })] }).map((e) => e.id)).toEqual(['lists']);
    const event: EcsEvent = { '@timestamp': at };
    const broken = { id: 'broken', enrich: () => { throw new Error('bug'); } };
    expect(applyEnrichers([broken], event)).toBe(event);
  });
});
