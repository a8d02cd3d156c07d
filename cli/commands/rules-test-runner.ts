import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode, type YAMLMap } from 'yaml';
import type { EcsEvent } from '../../core/ecs/event.js';
import type { Detector, RuleMatch } from '../../engine/detect/types.js';
import type { CorrelationRule, DetectionRule, RuleSet, SigmaLogsource } from '../../engine/sigma/types.js';
import type { Normalizer } from '../../ingest/pipeline/events.js';
import { replayEvent, replayRecord } from '../../ingest/pipeline/replay.js';

/**
 * Runs rule test files (`<rule>.tests.yml`, docs/specs/rules.md "Rule tests") against a loaded
 * RuleSet: `match`/`nomatch` events one at a time through the detection rules of the rule file,
 * `events`/`expect` sequences through a fresh detector with correlations, and reports every
 * failure with the reason (which rule fired or did not, with the values it matched on).
 */

/** Where sequences start when an event sets no `@timestamp` (docs/specs/rules.md). */
export const SEQUENCE_START = '2026-01-05T10:00:00.000Z';

/** Largest tests file read; a rule test is a few events, not a log archive. */
const MAX_TESTS_FILE_BYTES = 1024 * 1024;
/** Most copies one `repeat` makes, and most events one test may feed. */
const MAX_REPEAT = 10_000;
const MAX_EVENTS_PER_TEST = 100_000;
/** Longest raw line of a `{line}` event, as the file source's default. */
const MAX_LINE_BYTES = 64 * 1024;

/** A detector for one sequence, with its correlation store, closed after the sequence. */
export interface SequenceDetector {
  /** Feeds one event; the clock of correlation windows follows `@timestamp`. */
  process(event: EcsEvent): Promise<RuleMatch[]>;
  /** Decides the windows still open when the input ends. */
  finish(): Promise<RuleMatch[]>;
  close(): Promise<void>;
}

/** What the runner needs besides the rules: the normalizer of raw lines and fresh detectors. */
export interface RunnerContext {
  readonly ruleSet: RuleSet;
  /** Evaluates single events (detection rules only). */
  readonly detector: Detector;
  /** A detector with empty correlation state, for one `events` sequence. */
  newSequenceDetector(): Promise<SequenceDetector>;
  /** Normalizes `{line, format}` events as ingest does. */
  readonly normalize: Normalizer;
  /** Rule files (absolute paths) that must have a tests file. */
  requiresTests(ruleFile: string): boolean;
}

/** The outcome of one test, or of a file-level check (a missing or unreadable tests file). */
export interface TestResult {
  /** The tests file (or the rule file, for a missing tests file), as given. */
  readonly file: string;
  readonly line: number;
  readonly name: string;
  readonly passed: boolean;
  /** Why it failed, one line each; empty when passed. */
  readonly failures: readonly string[];
}

/** A test event after expansion: the ECS event and where it was written. */
interface TestEvent {
  readonly event: EcsEvent;
  readonly line: number;
}

/** Every `*.tests.yml` and every rule file (`*.yml`, `*.yaml`) under the paths, sorted. */
export async function findRuleFiles(paths: readonly string[], exclude: readonly string[] = []): Promise<{ tests: string[]; rules: string[] }> {
  const tests = new Set<string>();
  const rules = new Set<string>();
  const skip = (path: string): boolean => exclude.some((root) => isInside(path, root));
  const visit = async (path: string): Promise<void> => {
    const absolute = resolve(path);
    if (skip(absolute)) return;
    const info = await stat(absolute);
    if (info.isDirectory()) {
      for (const entry of (await readdir(absolute)).sort()) await visit(join(absolute, entry));
      return;
    }
    if (absolute.endsWith('.tests.yml')) tests.add(absolute);
    else if (/\.ya?ml$/.test(absolute)) rules.add(absolute);
  };
  for (const path of paths) await visit(path);
  return { tests: [...tests].sort(), rules: [...rules].sort() };
}

/** The rule file a tests file belongs to: `x.tests.yml` → `x.yml`. */
export function ruleFileOf(testsFile: string): string {
  return testsFile.replace(/\.tests\.yml$/, '.yml');
}

