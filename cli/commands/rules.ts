import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { EcsEvent } from '../../core/ecs/event.js';
import { WatchpostError } from '../../core/errors.js';
import type { FilterNode } from '../../core/query/filter.js';
import { STATIC_FIELD_TYPES } from '../../backends/elasticsearch/index-template.js';
import { compileFilterDsl } from '../../backends/elasticsearch/filter-dsl.js';
import { MemoryCorrelationStore } from '../../backends/memory/correlation-store.js';
import { compileFilterSql } from '../../backends/sqlite/filter-sql.js';
import { createCorrelationEngine } from '../../engine/correlation/engine.js';
import { createDetector, type StreamingDetector } from '../../engine/detect/detector.js';
import type { RuleMatch } from '../../engine/detect/types.js';
import { printKql } from '../../engine/query/kql-print.js';
import { ruleSetProblems } from '../../engine/rules/index.js';
import { loadRuleSet } from '../../engine/sigma/load.js';
import type { CorrelationRule, DetectionRule, RuleProblem, RuleSet } from '../../engine/sigma/types.js';
import { createEnrichers } from '../../ingest/enrich/index.js';
import { enrichingNormalizer, normalizeRecord } from '../../ingest/pipeline/normalize.js';
import { packageRoot } from '../version.js';
import { configOf, refuse, writeOut } from './options.js';
import { displayPath, isInside, runRuleTests, type SequenceDetector, type TestResult } from './rules-test-runner.js';

/** Where the rules come from: paths (files or folders), pipelines, and what to leave out. */
export interface RuleSources {
  readonly paths: readonly string[];
  readonly pipelinesDir: string;
  readonly exclude: readonly string[];
}

/**
 * The shipped rule content: rules/sigmahq without its unsupported/ folder (legacy aggregation
 * rules that fail by design), rules/watchpost, and the pipelines of rules/pipelines.
 */
export function defaultRuleSources(): RuleSources {
  const rules = join(packageRoot(), 'rules');
  return {
    paths: [join(rules, 'sigmahq'), join(rules, 'watchpost')],
    pipelinesDir: join(rules, 'pipelines'),
    exclude: [join(rules, 'sigmahq', 'unsupported')],
  };
}

/** The flags that choose rules, shared by `rules` subcommands and `replay --alerts`. */
export interface RuleSourceOptions {
  readonly pipelines?: string;
  readonly exclude?: readonly string[];
}

/** Paths given on the command line replace the default rule paths; the default exclusion applies only to the defaults. */
export function ruleSourcesOf(paths: readonly string[], options: RuleSourceOptions): RuleSources {
  const defaults = defaultRuleSources();
  const explicit = paths.length > 0;
  return {
    paths: explicit ? paths.map((path) => resolve(path)) : defaults.paths,
    pipelinesDir: options.pipelines !== undefined ? resolve(options.pipelines) : defaults.pipelinesDir,
    exclude: [...(explicit ? [] : defaults.exclude), ...(options.exclude ?? []).map((path) => resolve(path))],
  };
}

/** Loads the rules, refusing (exit 1, message on stderr) when a path does not exist; undefined then. */
export async function loadRules(sources: RuleSources): Promise<RuleSet | undefined> {
  for (const path of [...sources.paths, sources.pipelinesDir]) {
    try {
      await stat(path);
    } catch {
      refuse(`cannot read ${path}: no such file or folder`);
      return undefined;
    }
  }
  return loadRuleSet({ paths: [...sources.paths], pipelinesDir: sources.pipelinesDir, exclude: [...sources.exclude] });
}

/**
 * A clock that follows the events' `@timestamp` (never backwards): correlation windows and
 * claims then run in event time, so replaying last week's log raises what it raised then.
 */
export class EventTimeClock {
  private ms = 0;
  now(): number {
    return this.ms;
  }
  /** Moves to the event's time when it is later; events without a time leave the clock. */
  follow(event: EcsEvent): void {
    const at = Date.parse(String(event['@timestamp'] ?? ''));
    if (Number.isFinite(at) && at > this.ms) this.ms = at;
  }
}

