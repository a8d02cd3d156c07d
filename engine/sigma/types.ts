/**
 * The Sigma contracts of the engine: what the loader produces from rule files and what the
 * detector and the CLI consume. docs/specs/rules.md describes the files (rules, pipelines, rule
 * tests); ../shared/reference/sigma.md's checklist (sections A–M) is the definition of done.
 *
 * Flow: rule text → {@link YamlValue} (YAML 1.1 scalars, positions kept) → validated document →
 * {@link DetectionRule} / {@link CorrelationRule} / {@link MetaFilter}, with field names mapped
 * to ECS by the pipeline of the rule's logsource. Every problem is a {@link RuleProblem} with
 * file:line:col; a document with an error is disabled and reported, the others load.
 */
import type { FilterNode } from '../../core/query/filter.js';

/** Where something is in a rule file: 1-based line and column. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** One problem found while loading; errors disable the document, warnings do not. */
export interface RuleProblem extends SourcePosition {
  readonly severity: 'error' | 'warning';
  /** A stable kebab-case code, e.g. `unknown-modifier`, `use-correlation`, `unmapped-field`. */
  readonly code: string;
  readonly message: string;
  /** The id (or name, or title) of the document the problem belongs to, when known. */
  readonly rule?: string;
}

/**
 * A YAML node with its position, scalars typed by YAML 1.1 rules as pySigma (PyYAML) types them
 * (checklist C20): a quoted scalar is always a string; plain `yes`/`no`/`on`/`off` are booleans,
 * `0755` is octal 493, `00000429` stays the string "00000429", `1e3` is a string, a plain date
 * stays its string. `raw` is the scalar's source text (without quotes).
 */
export type YamlValue =
  | {
      readonly kind: 'scalar';
      readonly value: string | number | boolean | null;
      readonly quoted: boolean;
      readonly raw: string;
      readonly pos: SourcePosition;
    }
  | { readonly kind: 'seq'; readonly items: readonly YamlValue[]; readonly pos: SourcePosition }
  | {
      readonly kind: 'map';
      readonly entries: readonly { readonly key: string; readonly keyPos: SourcePosition; readonly value: YamlValue }[];
      readonly pos: SourcePosition;
    };

export type SigmaLevel = 'informational' | 'low' | 'medium' | 'high' | 'critical';
export type SigmaStatus = 'stable' | 'test' | 'experimental' | 'deprecated' | 'unsupported';

/** The logsource of a rule or filter, or what an event is (category/product/service, lower case). */
export interface SigmaLogsource {
  readonly category?: string;
  readonly product?: string;
  readonly service?: string;
}

/** Metadata common to detection rules and correlations (checklist A). */
export interface RuleMeta {
  /** The rule's `id` (UUID) when it has one. */
  readonly id?: string;
  /** The rule's `name` when it has one (used in correlation references and aliases). */
  readonly name?: string;
  /** `id`, else `name`, else `<file>#<document index>`: unique within a RuleSet; what alerts carry. */
  readonly key: string;
  readonly title: string;
  readonly status?: SigmaStatus;
  /** Defaults to `medium` when the rule has none. */
  readonly level: SigmaLevel;
  readonly description?: string;
  /** As written (comma separated free text); alerts show it (DRL 1.1). */
  readonly author?: string;
  readonly references: readonly string[];
  readonly tags: readonly string[];
  readonly falsepositives: readonly string[];
  /** Fields worth showing with a match, mapped to ECS. */
  readonly fields: readonly string[];
  readonly date?: string;
  readonly modified?: string;
  readonly license?: string;
  /** Top-level keys Sigma does not define, kept as plain values. */
  readonly custom: Readonly<Record<string, unknown>>;
  /** Where the document starts. */
  readonly source: SourcePosition;
}

/**
 * A rule condition over named selections, after `1 of x*` / `all of them` were expanded against
 * the rule's identifiers (checklist F). A list condition is an `or` of its items.
 */
export type ConditionNode =
  | { readonly op: 'ref'; readonly name: string }
  | { readonly op: 'and'; readonly children: readonly ConditionNode[] }
  | { readonly op: 'or'; readonly children: readonly ConditionNode[] }
  | { readonly op: 'not'; readonly child: ConditionNode };

