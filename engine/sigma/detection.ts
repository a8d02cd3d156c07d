/**
 * A rule's `detection` compiled to the filter AST (checklist C1–C19): search identifiers to
 * selections, field names through the pipeline's {@link FieldMapper}, values through their
 * modifiers, and the condition parsed against the identifiers.
 *
 * Shapes of a search identifier: a map is the AND of its items (C2); a list of maps is the OR of
 * those ANDs (C3); a scalar or a list of scalars is a keyword search, OR-ed (C4), and a map key
 * without a field name (`'|all'`) is a keyword item with modifiers (C19). A keyword is a
 * case-insensitive substring search over the mapper's keyword fields (C18): a value matches when
 * any keyword field contains it; with `|all` each value must be found in some keyword field.
 * A field the pipeline maps to several ECS fields is the OR of the whole item over them
 * (as pySigma's field mapping does).
 */
import type { FilterNode } from '../../core/query/filter.js';
import { and } from '../../core/query/filter.js';
import { foldCase } from '../../core/query/text.js';
import { parseCondition } from './condition.js';
import type { ModifierChain, ModifierProblem, ScalarInput, SigmaValue } from './modifiers.js';
import { applyModifiers, parseModifierChain } from './modifiers.js';
import type { CompiledDetection, FieldMapper, RuleProblem, SourcePosition, YamlValue } from './types.js';
import { stringFilter } from './values.js';
import { describeYaml, report } from './yaml.js';

/** Where a detection comes from, for problems. */
export interface DetectionContext {
  readonly file: string;
  readonly rule?: string;
}

type Scalar = Extract<YamlValue, { kind: 'scalar' }>;

/**
 * Compiles a rule's `detection` map. Every problem is appended to `problems`; returns undefined
 * when any of them is an error (warnings alone still compile).
 */
export function compileDetection(detection: YamlValue, mapper: FieldMapper, ctx: DetectionContext, problems: RuleProblem[]): CompiledDetection | undefined {
  const before = errorCount(problems);
  if (detection.kind !== 'map') {
    report(problems, 'error', 'invalid-detection', `"detection" must be a map of search identifiers and a condition, not ${describeYaml(detection)}`, detection.pos, ctx.rule);
    return undefined;
  }
  const compiler = new SelectionCompiler(mapper, ctx, problems);
  const selections = new Map<string, FilterNode>();
  const identifiers: string[] = [];
  const positions = new Map<string, SourcePosition>();
  let condition: YamlValue | undefined;
  for (const entry of detection.entries) {
    if (entry.key === 'condition') {
      condition = entry.value;
      continue;
    }
    if (entry.key === 'timeframe') {
      report(problems, 'error', 'use-correlation', '"detection.timeframe" was removed from Sigma; rewrite this rule as a correlation rule with a timespan', entry.keyPos, ctx.rule);
      continue;
    }
    identifiers.push(entry.key);
    positions.set(entry.key, entry.keyPos);
    const filter = compiler.selection(entry.value, entry.keyPos);
    if (filter !== undefined) selections.set(entry.key, filter);
  }
  let parsed;
  if (condition === undefined) report(problems, 'error', 'missing-condition', '"detection" has no "condition"', detection.pos, ctx.rule);
  else parsed = parseCondition(condition, identifiers, problems, { ...ctx, identifierPositions: positions });
  if (parsed === undefined || errorCount(problems) > before) return undefined;
  return { selections, condition: parsed };
}

function errorCount(problems: readonly RuleProblem[]): number {
  return problems.reduce((n, problem) => n + (problem.severity === 'error' ? 1 : 0), 0);
}

function or(children: FilterNode[]): FilterNode {
  const flat: FilterNode[] = [];
  for (const child of children) {
    if (child.op === 'or') flat.push(...child.children);
    else flat.push(child);
  }
  return flat.length === 1 ? (flat[0] as FilterNode) : { op: 'or', children: flat };
}

function link(all: boolean, children: FilterNode[]): FilterNode {
  return all ? and(...children) : or(children);
}

class SelectionCompiler {
  constructor(
    private readonly mapper: FieldMapper,
    private readonly ctx: DetectionContext,
    private readonly problems: RuleProblem[],
  ) {}

