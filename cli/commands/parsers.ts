import type { Command } from 'commander';
import { PARSERS } from '../../ingest/parsers/index.js';
import type { Parser } from '../../ingest/parsers/parser.js';
import { writeOut } from './options.js';

/** One row of `watchpost parsers list`. */
export interface ParserListing {
  readonly id: string;
  readonly description: string;
  readonly programs: readonly string[];
  readonly timeResolution: string;
}

/** What the listing shows of a parser. */
export function parserListing(parser: Parser): ParserListing {
  return { id: parser.id, description: parser.description, programs: [...parser.programs], timeResolution: parser.timeResolution };
}

/** A plain-text table: one row per parser, columns padded to their widest cell. */
export function parserTable(listings: readonly ParserListing[]): string {
  const header = ['ID', 'DESCRIPTION', 'PROGRAMS', 'TIME RESOLUTION'];
  // Whitespace runs (a line break in a description) become one space: one row per parser.
  const cell = (text: string): string => text.replace(/\s+/g, ' ').trim();
  const rows = listings.map((l) => [l.id, cell(l.description), l.programs.join(',') || '-', cell(l.timeResolution)]);
  // The last column is left unpadded: it is the long one, and trailing blanks only get in the way.
  const widths = header.slice(0, -1).map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] as string).length)));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => (column < widths.length ? cell.padEnd(widths[column] as number) : cell)).join('  ');
  return [header, ...rows].map(line).join('\n') + '\n';
}

/** Registers `watchpost parsers list`. */
export function registerParsersCommand(program: Command): void {
  const parsers = program.command('parsers').description('the vendor formats Watchpost parses');
  parsers
    .command('list')
    .description('print each parser: id, description, syslog programs routed to it, how it resolves year and time zone')
    .option('--json', 'one JSON object per line (NDJSON) instead of a table')
    .action(async (options: { json?: boolean }) => {
      const listings = PARSERS.map(parserListing);
      if (options.json) {
        for (const listing of listings) if (!(await writeOut(JSON.stringify(listing) + '\n'))) return;
        return;
      }
      await writeOut(parserTable(listings));
    });
}
