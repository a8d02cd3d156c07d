import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawRecord } from '../../../core/ingest/record.js';
import { createNormalizer } from '../../pipeline/normalize.js';
import { FIREWALL_B_PARSERS } from '../groups/firewall-b.js';
import { PARSERS } from '../index.js';
import { createRouter } from '../router.js';

/**
 * Auto-detection: without a configured format, every golden line of the firewall-b parsers is
 * routed (by program or pre-filter) to its own parser, not claimed by another one.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const normalize = createNormalizer(createRouter(PARSERS));

describe.each(FIREWALL_B_PARSERS.map((parser) => [parser.id]))('auto-routing of %s', (id) => {
  const dir = join(ROOT, id, 'testdata');
  const lines = readdirSync(dir)
    .filter((name) => name.endsWith('.log'))
    .flatMap((name) => readFileSync(join(dir, name), 'utf8').split('\n').filter((line) => line.length > 0));

  it.each(lines.map((line) => [line.slice(0, 70), line]))('%s', (_label, line) => {
    const record: RawRecord = { sourceId: 'auto', transport: 'udp', data: Buffer.from(line), receivedAt: Date.parse('2026-11-24T12:00:00Z'), timezone: 'UTC' };
    const event = normalize(record);
    expect(event.watchpost?.parse?.parser).toBe(id);
    expect(event.tags ?? []).not.toContain('_watchpost_parse_failure');
  });
});
