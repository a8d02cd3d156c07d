/**
 * Correlation conditions (checklist G6, G9, G11, G12, G17): what each type measures over a
 * window, when a condition can be decided, and which conditions are refused at load time.
 *
 * When a condition is decided (G17):
 * - **on arrival** — a condition with lower bounds only (`gt`, `gte`, and the temporal default
 *   "all rules"). Adding an input can only make it true, so it is checked after every input
 *   over the sliding window `(t - timespan, t]` and fires the moment it holds.
 * - **at window close** — a condition with any of `lt`, `lte`, `eq`, `neq` (ranges included).
 *   The first input would already satisfy "fewer than 5", so it is decided when the window
 *   closes: a tumbling window `[first, first + timespan)` per group, opened by the group's first
 *   input and closed by the engine's `flush(nowMs)`, which the ingest process calls on a timer.
 * - **refused** — a count condition that only a count of 0 satisfies (`eq: 0`, `lt: 1`,
 *   `lte: 0`): a group with no input is invisible to a streaming engine (it would need the list
 *   of groups that should have been seen), so the rule is refused with
 *   `correlation-absence-unsupported` rather than never firing silently.
 *
 * `value_percentile` is EXPERIMENTAL: the specification leaves it open (its example,
 * `field: Image, lte: 1`, reads as "rarer than 1 %"). Watchpost's reading, pySigma's
 * `percentile:` key made mandatory: the p-th percentile (nearest rank) of the numeric values of
 * `field` in the group's window, compared with the condition. Without `percentile:` the rule is
 * refused (`correlation-percentile-missing`).
 */
import type { CorrelationCondition, CorrelationRule, CorrelationType, RuleProblem } from '../sigma/types.js';

/** When a correlation's condition is decided (see the module comment). */
export type DecisionMode = 'arrival' | 'close';

/** Types that count distinct members (events, values, rules): their value is a count ≥ 1 in a non-empty window. */
const COUNT_TYPES: ReadonlySet<CorrelationType> = new Set(['event_count', 'value_count', 'temporal', 'temporal_ordered']);
/** Types that read the numeric values of `condition.field`. */
const NUMERIC_TYPES: ReadonlySet<CorrelationType> = new Set(['value_sum', 'value_avg', 'value_percentile']);
const OPERATORS = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const;

/** True for the types whose value is a count of distinct members. */
export function isCountType(type: CorrelationType): boolean {
  return COUNT_TYPES.has(type);
}

/** True for the types that need numeric values of `condition.field`. */
export function isNumericType(type: CorrelationType): boolean {
  return NUMERIC_TYPES.has(type);
}

/** The condition as evaluated: a temporal rule without operators needs all its rules (G9). */
export function effectiveCondition(rule: CorrelationRule): CorrelationCondition {
  const hasOperator = OPERATORS.some((op) => rule.condition[op] !== undefined);
  if (!hasOperator && (rule.type === 'temporal' || rule.type === 'temporal_ordered')) {
    return { ...rule.condition, gte: rule.rules.length };
  }
  return rule.condition;
}

/** Whether `value` satisfies every operator of the condition (a range is an AND, G6). */
export function conditionHolds(condition: CorrelationCondition, value: number): boolean {
  if (condition.gt !== undefined && !(value > condition.gt)) return false;
  if (condition.gte !== undefined && !(value >= condition.gte)) return false;
  if (condition.lt !== undefined && !(value < condition.lt)) return false;
  if (condition.lte !== undefined && !(value <= condition.lte)) return false;
  if (condition.eq !== undefined && value !== condition.eq) return false;
  if (condition.neq !== undefined && value === condition.neq) return false;
  return true;
}

/** When the condition is decided: at arrival with lower bounds only, else when the window closes. */
export function decisionMode(condition: CorrelationCondition): DecisionMode {
  return condition.lt !== undefined || condition.lte !== undefined || condition.eq !== undefined || condition.neq !== undefined
    ? 'close'
    : 'arrival';
}

/**
 * What the engine refuses or warns about in a correlation, with the rule's position: errors
 * mean the engine will not run it. The loader may call this too, to report the refusals with
 * the other load problems; the engine reports them in its `problems`.
 */
