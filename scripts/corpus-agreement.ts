// Agreement with Elastic's parsers: replays every `X.log` of the corpus (../shared/corpus, not in
// this repository: ELv2/GPL) through the normalizer and compares key fields with the documents in
// `X.log-expected.json`. Usage: npm run corpus:agreement -- <corpus dir> [--verbose]
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RawRecord } from '../core/ingest/record.js';
import { normalizeRecord } from '../ingest/pipeline/normalize.js';

/**
 * The key fields compared, where the expected document has them. Left out on purpose:
 * event.dataset (Elastic names datasets after its packages, `panw.panos`; ours are
 * `<vendor>.<log>`), geo and AS fields (Elastic's come from MaxMind test databases), and
 * @timestamp for inputs without a year (the year is inferred from the receive time).
 */
const FIELDS = [
  'event.kind',
  'event.category',
  'event.type',
  'event.action',
  'event.outcome',
  'source.ip',
  'source.port',
  'destination.ip',
  'destination.port',
  'network.transport',
  'network.protocol',
  'network.direction',
  'observer.vendor',
  'observer.product',
  'observer.type',
  'user.name',
  'url.original',
  'url.path',
  'url.domain',
  'http.request.method',
  'http.response.status_code',
  'user_agent.original',
  'rule.name',
  'process.name',
  'process.pid',
  'host.hostname',
  'file.path',
  'file.name',
  'log.level',
  '@timestamp',
] as const;

/** Compared without regard to case: vendors and products are spelled differently (`Cisco` / `cisco`). */
const CASE_INSENSITIVE = new Set(['observer.vendor', 'observer.product']);

/**
 * Zones the Elastic test configs injected (README per-folder notes, and event.timezone in the
 * expected docs of the same package's test config); UTC elsewhere. Etc/GMT signs are inverted.
 */
const TIMEZONES: Readonly<Record<string, string>> = {
  'pfsense/test-pfsense-bsd.log': 'Etc/GMT+4',
  // Same pfSense package test config as the filterlog file: -04:00.
  'squid/test-opnsense-squid.log': 'Etc/GMT+4',
  'squid/test-pfsense-squid.log': 'Etc/GMT+4',
  'panw_panos/test-panw-panos-threat-url-no-xff-sample.log': 'Australia/Darwin',
  'panw_panos/test-panw-panos-traffic-sample.log': 'America/New_York',
  'apache/test-error-basic.log': 'Etc/GMT-2',
  'syslog_elastic/test-tz-offset.log': 'Etc/GMT+2',
};

type Doc = Record<string, unknown>;

/** A dotted path of a nested document, or a literal dotted key (Elastic sometimes keeps both). */
function pick(doc: unknown, path: string): unknown {
  if (doc === null || typeof doc !== 'object') return undefined;
  const record = doc as Doc;
  if (path in record) return record[path];
  const dot = path.indexOf('.');
  if (dot < 0) return undefined;
  return pick(record[path.slice(0, dot)], path.slice(dot + 1));
}

/** A value as a sorted set of strings, so arrays compare as sets and 443 equals "443". */
function normal(field: string, value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const values = (Array.isArray(value) ? value : [value]).map((item) => {
    const text = typeof item === 'string' ? item : JSON.stringify(item);
    return CASE_INSENSITIVE.has(field) ? text.toLowerCase() : text;
  });
  return [...new Set(values)].sort();
}

function equal(field: string, expected: unknown, actual: unknown): boolean {
  if (field === '@timestamp') return typeof actual === 'string' && Date.parse(String(expected)) === Date.parse(actual);
  const a = normal(field, expected);
  const b = normal(field, actual);
  return a !== undefined && b !== undefined && a.length === b.length && a.every((item, index) => item === b[index]);
}

// Dates that carry their year: 2021-03-12 / 2021/03/12, 10/Oct/2000, Oct 10 2021 / Oct 10, 2021,
// Mon Oct 10 12:00:00 2021 (Apache 2.2 errors), and Squid's epoch seconds with milliseconds (a bare
// 10-digit number is too often a rule or tracker id to count as a date).
const DATED = [
  /(?:^|[^0-9])(?:19|20)\d\d[-/.]\d{1,2}[-/.]\d{1,2}/,
  /\d{1,2}[-/ ][A-Za-z]{3}[-/ ](?:19|20)\d\d/,
  /[A-Za-z]{3} +\d{1,2},? +(?:19|20)\d\d(?:[^0-9]|$)/,
  /[A-Za-z]{3} +\d{1,2} +\d\d:\d\d:\d\d(?:\.\d+)? +(?:19|20)\d\d/,
  /(?:^|\s)1\d{9}\.\d{3}\s/,
];

/**
 * True when the line carries a dated timestamp with its year, so its @timestamp is comparable.
 * A year-less one (RFC 3164 `Oct 10 07:25:12`) is inferred from the receive time, and Elastic's
 * test runner pinned its own year.
 */
function hasYear(line: string): boolean {
  return DATED.some((pattern) => pattern.test(line));
}

