/**
 * Correlation rules (checklist G): the `correlation` section parsed and validated, then resolved
 * against the other documents of the load — references by id or name, chains of correlations in
 * dependency order, cycles refused — and its field names (group-by, aliases, condition.field)
 * mapped through the pipelines of the rules it correlates (G5, G13, I4).
 */
import type { SigmaDocument, YamlMap } from './document.js';
import { entryOf, problemAt, scalarText } from './document.js';
import type { CorrelationCondition, CorrelationRule, CorrelationType, FieldMapper, RuleProblem, SourcePosition, YamlValue } from './types.js';

const TYPES: readonly CorrelationType[] = ['event_count', 'value_count', 'temporal', 'temporal_ordered', 'value_sum', 'value_avg', 'value_percentile'];
const VALUE_TYPES: ReadonlySet<CorrelationType> = new Set(['value_count', 'value_sum', 'value_avg', 'value_percentile']);
const TEMPORAL_TYPES: ReadonlySet<CorrelationType> = new Set(['temporal', 'temporal_ordered']);
/** Types whose condition counts something (events, distinct values or rules): integer thresholds. */
const COUNT_TYPES: ReadonlySet<CorrelationType> = new Set(['event_count', 'value_count', 'temporal', 'temporal_ordered']);
const OPERATORS = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const;
const SECTION_KEYS = new Set(['type', 'rules', 'timespan', 'group-by', 'condition', 'aliases', 'generate']);

/**
 * Milliseconds per timespan unit: `s m h d` from the specification, `w M y` as pySigma reads them
 * (a month is 2 629 746 s and a year 31 556 952 s, the mean Gregorian lengths).
 */
const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  M: 2_629_746_000,
  y: 31_556_952_000,
};
const TIMESPAN = /^(\d+)([smhdwMy])$/;

interface Located<T> {
  readonly value: T;
  readonly pos: SourcePosition;
}

/** A correlation after its own section was validated, before references are resolved. */
export interface CorrelationDraft {
  readonly doc: SigmaDocument;
  readonly type: CorrelationType;
  readonly refs: readonly Located<string>[];
  readonly groupBy: readonly Located<string>[];
  readonly timespanMs: number;
  /** Undefined for a temporal type without a condition (all rules). */
  readonly condition?: {
    readonly ops: Omit<CorrelationCondition, 'field' | 'percentile'>;
    readonly fields: readonly Located<string>[];
    readonly percentile?: number;
  };
  /** alias → rule name → field as written. */
  readonly aliases: readonly { readonly alias: string; readonly pos: SourcePosition; readonly targets: readonly { readonly rule: Located<string>; readonly field: Located<string> }[] }[];
  readonly generate: boolean;
}

/** Parses a correlation document's `correlation` section; undefined (with errors) when unusable. */
export function parseCorrelation(doc: SigmaDocument, problems: RuleProblem[]): CorrelationDraft | undefined {
  const key = doc.meta.key;
  const errorsBefore = countErrors(problems);
  const report = (pos: SourcePosition, severity: RuleProblem['severity'], code: string, message: string): void => {
    problems.push(problemAt(pos, severity, code, message, key));
  };
  for (const k of ['logsource']) {
    const e = entryOf(doc.node, k);
    if (e !== undefined) report(e.keyPos, 'warning', 'ignored-key', `a correlation rule has no '${k}' (its rules have theirs); it is ignored`);
  }
  const section = entryOf(doc.node, 'correlation');
  if (section === undefined || section.value.kind !== 'map') {
    report(section?.value.pos ?? doc.node.pos, 'error', 'invalid-correlation', "'correlation' must be a map {type, rules, timespan, group-by, condition}");
    return undefined;
  }
  const c = section.value;
  for (const e of c.entries) {
    if (!SECTION_KEYS.has(e.key)) report(e.keyPos, 'error', 'unknown-key', `unknown correlation key '${e.key}' (allowed: ${[...SECTION_KEYS].join(', ')})`);
  }

  const typeE = entryOf(c, 'type');
  const typeText = typeE === undefined ? undefined : scalarText(typeE.value);
  let type: CorrelationType | undefined;
  if (typeE === undefined) report(c.pos, 'error', 'invalid-correlation', "a correlation needs a 'type'");
  else if (typeText === undefined || !(TYPES as readonly string[]).includes(typeText)) {
    report(typeE.value.pos, 'error', 'invalid-correlation-type', `correlation type must be one of ${TYPES.join(', ')}`);
  } else type = typeText as CorrelationType;
  if (type === 'value_percentile' && typeE !== undefined) {
    report(typeE.value.pos, 'warning', 'experimental', 'value_percentile is under-specified in Sigma; Watchpost evaluates it experimentally');
  }

  const refs = refList(c, report);
  const groupBy = groupByList(c, report);
  const timespanMs = timespan(c, report);
  const generate = generateFlag(c, report);
  const aliases = aliasList(c, report);
  const condition = type === undefined ? undefined : conditionOf(c, type, report);

  if (countErrors(problems) > errorsBefore || type === undefined || timespanMs === undefined || condition === null) return undefined;
  return {
    doc,
    type,
    refs,
    groupBy,
    timespanMs,
    ...(condition === undefined ? {} : { condition }),
    aliases,
    generate,
  };
}

