/**
 * Meta-filters (checklist H): documents with a `filter` section that tune other rules without
 * editing them. As pySigma does, a filter's selections join each rule it applies to under a fresh
 * private prefix and the rule's condition becomes `(rule) and (filter condition)` — so a filter
 * that excludes benign events says `condition: not selection` (H4). Filters apply to detection
 * rules only (never to correlations), several are AND-ed, and each rule records the filters
 * applied to it (H7).
 */
import { compileDetection } from './detection.js';
import type { SigmaDocument, YamlMap } from './document.js';
import { entryOf, problemAt, scalarText, withoutKeys } from './document.js';
import { PASS_THROUGH_MAPPER } from './pipeline.js';
import type { CompiledDetection, ConditionNode, FieldMapper, MetaFilter, RuleProblem, SigmaLogsource, SourcePosition } from './types.js';

/** A meta-filter whose own section was validated, before it is applied. */
export interface FilterDraft {
  readonly doc: SigmaDocument;
  readonly logsource: SigmaLogsource;
  /** The rules it names, or `any` (also for an empty list, as pySigma reads it). */
  readonly rules: readonly { readonly value: string; readonly pos: SourcePosition }[] | 'any';
  /** The `filter` section without `rules`: selections and condition, as compileDetection reads a detection. */
  readonly detection: YamlMap;
}

/** A detection rule as filters see it; `detection` and `filtersApplied` are updated in place. */
export interface FilterableRule {
  readonly key: string;
  readonly logsource: SigmaLogsource;
  readonly mapper: FieldMapper;
  detection: CompiledDetection;
  readonly filtersApplied: string[];
}

/** Validates a meta-filter document's `filter` section; undefined (with errors) when unusable. */
export function parseMetaFilter(doc: SigmaDocument, problems: RuleProblem[]): FilterDraft | undefined {
  const key = doc.meta.key;
  const report = (pos: SourcePosition, severity: RuleProblem['severity'], code: string, message: string): void => {
    problems.push(problemAt(pos, severity, code, message, key));
  };
  const section = entryOf(doc.node, 'filter');
  if (section === undefined || section.value.kind !== 'map') {
    report(section?.value.pos ?? doc.node.pos, 'error', 'invalid-filter', "'filter' must be a map {rules, <selections>, condition}");
    return undefined;
  }
  const f = section.value;
  let ok = doc.logsource !== undefined;

  let rules: FilterDraft['rules'] = 'any';
  const rulesE = entryOf(f, 'rules');
  if (rulesE === undefined) {
    report(f.pos, 'error', 'invalid-filter', "a meta-filter needs 'rules': the ids or names of the rules it tunes, or 'any'");
    ok = false;
  } else if (rulesE.value.kind === 'scalar') {
    const t = scalarText(rulesE.value);
    if (t === 'any' || rulesE.value.value === null) rules = 'any';
    else if (t !== undefined) rules = [{ value: t, pos: rulesE.value.pos }];
    else {
      report(rulesE.value.pos, 'error', 'invalid-filter', "'rules' must be a list of rule ids or names, or 'any'");
      ok = false;
    }
  } else if (rulesE.value.kind === 'seq') {
    const list: { value: string; pos: SourcePosition }[] = [];
    for (const item of rulesE.value.items) {
      const t = scalarText(item);
      if (t === undefined || t.trim() === '') {
        report(item.pos, 'error', 'invalid-filter', "'rules' items must be rule ids or names");
        ok = false;
      } else list.push({ value: t.trim(), pos: item.pos });
    }
    rules = list.length === 0 ? 'any' : list;
  } else {
    report(rulesE.value.pos, 'error', 'invalid-filter', "'rules' must be a list of rule ids or names, or 'any'");
    ok = false;
  }

  const condition = entryOf(f, 'condition');
  if (condition === undefined) {
    report(f.pos, 'error', 'invalid-filter', "a meta-filter needs a 'condition' (to exclude events: 'not selection')");
    ok = false;
  } else if (condition.value.kind !== 'scalar') {
    report(condition.value.pos, 'error', 'invalid-filter', "a meta-filter's 'condition' is one string (a list is not allowed)");
    ok = false;
  }
  if (!ok || doc.logsource === undefined) return undefined;
  return { doc, logsource: doc.logsource, rules, detection: withoutKeys(f, ['rules']) };
}

/** True when every attribute the filter states is stated equally by the rule (B2 containment). */
export function logsourceContains(filter: SigmaLogsource, rule: SigmaLogsource): boolean {
  for (const a of ['category', 'product', 'service'] as const) {
    const f = filter[a];
    if (f !== undefined && rule[a] !== f) return false;
  }
  return true;
}

/** What applying filters needs from the rest of the load. */
export interface FilterContext {
  /** The document a reference designates (by id or name), or undefined. */
  resolve(ref: string): { readonly key: string; readonly kind: 'detection' | 'correlation' | 'filter' } | undefined;
  /** The problem list of a document, by key (the filter's own problems go there). */
  problemsOf(key: string): RuleProblem[];
}