/** The records of one file: each doc's event.original when all have one (it is the exact input, multiline events included), else the file's lines. */
function inputsOf(logPath: string, docs: readonly Doc[]): string[] {
  const originals = docs.map((doc) => pick(doc, 'event.original'));
  if (originals.every((original) => typeof original === 'string')) return originals;
  const lines = readFileSync(logPath, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((line) => line.replace(/\r$/, ''));
}

interface Tally {
  docs: number;
  compared: number;
  equal: number;
  readonly mismatches: Map<string, { count: number; example: string }>;
  readonly parsers: Map<string, number>;
}

function newTally(): Tally {
  return { docs: 0, compared: 0, equal: 0, mismatches: new Map(), parsers: new Map() };
}

function show(value: unknown): string {
  const text = value === undefined ? '(missing)' : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function compareFile(folder: string, name: string, logPath: string, tally: Tally): void {
  const docs = (JSON.parse(readFileSync(`${logPath}-expected.json`, 'utf8')) as { expected: Doc[] }).expected;
  const inputs = inputsOf(logPath, docs);
  const timezone = TIMEZONES[`${folder}/${name}`] ?? 'UTC';
  const receivedAt = Date.now();
  let offset = 0;
  for (let index = 0; index < docs.length; index += 1) {
    const expected = docs[index] as Doc;
    const line = inputs[index];
    tally.docs += 1;
    const data = Buffer.from(line ?? '', 'utf8');
    const record: RawRecord = { sourceId: 'corpus', transport: 'file', data, receivedAt, file: logPath, offset, key: `corpus:${offset}`, timezone };
    offset += data.length + 1;
    const actual = normalizeRecord(record);
    const parser = actual.watchpost?.parse?.failure !== undefined ? `failed:${actual.watchpost.parse.failure}` : (actual.watchpost?.parse?.parser ?? 'unclaimed');
    tally.parsers.set(parser, (tally.parsers.get(parser) ?? 0) + 1);
    for (const field of FIELDS) {
      const want = pick(expected, field);
      if (want === undefined || want === null) continue;
      if (field === '@timestamp' && !hasYear(line ?? '')) continue;
      const got = pick(actual, field);
      tally.compared += 1;
      if (equal(field, want, got)) {
        tally.equal += 1;
        continue;
      }
      const mismatch = tally.mismatches.get(field) ?? { count: 0, example: `${name}#${index + 1}: expected ${show(want)}, got ${show(got)}` };
      mismatch.count += 1;
      tally.mismatches.set(field, mismatch);
    }
  }
}

function percent(equalCount: number, compared: number): string {
  return compared === 0 ? '   -  ' : `${((100 * equalCount) / compared).toFixed(1).padStart(5)}%`;
}

function main(): void {
  const args = process.argv.slice(2);
  const verbose = args.includes('--verbose');
  const root = args.find((arg) => !arg.startsWith('--'));
  if (root === undefined || !existsSync(root)) {
    process.stderr.write('usage: npm run corpus:agreement -- <corpus dir> [--verbose]\n');
    process.exitCode = 2;
    return;
  }
  const started = process.hrtime.bigint();
  const overall = newTally();
  const rows: string[] = [];
  const details: string[] = [];
  for (const folder of readdirSync(root).sort()) {
    const dir = join(root, folder);
    if (!statSync(dir).isDirectory()) continue;
    const files = readdirSync(dir)
      .filter((name) => name.endsWith('.log') && existsSync(join(dir, `${name}-expected.json`)))
      .sort();
    if (files.length === 0) continue;
    const tally = newTally();
    for (const name of files) compareFile(folder, name, join(dir, name), tally);
    overall.docs += tally.docs;
    overall.compared += tally.compared;
    overall.equal += tally.equal;
    rows.push(`${folder.padEnd(20)} ${String(tally.docs).padStart(5)} ${String(tally.compared).padStart(8)} ${String(tally.equal).padStart(6)}  ${percent(tally.equal, tally.compared)}`);
    const parsers = [...tally.parsers].map(([id, count]) => `${id}=${count}`).join(' ');
    const top = [...tally.mismatches].sort((a, b) => b[1].count - a[1].count).slice(0, verbose ? 30 : 5);
    details.push(`${folder} (parsed by: ${parsers})`);
    for (const [field, { count, example }] of top) details.push(`  ${String(count).padStart(3)} ${field.padEnd(26)} ${verbose ? example : example.slice(0, 110)}`);
  }
  process.stdout.write(`${'source'.padEnd(20)} ${'docs'.padStart(5)} ${'compared'.padStart(8)} ${'equal'.padStart(6)}  share\n`);
  for (const row of rows) process.stdout.write(`${row}\n`);
  process.stdout.write(`${'OVERALL'.padEnd(20)} ${String(overall.docs).padStart(5)} ${String(overall.compared).padStart(8)} ${String(overall.equal).padStart(6)}  ${percent(overall.equal, overall.compared)}\n\n`);
  process.stdout.write('Top mismatching fields per source (count, field, first example):\n');
  for (const line of details) process.stdout.write(`${line}\n`);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(`\n(${seconds.toFixed(2)} s; event.dataset, geo and AS fields are not compared; @timestamp only for inputs that carry a year)\n`);
}

main();
