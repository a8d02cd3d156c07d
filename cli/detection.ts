import { Value } from '@sinclair/typebox/value';
import { Counter, Gauge } from 'prom-client';
import type { RulesDependencies } from '../api/app.js';
import { MemoryCorrelationStore } from '../backends/memory/correlation-store.js';
import { EnrichConfigSchema, type EnrichConfig } from '../core/config/ingest.js';
import type { DetectionConfig } from '../core/config/schema.js';
import type { EcsEvent } from '../core/ecs/event.js';
import type { Logger } from '../core/log.js';
import type { Registry } from '../core/metrics.js';
import type { CaseStore } from '../core/stores/case-store.js';
import type { CorrelationStore } from '../core/stores/correlation-store.js';
import type { AlertMatch } from '../engine/alerting/index.js';
import { createCorrelationEngine, type StreamingCorrelationEngine } from '../engine/correlation/engine.js';
import { createDetector, type StreamingDetector } from '../engine/detect/detector.js';
import type { RuleMatch } from '../engine/detect/types.js';
import { buildCatalog, readRuleBase, readRuleChanges, ruleChangeStamp, type RuleBase, type RuleBaseSources, type RuleChanges } from '../engine/rules/index.js';
import type { RuleSet } from '../engine/sigma/types.js';
import { createEnrichers } from '../ingest/enrich/index.js';
import type { Normalizer } from '../ingest/pipeline/events.js';
import { enrichingNormalizer, normalizeRecord } from '../ingest/pipeline/normalize.js';
import { replayEvent, replayRecord } from '../ingest/pipeline/replay.js';
import { defaultRuleSources } from './commands/rules.js';
import { packageRoot } from './version.js';

/**
 * What detection hands each match to: alerting (cli/alerting.ts), or without it the log. Each
 * match carries the transports its events came by (`watchpost.input.transport`): a detection
 * match its event's, a correlation match those of its window's events (the correlation engine's).
 */
export type MatchSink = (matches: readonly AlertMatch[]) => Promise<void>;

/** Detection matches carry their event's transport; correlation matches already carry their window's. */
function withTransports(matches: readonly RuleMatch[], event: EcsEvent): AlertMatch[] {
  const transport = event.watchpost?.input?.transport;
  if (transport === undefined) return [...matches];
  return matches.map((match) => (match.kind === 'detection' ? { ...match, transports: [transport] } : match));
}

/** Detection running in an ingest process. */
export interface RunningDetection {
  /** The rules running now (changes after a reload). */
  readonly ruleSet: RuleSet;
  /** The detector running now (changes after a reload). */
  readonly detector: StreamingDetector;
  /** The ingest pipeline's afterStore hook: evaluates each stored event, in order. */
  afterStore(events: readonly EcsEvent[]): Promise<void>;
  /**
   * Polls the case store now (the timer does it every poll interval): resolves true when the
   * rule switches or uploads changed and the new detector is in place. False without a case store.
   */
  reload(): Promise<boolean>;
  /** Stops the window-close and poll timers. Idempotent. */
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
  /** Where the rule switches and uploads of the API are read; without it only the rules on disk run. */
  readonly cases?: CaseStore;
  /** How often `cases` is polled for changes. @defaultValue {@link DEFAULT_RULE_POLL_INTERVAL_MS} */
  readonly pollIntervalMs?: number;
}

/** How often windows decided at their close (lt/lte/eq/neq correlations) are checked, at most. */
const MAX_FLUSH_INTERVAL_MS = 60_000;
const MIN_FLUSH_INTERVAL_MS = 1_000;

/** How often the case store is polled for rule switches and uploads made through the API. */
export const DEFAULT_RULE_POLL_INTERVAL_MS = 10_000;

/** The shipped rule folders and pipelines plus the configured ones, as the catalog reads them. */
export function ruleBaseSources(config: Readonly<DetectionConfig>): RuleBaseSources {
  const shipped = defaultRuleSources();
  return {
    shipped: config.shippedRules ? shipped.paths : [],
    config: config.paths,
    pipelines: [shipped.pipelinesDir, ...config.pipelines],
    exclude: shipped.exclude,
    disabledRules: config.disabledRules,
  };
}

/** Reads the shipped and configured rules and pipelines (once per process; uploads come from the case store). */
export function readConfiguredRuleBase(config: Readonly<DetectionConfig>): Promise<RuleBase> {
  return readRuleBase(ruleBaseSources(config));
}

