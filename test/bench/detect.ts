// Detection throughput: every loaded rule against normalized events, events per second per core
// (CPU time, median of 3 rounds). Prints figures, asserts nothing.
//   npx tsx test/bench/detect.ts [seconds per round]
// The rules are those a default install loads: rules/sigmahq (outside unsupported/) and
// rules/watchpost, with the pipelines of rules/pipelines. The events are the parsers' golden
// fixture lines (ingest/parsers/<id>/testdata/*.log) normalized and enriched exactly as
// test/bench/parsers.ts does, then timed through Detector.evaluate only (normalizing is not timed):
// (a) a realistic mix, 60 % firewall, 30 % web (access logs and proxy), 10 % auth, and
// (b) the worst case, web server access events, where the most rules (~90) apply.
// Fixture events repeat, but nothing is cached across events: each evaluate starts from scratch.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EcsEvent } from '../../core/ecs/event.js';
import { createDetector, type StreamingDetector } from '../../engine/detect/detector.js';
import { logsourceApplies } from '../../engine/detect/rule-index.js';
import { eventContext } from '../../engine/query/event-context.js';
import { compilePredicate } from '../../engine/query/predicate.js';
import { loadRuleSet } from '../../engine/sigma/load.js';
import type { RuleSet } from '../../engine/sigma/types.js';
import { ACCESS_PARSERS } from '../../ingest/parsers/groups/access.js';
import { FIREWALL_A_PARSERS } from '../../ingest/parsers/groups/firewall-a.js';
import { FIREWALL_B_PARSERS } from '../../ingest/parsers/groups/firewall-b.js';
import { WEB_PARSERS } from '../../ingest/parsers/groups/web.js';
import { benchNormalize, fixtureRecords } from './fixtures.js';

const SECONDS = Number(process.argv[2] ?? 1);
const ROUNDS = 3;
const TARGET = 50_000;
const MIX_SIZE = 2000;

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const normalize = benchNormalize;

