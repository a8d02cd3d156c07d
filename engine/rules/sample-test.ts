/**
 * Trying rules on sample events, as the API's "test a rule" does: each event against the chosen
 * detection rules, with why each one matched; and, when correlations are chosen, the events in
 * `@timestamp` order through a correlation engine of its own (a fresh store, event time), so the
 * sample cannot touch the windows of live detection.
 */
import type { EcsEvent } from '../../core/ecs/event.js';
import type { Clock } from '../../core/clock.js';
import type { CorrelationStore } from '../../core/stores/correlation-store.js';
import { createCorrelationEngine } from '../correlation/engine.js';
import { createDetector } from '../detect/detector.js';
import type { RuleMatch } from '../detect/types.js';
import type { CorrelationRule, DetectionRule, RuleSet, SigmaLogsource } from '../sigma/types.js';

/** What one sample event did. */
export interface SampleEventResult {
  /** The event's position in the request, 0-based. */
  readonly index: number;
  /** The logsources the pipelines say the event belongs to (a rule of another logsource never applies). */
  readonly logsources: readonly SigmaLogsource[];
  /** The chosen detection rules that matched it, with the selections and values. */
  readonly matches: readonly RuleMatch[];
}

/** The outcome of {@link testRulesOnSamples}. */
export interface SampleTestResult {
  /** Keys of the rules tried: the chosen ones and the rules their correlations need. */
  readonly rules: readonly string[];
  readonly events: readonly SampleEventResult[];
  /** Correlation matches over the whole sample (empty when no correlation was chosen). */
  readonly correlations: readonly RuleMatch[];
  /** Why correlations were not tried, when they were chosen but could not be. */
  readonly note?: string;
}

/** Options of {@link testRulesOnSamples}. */
export interface SampleTestOptions {
  /** A fresh correlation store following the given clock; without it correlations are not tried. */
  readonly newCorrelationStore?: (clock: Clock) => CorrelationStore;
  /** Stamps events without a `@timestamp`. */
  readonly nowMs: number;
}

/** A clock that follows the sample's `@timestamp`s, never backwards, so windows run in event time. */
class SampleClock implements Clock {
  private ms = 0;
  now(): number {
    return this.ms;
  }
  follow(event: EcsEvent): void {
    const at = Date.parse(String(event['@timestamp'] ?? ''));
    if (Number.isFinite(at) && at > this.ms) this.ms = at;
  }
}

/** The rule set of the chosen keys and, for correlations, every rule they need (transitively). */
export function ruleSubset(ruleSet: RuleSet, keys: readonly string[]): RuleSet {
  const byKey = new Map<string, DetectionRule | CorrelationRule>([...ruleSet.rules, ...ruleSet.correlations].map((r) => [r.key, r]));
  const chosen = new Set<string>();
  const visit = (key: string): void => {
    if (chosen.has(key)) return;
    const rule = byKey.get(key);
    if (rule === undefined) return;
    chosen.add(key);
    if (rule.kind === 'correlation') rule.rules.forEach(visit);
  };
  keys.forEach(visit);
  return {
    ...ruleSet,
    rules: ruleSet.rules.filter((r) => chosen.has(r.key)),
    correlations: ruleSet.correlations.filter((r) => chosen.has(r.key)),
  };
}

/**
 * Gives each sample an `event.id` (`sample-<n>`) and a `@timestamp` (now) when it lacks one, as
 * the matches name events by id and windows order them by time; the caller's objects are not changed.
 */
export function prepareSamples(samples: readonly Record<string, unknown>[], nowMs: number): EcsEvent[] {
  return samples.map((sample, i) => {
    const event = (sample.event !== null && typeof sample.event === 'object' ? sample.event : {}) as Record<string, unknown>;
    const withId = typeof event.id === 'string' && event.id !== '' ? event : { ...event, id: `sample-${i + 1}` };
    const at = typeof sample['@timestamp'] === 'string' ? sample['@timestamp'] : new Date(nowMs).toISOString();
    return { ...sample, '@timestamp': at, event: withId };
  });
}

/**
 * Runs the rules of `ruleSet` (already narrowed with {@link ruleSubset}) on the samples. Rules
 * that do not compile are left out, as the detector leaves them out live.
 */
export async function testRulesOnSamples(ruleSet: RuleSet, samples: readonly EcsEvent[], options: SampleTestOptions): Promise<SampleTestResult> {
  const detector = createDetector({ ...ruleSet, correlations: [] });
  const events = samples.map((event, index) => ({ index, logsources: ruleSet.logsources.logsourcesOf(event), matches: detector.evaluate(event) }));
  const rules = [...ruleSet.rules, ...ruleSet.correlations].map((r) => r.key);
  if (ruleSet.correlations.length === 0) return { rules, events, correlations: [] };
  if (options.newCorrelationStore === undefined) {
    return { rules, events, correlations: [], note: 'this process cannot try correlations (no correlation store for tests)' };
  }
  const clock = new SampleClock();
  const store = options.newCorrelationStore(clock);
  const correlations: RuleMatch[] = [];
  try {
    const engine = createCorrelationEngine(ruleSet.correlations, { store, clock });
    const sequence = createDetector(ruleSet, { correlation: engine });
    const ordered = samples
      .map((event, index) => ({ event, index, at: Date.parse(String(event['@timestamp'])) }))
      .sort((a, b) => (Number.isFinite(a.at) ? a.at : options.nowMs) - (Number.isFinite(b.at) ? b.at : options.nowMs) || a.index - b.index);
    for (const { event } of ordered) {
      const before = clock.now();
      clock.follow(event);
      // Windows that closed before this event are decided first, so matches come out in time order.
      if (clock.now() > before) correlations.push(...(await engine.flush(clock.now())));
      correlations.push(...(await sequence.process(event)).filter((match) => match.kind === 'correlation'));
    }
    const longest = Math.max(0, ...ruleSet.correlations.map((rule) => rule.timespanMs));
    // The sample is all there is: windows still open are decided as if their time had passed.
    correlations.push(...(await engine.flush(clock.now() + longest)));
  } finally {
    await store.close();
  }
  return { rules, events, correlations };
}