type Report = (pos: SourcePosition, severity: RuleProblem['severity'], code: string, message: string) => void;

function countErrors(problems: readonly RuleProblem[]): number {
  let n = 0;
  for (const p of problems) if (p.severity === 'error') n++;
  return n;
}

/** A list of strings (or one string, as pySigma accepts for `rules` and `group-by`). */
function strings(value: YamlValue, what: string, report: Report): Located<string>[] {
  const items = value.kind === 'seq' ? value.items : value.kind === 'scalar' ? [value] : undefined;
  if (items === undefined) {
    report(value.pos, 'error', 'invalid-correlation', `'${what}' must be a list of strings`);
    return [];
  }
  const out: Located<string>[] = [];
  const seen = new Set<string>();
  for (const i of items) {
    const t = scalarText(i)?.trim();
    if (t === undefined || t === '') {
      report(i.pos, 'error', 'invalid-correlation', `'${what}' items must be non-empty strings`);
      continue;
    }
    if (seen.has(t)) report(i.pos, 'warning', 'duplicate-item', `'${t}' is listed twice in '${what}'`);
    else out.push({ value: t, pos: i.pos });
    seen.add(t);
  }
  return out;
}

function refList(c: YamlMap, report: Report): Located<string>[] {
  const e = entryOf(c, 'rules');
  if (e === undefined) {
    report(c.pos, 'error', 'invalid-correlation', "a correlation needs 'rules' (ids or names of the rules it correlates)");
    return [];
  }
  const refs = strings(e.value, 'rules', report);
  if (refs.length === 0 && (e.value.kind !== 'scalar' || e.value.value === null)) report(e.value.pos, 'error', 'invalid-correlation', "'rules' is empty");
  return refs;
}

function groupByList(c: YamlMap, report: Report): Located<string>[] {
  const e = entryOf(c, 'group-by');
  if (e === undefined || (e.value.kind === 'scalar' && e.value.value === null)) return [];
  return strings(e.value, 'group-by', report);
}

function timespan(c: YamlMap, report: Report): number | undefined {
  const e = entryOf(c, 'timespan');
  if (e === undefined) {
    report(c.pos, 'error', 'invalid-timespan', "a correlation needs a 'timespan' (e.g. 10m)");
    return undefined;
  }
  const t = scalarText(e.value);
  const m = t === undefined ? null : TIMESPAN.exec(t.trim());
  const ms = m === null ? Number.NaN : Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  if (m === null || !Number.isSafeInteger(ms) || ms <= 0) {
    report(e.value.pos, 'error', 'invalid-timespan', `timespan '${t ?? ''}' must be a positive integer and one unit: s, m, h, d (or w, M, y), e.g. 90m — not 1h30m or 1.5h`);
    return undefined;
  }
  return ms;
}

function generateFlag(c: YamlMap, report: Report): boolean {
  const e = entryOf(c, 'generate');
  if (e === undefined) return false;
  if (e.value.kind === 'scalar' && typeof e.value.value === 'boolean') return e.value.value;
  report(e.value.pos, 'error', 'invalid-correlation', "'generate' must be true or false");
  return false;
}

