import type { FilterNode } from '../../core/query/filter.js';
import { foldCase } from '../../core/query/text.js';
import type { EventContext } from '../query/event-context.js';

/** A case-folded literal that must occur in some string value of `field` for a rule to match. */
export interface LiteralNeed {
  readonly field: string;
  readonly literal: string;
}

/**
 * A necessary condition made of literals: the filter can hold only if one of the returned
 * literals occurs, case-folded, in a string value of its field; undefined when no such condition
 * can be derived (a regex, a `not`, a number comparison …), `[]` when the filter never holds.
 *
 * Sound because the string ops only ever meet string values (never numbers), and because
 * case folding works code point by code point: a value containing a literal, in any case, folds
 * to a value containing the folded literal. A glob needs each of its literal runs, so its
 * longest run is taken; an `and` needs what any one child needs, so its most selective child is.
 */
export function requiredLiterals(node: FilterNode): readonly LiteralNeed[] | undefined {
  switch (node.op) {
    case 'contains':
    case 'startswith':
    case 'endswith':
      return node.value === '' ? undefined : [{ field: node.field, literal: foldCase(node.value) }];
    case 'wildcard': {
      // Runs between wildcards; a backslash ends a run too, so escapes never need interpreting.
      const runs = foldCase(node.pattern).split(/[*?\\]/);
      const longest = runs.reduce((best, run) => (run.length > best.length ? run : best), '');
      return longest === '' ? undefined : [{ field: node.field, literal: longest }];
    }
    case 'or': {
      const union = new Map<string, LiteralNeed>();
      for (const child of node.children) {
        const need = requiredLiterals(child);
        if (need === undefined) return undefined;
        for (const item of need) union.set(`${item.field}\u0000${item.literal}`, item);
      }
      return [...union.values()];
    }
    case 'and': {
      let best: readonly LiteralNeed[] | undefined;
      for (const child of node.children) {
        const need = requiredLiterals(child);
        if (need !== undefined && (best === undefined || selectivity(need) > selectivity(best))) best = need;
      }
      return best;
    }
    case 'not':
    case 'eq': // also meets numbers and booleans, which the scan of strings does not see
    case 'regex':
    case 'cidr':
    case 'exists':
    case 'range':
    case 'text':
    case 'fieldref':
    case 'timepart':
      return undefined;
  }
}

/** Longer literals occur less often by chance: a need is as selective as its shortest literal. */
function selectivity(need: readonly LiteralNeed[]): number {
  let shortest = Number.POSITIVE_INFINITY;
  for (const item of need) shortest = Math.min(shortest, item.literal.length);
  return shortest;
}

/** Above this many table cells (4 bytes each) a field's automaton is not built and its rules are not prefiltered. */
const MAX_AUTOMATON_CELLS = 1 << 21;

/**
 * The literal prefilter of one list of rules (those of one logsource set): one Aho–Corasick
 * automaton per field over every literal any rule of the list needs, so the event's values are
 * scanned once for all rules instead of once per rule. SigmaHQ's keyword rules each search
 * `message` and `event.original` for their lists, and web rules `url.original` for theirs; a
 * rule none of whose literals occur is skipped without running its predicate.
 * Written by hand: engine/query/multi-match.ts answers yes/no for one rule, this must tell which
 * of many rules' literals occur; the npm Aho–Corasick packages report every position as objects,
 * allocation this per-event path cannot afford.
 */
export class LiteralPrefilter {
  private readonly base: Uint8Array;
  private readonly flags: Uint8Array;
  private readonly scanners: readonly FieldScanner[];

  /** `needs[i]` is the need of the list's i-th rule (undefined: always a candidate). */
  constructor(needs: readonly (readonly LiteralNeed[] | undefined)[]) {
    this.base = new Uint8Array(needs.length);
    this.flags = new Uint8Array(needs.length);
    const byField = new Map<string, Map<string, number[]>>();
    needs.forEach((need, rule) => {
      if (need === undefined) {
        this.base[rule] = 1;
        return;
      }
      for (const { field, literal } of need) {
        const literals = byField.get(field) ?? new Map<string, number[]>();
        byField.set(field, literals);
        const rules = literals.get(literal) ?? [];
        if (rules[rules.length - 1] !== rule) rules.push(rule);
        literals.set(literal, rules);
      }
    });
    const scanners: FieldScanner[] = [];
    for (const [field, literals] of byField) {
      const automaton = Automaton.build([...literals.keys()]);
      if (automaton === undefined) {
        for (const rules of literals.values()) for (const rule of rules) this.base[rule] = 1;
        continue;
      }
      scanners.push({ field, automaton, rulesOf: [...literals.values()].map((rules) => Int32Array.from(rules)) });
    }
    this.scanners = scanners;
  }

