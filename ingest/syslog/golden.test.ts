// Walks testdata/: each `<case>.log` is one frame (bytes as a sender writes them) and `<case>.json`
// the SyslogMessage it must decode to. A new fixture is a new test. To regenerate the expected
// files after a deliberate change: `UPDATE_GOLDEN=1 npx vitest run ingest/syslog/golden.test.ts`,
// then read the diff before committing it.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSyslog } from './parse.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
// Every golden is read as received on 24 Nov 2026 from a sender in Berlin (UTC+1 then, +2 in summer).
const OPTIONS = { receivedAt: Date.parse('2026-11-24T10:00:00.000Z'), timezone: 'Europe/Berlin' };
const update = process.env.UPDATE_GOLDEN === '1';

const cases = readdirSync(dir)
  .filter((name) => name.endsWith('.log'))
  .map((name) => name.slice(0, -'.log'.length))
  .sort();

describe('syslog goldens', () => {
  it('has fixtures', () => {
    expect(cases.length).toBeGreaterThan(30);
  });

  it.each(cases)('%s', (name) => {
    const input = readFileSync(join(dir, `${name}.log`));
    const actual = parseSyslog(input, OPTIONS);
    const expectedPath = join(dir, `${name}.json`);
    if (update) writeFileSync(expectedPath, `${JSON.stringify(actual, null, 2)}\n`);
    const expected: unknown = JSON.parse(readFileSync(expectedPath, 'utf8'));
    expect(JSON.parse(JSON.stringify(actual))).toEqual(expected);
  });
});
