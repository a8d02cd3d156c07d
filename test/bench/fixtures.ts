// What the parser and detection benchmarks feed: each parser's golden fixture lines as syslog
// records, and the normalizer the pipeline uses (GeoIP on, one CIDR list).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawRecord } from '../../core/ingest/record.js';
import { createEnrichers } from '../../ingest/enrich/index.js';
import { enrichingNormalizer, normalizeRecord } from '../../ingest/pipeline/normalize.js';

const PARSERS_DIR = fileURLToPath(new URL('../../ingest/parsers/', import.meta.url));

/** The production normalizer with GeoIP and an "internal networks" list, as a site would run it. */
export const benchNormalize = enrichingNormalizer(
  normalizeRecord,
  createEnrichers({ geoip: true, lists: [{ name: 'internal', tag: 'internal', cidrs: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'], ips: [], domains: [] }] }),
);

/** The lines of ingest/parsers/<id>/testdata/*.log as UDP syslog records; [] when there are none. */
export function fixtureRecords(id: string): RawRecord[] {
  const dir = join(PARSERS_DIR, id, 'testdata');
  if (!existsSync(dir)) return [];
  const receivedAt = Date.now();
  return readdirSync(dir)
    .filter((name) => name.endsWith('.log'))
    .sort()
    .flatMap((name) => readFileSync(join(dir, name), 'utf8').split('\n'))
    .filter((line) => line.length > 0)
    .map((line) => ({ sourceId: 'bench', transport: 'udp', data: Buffer.from(line), receivedAt, peer: '192.0.2.10:514', listener: '127.0.0.1:5514', timezone: 'UTC' }));
}