function aliasList(c: YamlMap, report: Report): CorrelationDraft['aliases'] {
  const e = entryOf(c, 'aliases');
  if (e === undefined) return [];
  if (e.value.kind !== 'map') {
    report(e.value.pos, 'error', 'invalid-alias', "'aliases' must be a map: alias → {rule name → field}");
    return [];
  }
  const out: { alias: string; pos: SourcePosition; targets: { rule: Located<string>; field: Located<string> }[] }[] = [];
  for (const a of e.value.entries) {
    if (a.value.kind !== 'map' || a.value.entries.length === 0) {
      report(a.value.pos, 'error', 'invalid-alias', `alias '${a.key}' must be a map: rule name → field`);
      continue;
    }
    const targets: { rule: Located<string>; field: Located<string> }[] = [];
    for (const t of a.value.entries) {
      const field = scalarText(t.value);
      if (field === undefined || field === '') report(t.value.pos, 'error', 'invalid-alias', `alias '${a.key}': the field for rule '${t.key}' must be a string`);
      else targets.push({ rule: { value: t.key, pos: t.keyPos }, field: { value: field, pos: t.value.pos } });
    }
    out.push({ alias: a.key, pos: a.keyPos, targets });
  }
  return out;
}

/**
 * The condition (G6, G9): operators with numbers (several make a range, which pySigma refuses,
 * hence the warning), `field` for the value types, `percentile` for value_percentile. Returns
 * undefined for a temporal type without one (all rules) and null when it is unusable.
 */
function conditionOf(c: YamlMap, type: CorrelationType, report: Report): CorrelationDraft['condition'] | null | undefined {
  const e = entryOf(c, 'condition');
  if (e === undefined || (e.value.kind === 'scalar' && e.value.value === null)) {
    if (TEMPORAL_TYPES.has(type)) return undefined;
    report(c.pos, 'error', 'missing-condition', `a ${type} correlation needs a 'condition' (e.g. {gte: 10})`);
    return null;
  }
  if (e.value.kind !== 'map') {
    const message = TEMPORAL_TYPES.has(type) && e.value.kind === 'scalar'
      ? 'boolean conditions over rule names (the unmerged temporal draft) are not supported: list the rules and use a count condition such as {gte: 2}'
      : "'condition' must be a map such as {gte: 10}";
    report(e.value.pos, 'error', 'invalid-condition', message);
    return null;
  }
  const ops: { -readonly [K in (typeof OPERATORS)[number]]?: number } = {};
  let fields: Located<string>[] = [];
  let percentile: number | undefined;
  let opCount = 0;
  for (const entry of e.value.entries) {
    const op = OPERATORS.find((o) => o === entry.key);
    if (op !== undefined) {
      const v = entry.value;
      const n = v.kind === 'scalar' && typeof v.value === 'number' ? v.value : Number.NaN;
      if (!Number.isFinite(n) || (COUNT_TYPES.has(type) && (!Number.isInteger(n) || n < 0))) {
        report(v.pos, 'error', 'invalid-condition', `'${op}' needs ${COUNT_TYPES.has(type) ? 'a non-negative integer' : 'a number'}`);
        continue;
      }
      ops[op] = n;
      opCount++;
    } else if (entry.key === 'field') {
      fields = strings(entry.value, 'condition.field', report);
      if (!VALUE_TYPES.has(type)) report(entry.keyPos, 'error', 'invalid-condition', `'field' belongs to the value_* types, not to ${type}`);
    } else if (entry.key === 'percentile') {
      const v = entry.value;
      const n = v.kind === 'scalar' && typeof v.value === 'number' ? v.value : Number.NaN;
      if (type !== 'value_percentile') report(entry.keyPos, 'error', 'invalid-condition', "'percentile' belongs to value_percentile only");
      else if (!(n > 0 && n <= 100)) report(v.pos, 'error', 'invalid-condition', "'percentile' must be a number in (0, 100]");
      else percentile = n;
    } else {
      report(entry.keyPos, 'error', 'invalid-condition', `unknown condition key '${entry.key}' (allowed: ${OPERATORS.join(', ')}, field, percentile)`);
    }
  }
  if (opCount === 0 && !e.value.entries.some((x) => (OPERATORS as readonly string[]).includes(x.key))) report(e.value.pos, 'error', 'invalid-condition', `the condition needs one of ${OPERATORS.join(', ')}`);
  if (opCount > 1) report(e.value.pos, 'warning', 'condition-range', 'several operators make a range (all must hold); pySigma accepts only one, so this rule does not round-trip to it');
  if (VALUE_TYPES.has(type) && fields.length === 0 && !e.value.entries.some((x) => x.key === 'field')) {
    report(e.value.pos, 'error', 'invalid-condition', `a ${type} condition needs 'field' (the field whose values are counted, summed or averaged)`);
  }
  return { ops, fields, ...(percentile === undefined ? {} : { percentile }) };
}