/**
 * Applies the filters, in order, to the rules (changing their detection and filtersApplied) and
 * returns the filters that loaded. A filter is compiled once per pipeline of the rules it
 * reaches, with that pipeline's field names; a filter that fails to compile for any of them is
 * disabled (an error in its problems) and applied to none.
 */
export function applyMetaFilters(filters: readonly FilterDraft[], rules: readonly FilterableRule[], ctx: FilterContext): MetaFilter[] {
  const byKey = new Map<string, FilterableRule>();
  for (const r of rules) byKey.set(r.key, r);
  const loaded: MetaFilter[] = [];
  for (const filter of filters) {
    const key = filter.doc.meta.key;
    const problems = ctx.problemsOf(key);
    const warn = (pos: SourcePosition, code: string, message: string): void => {
      problems.push(problemAt(pos, 'warning', code, message, key));
    };
    const targets: FilterableRule[] = [];
    if (filter.rules === 'any') {
      for (const r of rules) if (logsourceContains(filter.logsource, r.logsource)) targets.push(r);
    } else {
      for (const ref of filter.rules) {
        const target = ctx.resolve(ref.value);
        const rule = target === undefined ? undefined : byKey.get(target.key);
        if (target === undefined) warn(ref.pos, 'unknown-rule', `no rule has the id or name '${ref.value}'; the filter does not apply to it`);
        else if (target.kind === 'correlation') warn(ref.pos, 'filter-on-correlation', `'${ref.value}' is a correlation rule; meta-filters apply to detection rules only`);
        else if (target.kind === 'filter') warn(ref.pos, 'invalid-reference', `'${ref.value}' is a meta-filter, not a rule`);
        else if (rule === undefined) warn(ref.pos, 'rule-disabled', `rule '${ref.value}' is disabled; the filter does not apply to it`);
        else if (!logsourceContains(filter.logsource, rule.logsource)) {
          warn(ref.pos, 'filter-logsource-mismatch', `the filter's logsource does not contain the logsource of rule '${ref.value}'; it does not apply to it`);
        } else if (!targets.includes(rule)) targets.push(rule);
      }
    }

    const compiled = new Map<FieldMapper, CompiledDetection>();
    let failed = false;
    for (const r of targets) {
      if (compiled.has(r.mapper)) continue;
      const errorsBefore = problems.filter((p) => p.severity === 'error').length;
      const c = compileDetection(filter.detection, r.mapper, { file: filter.doc.file, rule: key }, problems);
      if (c === undefined || problems.filter((p) => p.severity === 'error').length > errorsBefore) {
        failed = true;
        break;
      }
      compiled.set(r.mapper, c);
    }
    if (failed) continue;
    // With no target, still compile once with names as written so mistakes surface at load.
    if (targets.length === 0) {
      const errorsBefore = problems.filter((p) => p.severity === 'error').length;
      const c = compileDetection(filter.detection, PASS_THROUGH_MAPPER, { file: filter.doc.file, rule: key }, problems);
      if (c === undefined || problems.filter((p) => p.severity === 'error').length > errorsBefore) continue;
    }
    for (const r of targets) {
      r.detection = mergeFilter(r.detection, compiled.get(r.mapper) as CompiledDetection);
      r.filtersApplied.push(key);
    }
    loaded.push(
      Object.freeze({
        key,
        title: filter.doc.meta.title,
        logsource: filter.logsource,
        rules: filter.rules === 'any' ? ('any' as const) : Object.freeze(targets.map((t) => t.key)),
        source: filter.doc.meta.source,
      }),
    );
  }
  return loaded;
}

/**
 * A rule's detection with a filter's selections added under a prefix no selection of the rule
 * uses (identifiers starting with `_` stay out of `them` and of plain patterns, F4/F5), and the
 * condition `(rule) and (filter)`.
 */
export function mergeFilter(rule: CompiledDetection, filter: CompiledDetection): CompiledDetection {
  let n = 1;
  const taken = (prefix: string): boolean => [...rule.selections.keys()].some((k) => k.startsWith(prefix));
  while (taken(`_filter${n}_`)) n++;
  const prefix = `_filter${n}_`;
  const selections = new Map(rule.selections);
  for (const [name, node] of filter.selections) selections.set(prefix + name, node);
  const condition: ConditionNode = { op: 'and', children: [rule.condition, renameRefs(filter.condition, prefix)] };
  return { selections, condition };
}

function renameRefs(node: ConditionNode, prefix: string): ConditionNode {
  switch (node.op) {
    case 'ref':
      return { op: 'ref', name: prefix + node.name };
    case 'not':
      return { op: 'not', child: renameRefs(node.child, prefix) };
    case 'and':
    case 'or':
      return { op: node.op, children: node.children.map((c) => renameRefs(c, prefix)) };
  }
}
