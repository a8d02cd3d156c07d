import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EcsEvent } from '../../core/ecs/event.js';
import type { RawRecord } from '../../core/ingest/record.js';
import { createNormalizer } from '../pipeline/normalize.js';
import { PARSERS } from './index.js';
import { createRouter } from './router.js';

/**
 * Golden files of every parser: `ingest/parsers/<id>/testdata/<case>.log` (one record per line,
 * as the device sends it over syslog) and `<case>.ecs.json` (the array of expected events).
 * A new fixture is a new test. Regenerate with `UPDATE_GOLDEN=1 npx vitest run ingest/parsers/golden.test.ts`
 * and read the diff before committing it.
 */
const ROOT = fileURLToPath(new URL('.', import.meta.url));
const RECEIVED_AT = Date.parse('2026-11-24T12:00:00.000Z');
const normalize = createNormalizer(createRouter(PARSERS));

/** Fields that depend on when the test ran, not on the parser. */
function stable(event: EcsEvent): EcsEvent {
  const copy = structuredClone(event) as EcsEvent & { event?: Record<string, unknown> };
  if (copy.event) {
    delete copy.event.created;
    delete copy.event.ingested;
    delete copy.event.id;
  }
  return copy;
}

describe.each(PARSERS.map((parser) => [parser.id]))('parser %s', (id) => {
  const dir = join(ROOT, id, 'testdata');
  const cases = existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.log')) : [];

  it('has golden cases', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  it.each(cases)('%s', (name) => {
    const lines = readFileSync(join(dir, name), 'utf8').split('\n').filter((line) => line.length > 0);
    const events = lines.map((line, index) => {
      const record: RawRecord = {
        sourceId: 'golden',
        transport: 'udp',
        data: Buffer.from(line),
        receivedAt: RECEIVED_AT + index,
        peer: '192.0.2.10:514',
        listener: '127.0.0.1:5514',
        timezone: 'UTC',
        format: id,
      };
      return stable(normalize(record));
    });
    const expectedFile = join(dir, name.replace(/\.log$/, '.ecs.json'));
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(expectedFile, `${JSON.stringify(events, null, 2)}\n`);
    const expected = JSON.parse(readFileSync(expectedFile, 'utf8')) as EcsEvent[];
    expect(events).toEqual(expected);
    for (const event of events) expect(event.tags ?? []).not.toContain('_watchpost_parse_failure');
  });
});
