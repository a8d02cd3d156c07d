import type { FilterNode } from '../../core/query/filter.js';
import { TEXT_FIELDS, type EventContext } from '../query/event-context.js';
import type { LogsourceResolver, SigmaLogsource } from '../sigma/types.js';

/**
 * Cheap gates in front of a rule's predicate. Most of ~500 loaded rules cannot apply to a given
 * event, and deciding that must cost far less than evaluating them (the third gate, by literals,
 * is in literal-prefilter.ts):
 *
 * - by logsource: the rules that apply to an event depend only on the set of logsources the
 *   pipelines give it, and few distinct sets occur, so the applicable list is computed once per
 *   set and then found by one lookup;
 * - by fields: every predicate of the filter AST is false on a missing field, so a rule whose
 *   filter needs `url.original` cannot match an event without it. {@link requiredFields} derives
 *   that necessary condition from the filter, once per rule.
 */

/**
 * A necessary condition on which fields an event holds, in conjunctive normal form: every clause
 * must have at least one of its fields present. `[]` holds always; a clause `[]` never holds.
 */
export type FieldRequirement = readonly (readonly string[])[];

const ALWAYS: FieldRequirement = Object.freeze([]);
const NEVER: FieldRequirement = Object.freeze([Object.freeze([])]);
/** Past this many clauses an `or` is weakened to one clause instead of distributed. */
const MAX_PRODUCT = 16;
/** Clauses kept per rule; dropping a clause weakens the condition, so it stays necessary. */
const MAX_CLAUSES = 8;

/**
 * The fields a filter needs to be true, as a necessary condition (never a sufficient one): if the
 * event lacks them, the filter is false, by the AST's rule that a predicate on a missing field is
 * false. A `not` needs nothing, since `not` over a missing field is true (Sigma's `selection and
 * not filter` must fire when the filter's field is absent, checklist K7).
 */
export function requiredFields(node: FilterNode): FieldRequirement {
  switch (node.op) {
    case 'and': {
      const clauses: (readonly string[])[] = [];
      for (const child of node.children) {
        const need = requiredFields(child);
        for (const clause of need) {
          if (clause.length === 0) return NEVER;
          clauses.push(clause);
        }
      }
      return simplify(clauses);
    }
    case 'or': {
      const alternatives: FieldRequirement[] = [];
      for (const child of node.children) {
        const need = requiredFields(child);
        if (need.length === 0) return ALWAYS; // one branch needs nothing: the whole `or` needs nothing
        if (need.some((clause) => clause.length === 0)) continue; // a branch that never holds adds nothing
        alternatives.push(need);
      }
      if (alternatives.length === 0) return NEVER;
      const product = alternatives.reduce((size, need) => size * need.length, 1);
      if (product <= MAX_PRODUCT) {
        // (a ∧ b) ∨ c = (a ∨ c) ∧ (b ∨ c): exact while small.
        let clauses: string[][] = [[]];
        for (const need of alternatives) clauses = clauses.flatMap((partial) => need.map((clause) => [...partial, ...clause]));
        return simplify(clauses);
      }
      // Each branch implies its shortest clause, so the `or` implies their union.
      return simplify([alternatives.flatMap((need) => shortest(need))]);
    }
    case 'not':
      return ALWAYS;
    case 'eq':
    case 'contains':
    case 'startswith':
    case 'endswith':
    case 'wildcard':
    case 'regex':
    case 'cidr':
    case 'exists':
    case 'range':
    case 'timepart':
      return [[node.field]];
    case 'fieldref':
      return simplify([[node.field], [node.other]]);
    case 'text':
      return simplify([TEXT_FIELDS]);
  }
}

function shortest(need: FieldRequirement): readonly string[] {
  let best = need[0] as readonly string[];
  for (const clause of need) if (clause.length < best.length) best = clause;
  return best;
}

/** Sorted, de-duplicated clauses without the ones another clause already implies; at most {@link MAX_CLAUSES}. */
function simplify(clauses: readonly (readonly string[])[]): FieldRequirement {
  const unique = new Map<string, string[]>();
  for (const clause of clauses) {
    const fields = [...new Set(clause)].sort();
    if (fields.length === 0) return NEVER;
    unique.set(fields.join('\u0000'), fields);
  }
  const sorted = [...unique.values()].sort((a, b) => a.length - b.length);
  // A clause that contains all fields of a shorter clause is implied by it (subsumption).
  const kept = sorted.filter((clause, at) => !sorted.some((other, before) => before < at && other.every((field) => clause.includes(field))));
  return kept.slice(0, MAX_CLAUSES);
}

