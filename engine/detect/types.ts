/**
 * The detection contracts: a {@link Detector} evaluates each normalized event against every
 * loaded rule as it arrives and returns {@link RuleMatch}es that explain themselves. The alerting
 * layer (issue 6) turns matches into alerts; `watchpost replay --alerts` prints them.
 */
import type { EcsEvent } from '../../core/ecs/event.js';
import type { CorrelationType, SigmaLevel } from '../sigma/types.js';

/** A value that made a rule match: which field, which value, under which selection. */
export interface MatchedValue {
  /** ECS field path. */
  readonly field: string;
  /** The event's value that satisfied the predicate. */
  readonly value: string | number | boolean;
  /** The selection the predicate belongs to (detection rules). */
  readonly selection?: string;
}

/** The rule a match came from, as an alert shows it (the author is required by DRL 1.1). */
export interface MatchedRule {
  readonly key: string;
  readonly id?: string;
  readonly name?: string;
  readonly title: string;
  readonly level: SigmaLevel;
  readonly author?: string;
  readonly tags: readonly string[];
  readonly status?: string;
  /** file:line of the rule document. */
  readonly source: string;
}

/** One rule matching one event (detection) or one group window (correlation). */
export interface RuleMatch {
  readonly rule: MatchedRule;
  readonly kind: 'detection' | 'correlation';
  /** event.id of every event involved (a correlation: the events in its window, up to a cap). */
  readonly eventIds: readonly string[];
  /** @timestamp of the (last) event, ISO 8601. */
  readonly at: string;
  /** Names of the selections that matched (detection rules). */
  readonly selections: readonly string[];
  readonly matched: readonly MatchedValue[];
  /**
   * Entity fields of the event (source.ip, destination.ip, user.name, host.name, url.domain,
   * file.hash.sha256 … when present), or the group-by values of a correlation: what alerting
   * groups and deduplicates on.
   */
  readonly entities: Readonly<Record<string, string | number>>;
  /** Keys of the meta-filters applied to the rule. */
  readonly filtersApplied: readonly string[];
  readonly correlation?: {
    readonly type: CorrelationType;
    /** The group key values. */
    readonly group: Readonly<Record<string, string | number | null>>;
    /** What was counted (events, distinct values, rules, the sum/avg) when it fired. */
    readonly value: number;
    readonly windowStart: string;
    readonly windowEnd: string;
    /** Keys of the rules that contributed. */
    readonly rules: readonly string[];
  };
}

/** Counters a detector keeps, for /metrics and the benchmark. */
export interface DetectorStats {
  readonly events: number;
  /** Rule evaluations actually run (after the logsource and field index skipped the others). */
  readonly evaluations: number;
  readonly matches: number;
  /** Regex evaluations stopped by the budget (a hostile value), counted as no match. */
  readonly regexBudgetExceeded: number;
}

/** Evaluates events against a loaded RuleSet. */
export interface Detector {
  /**
   * Single-event rules only, synchronously: the matches of detection rules on this event,
   * including those a correlation consumes (`generate: false`), marked by {@link consumed}.
   */
  evaluate(event: EcsEvent): RuleMatch[];
  /**
   * The full path: detection matches that raise alerts on their own, plus correlation matches
   * that fire because of this event (through the CorrelationStore, hence async).
   */
  process(event: EcsEvent): Promise<RuleMatch[]>;
  /** True when the rule key is only consumed by correlations (no standalone alert). */
  consumed(ruleKey: string): boolean;
  readonly stats: DetectorStats;
}