/** Runs every tests file found under `paths`, and fails rule files that must have tests and have none. */
export async function runRuleTests(paths: readonly string[], ctx: RunnerContext, exclude: readonly string[] = []): Promise<TestResult[]> {
  const { tests, rules } = await findRuleFiles(paths, exclude);
  const results: TestResult[] = [];
  const tested = new Set(tests.map(ruleFileOf));
  for (const ruleFile of rules) {
    if (!tested.has(ruleFile) && ctx.requiresTests(ruleFile)) {
      results.push(fileFailure(ruleFile, 'tests file', [`no tests file: write ${basename(ruleFile).replace(/\.ya?ml$/, '.tests.yml')} next to it (docs/specs/rules.md)`]));
    }
  }
  for (const testsFile of tests) results.push(...(await runTestsFile(testsFile, ctx)));
  return results;
}

function fileFailure(file: string, name: string, failures: string[], line = 1): TestResult {
  return { file: displayPath(file), line, name, passed: false, failures };
}

/** Paths relative to the working directory when inside it: shorter, and still clickable. */
export function displayPath(file: string): string {
  const relativePath = relative(process.cwd(), file);
  return relativePath.startsWith('..') || relativePath === '' ? file : relativePath;
}

/** The documents of a RuleSet that came from one file. */
interface FileRules {
  readonly detections: readonly DetectionRule[];
  readonly correlations: readonly CorrelationRule[];
  /** Keys of every loaded document of the file. */
  readonly keys: ReadonlySet<string>;
  /** Problems (errors) that disabled documents of the file. */
  readonly disabled: readonly string[];
}

function rulesOfFile(ruleSet: RuleSet, ruleFile: string): FileRules {
  const same = (file: string): boolean => resolve(file) === ruleFile;
  const detections = ruleSet.rules.filter((rule) => same(rule.source.file));
  const correlations = ruleSet.correlations.filter((rule) => same(rule.source.file));
  const disabled = ruleSet.disabled
    .filter((rule) => same(rule.file))
    .flatMap((rule) => rule.problems.filter((p) => p.severity === 'error').map((p) => `${p.line}:${p.col} ${p.code} ${p.message}`));
  return { detections, correlations, keys: new Set([...detections, ...correlations].map((rule) => rule.key)), disabled };
}

async function runTestsFile(testsFile: string, ctx: RunnerContext): Promise<TestResult[]> {
  const ruleFile = ruleFileOf(testsFile);
  const shown = displayPath(testsFile);
  const parsed = await readTestsFile(testsFile);
  if ('error' in parsed) return [fileFailure(testsFile, 'tests file', [parsed.error], parsed.line)];
  let exists = true;
  try {
    await stat(ruleFile);
  } catch {
    exists = false;
  }
  if (!exists) return [fileFailure(testsFile, 'tests file', [`no rule file ${basename(ruleFile)} next to it`])];
  const fileRules = rulesOfFile(ctx.ruleSet, ruleFile);
  const results: TestResult[] = [];
  if (fileRules.disabled.length > 0) {
    results.push(fileFailure(ruleFile, 'rule file loads', fileRules.disabled.map((problem) => `disabled: ${problem}`)));
  }
  if (fileRules.keys.size === 0) {
    results.push(fileFailure(testsFile, 'tests file', [`${basename(ruleFile)} loaded no rule`]));
    return results;
  }
  if (ctx.requiresTests(ruleFile)) results.push(...packChecks(testsFile, parsed.tests, fileRules));
  for (const test of parsed.tests) {
    const failures: string[] = [];
    try {
      await runTest(test, ctx, fileRules, failures);
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
    }
    results.push({ file: shown, line: test.line, name: test.name, passed: failures.length === 0, failures });
  }
  return results;
}