/** A rule's detection, compiled: each selection a filter over ECS fields, and the condition. */
export interface CompiledDetection {
  /** Selection name → its filter (field names already mapped to ECS, keywords expanded). */
  readonly selections: ReadonlyMap<string, FilterNode>;
  readonly condition: ConditionNode;
}

/** A single-event detection rule, ready to evaluate or convert. */
export interface DetectionRule extends RuleMeta {
  readonly kind: 'detection';
  readonly logsource: SigmaLogsource;
  readonly detection: CompiledDetection;
  /** The whole rule as one filter: the condition with its selections substituted, meta-filters and pipeline conditions and-ed in. */
  readonly filter: FilterNode;
  /** Keys of the meta-filters applied to this rule (tuning audit, checklist H7). */
  readonly filtersApplied: readonly string[];
  /** Name of the pipeline that mapped its fields; undefined when none applied (names used as written). */
  readonly pipeline?: string;
}

export type CorrelationType = 'event_count' | 'value_count' | 'temporal' | 'temporal_ordered' | 'value_sum' | 'value_avg' | 'value_percentile';

/** A count condition: every operator given must hold (a range is two operators, checklist G6). */
export interface CorrelationCondition {
  readonly gt?: number;
  readonly gte?: number;
  readonly lt?: number;
  readonly lte?: number;
  readonly eq?: number;
  readonly neq?: number;
  /** For value_* types: the field(s) whose values are counted, summed or averaged (ECS names). */
  readonly field?: readonly string[];
  /** value_percentile only. */
  readonly percentile?: number;
}

/** A correlation rule (checklist G), references resolved. */
export interface CorrelationRule extends RuleMeta {
  readonly kind: 'correlation';
  readonly type: CorrelationType;
  /** Keys ({@link RuleMeta.key}) of the rules it correlates, in the written order. */
  readonly rules: readonly string[];
  /** ECS fields (or alias names) whose values form the group key; empty = one global group. */
  readonly groupBy: readonly string[];
  readonly timespanMs: number;
  /** For temporal types without a condition: all rules (count of distinct rules ≥ rules.length). */
  readonly condition: CorrelationCondition;
  /** alias → (rule key → ECS field). */
  readonly aliases: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Whether the referenced rules also raise their own alerts. */
  readonly generate: boolean;
}

/** A meta-filter (checklist H), already applied to its rules by the loader; kept for listing. */
export interface MetaFilter {
  readonly key: string;
  readonly title: string;
  readonly logsource: SigmaLogsource;
  /** Rule keys it applies to; `any` = every rule whose logsource it contains. */
  readonly rules: readonly string[] | 'any';
  readonly source: SourcePosition;
}

/** A document that failed to load: disabled, with why. */
export interface DisabledRule {
  readonly file: string;
  readonly title?: string;
  readonly key?: string;
  readonly problems: readonly RuleProblem[];
}

/** Everything loaded from a set of rule files. */
export interface RuleSet {
  readonly rules: readonly DetectionRule[];
  readonly correlations: readonly CorrelationRule[];
  readonly filters: readonly MetaFilter[];
  readonly disabled: readonly DisabledRule[];
  /** Every problem, errors and warnings, of loaded and disabled documents. */
  readonly problems: readonly RuleProblem[];
  /** Which events belong to which logsources (from the pipelines). */
  readonly logsources: LogsourceResolver;
}

/** Tells which Sigma logsources an event belongs to (from the pipelines' `events` selectors). */
export interface LogsourceResolver {
  /** Every logsource whose selector the event satisfies; [] when none. */
  logsourcesOf(event: unknown): readonly SigmaLogsource[];
}

/**
 * How a pipeline maps one rule's field names (checklist I), as {@link compileDetection} uses it.
 * Built by engine/sigma/pipeline.ts from rules/pipelines/*.yml for the rule's logsource.
 */
export interface FieldMapper {
  /** The pipeline's name, or undefined when no pipeline applies (names pass through). */
  readonly pipeline?: string;
  /**
   * The ECS field(s) a Sigma field name maps to (several = OR of alternatives), or a string
   * message when the name is refused (strict pipeline, unmapped name).
   */
  map(field: string): readonly string[] | string;
  /** Value rewrites for a Sigma field: lower-cased rule value → replacement values; undefined when none. */
  values(field: string): ReadonlyMap<string, readonly (string | number | boolean)[]> | undefined;
  /** Fields a keyword (field-less) search looks in. */
  readonly keywordFields: readonly string[];
}
