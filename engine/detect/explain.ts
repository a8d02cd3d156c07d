import type { FilterNode } from '../../core/query/filter.js';
import type { EventContext } from '../query/event-context.js';
import { compilePredicate, explainMatch, type Predicate } from '../query/predicate.js';
import type { ConditionNode, DetectionRule, RuleMeta } from '../sigma/types.js';
import type { MatchedRule, MatchedValue } from './types.js';

/**
 * Why a rule matched, in the terms its author wrote: the selections of its condition that held
 * and the event values that satisfied them. Computed only for a match, so the selection
 * predicates cost nothing on the events that match no rule (almost all of them).
 */

/** An alert shows a handful of values; a selection with hundreds of fields would flood it. */
const MAX_MATCHED_VALUES = 64;

/** One selection of a rule, compiled for explaining. */
interface ExplainedSelection {
  readonly name: string;
  readonly filter: FilterNode;
  readonly predicate: Predicate;
}

/** The selections of a rule worth reporting, compiled once. */
export interface RuleExplainer {
  /** Names of the reported selections that hold on the event, and the values that made them hold. */
  explain(ctx: EventContext): { selections: string[]; matched: MatchedValue[] };
}

/**
 * Compiles the selections a match can be explained by: those the condition uses without
 * negation. A selection under `not` (`selection and not filter`) is a filter: it holding does
 * not explain a match, and its values would mislead the analyst. Throws what compilePredicate
 * throws (the rule's own filter would have thrown first).
 */
export function compileExplainer(rule: DetectionRule): RuleExplainer {
  const positive = positiveRefs(rule.detection.condition);
  const selections: ExplainedSelection[] = [];
  for (const [name, filter] of rule.detection.selections) {
    if (positive.has(name)) selections.push({ name, filter, predicate: compilePredicate(filter) });
  }
  return {
    explain(ctx) {
      const names: string[] = [];
      const matched: MatchedValue[] = [];
      for (const selection of selections) {
        if (!selection.predicate(ctx)) continue;
        names.push(selection.name);
        // Several literals holding on one value (`contains: ['../', '/etc/passwd']`) name it once.
        const seen = new Set<string>();
        for (const { field, value } of explainMatch(selection.filter, ctx)) {
          if (matched.length >= MAX_MATCHED_VALUES) break;
          const key = `${field}\u0000${typeof value}\u0000${String(value)}`;
          if (seen.has(key)) continue;
          seen.add(key);
          matched.push({ field, value, selection: selection.name });
        }
      }
      return { selections: names, matched };
    },
  };
}

/** Names referenced under an even number of `not`s. */
export function positiveRefs(condition: ConditionNode): Set<string> {
  const names = new Set<string>();
  const visit = (node: ConditionNode, negated: boolean): void => {
    switch (node.op) {
      case 'ref':
        if (!negated) names.add(node.name);
        return;
      case 'and':
      case 'or':
        for (const child of node.children) visit(child, negated);
        return;
      case 'not':
        visit(node.child, !negated);
        return;
    }
  };
  visit(condition, false);
  return names;
}

/** The rule as a match carries it; `source` is `file:line` so an analyst can open the rule. */
export function matchedRule(rule: RuleMeta): MatchedRule {
  return Object.freeze({
    key: rule.key,
    ...(rule.id !== undefined ? { id: rule.id } : {}),
    ...(rule.name !== undefined ? { name: rule.name } : {}),
    title: rule.title,
    level: rule.level,
    ...(rule.author !== undefined ? { author: rule.author } : {}),
    tags: rule.tags,
    ...(rule.status !== undefined ? { status: rule.status } : {}),
    source: `${rule.source.file}:${rule.source.line}`,
  });
}
