import type { EcsEvent } from '../../core/ecs/event.js';
import type { CorrelationEngine } from '../correlation/types.js';
import { eventContext, type EventContext } from '../query/event-context.js';
import { compilePredicate, type Predicate } from '../query/predicate.js';
import type { DetectionRule, RuleSet, SigmaLogsource } from '../sigma/types.js';
import { entitiesOf } from './entities.js';
import { compileExplainer, matchedRule, type RuleExplainer } from './explain.js';
import { LiteralPrefilter, requiredLiterals, type LiteralNeed } from './literal-prefilter.js';
import { FieldGate, LogsourceIndex, requiredFields } from './rule-index.js';
import type { Detector, DetectorStats, MatchedRule, RuleMatch } from './types.js';

/** Options of {@link createDetector}. */
export interface DetectorOptions {
  /** Receives every detection match; its correlation matches are returned by `process`. */
  readonly correlation?: CorrelationEngine;
  /**
   * The most event ids a returned match carries (a correlation over a long burst keeps the most
   * recent ones), so one alert cannot grow without bound.
   * @defaultValue 100
   */
  readonly maxEventIds?: number;
}

/** A rule left out of the index because its filter did not compile (a regex RE2 refuses, say). */
export interface RuleFailure {
  readonly key: string;
  readonly title: string;
  /** file:line of the rule document. */
  readonly source: string;
  readonly message: string;
}

/** A rule whose predicate threw on some events (a bug: counted, the event treated as no match). */
export interface RuleRuntimeError {
  readonly key: string;
  readonly count: number;
  /** The first error's message. */
  readonly message: string;
}

/** The counters of {@link DetectorStats}, and what the index and error handling did. */
export interface DetectorCounters extends DetectorStats {
  /** Rules whose logsource applied but whose needed fields the event lacked. */
  readonly skippedByFields: number;
  /** Rules whose logsource applied but none of whose needed literals occur in the event. */
  readonly skippedByLiterals: number;
  /** Predicate or explanation errors (see {@link StreamingDetector.runtimeErrors}). */
  readonly ruleErrors: number;
  /** Correlation matches the engine fired in `process` (chained inner ones it consumes included). */
  readonly correlationMatches: number;
}

/** The detector over a RuleSet, with what it could not load and what failed while running. */
export interface StreamingDetector extends Detector {
  readonly stats: DetectorCounters;
  /** Rules skipped because they did not compile; the others run. */
  readonly failed: readonly RuleFailure[];
  /** How many rules are in the index (loaded rules minus {@link failed}). */
  readonly active: number;
  /** Rules whose evaluation threw, with counts. */
  runtimeErrors(): RuleRuntimeError[];
}

/** One rule ready to run. */
interface CompiledRule {
  readonly rule: DetectionRule;
  readonly logsource: SigmaLogsource;
  /** Field requirement clauses numbered by the detector's {@link FieldGate}. */
  readonly needs: readonly Int32Array[];
  /** Literals one of which must occur for the rule to match (undefined: none derived). */
  readonly literals: readonly LiteralNeed[] | undefined;
  readonly predicate: Predicate;
  readonly explainer: RuleExplainer;
  readonly info: MatchedRule;
}

/** The rules of one logsource set and their literal prefilter (undefined when it would skip nothing). */
interface Bucket {
  readonly rules: readonly CompiledRule[];
  readonly prefilter: LiteralPrefilter | undefined;
}

interface MutableCounters {
  events: number;
  evaluations: number;
  matches: number;
  regexBudgetExceeded: number;
  skippedByFields: number;
  skippedByLiterals: number;
  ruleErrors: number;
  correlationMatches: number;
}

const DEFAULT_MAX_EVENT_IDS = 100;

/**
 * Builds the streaming detector of a RuleSet: each rule's filter and selections are compiled once;
 * per event, the logsource index gives the rules that apply, the literal prefilter drops those
 * none of whose literals occur in the event, the field gate those whose needed fields are absent,
 * and the rest run on one shared EventContext. A rule that does not
 * compile is left out and listed in `failed`; a rule that throws while running is counted and
 * treated as not matching, so one bad rule never hides the others' matches.
 */
