// The differential check of our Elasticsearch converter against pySigma (docs/pysigma-diff.md).
//
//   npx tsx scripts/pysigma-diff.ts [--all-fields] [--keep-index] [--verbose]
//
// 1. A Python venv under .cache/pysigma-venv with scripts/pysigma/requirements.txt (pySigma
//    1.5.0, pySigma-backend-elasticsearch 2.1.0), reused while the requirements are unchanged.
// 2. Loads the SigmaHQ rules of rules/sigmahq (outside unsupported/) with rules/pipelines, and
//    has pySigma convert the same files to Lucene with a pySigma pipeline generated from each of
//    our pipelines (plus a case-folded variant, to classify differences).
// 3. Indexes test events in the test Elasticsearch (WATCHPOST_TEST_ES_URL, default
//    127.0.0.1:9250; `bash deploy/dev/services.sh up`): per rule, events synthesized from its
//    filter (positives, case-swapped, near misses), plus every rules/watchpost test event.
// 4. Per rule, runs pySigma's Lucene (query_string, as its dsl_lucene output does) and our Query
//    DSL (rule.filter through filter-dsl.ts) on that index, both under the rule's logsource
//    condition, and compares the hit sets; also our streaming predicate on the same events.
// Prints per-rule agreement, the totals and the differences by cause; writes the details to
// .cache/pysigma-diff/report.json. Not part of npm test: it needs Python, PyPI and Elasticsearch.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@elastic/elasticsearch';
import type { estypes } from '@elastic/elasticsearch';
import { and, type FilterNode } from '../core/query/filter.js';
import { compileFilterDsl, type FieldTypes } from '../backends/elasticsearch/filter-dsl.js';
import { eventsIndexTemplate, fieldTypeOf, STATIC_FIELD_TYPES } from '../backends/elasticsearch/index-template.js';
import { eventContext } from '../engine/query/event-context.js';
import { compilePredicate } from '../engine/query/predicate.js';
import { loadRuleSet } from '../engine/sigma/load.js';
import { DEFAULT_KEYWORD_FIELDS, loadPipelines, type Pipeline } from '../engine/sigma/pipeline.js';
import type { DetectionRule } from '../engine/sigma/types.js';
import { watchpostTestEvents } from './pysigma/test-events.js';
import { CAUSES, causeOf, featuresOf, type Cause, type RuleFeatures } from './pysigma/classify.js';
import { synthesize } from './pysigma/events.js';
import { FOLDED, logsourceFilter, luceneOf, NO_PIPELINE, pysigmaPipelineYaml } from './pysigma/pipelines.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
/** As test/helpers/services.ts: the dev Elasticsearch of `deploy/dev/services.sh`. */
const ES_URL = process.env.WATCHPOST_TEST_ES_URL ?? 'http://127.0.0.1:9250';
const VENV = join(ROOT, '.cache', 'pysigma-venv');
const PYTHON = join(VENV, 'bin', 'python');
const REQUIREMENTS = join(ROOT, 'scripts', 'pysigma', 'requirements.txt');
const STAMP = join(VENV, '.watchpost-requirements');
const REPORT_DIR = join(ROOT, '.cache', 'pysigma-diff');
const SIGMAHQ = join(ROOT, 'rules', 'sigmahq');
const MAX_HITS = 10_000;

const args = new Set(process.argv.slice(2));
const verbose = args.has('--verbose');
const allFields = args.has('--all-fields');

function step(message: string): void {
  process.stderr.write(`[pysigma-diff] ${message}\n`);
}

