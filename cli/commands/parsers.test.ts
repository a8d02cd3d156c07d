import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PARSERS } from '../../ingest/parsers/index.js';
import { parserTable, type ParserListing } from './parsers.js';

const run = promisify(execFile);
const BIN = new URL('../../bin/watchpost', import.meta.url).pathname;

describe('watchpost parsers list', () => {
  it('prints every registered parser as NDJSON with --json', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'parsers', 'list', '--json']);
    const listed = stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as ParserListing);
    expect(listed.map((listing) => listing.id)).toEqual(PARSERS.map((parser) => parser.id));
    for (const listing of listed) {
      expect(Object.keys(listing).sort()).toEqual(['description', 'id', 'programs', 'timeResolution']);
      expect(Array.isArray(listing.programs)).toBe(true);
    }
  }, 60_000);

  it('prints a table with a header row and one row per parser', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'parsers', 'list']);
    const rows = stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^ID\s+DESCRIPTION\s+PROGRAMS\s+TIME RESOLUTION$/);
    expect(rows.slice(1).map((row) => row.split(' ')[0])).toEqual(PARSERS.map((parser) => parser.id));
  }, 60_000);

  it('pads columns and shows - for a parser without programs', () => {
    const table = parserTable([
      { id: 'a', description: 'first', programs: [], timeResolution: 'header' },
      { id: 'longer-id', description: 'second', programs: ['x', 'y'], timeResolution: 'own' },
    ]);
    expect(table).toBe('ID         DESCRIPTION  PROGRAMS  TIME RESOLUTION\na          first        -         header\nlonger-id  second       x,y       own\n');
    // A line break in a description must not break the one-row-per-parser layout.
    expect(parserTable([{ id: 'a', description: 'two\nlines', programs: [], timeResolution: 'x\ty' }])).toBe('ID  DESCRIPTION  PROGRAMS  TIME RESOLUTION\na   two lines    -         x y\n');
  });
});