export function createDetector(ruleSet: RuleSet, options: DetectorOptions = {}): StreamingDetector {
  const correlation = options.correlation;
  const maxEventIds = Math.max(1, options.maxEventIds ?? DEFAULT_MAX_EVENT_IDS);
  const gate = new FieldGate();
  const compiled: CompiledRule[] = [];
  const failed: RuleFailure[] = [];
  for (const rule of ruleSet.rules) {
    try {
      compiled.push({
        rule,
        logsource: rule.logsource,
        needs: gate.compile(requiredFields(rule.filter)),
        literals: requiredLiterals(rule.filter),
        predicate: compilePredicate(rule.filter),
        explainer: compileExplainer(rule),
        info: matchedRule(rule),
      });
    } catch (error) {
      failed.push({ key: rule.key, title: rule.title, source: `${rule.source.file}:${rule.source.line}`, message: messageOf(error) });
    }
  }
  const index = new LogsourceIndex(compiled, ruleSet.logsources, (rules): Bucket => {
    const prefilter = new LiteralPrefilter(rules.map((entry) => entry.literals));
    return { rules, prefilter: prefilter.useful ? prefilter : undefined };
  });
  // regexBudgetExceeded stays 0: the predicates run regexes on RE2 automata (engine/query/
  // regex-engine.ts), linear in the value, so no evaluation needs stopping; kept for the contract.
  const counters: MutableCounters = { events: 0, evaluations: 0, matches: 0, regexBudgetExceeded: 0, skippedByFields: 0, skippedByLiterals: 0, ruleErrors: 0, correlationMatches: 0 };
  const errors = new Map<string, { count: number; message: string }>();

  const recordError = (entry: CompiledRule, error: unknown): void => {
    counters.ruleErrors += 1;
    const known = errors.get(entry.rule.key);
    if (known !== undefined) known.count += 1;
    else errors.set(entry.rule.key, { count: 1, message: messageOf(error) });
  };

  const consumed = (ruleKey: string): boolean => correlation?.consumes(ruleKey) ?? false;

  const evaluate = (event: EcsEvent): RuleMatch[] => {
    counters.events += 1;
    const { rules, prefilter } = index.lookup(event);
    const matches: RuleMatch[] = [];
    if (rules.length === 0) return matches;
    const ctx = eventContext(event);
    gate.begin(ctx);
    let candidates: Uint8Array | undefined;
    try {
      candidates = prefilter?.candidates(ctx);
    } catch {
      candidates = undefined; // an event that cannot be read: let each rule's own guard count it
    }
    for (let i = 0; i < rules.length; i++) {
      if (candidates !== undefined && candidates[i] === 0) {
        counters.skippedByLiterals += 1;
        continue;
      }
      const entry = rules[i] as CompiledRule;
      // The gate reads fields too, so it is inside the guard: whatever one rule trips over
      // (a bug in a predicate, an event object that throws when read) costs only that rule.
      try {
        if (!gate.holds(entry.needs)) {
          counters.skippedByFields += 1;
          continue;
        }
        counters.evaluations += 1;
        if (entry.predicate(ctx)) matches.push(buildMatch(entry, ctx, recordError));
      } catch (error) {
        recordError(entry, error);
      }
    }
    counters.matches += matches.length;
    return matches;
  };

  const capEventIds = (match: RuleMatch): RuleMatch =>
    match.eventIds.length <= maxEventIds ? match : { ...match, eventIds: match.eventIds.slice(-maxEventIds) };

  return {
    evaluate,
    async process(event) {
      const matches = evaluate(event);
      if (correlation === undefined) return matches;
      const out = matches.filter((match) => !consumed(match.rule.key));
      // In order, one at a time: temporal_ordered correlations depend on the order of matches.
      for (const match of matches) {
        for (const fired of await correlation.onMatch(match, event)) {
          counters.correlationMatches += 1;
          // A chained inner correlation that its outer one consumes (generate: false) raises
          // no alert of its own either (checklist G14); the engine already fed it onwards.
          if (!consumed(fired.rule.key)) out.push(capEventIds(fired));
        }
      }
      return out;
    },
    consumed,
    stats: counters,
    failed,
    active: compiled.length,
    runtimeErrors: () => [...errors].map(([key, { count, message }]) => ({ key, count, message })),
  };
}

/** A detection match with its explanation; an explanation that throws leaves the match unexplained, not lost. */
function buildMatch(entry: CompiledRule, ctx: EventContext, onError: (entry: CompiledRule, error: unknown) => void): RuleMatch {
  let explanation: ReturnType<RuleExplainer['explain']> = { selections: [], matched: [] };
  try {
    explanation = entry.explainer.explain(ctx);
  } catch (error) {
    onError(entry, error);
  }
  const id = ctx.field('event.id').strings[0];
  return {
    rule: entry.info,
    kind: 'detection',
    eventIds: id !== undefined ? [id] : [],
    at: ctx.field('@timestamp').strings[0] ?? '',
    selections: explanation.selections,
    matched: explanation.matched,
    entities: entitiesOf(ctx),
    filtersApplied: entry.rule.filtersApplied,
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