/** What our own pack promises (docs/specs/rules.md): ATT&CK tags, a positive and a negative case. */
function packChecks(testsFile: string, tests: readonly ParsedTest[], fileRules: FileRules): TestResult[] {
  const failures: string[] = [];
  const positive = tests.some((test) => test.match.length > 0 || (test.expect !== undefined && test.expect.length > 0));
  const negative = tests.some((test) => test.nomatch.length > 0 || (test.expect !== undefined && test.expect.length === 0));
  if (!positive) failures.push('no positive case: add a `match` event or an `expect` that fires');
  if (!negative) failures.push('no negative case: add a `nomatch` event or a sequence with `expect: []`');
  for (const rule of [...fileRules.detections, ...fileRules.correlations]) {
    const tactic = rule.tags.some((tag) => /^attack\.[a-z][a-z-]+$/.test(tag));
    const technique = rule.tags.some((tag) => /^attack\.t\d{4}(\.\d{3})?$/.test(tag));
    if (!tactic || !technique) failures.push(`${rule.key} (${rule.title}) lacks ATT&CK tags: it needs attack.<tactic> and attack.tNNNN`);
  }
  return [{ file: displayPath(testsFile), line: 1, name: 'pack requirements', passed: failures.length === 0, failures }];
}

// ---- the tests file -----------------------------------------------------------------------------

/** An event as written: an ECS object or a raw line, with where it is. */
type WrittenEvent = { readonly kind: 'ecs'; readonly value: Record<string, unknown>; readonly line: number } | { readonly kind: 'line'; readonly text: string; readonly format?: string; readonly line: number };

interface SequenceItem {
  readonly event: WrittenEvent;
  readonly repeat: number;
  readonly everyMs: number;
}

interface Expectation {
  /** Rule id, name, key or title. */
  readonly rule: string;
  /** Undefined: at least once. */
  readonly count?: number;
  readonly line: number;
}

interface ParsedTest {
  readonly name: string;
  readonly line: number;
  readonly match: readonly WrittenEvent[];
  readonly nomatch: readonly WrittenEvent[];
  readonly events?: readonly SequenceItem[];
  readonly expect?: readonly Expectation[];
}

class TestsFileError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

/** Reads and checks a tests file; the first problem is reported with its line. */
async function readTestsFile(file: string): Promise<{ tests: ParsedTest[] } | { error: string; line: number }> {
  let text: string;
  try {
    const info = await stat(file);
    if (info.size > MAX_TESTS_FILE_BYTES) return { error: `larger than ${MAX_TESTS_FILE_BYTES} bytes`, line: 1 };
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { error: `cannot read: ${(error as Error).message}`, line: 1 };
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    return { error: `not valid YAML: ${first?.message ?? 'parse error'}`, line: first?.linePos?.[0]?.line ?? 1 };
  }
  const lineOf = (node: unknown): number => {
    const range = (node as YamlNode | undefined)?.range;
    return range ? lines.linePos(range[0]).line : 1;
  };
  try {
    const root = doc.contents;
    if (!isMap(root)) throw new TestsFileError('expected a map with a `tests` list', lineOf(root));
    checkKeys(root, ['tests'], lineOf);
    const list = root.get('tests', true);
    if (!isSeq(list)) throw new TestsFileError('`tests` must be a list', lineOf(list ?? root));
    const tests = list.items.map((item) => parseTest(item, lineOf, doc));
    return { tests };
  } catch (error) {
    if (error instanceof TestsFileError) return { error: error.message, line: error.line };
    throw error;
  }
}

type LineOf = (node: unknown) => number;
type Doc = ReturnType<typeof parseDocument>;

function checkKeys(map: YAMLMap, allowed: readonly string[], lineOf: LineOf): void {
  for (const pair of map.items) {
    const key = String((pair.key as { value?: unknown } | null)?.value ?? pair.key);
    if (!allowed.includes(key)) throw new TestsFileError(`unknown key "${key}"; expected ${allowed.join(', ')}`, lineOf(pair.key));
  }
}

