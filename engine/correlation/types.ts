/**
 * The correlation engine contract: fed with base-rule matches, it keeps per-group sliding windows
 * in a CorrelationStore (memory or Redis, so two ingest processes share one window) and returns
 * the correlation matches that fire. Semantics: ../shared/reference/sigma.md section G.
 */
import type { EcsEvent } from '../../core/ecs/event.js';
import type { RuleMatch } from '../detect/types.js';

export interface CorrelationEngine {
  /**
   * Records a match of a rule (detection or, for chains, correlation) on `event`; returns the
   * correlation matches that fire now, outer chained correlations included. One burst raises one
   * match per group and window (the store's `claim` makes that hold across processes).
   */
  onMatch(match: RuleMatch, event: EcsEvent): Promise<RuleMatch[]>;
  /** True when the rule is referenced by a correlation with `generate: false`. */
  consumes(ruleKey: string): boolean;
}