  /** Whether the prefilter can skip anything at all (else the caller need not call {@link candidates}). */
  get useful(): boolean {
    return this.scanners.length > 0;
  }

  /**
   * For each rule of the list, 1 when it may match the event, 0 when it cannot. The array is
   * reused by the next call: read it before scanning another event.
   */
  candidates(ctx: EventContext): Uint8Array {
    const flags = this.flags;
    flags.set(this.base);
    for (const scanner of this.scanners) {
      const values = ctx.field(scanner.field);
      if (values.strings.length === 0) continue;
      for (const value of values.folded) scanner.automaton.scan(value, scanner.rulesOf, flags);
    }
    return flags;
  }
}

interface FieldScanner {
  readonly field: string;
  readonly automaton: Automaton;
  /** Literal index → the rules that need it. */
  readonly rulesOf: readonly Int32Array[];
}

/** A dense Aho–Corasick DFA over the code units the literals use (every other unit leads to the root). */
class Automaton {
  private constructor(
    private readonly ascii: Uint16Array,
    private readonly other: ReadonlyMap<number, number>,
    private readonly width: number,
    private readonly next: Int32Array,
    /** Literals ending exactly at a state. */
    private readonly own: readonly (readonly number[] | undefined)[],
    /** The nearest proper suffix state with literals of its own, or -1. */
    private readonly outLink: Int32Array,
    /** 1 when a literal ends at the state or at one of its suffixes. */
    private readonly reports: Uint8Array,
  ) {}

  static build(literals: readonly string[]): Automaton | undefined {
    const ascii = new Uint16Array(128);
    const other = new Map<number, number>();
    let width = 1;
    const column = (code: number): number => (code < 128 ? (ascii[code] as number) : (other.get(code) ?? 0));
    for (const literal of literals) {
      for (let i = 0; i < literal.length; i++) {
        const code = literal.charCodeAt(i);
        if (column(code) !== 0) continue;
        if (code < 128) ascii[code] = width;
        else other.set(code, width);
        width += 1;
      }
    }
    // The trie.
    const children: Map<number, number>[] = [new Map<number, number>()];
    const own: (number[] | undefined)[] = [undefined];
    literals.forEach((literal, index) => {
      let state = 0;
      for (let i = 0; i < literal.length; i++) {
        const col = column(literal.charCodeAt(i));
        let child = (children[state] as Map<number, number>).get(col);
        if (child === undefined) {
          child = children.length;
          children.push(new Map<number, number>());
          own.push(undefined);
          (children[state] as Map<number, number>).set(col, child);
        }
        state = child;
      }
      (own[state] ??= []).push(index);
    });
    const states = children.length;
    if (states * width > MAX_AUTOMATON_CELLS) return undefined;
    // Failure links breadth first, filling the DFA table from them.
    const next = new Int32Array(states * width);
    const fail = new Int32Array(states);
    const outLink = new Int32Array(states).fill(-1);
    const reports = new Uint8Array(states);
    const queue: number[] = [];
    for (const [col, child] of children[0] as Map<number, number>) {
      next[col] = child;
      queue.push(child);
    }
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head] as number;
      const link = fail[state] as number;
      outLink[state] = own[link] !== undefined ? link : (outLink[link] as number);
      reports[state] = own[state] !== undefined || outLink[state] !== -1 ? 1 : 0;
      for (let col = 0; col < width; col++) next[state * width + col] = next[link * width + col] as number;
      for (const [col, child] of children[state] as Map<number, number>) {
        fail[child] = next[link * width + col] as number;
        next[state * width + col] = child;
        queue.push(child);
      }
    }
    return new Automaton(ascii, other, width, next, own, outLink, reports);
  }

  /** Sets `flags[rule] = 1` for every rule that needs a literal occurring in `value`. */
  scan(value: string, rulesOf: readonly Int32Array[], flags: Uint8Array): void {
    const { ascii, other, width, next, reports } = this;
    let state = 0;
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i);
      const col = code < 128 ? (ascii[code] as number) : (other.get(code) ?? 0);
      state = next[state * width + col] as number;
      if (reports[state] === 1) this.report(state, rulesOf, flags);
    }
  }

  private report(from: number, rulesOf: readonly Int32Array[], flags: Uint8Array): void {
    for (let state = from; state !== -1; state = this.outLink[state] as number) {
      const literals = this.own[state];
      if (literals === undefined) continue;
      for (const literal of literals) {
        const rules = rulesOf[literal] as Int32Array;
        for (let r = 0; r < rules.length; r++) flags[rules[r] as number] = 1;
      }
    }
  }
}