  private error(code: string, message: string, pos: SourcePosition): undefined {
    report(this.problems, 'error', code, message, pos, this.ctx.rule);
    return undefined;
  }

  /** One search identifier's definition. */
  selection(value: YamlValue, keyPos: SourcePosition): FilterNode | undefined {
    if (value.kind === 'map') return this.map(value);
    if (value.kind === 'scalar') {
      if (value.value === null) return this.error('empty-selection', 'a search identifier needs a map, a list of maps or keywords, not null', keyPos);
      return this.item('', [], value, value.pos);
    }
    if (value.items.length === 0) return this.error('empty-selection', 'a search identifier cannot be an empty list', value.pos);
    const children: (FilterNode | undefined)[] = value.items.map((item) => {
      if (item.kind === 'map') return this.map(item);
      if (item.kind === 'seq') return this.error('invalid-detection', 'a list inside a search identifier list is not Sigma', item.pos);
      return this.item('', [], item, item.pos);
    });
    if (children.some((child) => child === undefined)) return undefined;
    return or(children as FilterNode[]);
  }

  private map(value: Extract<YamlValue, { kind: 'map' }>): FilterNode | undefined {
    if (value.entries.length === 0) return this.error('empty-selection', 'an empty map would match every event', value.pos);
    const items = value.entries.map((entry) => {
      const [field, ...modifiers] = entry.key.split('|');
      return this.item(field as string, modifiers, entry.value, entry.keyPos);
    });
    if (items.some((item) => item === undefined)) return undefined;
    return and(...(items as FilterNode[]));
  }

  /** One detection item: `field|modifiers: value(s)`, or a keyword item when `field` is empty. */
  private item(field: string, modifierNames: readonly string[], value: YamlValue, keyPos: SourcePosition): FilterNode | undefined {
    const keyword = field === '';
    const chainProblems: ModifierProblem[] = [];
    const chain = parseModifierChain(modifierNames, chainProblems, !keyword);
    for (const problem of chainProblems) report(this.problems, problem.severity, problem.code, problem.message, keyPos, this.ctx.rule);
    const scalars = this.values(value, keyword);
    if (chain === undefined || scalars === undefined) return undefined;
    if (chain.all && scalars.length === 1) report(this.problems, 'warning', 'all-single-value', '"all" on a single value changes nothing', keyPos, this.ctx.rule);

    let targets: readonly string[];
    if (keyword) {
      targets = this.mapper.keywordFields;
      if (targets.length === 0) return this.error('no-keyword-fields', 'this rule searches keywords, but its pipeline names no keyword fields to search', keyPos);
    } else {
      const mapped = this.mapper.map(field);
      if (typeof mapped === 'string') return this.error('unmapped-field', mapped, keyPos);
      if (mapped.length === 0) return this.error('unmapped-field', `the field "${field}" maps to no field`, keyPos);
      targets = mapped;
    }

    const compiled = this.compileValues(field, scalars, chain, keyword);
    if (compiled === undefined) return undefined;
    const { values, others } = compiled;
    let filter: FilterNode;
    if (keyword) filter = link(chain.all, values.map((v) => or(targets.map((target) => valueFilter(target, v, others)))));
    else filter = or(targets.map((target) => link(chain.all, values.map((v) => valueFilter(target, v, others)))));
    return chain.neq ? { op: 'not', child: filter } : filter;
  }

  /** The scalars of an item's value: one scalar, or a list of them (C5); `[]` is null (C9). */
  private values(value: YamlValue, keyword: boolean): Scalar[] | undefined {
    if (value.kind === 'map') return this.error('invalid-value', 'a field value must be a scalar or a list of scalars, not a map', value.pos);
    if (value.kind === 'scalar') {
      if (keyword && value.value === null) return this.error('invalid-value', 'a keyword cannot be null', value.pos);
      return [value];
    }
    if (value.items.length === 0) {
      if (keyword) return this.error('invalid-value', 'an empty keyword list matches nothing', value.pos);
      return [{ kind: 'scalar', value: null, quoted: false, raw: '', pos: value.pos }];
    }
    let ok = true;
    for (const item of value.items) {
      if (item.kind !== 'scalar') {
        this.error('invalid-value', `a value list holds scalars, not ${describeYaml(item)}`, item.pos);
        ok = false;
      } else if (item.value === null) {
        this.error('null-in-list', 'null may not appear in a value list; write a separate selection for it and combine them with "1 of"', item.pos);
        ok = false;
      }
    }
    return ok ? (value.items as Scalar[]) : undefined;
  }