function eventsOf(ids: readonly string[]): EcsEvent[] {
  return ids.flatMap((id) => fixtureRecords(id).map((record) => normalize(record)));
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

/** Runs the events round after round for about `seconds` of wall time; events, CPU seconds and matches. */
function measure(detector: StreamingDetector, events: readonly EcsEvent[], seconds: number): { events: number; cpu: number; matches: number } {
  let count = 0;
  let matches = 0;
  const deadline = performance.now() + seconds * 1000;
  const cpuStart = process.cpuUsage();
  while (performance.now() < deadline) {
    for (const event of events) matches += detector.evaluate(event).length;
    count += events.length;
  }
  return { events: count, cpu: cpuSeconds(cpuStart), matches };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** `count` events taking `weight` events of each family in turn, interleaved as a live stream is. */
function mix(families: readonly { events: readonly EcsEvent[]; weight: number }[], count: number): EcsEvent[] {
  const out: EcsEvent[] = [];
  if (families.every((family) => family.events.length === 0)) return out;
  const cursors = families.map(() => 0);
  while (out.length < count) {
    families.forEach((family, f) => {
      for (let k = 0; k < family.weight && family.events.length > 0; k++) {
        out.push(family.events[(cursors[f] as number) % family.events.length] as EcsEvent);
        cursors[f] = (cursors[f] as number) + 1;
      }
    });
  }
  return out.slice(0, count);
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

const loadStart = performance.now();
const ruleSet: RuleSet = await loadRuleSet({
  paths: [join(REPO, 'rules/sigmahq'), join(REPO, 'rules/watchpost')],
  exclude: [join(REPO, 'rules/sigmahq/unsupported')],
  pipelinesDir: join(REPO, 'rules/pipelines'),
});
const loadMs = performance.now() - loadStart;
const compileStart = performance.now();
const detector = createDetector(ruleSet);
const compileMs = performance.now() - compileStart;
process.stdout.write(
  `rules: ${ruleSet.rules.length} detection, ${ruleSet.correlations.length} correlation, ${ruleSet.disabled.length} disabled documents; ` +
    `${detector.active} compiled, ${detector.failed.length} failed to compile (load ${fmt(loadMs)} ms, compile ${fmt(compileMs)} ms)\n`,
);
for (const failure of detector.failed.slice(0, 10)) process.stdout.write(`  failed: ${failure.source} ${failure.key}: ${failure.message}\n`);

const firewall = eventsOf([...FIREWALL_A_PARSERS, ...FIREWALL_B_PARSERS].map((parser) => parser.id));
const auth = eventsOf(['linux-auth']);
const web = eventsOf([...ACCESS_PARSERS.filter((parser) => parser.id !== 'linux-auth'), ...WEB_PARSERS].map((parser) => parser.id));
const isWebserver = (event: EcsEvent): boolean => ruleSet.logsources.logsourcesOf(event).some((source) => source.category === 'webserver');
const webserver = web.filter(isWebserver);

const workloads = [
  { name: 'realistic mix (60% firewall, 30% web, 10% auth)', events: mix([{ events: firewall, weight: 6 }, { events: web, weight: 3 }, { events: auth, weight: 1 }], MIX_SIZE) },
  { name: 'worst case (webserver access events)', events: webserver },
];

const verdicts: string[] = [];
process.stdout.write(`\nDetector.evaluate, ${ROUNDS} rounds of ~${SECONDS} s each, median\n`);
for (const { name, events } of workloads) {
  if (events.length === 0) {
    verdicts.push(`${name}: no events (no fixtures or no pipeline gives them a logsource): NOT met`);
    continue;
  }
  const applicable = events.reduce((sum, event) => {
    const sources = ruleSet.logsources.logsourcesOf(event);
    return sum + ruleSet.rules.filter((rule) => logsourceApplies(rule.logsource, sources)).length;
  }, 0);
  const probe = createDetector(ruleSet);
  let matched = 0;
  for (const event of events) matched += probe.evaluate(event).length;
  measure(detector, events, Math.min(0.3, SECONDS / 3)); // warm-up: JIT
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const { events: count, cpu } = measure(detector, events, SECONDS);
    rates.push(count / cpu);
  }
  const rate = median(rates);
  process.stdout.write(
    `${name}\n  ${events.length} events (${new Set(events).size} distinct); per event: ${(applicable / events.length).toFixed(1)} rules by logsource, ` +
      `${(probe.stats.evaluations / events.length).toFixed(1)} evaluated after the literal and field gates, ${(matched / events.length).toFixed(2)} matches\n` +
      `  rounds: ${rates.map(fmt).join(', ')} events/s/core → median ${fmt(rate)}\n`,
  );
  verdicts.push(`${name}: ${fmt(rate)} events/s/core, target ${fmt(TARGET)}: ${rate >= TARGET ? 'met' : 'NOT met'}`);
}
// The index only skips work: check that every fixture event gets exactly the matches the bare
// predicates of its applicable rules give.
const bare = ruleSet.rules.map((rule) => ({ rule, predicate: compilePredicate(rule.filter) }));
let disagreements = 0;
const checker = createDetector(ruleSet);
for (const event of [...firewall, ...web, ...auth]) {
  const sources = ruleSet.logsources.logsourcesOf(event);
  const ctx = eventContext(event);
  const expected = bare.filter(({ rule, predicate }) => logsourceApplies(rule.logsource, sources) && predicate(ctx)).map(({ rule }) => rule.key);
  const actual = checker.evaluate(event).map((match) => match.rule.key);
  if (expected.sort().join() !== actual.sort().join()) disagreements += 1;
}
process.stdout.write(`\nindex vs bare predicates on ${firewall.length + web.length + auth.length} fixture events: ${disagreements === 0 ? 'same matches' : `${disagreements} events DIFFER`}\n`);
// Hostile traffic that defeats the literal and field gates: every applicable rule's full predicate
// on every webserver event (what the detector would do if each line carried every rule's literals).
if (webserver.length > 0) {
  const perEvent = webserver.map((event) => {
    const sources = ruleSet.logsources.logsourcesOf(event);
    return { event, predicates: bare.filter(({ rule }) => logsourceApplies(rule.logsource, sources)).map(({ predicate }) => predicate) };
  });
  const run = (seconds: number): number => {
    let count = 0;
    const deadline = performance.now() + seconds * 1000;
    const start = process.cpuUsage();
    while (performance.now() < deadline) {
      for (const { event, predicates } of perEvent) {
        const ctx = eventContext(event);
        for (const predicate of predicates) predicate(ctx);
      }
      count += perEvent.length;
    }
    return count / cpuSeconds(start);
  };
  run(Math.min(0.3, SECONDS / 3));
  const rates = Array.from({ length: ROUNDS }, () => run(SECONDS));
  const rate = median(rates);
  process.stdout.write(
    `\nno gates: all ${(perEvent.reduce((sum, entry) => sum + entry.predicates.length, 0) / perEvent.length).toFixed(1)} applicable rules evaluated in full on each webserver event\n` +
      `  rounds: ${rates.map(fmt).join(', ')} events/s/core → median ${fmt(rate)}\n`,
  );
  verdicts.push(`no gates, every applicable rule in full (webserver): ${fmt(rate)} events/s/core, target ${fmt(TARGET)}: ${rate >= TARGET ? 'met' : 'NOT met'}`);
}
const noLogsource = [...firewall, ...web, ...auth].filter((event) => ruleSet.logsources.logsourcesOf(event).length === 0).length;
process.stdout.write(`\nevents without a logsource (no rule applies): ${noLogsource} of ${firewall.length + web.length + auth.length}\n`);
process.stdout.write(`\n${verdicts.join('\n')}\n`);