// ---------------------------------------------------------------------------------------------
// Resolution

/** What a correlation needs to know about the other documents of the load. */
export interface CorrelationContext {
  /** The document a reference (id or name) designates, or undefined. */
  resolve(ref: string): { readonly key: string; readonly kind: 'detection' | 'correlation' | 'filter'; readonly name?: string } | undefined;
  /** The field mapper of a detection rule (by key), or undefined when it did not load. */
  mapperOf(key: string): FieldMapper | undefined;
  /** True when the document (detection rule) with this key is disabled. */
  isDisabled(key: string): boolean;
}

/**
 * Resolves drafts into correlation rules. Chains are built inner first; a draft that references
 * an unknown or disabled rule, a filter, or takes part in a cycle gets an error in `problems`
 * and is left out (and so are the correlations built on it). Returns the rules in dependency
 * order.
 */
export function resolveCorrelations(drafts: readonly CorrelationDraft[], ctx: CorrelationContext, problems: RuleProblem[]): CorrelationRule[] {
  const byKey = new Map<string, CorrelationDraft>();
  for (const d of drafts) byKey.set(d.doc.meta.key, d);
  const built = new Map<string, CorrelationRule | null>();
  const state = new Map<string, 'visiting' | 'done'>();
  const order: CorrelationRule[] = [];

  const visit = (draft: CorrelationDraft, path: string[]): CorrelationRule | null => {
    const key = draft.doc.meta.key;
    const done = built.get(key);
    if (done !== undefined) return done;
    state.set(key, 'visiting');
    const report = (pos: SourcePosition, code: string, message: string, severity: RuleProblem['severity'] = 'error'): void => {
      problems.push(problemAt(pos, severity, code, message, key));
    };
    let ok = true;
    const refs: { key: string; name?: string; kind: 'detection' | 'correlation'; pos: SourcePosition }[] = [];
    for (const ref of draft.refs) {
      const target = ctx.resolve(ref.value);
      if (target === undefined) {
        report(ref.pos, 'unknown-rule', `no rule has the id or name '${ref.value}'`);
        ok = false;
        continue;
      }
      if (target.kind === 'filter') {
        report(ref.pos, 'invalid-reference', `'${ref.value}' is a meta-filter, not a rule`);
        ok = false;
        continue;
      }
      if (target.kind === 'correlation') {
        const inner = byKey.get(target.key);
        if (state.get(target.key) === 'visiting' || target.key === key) {
          report(ref.pos, 'correlation-cycle', `correlation cycle: ${[...path, key, target.key].join(' → ')}`);
          ok = false;
          continue;
        }
        if (inner === undefined || visit(inner, [...path, key]) === null) {
          report(ref.pos, 'rule-disabled', `correlation '${ref.value}' is disabled (see its problems), so this one is too`);
          ok = false;
          continue;
        }
      } else if (ctx.isDisabled(target.key)) {
        report(ref.pos, 'rule-disabled', `rule '${ref.value}' is disabled (see its problems), so this correlation is too`);
        ok = false;
        continue;
      }
      refs.push({ key: target.key, kind: target.kind, pos: ref.pos, ...(target.name === undefined ? {} : { name: target.name }) });
    }
    let rule: CorrelationRule | null = null;
    if (ok) rule = buildRule(draft, refs, ctx, built, report);
    built.set(key, rule);
    state.set(key, 'done');
    if (rule !== null) order.push(rule);
    return rule;
  };

  for (const d of drafts) visit(d, []);
  return order;
}

type ResolveReport = (pos: SourcePosition, code: string, message: string, severity?: RuleProblem['severity']) => void;