function parseTest(node: unknown, lineOf: LineOf, doc: Doc): ParsedTest {
  if (!isMap(node)) throw new TestsFileError('each test must be a map with name and match/nomatch or events/expect', lineOf(node));
  checkKeys(node, ['name', 'match', 'nomatch', 'events', 'expect'], lineOf);
  const line = lineOf(node);
  const name = node.get('name');
  if (typeof name !== 'string' || name === '') throw new TestsFileError('a test needs a `name`', line);
  const eventList = (key: string): WrittenEvent[] => {
    const list = node.get(key, true);
    if (list === undefined) return [];
    if (!isSeq(list)) throw new TestsFileError(`\`${key}\` must be a list of events`, lineOf(list));
    return list.items.map((item) => writtenEvent(item, lineOf, doc));
  };
  const match = eventList('match');
  const nomatch = eventList('nomatch');
  const eventsNode = node.get('events', true);
  const expectNode = node.get('expect', true);
  if ((eventsNode === undefined) !== (expectNode === undefined)) throw new TestsFileError('`events` and `expect` go together', line);
  let events: SequenceItem[] | undefined;
  let expect: Expectation[] | undefined;
  if (eventsNode !== undefined) {
    if (!isSeq(eventsNode)) throw new TestsFileError('`events` must be a list', lineOf(eventsNode));
    events = eventsNode.items.map((item) => sequenceItem(item, lineOf, doc));
    if (!isSeq(expectNode)) throw new TestsFileError('`expect` must be a list (empty: nothing may fire)', lineOf(expectNode));
    expect = expectNode.items.map((item) => expectation(item, lineOf));
  }
  if (match.length === 0 && nomatch.length === 0 && events === undefined) throw new TestsFileError(`test "${name}" has no match, nomatch or events`, line);
  return { name, line, match, nomatch, ...(events !== undefined ? { events } : {}), ...(expect !== undefined ? { expect } : {}) };
}

function writtenEvent(node: unknown, lineOf: LineOf, doc: Doc): WrittenEvent {
  const line = lineOf(node);
  if (!isMap(node)) throw new TestsFileError('an event is an ECS object or {line, format}', line);
  const value = node.toJS(doc) as Record<string, unknown>;
  if (typeof value.line === 'string' && Object.keys(value).every((key) => key === 'line' || key === 'format')) {
    if (Buffer.byteLength(value.line) > MAX_LINE_BYTES) throw new TestsFileError(`line longer than ${MAX_LINE_BYTES} bytes`, line);
    if (value.format !== undefined && typeof value.format !== 'string') throw new TestsFileError('`format` must be a parser id', line);
    return { kind: 'line', text: value.line, ...(typeof value.format === 'string' ? { format: value.format } : {}), line };
  }
  return { kind: 'ecs', value, line };
}

function sequenceItem(node: unknown, lineOf: LineOf, doc: Doc): SequenceItem {
  const line = lineOf(node);
  // {repeat, every, event} expands one event; anything else is an event itself (an ECS event
  // has an `event` key too, so only `repeat`/`every` mark the wrapper).
  if (isMap(node) && (node.has('repeat') || node.has('every'))) {
    checkKeys(node, ['repeat', 'every', 'event'], lineOf);
    const repeat = node.get('repeat') ?? 1;
    if (typeof repeat !== 'number' || !Number.isInteger(repeat) || repeat < 1 || repeat > MAX_REPEAT) {
      throw new TestsFileError(`\`repeat\` must be an integer from 1 to ${MAX_REPEAT}`, line);
    }
    const every = node.get('every');
    const everyMs = every === undefined ? 1000 : durationMs(every);
    if (everyMs === undefined) throw new TestsFileError('`every` must be a duration such as 500ms, 5s, 2m, 1h or 1d', line);
    const inner = node.get('event', true);
    if (inner === undefined) throw new TestsFileError('`repeat`/`every` need an `event`', line);
    return { event: writtenEvent(inner, lineOf, doc), repeat, everyMs };
  }
  return { event: writtenEvent(node, lineOf, doc), repeat: 1, everyMs: 1000 };
}

function expectation(node: unknown, lineOf: LineOf): Expectation {
  const line = lineOf(node);
  if (!isMap(node)) throw new TestsFileError('an expectation is {rule, count}', line);
  checkKeys(node, ['rule', 'count'], lineOf);
  const rule = node.get('rule');
  const count = node.get('count');
  if (typeof rule !== 'string' || rule === '') throw new TestsFileError('`rule` must name a rule (id, name or title)', line);
  if (count !== undefined && (typeof count !== 'number' || !Number.isInteger(count) || count < 0)) throw new TestsFileError('`count` must be a whole number', line);
  return { rule, ...(count !== undefined ? { count } : {}), line };
}