export function checkCorrelation(rule: CorrelationRule): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const report = (severity: RuleProblem['severity'], code: string, message: string): void => {
    problems.push({ ...rule.source, severity, code, message, rule: rule.key });
  };
  const condition = effectiveCondition(rule);
  if (rule.rules.length === 0) report('error', 'correlation-no-rules', 'the correlation references no rules');
  if (!(Number.isFinite(rule.timespanMs) && rule.timespanMs > 0)) {
    report('error', 'correlation-timespan', `the timespan must be a positive duration, got ${rule.timespanMs} ms`);
  }
  const operators = OPERATORS.filter((op) => condition[op] !== undefined);
  if (operators.length === 0) report('error', 'correlation-condition-missing', `a ${rule.type} correlation needs a condition (gt, gte, lt, lte, eq or neq)`);
  for (const op of operators) {
    if (!Number.isFinite(condition[op])) report('error', 'correlation-condition-value', `condition ${op} must be a finite number`);
  }
  if ((rule.type === 'value_count' || isNumericType(rule.type)) && (condition.field?.length ?? 0) === 0) {
    report('error', 'correlation-field-missing', `a ${rule.type} correlation needs condition.field`);
  }
  if (isNumericType(rule.type) && (condition.field?.length ?? 0) > 1) {
    report('error', 'correlation-field-missing', `a ${rule.type} correlation reads one numeric field, got ${condition.field?.length}`);
  }
  if (rule.type === 'value_percentile') {
    const p = condition.percentile;
    if (p === undefined || !Number.isFinite(p) || p < 0 || p > 100) {
      report(
        'error',
        'correlation-percentile-missing',
        'value_percentile is experimental in Watchpost and needs `percentile:` (0–100): the value compared is that percentile of the field in the window',
      );
    } else {
      report('warning', 'correlation-experimental', 'value_percentile is experimental: the specification does not define it precisely');
    }
  }
  if (isCountType(rule.type) && operators.length > 0 && problems.every((p) => p.severity !== 'error')) {
    const satisfiable = countSatisfiable(condition, 1);
    if (!satisfiable && countSatisfiable(condition, 0)) {
      report(
        'error',
        'correlation-absence-unsupported',
        'only a count of 0 satisfies this condition; a group with no events is invisible to the streaming engine (checklist G17), so the rule cannot fire',
      );
    } else if (!satisfiable) {
      report('error', 'correlation-condition-unsatisfiable', 'no count satisfies this condition');
    }
  }
  if (operators.length > 0 && decisionMode(condition) === 'close' && problems.every((p) => p.severity !== 'error')) {
    report(
      'warning',
      'correlation-decided-at-close',
      `a condition with ${operators.join(' and ')} is decided when the group's window closes (tumbling window from its first event), not on each event`,
    );
  }
  return problems;
}

/** Whether some integer count ≥ `min` satisfies the condition (bounds may be huge, so by interval, not by trying). */
function countSatisfiable(condition: CorrelationCondition, min: number): boolean {
  let low = min;
  let high = Number.POSITIVE_INFINITY;
  if (condition.gt !== undefined) low = Math.max(low, Math.floor(condition.gt) + 1);
  if (condition.gte !== undefined) low = Math.max(low, Math.ceil(condition.gte));
  if (condition.lt !== undefined) high = Math.min(high, Math.ceil(condition.lt) - 1);
  if (condition.lte !== undefined) high = Math.min(high, Math.floor(condition.lte));
  if (condition.eq !== undefined) {
    return Number.isInteger(condition.eq) && condition.eq >= low && condition.eq <= high && condition.eq !== condition.neq;
  }
  if (low > high) return false;
  const neqInside = condition.neq !== undefined && Number.isInteger(condition.neq) && condition.neq >= low && condition.neq <= high;
  return !(neqInside && low === high);
}

/** One input of a window, as the engine reads it back from the store. */
export interface WindowInput {
  readonly atMs: number;
  /** Index of the referenced rule in the correlation's `rules`. */
  readonly rule: number;
}

/**
 * How many steps of `rules` occur in order (checklist G10, every step checked): the length of
 * the longest prefix r0, r1, … for which the window holds inputs t0 ≤ t1 ≤ … with ti of rule
 * i. Greedy over the inputs in time order, which finds the longest such prefix. Inputs at the
 * same millisecond count as in order. A later rule's stray earlier input does not mask a real
 * sequence (B A B is "A then B"), as with EQL sequences; the literal "first matches in order"
 * reading would hide the sequence until the stray input left the window.
 */
export function orderedSteps(inputs: readonly WindowInput[], ruleCount: number): number {
  const sorted = [...inputs].sort((a, b) => a.atMs - b.atMs || a.rule - b.rule);
  let step = 0;
  for (const input of sorted) {
    if (step >= ruleCount) break;
    if (input.rule === step) step += 1;
  }
  return step;
}

/** Sum, average or percentile (nearest rank) of the numbers; 0 for an empty list. */
export function aggregate(type: 'value_sum' | 'value_avg' | 'value_percentile', numbers: readonly number[], percentile = 50): number {
  if (numbers.length === 0) return 0;
  const sum = numbers.reduce((total, n) => total + n, 0);
  if (type === 'value_sum') return sum;
  if (type === 'value_avg') return sum / numbers.length;
  const sorted = [...numbers].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((percentile / 100) * sorted.length));
  return sorted[rank - 1] as number;
}