/**
 * A detector whose correlations keep their windows in memory, in event time. Windows of
 * close-mode conditions (`lt`, `eq`, ...) are decided as event time passes their end, and by
 * `finish` for those still open when the input ends: the input is all there is.
 */
export function eventTimeDetector(ruleSet: RuleSet): SequenceDetector & { readonly detector: StreamingDetector } {
  const clock = new EventTimeClock();
  const store = new MemoryCorrelationStore({ clock, checkpointIntervalMs: 0 });
  const correlation = createCorrelationEngine(ruleSet.correlations, { store, clock });
  const detector = createDetector(ruleSet, { correlation });
  const longest = Math.max(0, ...ruleSet.correlations.map((rule) => rule.timespanMs));
  return {
    detector,
    async process(event: EcsEvent): Promise<RuleMatch[]> {
      const before = clock.now();
      clock.follow(event);
      // Windows that closed before this event are decided first, so alerts come out in time order.
      const closed = clock.now() > before ? await correlation.flush(clock.now()) : [];
      return [...closed, ...(await detector.process(event))];
    },
    finish: () => correlation.flush(clock.now() + longest),
    close: () => store.close(),
  };
}

// ---- validate -----------------------------------------------------------------------------------

/** `file:line:col severity code message`, the form editors and terminals make clickable. */
export function formatRuleProblem(problem: RuleProblem): string {
  return `${displayPath(problem.file)}:${problem.line}:${problem.col} ${problem.severity} ${problem.code} ${problem.message}`;
}

/** The counts `rules validate` prints. */
export interface ValidateSummary {
  readonly rules: number;
  readonly correlations: number;
  readonly filters: number;
  readonly disabled: number;
  readonly errors: number;
  readonly warnings: number;
}

function summaryOf(ruleSet: RuleSet, problems: readonly RuleProblem[]): ValidateSummary {
  return {
    rules: ruleSet.rules.length,
    correlations: ruleSet.correlations.length,
    filters: ruleSet.filters.length,
    disabled: ruleSet.disabled.length,
    errors: problems.filter((p) => p.severity === 'error').length,
    warnings: problems.filter((p) => p.severity === 'warning').length,
  };
}

async function validate(paths: string[], options: RuleSourceOptions & { json?: boolean }): Promise<void> {
  const ruleSet = await loadRules(ruleSourcesOf(paths, options));
  if (!ruleSet) return;
  // The same checks as the API's upload: load problems, refused correlations, uncompilable rules.
  const problems = ruleSetProblems(ruleSet);
  const summary = summaryOf(ruleSet, problems);
  if (options.json) {
    await writeOut(JSON.stringify({ summary, problems: problems.map((p) => ({ ...p, file: displayPath(p.file) })) }) + '\n');
  } else {
    for (const problem of problems) if (!(await writeOut(formatRuleProblem(problem) + '\n'))) break;
    await writeOut(
      `rules: ${summary.rules} rules, ${summary.correlations} correlations, ${summary.filters} filters loaded; ${summary.disabled} disabled; ${summary.errors} errors, ${summary.warnings} warnings\n`,
    );
  }
  if (summary.errors > 0) process.exitCode = 1;
}

// ---- test ---------------------------------------------------------------------------------------

async function test(paths: string[], options: RuleSourceOptions & { json?: boolean; config?: string; requireTests?: boolean }): Promise<void> {
  const sources = ruleSourcesOf(paths, options);
  const ruleSet = await loadRules(sources);
  if (!ruleSet) return;
  const config = configOf(options.config !== undefined ? { config: options.config } : {});
  const watchpostPack = join(packageRoot(), 'rules', 'watchpost');
  const results = await runRuleTests(sources.paths, {
    ruleSet,
    detector: createDetector(ruleSet),
    newSequenceDetector: async () => eventTimeDetector(ruleSet),
    normalize: enrichingNormalizer(normalizeRecord, createEnrichers(config.ingest.enrich)),
    requiresTests: (file) => options.requireTests === true || isInside(file, watchpostPack),
  }, sources.exclude);
  if (results.length === 0) {
    refuse(`no tests file (*.tests.yml) under ${sources.paths.map(displayPath).join(', ')}`);
    return;
  }
  await printResults(results, options.json === true);
  if (results.some((result) => !result.passed)) process.exitCode = 1;
}