/** Loads the shipped rules and pipelines plus the configured ones, without the rules the config disables. */
export async function loadConfiguredRules(config: Readonly<DetectionConfig>): Promise<RuleSet> {
  return buildCatalog(await readConfiguredRuleBase(config), [], []).active;
}

/**
 * What the API's rules routes need: the same rule files ingest loads (read at the first request),
 * an in-memory correlation store per sample test, and the package root to show paths relative to.
 */
export function rulesApiDependencies(config: Readonly<DetectionConfig>, enrich?: Readonly<EnrichConfig>): RulesDependencies {
  // Pasted lines go through what a file source and the pipeline would do: the syslog header or
  // the line as is, format detection, the vendor parser, enrichment.
  let normalize: Normalizer | undefined;
  return {
    base: () => readConfiguredRuleBase(config),
    newCorrelationStore: (clock) => new MemoryCorrelationStore({ clock, checkpointIntervalMs: 0 }),
    root: packageRoot(),
    parseLine: (line) => {
      normalize ??= enrichingNormalizer(normalizeRecord, createEnrichers(enrich ?? (Value.Default(EnrichConfigSchema, {}) as EnrichConfig)));
      const record = replayRecord({ sourceId: 'rule-test', keyPrefix: 'rule-test', receivedAt: Date.now() }, { data: Buffer.from(line, 'utf8'), offset: 0, end: line.length, truncated: false });
      return replayEvent(normalize, record) as unknown as Record<string, unknown>;
    },
  };
}

/** One generation of detection: the rules, their correlation engine and the detector, swapped whole. */
interface Generation {
  readonly ruleSet: RuleSet;
  readonly correlation: StreamingCorrelationEngine;
  readonly detector: StreamingDetector;
}

/**
 * Loads the rules, builds the detector over the correlation store, and returns the pipeline hook
 * that evaluates every stored event. Broken rules are reported and left out; the others run.
 * Windows whose condition is decided when they close are flushed on a timer.
 *
 * With a case store, the rule switches and uploads made through the API apply too: the store is
 * polled (a cheap stamp, see ruleChangeStamp) and on a change the rules are loaded again and a
 * new detector built beside the running one, then swapped in at once between two events. The
 * new correlation engine uses the same correlation store, so the windows of every correlation
 * carry over (they are keyed by the correlation's key), and it takes over from the old engine the
 * in-process list of windows decided at their close (lt/lte/eq/neq conditions) of every
 * correlation whose definition did not change (engine/correlation windowDefinition). The old
 * engine decides the windows it kept (correlations changed or removed) that have closed by the
 * swap one last time; those still open then are not decided at their close.
 */