/**
 * Field requirements compiled against one numbering of the fields, checked against one event at
 * a time with a per-event memo, so a field shared by many rules is resolved once per event.
 */
export class FieldGate {
  private readonly ids = new Map<string, number>();
  private readonly paths: string[] = [];
  private stamps = new Uint32Array(0);
  private present = new Uint8Array(0);
  private generation = 0;
  private ctx: EventContext | undefined;

  /** Numbers a requirement's fields; the result is what {@link holds} takes. */
  compile(requirement: FieldRequirement): readonly Int32Array[] {
    return requirement.map((clause) => Int32Array.from(clause, (field) => this.id(field)));
  }

  /** Starts a new event: forgets every answer about the previous one. */
  begin(ctx: EventContext): void {
    this.ctx = ctx;
    this.generation = (this.generation + 1) >>> 0;
    if (this.generation === 0) {
      // Wrapped after 2^32 events: stale stamps could collide with new ones.
      this.stamps.fill(0);
      this.generation = 1;
    }
  }

  /** True when every clause has a field present in the current event. */
  holds(clauses: readonly Int32Array[]): boolean {
    for (let c = 0; c < clauses.length; c++) {
      const clause = clauses[c] as Int32Array;
      let any = false;
      for (let f = 0; f < clause.length; f++) {
        if (this.has(clause[f] as number)) {
          any = true;
          break;
        }
      }
      if (!any) return false;
    }
    return true;
  }

  private has(id: number): boolean {
    if (this.stamps[id] === this.generation) return this.present[id] === 1;
    // The same lookup the predicates do (and cached in the context they share), so the gate and
    // the predicate never disagree on whether a field is there.
    const present = (this.ctx as EventContext).field(this.paths[id] as string).present;
    this.stamps[id] = this.generation;
    this.present[id] = present ? 1 : 0;
    return present;
  }

  private id(field: string): number {
    let id = this.ids.get(field);
    if (id === undefined) {
      id = this.paths.length;
      this.ids.set(field, id);
      this.paths.push(field);
      if (id >= this.stamps.length) {
        const stamps = new Uint32Array(Math.max(16, this.stamps.length * 2));
        stamps.set(this.stamps);
        this.stamps = stamps;
        const present = new Uint8Array(stamps.length);
        present.set(this.present);
        this.present = present;
      }
    }
    return id;
  }
}

/** True when the rule's logsource applies to an event with these logsources (containment, checklist B2). */
export function logsourceApplies(rule: SigmaLogsource, event: readonly SigmaLogsource[]): boolean {
  if (rule.category === undefined && rule.product === undefined && rule.service === undefined) return true;
  return event.some(
    (source) =>
      (rule.category === undefined || rule.category === source.category) &&
      (rule.product === undefined || rule.product === source.product) &&
      (rule.service === undefined || rule.service === source.service),
  );
}

/** Distinct logsource sets come from the pipelines, so they are few; the cap only bounds a surprise. */
const MAX_SIGNATURES = 4096;

/**
 * Finds, per event, the entries whose logsource applies, in the order they were given, as the
 * bucket `build` makes of them once per distinct logsource set (the list plus whatever is worth
 * precomputing for exactly those entries).
 */
export class LogsourceIndex<T extends { readonly logsource: SigmaLogsource }, B> {
  private readonly bySignature = new Map<string, B>();
  // Resolvers that return the same frozen array for the same set skip building the signature.
  private readonly byArray = new WeakMap<readonly SigmaLogsource[], B>();

  constructor(
    private readonly entries: readonly T[],
    private readonly resolver: LogsourceResolver,
    private readonly build: (entries: readonly T[]) => B,
  ) {}

  /** The bucket of the entries that apply to the event, shared (do not modify). */
  lookup(event: unknown): B {
    const sources = this.resolver.logsourcesOf(event);
    const known = this.byArray.get(sources);
    if (known !== undefined) return known;
    const key = signature(sources);
    let bucket = this.bySignature.get(key);
    if (bucket === undefined) {
      bucket = this.build(this.entries.filter((entry) => logsourceApplies(entry.logsource, sources)));
      if (this.bySignature.size < MAX_SIGNATURES) this.bySignature.set(key, bucket);
    }
    if (Object.isFrozen(sources)) this.byArray.set(sources, bucket);
    return bucket;
  }

  /** How many distinct logsource sets have been seen (for tests and diagnostics). */
  get signatures(): number {
    return this.bySignature.size;
  }
}

function signature(sources: readonly SigmaLogsource[]): string {
  let key = '';
  for (const source of sources) key += `${source.category ?? ''}\u0001${source.product ?? ''}\u0001${source.service ?? ''}\u0002`;
  return key;
}