async function printResults(results: readonly TestResult[], json: boolean): Promise<void> {
  for (const result of results) {
    const text = json
      ? JSON.stringify(result) + '\n'
      : `${result.passed ? 'PASS' : 'FAIL'} ${result.file}:${result.line} ${result.name}\n${result.failures.map((f) => `     ${f}\n`).join('')}`;
    if (!(await writeOut(text))) return;
  }
  const failed = results.filter((r) => !r.passed).length;
  const summary = `${results.length - failed} passed, ${failed} failed`;
  // The closing line alone on a line, as test runners print it.
  await writeOut(json ? JSON.stringify({ passed: results.length - failed, failed }) + '\n' : `rules test: ${summary}\n`);
}

// ---- convert ------------------------------------------------------------------------------------

/** The targets of `rules convert`. */
export type ConvertTarget = 'es' | 'sql' | 'kql';

/** What a target cannot express in a filter, one message per construct and field. */
export function unsupportedFor(filter: FilterNode, target: ConvertTarget): string[] {
  const found = new Set<string>();
  const visit = (node: FilterNode): void => {
    switch (node.op) {
      case 'and':
      case 'or':
        node.children.forEach(visit);
        return;
      case 'not':
        visit(node.child);
        return;
      case 'fieldref':
        found.add(`fieldref (${node.field} compared with ${node.other}) runs in the streaming engine only`);
        return;
      case 'timepart':
        found.add(`the ${node.part} modifier on ${node.field} runs in the streaming engine only`);
        return;
      case 'regex':
        if (target === 'kql') found.add(`KQL has no regular expressions (|re on ${node.field}): use --to es or --to sql`);
        return;
      case 'eq':
      case 'contains':
      case 'startswith':
      case 'endswith':
      case 'wildcard':
        if (target === 'kql' && node.caseSensitive === true) found.add(`KQL has no case-sensitive match (|cased on ${node.field}): use --to es or --to sql`);
        return;
      case 'cidr':
      case 'exists':
      case 'range':
      case 'text':
        return;
    }
  };
  visit(filter);
  return [...found];
}

/** One rule's filter in the target language. */
export function convertFilter(filter: FilterNode, target: ConvertTarget): string {
  switch (target) {
    case 'es':
      // The same options the Elasticsearch event store compiles with.
      return JSON.stringify({ query: compileFilterDsl(filter, STATIC_FIELD_TYPES, { lowerSubfields: true }) }, null, 2);
    case 'sql': {
      const { sql, params } = compileFilterSql(filter, 'doc');
      return `-- over events.doc (JSON); needs Watchpost's SQL functions (wp_lower, wp_regexp, wp_cidr)\nWHERE ${sql}\n-- params: ${JSON.stringify(params)}`;
    }
    case 'kql':
      return printKql(filter);
  }
}

/** The rules `ref` names: every document of a rule file, or the rule whose key, id, name or title it is. */
function selectRules(ruleSet: RuleSet, ref: string, file: string | undefined): (DetectionRule | CorrelationRule)[] {
  const all = [...ruleSet.rules, ...ruleSet.correlations];
  if (file !== undefined) return all.filter((rule) => resolve(rule.source.file) === file).sort((a, b) => a.source.line - b.source.line);
  const exact = all.filter((rule) => rule.key === ref || rule.id === ref || rule.name === ref);
  return exact.length > 0 ? exact : all.filter((rule) => rule.title === ref);
}