function buildRule(
  draft: CorrelationDraft,
  refs: readonly { key: string; name?: string; kind: 'detection' | 'correlation'; pos: SourcePosition }[],
  ctx: CorrelationContext,
  built: ReadonlyMap<string, CorrelationRule | null>,
  report: ResolveReport,
): CorrelationRule | null {
  let ok = true;
  const fail = (pos: SourcePosition, code: string, message: string): void => {
    report(pos, code, message);
    ok = false;
  };

  // Aliases first: a group-by entry naming an alias is kept as the alias name.
  const aliases: Record<string, Record<string, string>> = {};
  for (const a of draft.aliases) {
    const perRule: Record<string, string> = {};
    for (const t of a.targets) {
      const ref = refs.find((r) => r.name === t.rule.value);
      if (ref === undefined) {
        fail(t.rule.pos, 'invalid-alias', `alias '${a.alias}': '${t.rule.value}' is not the name of a rule this correlation lists (aliases refer to rules by name)`);
        continue;
      }
      const mapped = mapField(t.field.value, [ref], ctx, built);
      if (typeof mapped !== 'string') fail(t.field.pos, 'unmapped-field', `alias '${a.alias}': ${mapped.error}`);
      else perRule[ref.key] = mapped;
    }
    aliases[a.alias] = perRule;
  }

  const groupBy: string[] = [];
  for (const g of draft.groupBy) {
    const alias = aliases[g.value];
    if (alias !== undefined) {
      const missing = refs.filter((r) => alias[r.key] === undefined).map((r) => r.name ?? r.key);
      if (missing.length > 0) report(g.pos, 'alias-incomplete', `alias '${g.value}' has no field for ${missing.join(', ')}; their events do not join a group`, 'warning');
      groupBy.push(g.value);
      continue;
    }
    const mapped = mapField(g.value, refs, ctx, built);
    if (typeof mapped !== 'string') fail(g.pos, 'unmapped-field', `group-by: ${mapped.error}`);
    else groupBy.push(mapped);
  }

  let condition: CorrelationCondition;
  if (draft.condition === undefined) condition = { gte: refs.length };
  else {
    const fields: string[] = [];
    for (const f of draft.condition.fields) {
      const mapped = mapField(f.value, refs, ctx, built);
      if (typeof mapped !== 'string') fail(f.pos, 'unmapped-field', `condition.field: ${mapped.error}`);
      else fields.push(mapped);
    }
    condition = {
      ...draft.condition.ops,
      ...(fields.length > 0 ? { field: Object.freeze(fields) } : {}),
      ...(draft.condition.percentile === undefined ? {} : { percentile: draft.condition.percentile }),
    };
  }
  if (!ok) return null;
  return Object.freeze({
    ...draft.doc.meta,
    kind: 'correlation' as const,
    type: draft.type,
    rules: Object.freeze(refs.map((r) => r.key)),
    groupBy: Object.freeze(groupBy),
    timespanMs: draft.timespanMs,
    condition: Object.freeze(condition),
    aliases: Object.freeze(aliases),
    generate: draft.generate,
  });
}

/**
 * Maps a field name through the pipelines of the given rules; every rule must map it to the same
 * single ECS field (one-to-many and disagreeing mappings are what `aliases` are for). For a chained
 * correlation the name is looked up among its group-by entries and aliases, then through its own
 * rules. Returns the field, or `{ error }`.
 */
function mapField(
  field: string,
  refs: readonly { key: string; kind: 'detection' | 'correlation' }[],
  ctx: CorrelationContext,
  built: ReadonlyMap<string, CorrelationRule | null>,
): string | { error: string } {
  let result: string | undefined;
  for (const ref of refs) {
    let mapped: string;
    if (ref.kind === 'detection') {
      const mapper = ctx.mapperOf(ref.key);
      const m = mapper === undefined ? [field] : mapper.map(field);
      if (typeof m === 'string') return { error: m };
      if (m.length !== 1) return { error: `field '${field}' maps to several ECS fields (${m.join(', ')}) for rule '${ref.key}'; use an alias to pick one` };
      mapped = m[0] as string;
    } else {
      // Chains are acyclic by the time a rule is built, so this recursion ends.
      const inner = built.get(ref.key);
      if (inner === undefined || inner === null) return { error: `field '${field}': correlation '${ref.key}' did not load` };
      if (inner.groupBy.includes(field) || inner.aliases[field] !== undefined) mapped = field;
      else {
        const innerRefs = inner.rules.map((k) => ({ key: k, kind: built.has(k) ? ('correlation' as const) : ('detection' as const) }));
        const m = mapField(field, innerRefs, ctx, built);
        if (typeof m !== 'string') return m;
        mapped = m;
      }
    }
    if (result !== undefined && result !== mapped) {
      return { error: `field '${field}' maps to '${result}' for one rule and '${mapped}' for another; use an alias to name the field per rule` };
    }
    result = mapped;
  }
  return result ?? field;
}