/** Creates the venv and installs the pinned requirements, unless a venv with the same requirements exists. */
function ensureVenv(): void {
  const wanted = readFileSync(REQUIREMENTS, 'utf8');
  if (existsSync(PYTHON) && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === wanted) return;
  step(`creating ${relative(ROOT, VENV)} and installing ${relative(ROOT, REQUIREMENTS)}`);
  const run = (command: string, argv: string[]): void => {
    const result = spawnSync(command, argv, { stdio: 'inherit', timeout: 600_000 });
    if (result.status !== 0) throw new Error(`${command} ${argv.join(' ')} failed (${result.status ?? result.signal})`);
  };
  run('python3', ['-m', 'venv', VENV]);
  run(join(VENV, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', '-r', REQUIREMENTS]);
  writeFileSync(STAMP, wanted);
}

/** pySigma's answer for one rule file: per pipeline name, the queries or an error. */
type Conversion = Record<string, string[] | { error: string }>;

function convertWithPysigma(pipelines: Record<string, string>, rules: { file: string; pipelines: string[] }[]): Map<string, Conversion> {
  const result = spawnSync(PYTHON, [join(ROOT, 'scripts', 'pysigma', 'convert.py')], {
    input: JSON.stringify({ pipelines, rules }),
    maxBuffer: 256 * 1024 * 1024,
    timeout: 600_000,
  });
  if (result.status !== 0) throw new Error(`pySigma conversion failed: ${result.stderr.toString('utf8')}`);
  const answer = JSON.parse(result.stdout.toString('utf8')) as { file: string; queries: Conversion }[];
  return new Map(answer.map((entry) => [entry.file, entry.queries]));
}

/** One rule under comparison. */
interface Subject {
  readonly rule: DetectionRule;
  readonly file: string;
  readonly logsource: FilterNode;
  readonly features: RuleFeatures;
  readonly pipeline: string;
}

/** The outcome for one rule. */
interface RuleOutcome {
  readonly file: string;
  readonly key: string;
  readonly pipeline: string;
  readonly ours: number;
  readonly pysigma: number | null;
  readonly stream: number;
  readonly onlyOurs: number;
  readonly onlyPysigma: number;
  /** Documents where our Query DSL and our streaming predicate differ (should be 0). */
  readonly streamDiffers: number;
  readonly agree: boolean;
  readonly causes: Partial<Record<Cause, number>>;
  /** Per cause, the differing documents found by ours only and by pySigma only. */
  readonly sides?: Partial<Record<Cause, [number, number]>>;
  /** Differing documents by what they were made as (positive, case, nearmiss, watchpost-test). */
  readonly byOrigin?: Record<string, number>;
  readonly note?: string;
  readonly lucene?: string;
  readonly examples?: { id: string; side: 'ours' | 'pysigma'; cause: Cause }[];
}

async function searchIds(client: Client, index: string, query: estypes.QueryDslQueryContainer): Promise<Set<string>> {
  const response = await client.search({ index, query, size: MAX_HITS, _source: false, track_total_hits: false });
  return new Set(response.hits.hits.map((hit) => hit._id as string));
}

function pysigmaQuery(queries: readonly string[], logsource: string, fields?: string[]): estypes.QueryDslQueryContainer {
  const one = (query: string): estypes.QueryDslQueryContainer => ({
    query_string: { query: `(${logsource}) AND (${query})`, analyze_wildcard: true, ...(fields ? { fields } : {}) },
  });
  return queries.length === 1 ? one(queries[0] as string) : { bool: { should: queries.map(one), minimum_should_match: 1 } };
}

async function pool<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

async function main(): Promise<void> {
  const started = Date.now();
  ensureVenv();
  const pipelinesDir = join(ROOT, 'rules', 'pipelines');
  const { pipelines } = await loadPipelines(pipelinesDir);
  step(`loading rules/sigmahq with ${pipelines.length} pipelines`);
  const ruleSet = await loadRuleSet({ paths: [SIGMAHQ], pipelinesDir, exclude: [join(SIGMAHQ, 'unsupported')] });
  const byName = new Map<string, Pipeline>(pipelines.map((p) => [p.name, p]));

  // Synthesized values follow the static types (a number field gets numbers); the index then says the rest.
  const staticTypes: FieldTypes = STATIC_FIELD_TYPES;

  const subjects: Subject[] = [];
  const skipped: { file: string; reason: string }[] = [];
  const perFile = new Map<string, number>();
  for (const rule of ruleSet.rules) perFile.set(rule.source.file, (perFile.get(rule.source.file) ?? 0) + 1);
  for (const rule of ruleSet.rules) {
    const file = rule.source.file;
    if ((perFile.get(file) ?? 0) > 1) {
      skipped.push({ file, reason: 'several rules in one file' });
      continue;
    }
    const logsource = logsourceFilter(rule.logsource, pipelines);
    if (logsource.op === 'or' && logsource.children.length === 0) {
      skipped.push({ file, reason: 'no pipeline logsource serves it: our detector never runs it' });
      continue;
    }
    const unsupported = JSON.stringify(rule.filter).match(/"op":"(fieldref|timepart)"/);
    if (unsupported) {
      skipped.push({ file, reason: `${unsupported[1]}: streaming only` });
      continue;
    }
    subjects.push({ rule, file, logsource, features: featuresOf(readFileSync(file, 'utf8'), rule.filter, staticTypes), pipeline: rule.pipeline ?? NO_PIPELINE });
  }
  step(`${ruleSet.rules.length} rules loaded, ${ruleSet.disabled.length} disabled; comparing ${subjects.length}, skipping ${skipped.length}`);


  // ---- events --------------------------------------------------------------------------------
  const docs: { id: string; doc: Record<string, unknown> }[] = [];
  const origin = new Map<string, string>();
  const at = '2026-01-05T10:00:00.000Z';
  for (const [index, subject] of subjects.entries()) {
    const keep = new Set(JSON.stringify(subject.logsource).match(/"field":"[^"]+"/g)?.map((m) => m.slice(9, -1)) ?? []);
    for (const { variant, doc } of synthesize(and(subject.logsource, subject.rule.filter), staticTypes, keep)) {
      const id = `r${index}-${docs.length}`;
      docs.push({ id, doc: { ...doc, '@timestamp': at, labels: { pysigma_diff: `${variant} ${index}` } } });
      origin.set(id, variant);
    }
  }
  let testEvents = 0;
  for (const event of await watchpostTestEvents(join(ROOT, 'rules', 'watchpost'))) {
    const id = `w${testEvents++}`;
    docs.push({ id, doc: { ...event, event: { ...(event.event as object | undefined), id } } });
    origin.set(id, 'watchpost-test');
  }
  step(`${docs.length} events: ${docs.length - testEvents} synthesized, ${testEvents} from rules/watchpost tests`);

  // ---- index ---------------------------------------------------------------------------------
  const client = new Client({ node: ES_URL, requestTimeout: 60_000 });
  const index = `wpt-pysigma-diff-${randomBytes(4).toString('hex')}`;
  const template = eventsIndexTemplate({ indexPattern: index, shards: 1, replicas: 0 }).template ?? {};
  await client.indices.create({ index, settings: template.settings, mappings: template.mappings });
  try {
    const operations = docs.flatMap(({ id, doc }) => [{ index: { _index: index, _id: id } }, doc]);
    const bulk = await client.bulk({ operations, refresh: 'wait_for' });
    const rejected = new Set<string>();
    for (const item of bulk.items) if (item.index?.error) rejected.add(item.index._id as string);
    step(`indexed ${docs.length - rejected.size} events into ${index}${rejected.size > 0 ? ` (${rejected.size} rejected by the mapping)` : ''}`);
    const indexed = docs.filter((d) => !rejected.has(d.id));

    const caps = await client.fieldCaps({ index, fields: '*' });
    const types: Record<string, FieldTypes[string]> = { ...STATIC_FIELD_TYPES };
    for (const [field, byType] of Object.entries(caps.fields)) {
      if (field.startsWith('_') || /\.(keyword|lower)$/.test(field) || field in types) continue;
      const type = fieldTypeOf(Object.keys(byType)[0] ?? '');
      if (type) types[field] = type;
    }

    // The folded variants must leave numeric fields (static or dynamic) without `.lower`.
    const pysigmaPipelines: Record<string, string> = {};
    for (const name of [NO_PIPELINE, ...byName.keys()]) {
      const pipeline = byName.get(name);
      pysigmaPipelines[name] = pysigmaPipelineYaml(pipeline, false, types);
      pysigmaPipelines[name + FOLDED] = pysigmaPipelineYaml(pipeline, true, types);
    }
    step('converting with pySigma');
    const conversions = convertWithPysigma(
      pysigmaPipelines,
      subjects.map((subject) => ({ file: subject.file, pipelines: [subject.pipeline, subject.pipeline + FOLDED] })),
    );

    // ---- compare -----------------------------------------------------------------------------
    const contexts = indexed.map(({ id, doc }) => ({ id, ctx: eventContext(doc) }));
    const outcomes: RuleOutcome[] = [];
    step(`running ${subjects.length} rules on both sides`);
    // One at a time: big wildcard rules compile automata that a small test heap holds only one of.
    await pool(subjects, 1, async (subject) => {
      const shown = relative(ROOT, subject.file);
      const filter = and(subject.logsource, subject.rule.filter);
      const predicate = compilePredicate(filter);
      const stream = new Set(contexts.filter(({ ctx }) => predicate(ctx)).map(({ id }) => id));
      const conversion = conversions.get(subject.file) ?? {};
      const raw = conversion[subject.pipeline];
      const folded = conversion[subject.pipeline + FOLDED];
      let ours: Set<string>;
      try {
        ours = await searchIds(client, index, compileFilterDsl(filter, types, { lowerSubfields: true }));
      } catch (error) {
        const base = { file: shown, key: subject.rule.key, pipeline: subject.pipeline, ours: 0, stream: stream.size, streamDiffers: 0 };
        outcomes.push({ ...base, pysigma: null, onlyOurs: 0, onlyPysigma: 0, agree: false, causes: { 'es-rejects-ours': 1 }, note: reasonOf(error) });
        return;
      }
      const streamDiffers = [...new Set([...ours, ...stream])].filter((id) => ours.has(id) !== stream.has(id)).length;
      const base = { file: shown, key: subject.rule.key, pipeline: subject.pipeline, ours: ours.size, stream: stream.size, streamDiffers };
      if (raw === undefined || !Array.isArray(raw)) {
        const note = raw === undefined ? 'no answer from pySigma' : raw.error;
        outcomes.push({ ...base, pysigma: null, onlyOurs: ours.size, onlyPysigma: 0, agree: false, causes: { 'pysigma-error': Math.max(1, ours.size) }, note });
        return;
      }
      const logsource = luceneOf(subject.logsource);
      // Field-less (keyword) terms: in the fields our pipeline searches, unless --all-fields asks
      // for query_string's default (every field), as pySigma's own output leaves it.
      const keywordFields = allFields ? undefined : [...(byName.get(subject.pipeline)?.keywords ?? DEFAULT_KEYWORD_FIELDS)];
      let theirs: Set<string>;
      try {
        theirs = await searchIds(client, index, pysigmaQuery(raw, logsource, keywordFields));
      } catch (error) {
        outcomes.push({ ...base, pysigma: null, onlyOurs: ours.size, onlyPysigma: 0, agree: false, causes: { 'es-rejects-lucene': Math.max(1, ours.size) }, note: reasonOf(error), lucene: raw.join(' || ') });
        return;
      }
      let foldedHits: Set<string> | undefined;
      if (Array.isArray(folded)) {
        try {
          foldedHits = await searchIds(client, index, pysigmaQuery(folded, logsource, keywordFields?.map((f) => (types[f] === 'number' ? f : `${f}.lower`)) ?? ['*.lower']));
        } catch {
          foldedHits = undefined;
        }
      }
      const differing = [...new Set([...ours, ...theirs])].filter((id) => ours.has(id) !== theirs.has(id));
      const causes: Partial<Record<Cause, number>> = {};
      const byOrigin: Record<string, number> = {};
      const sides: Partial<Record<Cause, [number, number]>> = {};
      const examples: RuleOutcome['examples'] = [];
      for (const id of differing) {
        const made = origin.get(id) ?? 'unknown';
        byOrigin[made] = (byOrigin[made] ?? 0) + 1;
        // Without a folded answer (Elasticsearch refused it), a case-swapped event stands for the experiment.
        const byCase = foldedHits !== undefined ? foldedHits.has(id) === ours.has(id) : made === 'case';
        const cause = causeOf(subject.features, byCase, made === 'case');
        causes[cause] = (causes[cause] ?? 0) + 1;
        const side = (sides[cause] ??= [0, 0]);
        side[ours.has(id) ? 0 : 1] += 1;
        if (examples.length < 3) examples.push({ id, side: ours.has(id) ? 'ours' : 'pysigma', cause });
      }
      outcomes.push({
        ...base,
        pysigma: theirs.size,
        onlyOurs: differing.filter((id) => ours.has(id)).length,
        onlyPysigma: differing.filter((id) => theirs.has(id)).length,
        agree: differing.length === 0,
        causes,
        sides,
        byOrigin,
        lucene: raw.join(' || '),
        ...(examples.length > 0 ? { examples } : {}),
      });
    });
    outcomes.sort((a, b) => a.file.localeCompare(b.file));
    report(outcomes, skipped, indexed.length, docs, started, ruleSet.rules.length, testEvents);
  } finally {
    if (!args.has('--keep-index')) await client.indices.delete({ index }).catch(() => undefined);
    await client.close();
  }
}

function report(
  outcomes: readonly RuleOutcome[],
  skipped: readonly { file: string; reason: string }[],
  events: number,
  docs: readonly { id: string; doc: Record<string, unknown> }[],
  started: number,
  loaded: number,
  testEvents: number,
): void {
  const out = (line = ''): void => {
    process.stdout.write(line + '\n');
  };
  out('per rule (= agree, ≠ differ): ours / pySigma hits, only-ours / only-pySigma, causes');
  for (const o of outcomes) {
    if (o.agree && !verbose) continue;
    const causes = Object.entries(o.causes)
      .map(([cause, count]) => `${cause}=${count}`)
      .join(' ');
    out(`${o.agree ? '=' : '≠'} ${o.file}  ${o.ours}/${o.pysigma ?? '-'}  ${o.onlyOurs}/${o.onlyPysigma}  ${causes}${o.note ? `  (${o.note.split('\n')[0]})` : ''}`);
  }
  const agreeing = outcomes.filter((o) => o.agree).length;
  const decisions = outcomes.length * events;
  const disagreements = outcomes.reduce((sum, o) => sum + o.onlyOurs + o.onlyPysigma, 0);
  const streamMismatches = outcomes.reduce((sum, o) => sum + o.streamDiffers, 0);
  out();
  out(`rules: ${loaded} loaded from rules/sigmahq (outside unsupported/), ${outcomes.length} compared, ${skipped.length} skipped`);
  out(`events: ${events} indexed (${events - testEvents} synthesized, ${testEvents} from rules/watchpost tests)`);
  out(`agreement by rule: ${agreeing}/${outcomes.length} (${pct(agreeing, outcomes.length)})`);
  out(`agreement by (rule, event) decision: ${decisions - disagreements}/${decisions} (${pct(decisions - disagreements, decisions)})`);
  const beyondCase = outcomes.filter((o) => Object.entries(o.causes).some(([cause, count]) => cause !== 'case' && (count ?? 0) > 0)).length;
  out(`agreement by rule, case differences set aside: ${outcomes.length - beyondCase}/${outcomes.length} (${pct(outcomes.length - beyondCase, outcomes.length)})`);
  const byOrigin: Record<string, number> = {};
  for (const o of outcomes) for (const [made, count] of Object.entries(o.byOrigin ?? {})) byOrigin[made] = (byOrigin[made] ?? 0) + count;
  out(`differing decisions by event: ${Object.entries(byOrigin).map(([made, count]) => `${made}=${count}`).join(' ') || '-'}`);
  out(`our Query DSL vs our streaming predicate: ${streamMismatches} differing decisions`);
  out(`keyword terms searched in: ${allFields ? "every field (query_string's default, --all-fields)" : "each rule's pipeline keyword fields"}`);
  out();
  out('differences by cause            rules  only-ours  only-pySigma');
  for (const cause of Object.keys(CAUSES) as Cause[]) {
    const withCause = outcomes.filter((o) => (o.causes[cause] ?? 0) > 0);
    if (withCause.length === 0) continue;
    // Rules refused as a whole (no sides) count their documents on our side.
    const docsOf = (side: 'ours' | 'pysigma'): number =>
      withCause.reduce((sum, o) => sum + (o.sides?.[cause]?.[side === 'ours' ? 0 : 1] ?? (side === 'ours' ? (o.causes[cause] ?? 0) : 0)), 0);
    out(`${cause.padEnd(30)} ${String(withCause.length).padStart(6)} ${String(docsOf('ours')).padStart(10)} ${String(docsOf('pysigma')).padStart(13)}   ${CAUSES[cause]}`);
  }
  const reasons = new Map<string, number>();
  for (const s of skipped) reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
  if (reasons.size > 0) {
    out();
    out('skipped:');
    for (const [reason, count] of reasons) out(`  ${count}  ${reason}`);
  }
  mkdirSync(REPORT_DIR, { recursive: true });
  const file = join(REPORT_DIR, 'report.json');
  const docById = Object.fromEntries(docs.map((d) => [d.id, d.doc]));
  const detailed = outcomes.map((o) => ({ ...o, examples: o.examples?.map((e) => ({ ...e, doc: docById[e.id] })) }));
  writeFileSync(file, JSON.stringify({ outcomes: detailed, skipped }, null, 2));
  out();
  out(`details: ${relative(ROOT, file)}; ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** The root cause Elasticsearch gives for a refused search, shortened. */
function reasonOf(error: unknown): string {
  const meta = (error as { meta?: { body?: { error?: { root_cause?: { type?: string; reason?: string }[] } } } }).meta;
  const root = meta?.body?.error?.root_cause?.[0];
  return (root ? `${root.type ?? 'error'}: ${root.reason ?? ''}` : error instanceof Error ? error.message : String(error)).slice(0, 300);
}

function pct(part: number, whole: number): string {
  return whole === 0 ? '-' : `${((part / whole) * 100).toFixed(1)} %`;
}

main().catch((error: unknown) => {
  process.stderr.write(`pysigma-diff: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