async function convert(ref: string, options: RuleSourceOptions & { to: ConvertTarget; rules?: string[] }): Promise<void> {
  let file: string | undefined;
  try {
    if ((await stat(ref)).isFile()) file = resolve(ref);
  } catch {
    // Not a file: a rule key, id, name or title.
  }
  const base = ruleSourcesOf(options.rules ?? [], options);
  // A rule file outside the loaded paths is loaded with them, so meta-filters and references still apply.
  const paths = file !== undefined && !base.paths.some((path) => isInside(file, path)) ? [...base.paths, file] : base.paths;
  const ruleSet = await loadRules({ ...base, paths });
  if (!ruleSet) return;
  const selected = selectRules(ruleSet, ref, file);
  if (selected.length === 0) {
    const disabled = ruleSet.disabled.filter((d) => (file !== undefined ? resolve(d.file) === file : d.key === ref || d.title === ref));
    if (disabled.length > 0) {
      refuse(`${ref} is disabled:\n${disabled.flatMap((d) => d.problems.filter((p) => p.severity === 'error').map((p) => `  ${formatRuleProblem(p)}`)).join('\n')}`);
    } else {
      refuse(`no loaded rule is ${file !== undefined ? `in ${ref}` : `called ${JSON.stringify(ref)} (key, id, name or title)`}`);
    }
    return;
  }
  const several = selected.length > 1;
  for (const rule of selected) {
    const header = several ? `${options.to === 'sql' ? '--' : '#'} ${rule.key}: ${rule.title}\n` : '';
    if (rule.kind === 'correlation') {
      refuse(`${rule.key} (${rule.title}) is a ${rule.type} correlation: correlations run in the streaming engine only and have no ${options.to} form`);
      continue;
    }
    const unsupported = unsupportedFor(rule.filter, options.to);
    if (unsupported.length > 0) {
      refuse(`${rule.key} (${rule.title}) cannot be converted to ${options.to}: ${unsupported.join('; ')}`);
      continue;
    }
    let text: string;
    try {
      text = convertFilter(rule.filter, options.to);
    } catch (error) {
      if (!(error instanceof WatchpostError) || error.intent !== 'user') throw error;
      refuse(`${rule.key} (${rule.title}) cannot be converted to ${options.to}: ${error.message}`);
      continue;
    }
    await writeOut(`${header}${text}\n`);
  }
}

// ---- registration -------------------------------------------------------------------------------

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function withRuleSourceOptions(command: Command): Command {
  return command
    .option('--pipelines <dir>', 'folder of pipeline files (default: the shipped rules/pipelines)')
    .option('--exclude <path>', 'leave out a file or folder (repeatable)', collect);
}

/** Registers `watchpost rules validate|test|convert`. */
export function registerRulesCommand(program: Command): void {
  const rules = program.command('rules').description('Sigma rules: check them, run their tests, convert them to store queries');
  withRuleSourceOptions(
    rules
      .command('validate')
      .description('load the rules and print every problem as file:line:col severity code message; exits 1 when any is an error')
      .argument('[paths...]', 'rule files or folders (default: rules/sigmahq without unsupported/, and rules/watchpost)'),
  )
    .option('--json', 'one JSON object: {summary, problems}')
    .action((paths: string[], options: RuleSourceOptions & { json?: boolean }) => validate(paths, options));
  withRuleSourceOptions(
    rules
      .command('test')
      .description('run every x.tests.yml next to the rules (match, nomatch, events/expect); exits 1 on any failure')
      .argument('[paths...]', 'rule files or folders (default: rules/sigmahq without unsupported/, and rules/watchpost)'),
  )
    .option('--require-tests', 'fail every rule file without a tests file (always the case under rules/watchpost)')
    .option('-c, --config <file>', 'YAML configuration file (its ingest.enrich section applies to raw-line events)')
    .option('--json', 'one JSON object per test (NDJSON), then the counts')
    .action((paths: string[], options: RuleSourceOptions & { json?: boolean; config?: string; requireTests?: boolean }) => test(paths, options));
  withRuleSourceOptions(
    rules
      .command('convert')
      .description("print a rule's filter as Elasticsearch Query DSL, a SQLite WHERE clause with its parameters, or KQL")
      .argument('<rule>', 'a rule file, or the key, id, name or title of a loaded rule'),
  )
    .addOption(new Option('--to <target>', 'es (Query DSL), sql (SQLite) or kql').choices(['es', 'sql', 'kql']).makeOptionMandatory())
    .option('--rules <path>', 'rule files or folders to load (repeatable; default: the shipped rules)', collect)
    .action((ref: string, options: RuleSourceOptions & { to: ConvertTarget; rules?: string[] }) => convert(ref, options));
}