export async function startDetection(options: DetectionOptions): Promise<RunningDetection> {
  const { logger, metrics } = options;
  const base = await readConfiguredRuleBase(options.config);
  const cases = options.cases;
  let stamp = '';
  let changes: Pick<RuleChanges, 'states' | 'customRules'> = { states: [], customRules: [] };
  if (cases) {
    try {
      const read = await readRuleChanges(cases);
      ({ stamp } = read);
      changes = read;
    } catch (error) {
      logger.warn({ err: error }, 'cannot read rule switches and uploads from the case store; starting with the rules on disk, retried at the next poll');
    }
  }
  const reported = new Set<string>();
  const build = (previous?: Generation): Generation => {
    const ruleSet = buildCatalog(base, changes.customRules, changes.states).active;
    const errors = ruleSet.problems.filter((problem) => problem.severity === 'error');
    let logged = 0;
    for (const problem of errors) {
      const key = `${problem.file}:${problem.line}:${problem.col}:${problem.code}`;
      if (reported.has(key)) continue;
      reported.add(key);
      if (logged++ < 50) logger.warn({ file: problem.file, line: problem.line, col: problem.col, code: problem.code, rule: problem.rule }, `rule disabled: ${problem.message}`);
    }
    const correlation: StreamingCorrelationEngine = createCorrelationEngine(ruleSet.correlations, {
      store: options.correlationStore,
      ...(previous ? { previous: previous.correlation } : {}),
    });
    const detector = createDetector(ruleSet, { correlation });
    for (const failure of detector.failed) logger.warn({ rule: failure.key, source: failure.source }, `rule not evaluated: ${failure.message}`);
    return { ruleSet, correlation, detector };
  };
  let current = build();

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
      const { ruleSet, detector } = current;
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
  const deliver = async (matches: readonly AlertMatch[]): Promise<void> => {
    if (matches.length === 0) return;
    for (const match of matches) matchesTotal.inc({ level: match.rule.level, kind: match.kind });
    await sink(matches);
  };

  const reloadsTotal = new Counter({
    name: 'watchpost_detection_reloads_total',
    help: 'Rule reloads after switches or uploads changed in the case store, by outcome (ok, failed).',
    labelNames: ['outcome'],
    registers: [metrics],
  });

  let flushing = false;
  const flush = (generation: Generation): Promise<void> =>
    generation.correlation.flush().then((matches) => deliver(matches.filter((match) => !generation.detector.consumed(match.rule.key))));
  const flushInterval = (ruleSet: RuleSet): number => {
    const shortest = Math.min(...ruleSet.correlations.map((rule) => rule.timespanMs));
    return Number.isFinite(shortest) ? Math.min(MAX_FLUSH_INTERVAL_MS, Math.max(MIN_FLUSH_INTERVAL_MS, shortest / 4)) : MAX_FLUSH_INTERVAL_MS;
  };
  const startFlushTimer = (): NodeJS.Timeout => {
    const timer = setInterval(() => {
      if (flushing) return;
      flushing = true;
      flush(current)
        .catch((error: unknown) => logger.warn({ err: error }, 'closing correlation windows failed; retried at the next tick'))
        .finally(() => {
          flushing = false;
        });
    }, flushInterval(current.ruleSet));
    timer.unref();
    return timer;
  };
  let flushTimer = startFlushTimer();

  const logLoaded = (message: string): void => {
    const { ruleSet, detector } = current;
    logger.info(
      {
        rules: ruleSet.rules.length,
        correlations: ruleSet.correlations.length,
        filters: ruleSet.filters.length,
        disabled: ruleSet.disabled.length,
        notCompiled: detector.failed.length,
        custom: changes.customRules.length,
        switched: changes.states.length,
      },
      message,
    );
  };
  logLoaded('detection rules loaded');

  let closed = false;
  let reloading: Promise<boolean> | undefined;
  /** Polls the stamp; on a change reads everything, builds the next generation, then swaps. */
  const reload = async (): Promise<boolean> => {
    if (!cases || closed) return false;
    const now = await ruleChangeStamp(cases);
    if (now === stamp) return false;
    const read = await readRuleChanges(cases);
    const previous = current;
    const previousChanges = changes;
    changes = read;
    try {
      current = build(previous);
    } catch (error) {
      changes = previousChanges;
      throw error;
    }
    stamp = read.stamp;
    clearInterval(flushTimer);
    flushTimer = startFlushTimer();
    // Windows the old engine kept (changed or removed correlations) that have closed by now are decided once more, by it.
    await flush(previous).catch((error: unknown) => logger.warn({ err: error }, 'closing the windows of the replaced rules failed'));
    logLoaded('detection rules reloaded after a change made through the API');
    return true;
  };
  const reloadOnce = (): Promise<boolean> => (reloading ??= reload().finally(() => (reloading = undefined)));
  const pollTimer = cases
    ? setInterval(() => {
        reloadOnce()
          .then((changed) => {
            if (changed) reloadsTotal.inc({ outcome: 'ok' });
          })
          .catch((error: unknown) => {
            reloadsTotal.inc({ outcome: 'failed' });
            logger.warn({ err: error }, 'cannot reload the rules from the case store; the running rules stay, retried at the next poll');
          });
      }, options.pollIntervalMs ?? DEFAULT_RULE_POLL_INTERVAL_MS)
    : undefined;
  pollTimer?.unref();

  return {
    get ruleSet() {
      return current.ruleSet;
    },
    get detector() {
      return current.detector;
    },
    async afterStore(events) {
      for (const event of events) {
        eventsTotal.inc();
        // One generation per event: a swap lands between two events, never inside one.
        await deliver(withTransports(await current.detector.process(event), event));
      }
    },
    reload: reloadOnce,
    close() {
      closed = true;
      clearInterval(flushTimer);
      if (pollTimer) clearInterval(pollTimer);
      return Promise.resolve();
    },
  };
}