/** `500ms`, `5s`, `2m`, `1h`, `1d` → milliseconds; undefined when not a duration. */
export function durationMs(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value * 1000;
  if (typeof value !== 'string') return undefined;
  const found = /^(\d{1,9})(ms|s|m|h|d)$/.exec(value.trim());
  if (!found) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[found[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(found[1]) * unit;
}

// ---- running --------------------------------------------------------------------------------

/** Makes the ECS events of a test: raw lines normalized, timestamps and fresh ids assigned. */
class EventFactory {
  private serial = 0;
  private cursorMs = Date.parse(SEQUENCE_START);

  constructor(
    private readonly normalize: Normalizer,
    private readonly prefix: string,
  ) {}

  /** The copies of one written event: `@timestamp` from the event (or the cursor) advancing by `everyMs`. */
  expand(written: WrittenEvent, repeat: number, everyMs: number): EcsEvent[] {
    const first = this.materialize(written);
    const own = Date.parse(String(first['@timestamp'] ?? ''));
    const startMs = Number.isFinite(own) ? own : this.cursorMs;
    const out: EcsEvent[] = [];
    for (let i = 0; i < repeat; i++) {
      const atMs = startMs + i * everyMs;
      this.serial += 1;
      const base = i === 0 ? first : structuredClone<EcsEvent>(first);
      const event = { ...base.event, id: `${this.prefix}-${this.serial}` };
      out.push({ ...base, '@timestamp': new Date(atMs).toISOString(), event });
      this.cursorMs = atMs + everyMs;
    }
    return out;
  }

  private materialize(written: WrittenEvent): EcsEvent {
    if (written.kind === 'ecs') return structuredClone(written.value) as unknown as EcsEvent;
    const record = replayRecord(
      { sourceId: 'rules-test', keyPrefix: this.prefix, receivedAt: this.cursorMs, ...(written.format !== undefined ? { format: written.format } : {}) },
      { data: Buffer.from(written.text, 'utf8'), offset: 0, end: Buffer.byteLength(written.text), truncated: false },
    );
    return replayEvent(this.normalize, record);
  }
}

async function runTest(test: ParsedTest, ctx: RunnerContext, fileRules: FileRules, failures: string[]): Promise<void> {
  const detectionKeys = new Set(fileRules.detections.map((rule) => rule.key));
  const single = (written: WrittenEvent): { event: EcsEvent; own: RuleMatch[]; others: RuleMatch[] } => {
    const [event] = new EventFactory(ctx.normalize, 'test').expand(written, 1, 1000) as [EcsEvent];
    const matches = ctx.detector.evaluate(event);
    return { event, own: matches.filter((m) => detectionKeys.has(m.rule.key)), others: matches.filter((m) => !detectionKeys.has(m.rule.key)) };
  };
  for (const written of test.match) {
    const { event, own, others } = single(written);
    if (own.length > 0) continue;
    const why = [`line ${written.line}: expected a rule of the file to match; none did`];
    why.push(`  the event's logsources: ${formatLogsources(ctx.ruleSet.logsources.logsourcesOf(event))}; the rules want: ${fileRules.detections.map((r) => `${r.key} ${formatLogsource(r.logsource)}`).join(', ') || '(no detection rule)'}`);
    if (others.length > 0) why.push(`  rules of other files matched: ${others.map((m) => m.rule.key).join(', ')}`);
    if (written.kind === 'line') why.push(`  the line normalized to: ${JSON.stringify(event).slice(0, 600)}`);
    failures.push(...why);
  }
  for (const written of test.nomatch) {
    const { own } = single(written);
    for (const match of own) failures.push(`line ${written.line}: expected no rule of the file to match; ${describeMatch(match)}`);
  }
  if (test.events === undefined || test.expect === undefined) return;
  const factory = new EventFactory(ctx.normalize, 'seq');
  const events: TestEvent[] = [];
  for (const item of test.events) {
    for (const event of factory.expand(item.event, item.repeat, item.everyMs)) {
      events.push({ event, line: item.event.line });
      if (events.length > MAX_EVENTS_PER_TEST) throw new Error(`more than ${MAX_EVENTS_PER_TEST} events in one test`);
    }
  }
  const detector = await ctx.newSequenceDetector();
  const fired: RuleMatch[] = [];
  try {
    for (const { event } of events) fired.push(...(await detector.process(event)));
    fired.push(...(await detector.finish()));
  } finally {
    await detector.close();
  }
  checkExpectations(test.expect, fired, ctx.ruleSet, fileRules, failures);
}

/** Compares what fired (rules of the file only) with the expectations; a rule not expected must not fire. */
function checkExpectations(expect: readonly Expectation[], fired: readonly RuleMatch[], ruleSet: RuleSet, fileRules: FileRules, failures: string[]): void {
  const ownFired = fired.filter((match) => fileRules.keys.has(match.rule.key));
  const byKey = new Map<string, RuleMatch[]>();
  for (const match of ownFired) byKey.set(match.rule.key, [...(byKey.get(match.rule.key) ?? []), match]);
  const expected = new Set<string>();
  for (const item of expect) {
    const key = resolveRuleRef(item.rule, ruleSet);
    if (key === undefined) {
      failures.push(`line ${item.line}: no loaded rule has the id, name or title "${item.rule}"`);
      continue;
    }
    expected.add(key);
    const got = byKey.get(key) ?? [];
    const ok = item.count === undefined ? got.length > 0 : got.length === item.count;
    if (ok) continue;
    const wanted = item.count === undefined ? 'at least once' : `${item.count} time${item.count === 1 ? '' : 's'}`;
    failures.push(`line ${item.line}: expected ${key} to fire ${wanted}; it fired ${got.length} time${got.length === 1 ? '' : 's'}`);
    for (const match of got.slice(0, 5)) failures.push(`  ${describeMatch(match)}`);
  }
  for (const [key, matches] of byKey) {
    if (expected.has(key)) continue;
    failures.push(`${key} fired ${matches.length} time${matches.length === 1 ? '' : 's'} but is not in expect`);
    for (const match of matches.slice(0, 3)) failures.push(`  ${describeMatch(match)}`);
  }
}

/** A rule reference of `expect`: key, id, name, then title. */
export function resolveRuleRef(ref: string, ruleSet: RuleSet): string | undefined {
  const all = [...ruleSet.rules, ...ruleSet.correlations];
  return (all.find((r) => r.key === ref || r.id === ref || r.name === ref) ?? all.find((r) => r.title === ref))?.key;
}

/** One line saying which rule fired and on what. */
export function describeMatch(match: RuleMatch): string {
  const values = match.matched.map((m) => `${m.field}=${JSON.stringify(m.value)}`).join(', ');
  const parts = [`${match.rule.key} "${match.rule.title}" fired`];
  if (match.selections.length > 0) parts.push(`selections ${match.selections.join(', ')}`);
  if (values !== '') parts.push(`on ${values}`);
  if (match.correlation) {
    const c = match.correlation;
    parts.push(`${c.type} value ${c.value} in ${c.windowStart} – ${c.windowEnd}, group ${JSON.stringify(c.group)}`);
  }
  return parts.join('; ');
}

function formatLogsource(logsource: SigmaLogsource): string {
  const parts = (['category', 'product', 'service'] as const).filter((key) => logsource[key] !== undefined).map((key) => `${key}: ${logsource[key]}`);
  return `{${parts.join(', ')}}`;
}

function formatLogsources(logsources: readonly SigmaLogsource[]): string {
  return logsources.length === 0 ? 'none' : logsources.map(formatLogsource).join(' ');
}

/** True when the absolute path `file` is `dir` or lies under it. */
export function isInside(file: string, dir: string): boolean {
  const root = resolve(dir);
  return file === root || file.startsWith(root + sep);
}
