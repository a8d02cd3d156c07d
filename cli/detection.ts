import { Counter, Gauge } from 'prom-client';
import type { DetectionConfig } from '../core/config/schema.js';
import type { EcsEvent } from '../core/ecs/event.js';
import type { Logger } from '../core/log.js';
import type { Registry } from '../core/metrics.js';
import type { CorrelationStore } from '../core/stores/correlation-store.js';
import { createCorrelationEngine, type StreamingCorrelationEngine } from '../engine/correlation/engine.js';
import { createDetector, type StreamingDetector } from '../engine/detect/detector.js';
import type { RuleMatch } from '../engine/detect/types.js';
import { loadPipelines, loadRuleSet, type Pipeline } from '../engine/sigma/index.js';
import type { RuleProblem, RuleSet } from '../engine/sigma/types.js';
import { defaultRuleSources } from './commands/rules.js';

/** What detection hands each match to: alerting (cli/alerting.ts), or without it the log. */
export type MatchSink = (matches: readonly RuleMatch[]) => Promise<void>;

/** Detection running in an ingest process. */
export interface RunningDetection {
  readonly ruleSet: RuleSet;
  readonly detector: StreamingDetector;
  /** The ingest pipeline's afterStore hook: evaluates each stored event, in order. */
  afterStore(events: readonly EcsEvent[]): Promise<void>;
  /** Stops the window-close timer. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link startDetection}. */
export interface DetectionOptions {
  readonly config: Readonly<DetectionConfig>;
  readonly correlationStore: CorrelationStore;
  readonly metrics: Registry;
  readonly logger: Logger;
  /** Receives every match that raises an alert (each is also logged at debug). @defaultValue log each match at info */
  readonly sink?: MatchSink;
}

/** How often windows decided at their close (lt/lte/eq/neq correlations) are checked, at most. */
const MAX_FLUSH_INTERVAL_MS = 60_000;
const MIN_FLUSH_INTERVAL_MS = 1_000;

/** The rule keys, ids, names or titles of `disabled`, and the rule set without those rules. */
function withoutDisabled(ruleSet: RuleSet, disabled: readonly string[]): RuleSet {
  if (disabled.length === 0) return ruleSet;
  const off = new Set(disabled);
  const isOff = (rule: { key: string; id?: string; name?: string; title: string }): boolean =>
    off.has(rule.key) || (rule.id !== undefined && off.has(rule.id)) || (rule.name !== undefined && off.has(rule.name)) || off.has(rule.title);
  const rules = ruleSet.rules.filter((rule) => !isOff(rule));
  const kept = new Set(rules.map((rule) => rule.key));
  // A correlation over a disabled rule would never see that rule's matches: disable it too.
  const correlations = ruleSet.correlations.filter((correlation) => !isOff(correlation));
  const correlationKeys = new Set(correlations.map((correlation) => correlation.key));
  return {
    ...ruleSet,
    rules,
    correlations: correlations.filter((correlation) => correlation.rules.every((key) => kept.has(key) || correlationKeys.has(key))),
  };
}

/** Loads the shipped rules and pipelines plus the configured ones. */
export async function loadConfiguredRules(config: Readonly<DetectionConfig>): Promise<RuleSet> {
  const shipped = defaultRuleSources();
  const pipelines: Pipeline[] = [];
  const problems: RuleProblem[] = [];
  for (const dir of [shipped.pipelinesDir, ...config.pipelines]) {
    const loaded = await loadPipelines(dir);
    pipelines.push(...loaded.pipelines);
    problems.push(...loaded.problems);
  }
  const paths = [...(config.shippedRules ? shipped.paths : []), ...config.paths];
  const ruleSet = await loadRuleSet({ paths, pipelines, exclude: [...shipped.exclude] });
  return withoutDisabled({ ...ruleSet, problems: [...problems, ...ruleSet.problems] }, config.disabledRules);
}

/**
 * Loads the rules, builds the detector over the correlation store, and returns the pipeline hook
 * that evaluates every stored event. Broken rules are reported and left out; the others run.
 * Windows whose condition is decided when they close are flushed on a timer.
 */
export async function startDetection(options: DetectionOptions): Promise<RunningDetection> {
  const { logger, metrics } = options;
  const ruleSet = await loadConfiguredRules(options.config);
  const errors = ruleSet.problems.filter((problem) => problem.severity === 'error');
  for (const problem of errors.slice(0, 50)) {
    logger.warn({ file: problem.file, line: problem.line, col: problem.col, code: problem.code, rule: problem.rule }, `rule disabled: ${problem.message}`);
  }
  const correlation: StreamingCorrelationEngine = createCorrelationEngine(ruleSet.correlations, { store: options.correlationStore });
  const detector = createDetector(ruleSet, { correlation });
  for (const failure of detector.failed) logger.warn({ rule: failure.key, source: failure.source }, `rule not evaluated: ${failure.message}`);

  const matchesTotal = new Counter({
    name: 'watchpost_detection_matches_total',
    help: 'Rule matches that raise an alert, by rule level and kind (detection or correlation).',
    labelNames: ['level', 'kind'],
    registers: [metrics],
  });
  const eventsTotal = new Counter({ name: 'watchpost_detection_events_total', help: 'Events evaluated against the rules.', registers: [metrics] });
  new Gauge({
    name: 'watchpost_detection_rules',
    help: 'Rules loaded, by state (active, disabled).',
    labelNames: ['state'],
    registers: [metrics],
    collect() {
      this.set({ state: 'active' }, ruleSet.rules.length + ruleSet.correlations.length - detector.failed.length);
      this.set({ state: 'disabled' }, ruleSet.disabled.length + detector.failed.length);
    },
  });
  const logMatches = (matches: readonly RuleMatch[], level: 'info' | 'debug'): void => {
    if (!logger.isLevelEnabled(level)) return;
    for (const match of matches) {
      logger[level](
        { rule: match.rule.key, title: match.rule.title, level: match.rule.level, author: match.rule.author, kind: match.kind, entities: match.entities, events: match.eventIds.length },
        'rule matched',
      );
    }
  };
  const custom = options.sink;
  const sink: MatchSink = custom
    ? (matches) => {
        logMatches(matches, 'debug');
        return custom(matches);
      }
    : (matches) => {
        logMatches(matches, 'info');
        return Promise.resolve();
      };
  const deliver = async (matches: readonly RuleMatch[]): Promise<void> => {
    if (matches.length === 0) return;
    for (const match of matches) matchesTotal.inc({ level: match.rule.level, kind: match.kind });
    await sink(matches);
  };

  const shortest = Math.min(...ruleSet.correlations.map((rule) => rule.timespanMs));
  const interval = Number.isFinite(shortest) ? Math.min(MAX_FLUSH_INTERVAL_MS, Math.max(MIN_FLUSH_INTERVAL_MS, shortest / 4)) : MAX_FLUSH_INTERVAL_MS;
  let flushing = false;
  const timer = setInterval(() => {
    if (flushing) return;
    flushing = true;
    correlation
      .flush()
      .then((matches) => deliver(matches.filter((match) => !detector.consumed(match.rule.key))))
      .catch((error: unknown) => logger.warn({ err: error }, 'closing correlation windows failed; retried at the next tick'))
      .finally(() => {
        flushing = false;
      });
  }, interval);
  timer.unref();

  logger.info(
    { rules: ruleSet.rules.length, correlations: ruleSet.correlations.length, filters: ruleSet.filters.length, disabled: ruleSet.disabled.length, notCompiled: detector.failed.length },
    'detection rules loaded',
  );
  return {
    ruleSet,
    detector,
    async afterStore(events) {
      for (const event of events) {
        eventsTotal.inc();
        await deliver(await detector.process(event));
      }
    },
    close() {
      clearInterval(timer);
      return Promise.resolve();
    },
  };
}
