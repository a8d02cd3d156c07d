// Per-parser throughput: parse + normalize + enrich, events per second per core (CPU time).
// Prints figures, asserts nothing.   npx tsx test/bench/parsers.ts [seconds per parser]
// Each parser's golden fixture lines (ingest/parsers/<id>/testdata/*.log) are replayed as syslog
// records with format detection on (the production default), through the same normalizer and
// enrichers (GeoIP on, one CIDR list) as the pipeline, repeatedly for about a second. The GeoIP
// data is loaded and the code warmed up before timing. Fixture addresses repeat, so GeoIP answers
// come from its LRU cache after the first pass: a stream of ever-new addresses is slower.
import type { RawRecord } from '../../core/ingest/record.js';
import { PARSERS } from '../../ingest/parsers/index.js';
import { benchNormalize, fixtureRecords } from './fixtures.js';

const SECONDS = Number(process.argv[2] ?? 1);
/** The parsers with a throughput target (issue 4): iptables, nginx access and sshd lines. */
const TARGETS: Readonly<Record<string, number>> = { iptables: 100_000, nginx: 100_000, 'linux-auth': 100_000 };

const normalize = benchNormalize;

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

/** Runs the records round after round for about `seconds` of wall time; events and CPU seconds. */
function measure(records: readonly RawRecord[], seconds: number): { events: number; cpu: number; wrongParser: number } {
  let events = 0;
  let wrongParser = 0;
  const deadline = performance.now() + seconds * 1000;
  const cpuStart = process.cpuUsage();
  while (performance.now() < deadline) {
    for (const record of records) {
      const event = normalize(record);
      if (event.watchpost?.parse?.failure !== undefined) wrongParser += 1;
    }
    events += records.length;
  }
  return { events, cpu: cpuSeconds(cpuStart), wrongParser };
}

const rows: string[] = [];
const verdicts: string[] = [];
process.stdout.write(`parse + normalize + enrich, format auto, ~${SECONDS} s per parser\n`);
process.stdout.write(`${'parser'.padEnd(26)} ${'lines'.padStart(5)} ${'events'.padStart(10)} ${'cpu s'.padStart(6)} ${'events/s/core'.padStart(14)}  failures\n`);
for (const parser of PARSERS) {
  const records = fixtureRecords(parser.id);
  if (records.length === 0) {
    rows.push(`${parser.id.padEnd(26)} (no golden fixtures)`);
    continue;
  }
  measure(records, Math.min(0.2, SECONDS / 5)); // warm-up: JIT, GeoIP data load, caches
  const { events, cpu, wrongParser } = measure(records, SECONDS);
  const rate = events / cpu;
  const row = `${parser.id.padEnd(26)} ${String(records.length).padStart(5)} ${String(events).padStart(10)} ${cpu.toFixed(2).padStart(6)} ${Math.round(rate).toLocaleString('en-US').padStart(14)}  ${wrongParser > 0 ? `${((100 * wrongParser) / events).toFixed(0)}% tagged` : '-'}`;
  rows.push(row);
  process.stdout.write(`${row}\n`);
  const target = TARGETS[parser.id];
  if (target !== undefined) verdicts.push(`${parser.id}: ${Math.round(rate).toLocaleString('en-US')} events/s/core, target ${target.toLocaleString('en-US')}: ${rate >= target ? 'met' : 'NOT met'}`);
}
for (const row of rows.filter((line) => line.endsWith('(no golden fixtures)'))) process.stdout.write(`${row}\n`);
for (const id of Object.keys(TARGETS)) if (!PARSERS.some((parser) => parser.id === id)) verdicts.push(`${id}: not registered: NOT met`);
process.stdout.write(`\n${verdicts.join('\n')}\n`);
