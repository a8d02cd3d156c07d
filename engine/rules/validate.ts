/**
 * Validating rules beyond loading them: what the correlation engine refuses to run (a reference
 * cycle) and what the detector cannot compile (a regular expression the linear-time engine
 * refuses) load but would never run, so they are errors too. `watchpost rules validate` and the
 * API's upload apply the same checks.
 */
import { UnexpectedError } from '../../core/errors.js';
import type { CorrelationStore } from '../../core/stores/correlation-store.js';
import { createCorrelationEngine } from '../correlation/engine.js';
import { createDetector } from '../detect/detector.js';
import type { CustomRule, RuleState } from '../../core/cases/types.js';
import type { RuleProblem, RuleSet } from '../sigma/types.js';
import { buildCatalog, customRuleFile, type RuleBase, type RuleCatalog } from './catalog.js';

/** Uploaded rule files are limited to this many bytes. */
export const MAX_CUSTOM_RULE_BYTES = 256 * 1024;

/**
 * A correlation store for an engine that is only built to collect its problems, never fed:
 * building one does not touch the store, so a use is a bug.
 */
const UNUSED_STORE: CorrelationStore = {
  kind: 'none',
  observe: () => unused(),
  members: () => unused(),
  reset: () => unused(),
  claim: () => unused(),
  health: () => unused(),
  close: () => Promise.resolve(),
};

function unused(): Promise<never> {
  return Promise.reject(new UnexpectedError('WATCHPOST_ERR_INTERNAL', 'a correlation engine built for validation was fed'));
}

/**
 * Every problem of the load, plus the correlations the engine refuses and the detection rules
 * the detector cannot compile, sorted by file, line and column. `only` limits the compile check
 * to the rules of these files (the rest were checked when they loaded).
 */
export function ruleSetProblems(ruleSet: RuleSet, only?: ReadonlySet<string>): RuleProblem[] {
  const problems = [...ruleSet.problems];
  const inScope = (file: string): boolean => only === undefined || only.has(file);
  const correlations = ruleSet.correlations.filter((rule) => inScope(rule.source.file));
  problems.push(...createCorrelationEngine(correlations, { store: UNUSED_STORE }).problems);
  const rules = ruleSet.rules.filter((rule) => inScope(rule.source.file));
  const detector = createDetector({ ...ruleSet, rules, correlations: [] });
  for (const failure of detector.failed) {
    const rule = rules.find((r) => r.key === failure.key);
    const at = rule?.source ?? { file: failure.source, line: 1, col: 1 };
    problems.push({ ...at, severity: 'error', code: 'does-not-compile', message: failure.message, rule: failure.key });
  }
  return problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
}

/** What {@link validateCustomRule} found. */
export interface CustomRuleValidation {
  /** The problems of the uploaded file, errors and warnings. */
  readonly problems: readonly RuleProblem[];
  /** True when none is an error. */
  readonly valid: boolean;
  /** Keys of the rules (detection and correlation) the file holds. */
  readonly keys: readonly string[];
  /** The title of its first rule. */
  readonly title?: string;
  /** The catalog with the file loaded. */
  readonly catalog: RuleCatalog;
}

/**
 * Checks an uploaded rule file in context: loaded with the base rules and the other uploads
 * (`others`, which must not hold this id), through the pipelines, so references to shipped rules
 * resolve and an id clashing with one is found. Problems of the file only are returned; a file
 * with no rule at all (only meta-filters count too) is an error.
 */
export function validateCustomRule(
  base: RuleBase,
  others: readonly Pick<CustomRule, 'id' | 'text'>[],
  states: readonly RuleState[],
  candidate: Pick<CustomRule, 'id' | 'text'>,
): CustomRuleValidation {
  const file = customRuleFile(candidate.id);
  const catalog = buildCatalog(base, [...others.filter((o) => o.id !== candidate.id), candidate], states);
  const problems = ruleSetProblems(catalog.all, new Set([file])).filter((p) => p.file === file);
  const rules = [...catalog.all.rules, ...catalog.all.correlations].filter((rule) => rule.source.file === file);
  const filters = catalog.all.filters.filter((filter) => filter.source.file === file);
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length === 0 && rules.length === 0 && filters.length === 0) {
    problems.push({ file, line: 1, col: 1, severity: 'error', code: 'no-rule', message: 'the file holds no rule, correlation or filter' });
  }
  const first = rules.sort((a, b) => a.source.line - b.source.line)[0];
  return {
    problems,
    valid: !problems.some((p) => p.severity === 'error'),
    keys: rules.map((rule) => rule.key),
    ...(first !== undefined ? { title: first.title } : {}),
    catalog,
  };
}