  /** Runs the modifiers over every value (and the pipeline's value map), reporting at each value. */
  private compileValues(
    field: string,
    scalars: readonly Scalar[],
    chain: ModifierChain,
    keyword: boolean,
  ): { values: SigmaValue[]; others: ReadonlyMap<string, readonly string[]> } | undefined {
    const valueMap = keyword ? undefined : this.mapper.values(field);
    const values: SigmaValue[] = [];
    const others = new Map<string, readonly string[]>();
    let ok = true;
    for (const scalar of scalars) {
      let inputs: ScalarInput[] = [scalar];
      if (valueMap !== undefined && scalar.value !== null) {
        const replacement = valueMap.get(foldCase(typeof scalar.value === 'string' ? scalar.value : scalar.raw));
        if (replacement !== undefined) inputs = replacement.map((v) => ({ value: v, raw: String(v) }));
      }
      const results = inputs.map((input) => applyModifiers(input, chain, keyword));
      const failures = results.filter((result): result is ModifierProblem => 'code' in result);
      for (const failure of failures) report(this.problems, failure.severity, failure.code, failure.message, scalar.pos, this.ctx.rule);
      if (failures.length > 0) {
        ok = false;
        continue;
      }
      const good = results as SigmaValue[];
      if (good.some(hasDoubleWildcard)) report(this.problems, 'warning', 'double-wildcard', '"**" matches what "*" matches; write one', scalar.pos, this.ctx.rule);
      const value: SigmaValue = good.length === 1 ? (good[0] as SigmaValue) : { k: 'alt', alts: good };
      if (!this.resolveReferences(value, others, scalar.pos)) ok = false;
      values.push(value);
    }
    return ok ? { values, others } : undefined;
  }

  /** Maps the field named by each `fieldref` value (E20) like any other field. */
  private resolveReferences(value: SigmaValue, others: Map<string, readonly string[]>, pos: SourcePosition): boolean {
    if (value.k === 'alt') return value.alts.every((alt) => this.resolveReferences(alt, others, pos));
    if (value.k !== 'fieldref' || others.has(value.other)) return true;
    const mapped = this.mapper.map(value.other);
    if (typeof mapped === 'string') return this.error('unmapped-field', mapped, pos) ?? false;
    others.set(value.other, mapped);
    return true;
  }
}

/** A `**` in a string value (checklist D8): harmless, but a sign of a typo. */
function hasDoubleWildcard(value: SigmaValue): boolean {
  if (value.k === 'alt') return value.alts.some(hasDoubleWildcard);
  return value.k === 'str' && value.s.some((part, index) => part.t === 'any' && value.s[index + 1]?.t === 'any');
}

/** The filter for one compiled value against one field. */
function valueFilter(field: string, value: SigmaValue, others: ReadonlyMap<string, readonly string[]>): FilterNode {
  switch (value.k) {
    case 'str':
      return stringFilter(field, value.s, value.cased);
    case 'num':
      return { op: 'eq', field, value: value.n };
    case 'bool':
      return { op: 'eq', field, value: value.b };
    case 'null':
      return { op: 'not', child: { op: 'exists', field } };
    case 'regex':
      return { op: 'regex', field, pattern: value.pattern, ...(value.ignoreCase ? { flags: { i: true } } : {}) };
    case 'cidr':
      return { op: 'cidr', field, cidr: value.cidr };
    case 'exists':
      return value.present ? { op: 'exists', field } : { op: 'not', child: { op: 'exists', field } };
    case 'fieldref':
      return or(
        (others.get(value.other) ?? [value.other]).map((other) => ({
          op: 'fieldref',
          field,
          other,
          mode: value.mode,
          ...(value.cased ? { caseSensitive: true } : {}),
        })),
      );
    case 'range':
      return { op: 'range', field, [value.cmp]: value.n };
    case 'timepart':
      return { op: 'timepart', field, part: value.part, [value.cmp]: value.n };
    case 'alt':
      return or(value.alts.map((alt) => valueFilter(field, alt, others)));
  }
}
