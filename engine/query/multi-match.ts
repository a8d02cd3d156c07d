/**
 * Many literals against one value in one pass: SigmaHQ web, proxy and antivirus rules carry
 * lists of 30–100 `contains`/`startswith`/`endswith` literals on one field, and testing them one
 * `includes` at a time costs a scan of the value per literal.
 *
 * `contains` literals run as one Aho–Corasick automaton (a DFA over the code units the literals
 * use, every other code unit sending it back to the root), `startswith` and `endswith` literals as
 * a trie walked from the front or from the back, `eq` literals as a set. Written by hand: the
 * maintained npm Aho–Corasick packages report every match with its position, where this needs a
 * yes/no with an early exit and a table small enough to keep one per rule.
 */

/** How a literal meets the value; the same names as the filter AST's string ops. */
export type LiteralMode = 'eq' | 'contains' | 'startswith' | 'endswith';

/** One literal of a {@link MultiMatcher}. */
export interface LiteralPattern {
  readonly mode: LiteralMode;
  readonly value: string;
}

// Above this many table cells (4 bytes each) the automaton is not built and the contains
// literals are tested one by one: a bound on memory for a pathological rule.
const MAX_TABLE_CELLS = 1 << 22;

/**
 * Tests a value against a fixed set of literals at once: true when any literal matches in its
 * mode. Literals and values are compared code unit by code unit; case folding is the caller's.
 */
export class MultiMatcher {
  private readonly exact: ReadonlySet<string>;
  private readonly always: boolean;
  private readonly contains: Automaton | readonly string[] | undefined;
  private readonly prefixes: Trie | undefined;
  private readonly suffixes: Trie | undefined;

  constructor(patterns: readonly LiteralPattern[]) {
    const of = (mode: LiteralMode): string[] => patterns.filter((p) => p.mode === mode).map((p) => p.value);
    const contains = of('contains');
    const starts = of('startswith');
    const ends = of('endswith');
    this.exact = new Set(of('eq'));
    // An empty contains/startswith/endswith literal holds for every string.
    this.always = [...contains, ...starts, ...ends].some((value) => value === '');
    this.contains = contains.length === 0 ? undefined : (Automaton.build(contains) ?? contains);
    this.prefixes = starts.length === 0 ? undefined : new Trie(starts, false);
    this.suffixes = ends.length === 0 ? undefined : new Trie(ends, true);
  }

  /** True when some literal matches `value`. */
  test(value: string): boolean {
    if (this.always) return true;
    if (this.exact.has(value)) return true;
    if (this.prefixes?.test(value) === true) return true;
    if (this.suffixes?.test(value) === true) return true;
    const contains = this.contains;
    if (contains === undefined) return false;
    if (contains instanceof Automaton) return contains.test(value);
    for (const needle of contains) if (value.includes(needle)) return true;
    return false;
  }
}

/** Maps code units to the automaton's columns: ASCII by table, the rest by map; 0 is "in no literal". */
class Alphabet {
  readonly ascii = new Uint16Array(128);
  readonly other = new Map<number, number>();
  size = 1;

  add(code: number): void {
    if (this.column(code) !== 0) return;
    if (code < 128) this.ascii[code] = this.size;
    else this.other.set(code, this.size);
    this.size += 1;
  }

  column(code: number): number {
    return code < 128 ? (this.ascii[code] as number) : (this.other.get(code) ?? 0);
  }
}

/** An Aho–Corasick automaton compiled to a full transition table. */
class Automaton {
  private constructor(
    private readonly alphabet: Alphabet,
    private readonly delta: Int32Array,
    private readonly accept: Uint8Array,
  ) {}

  /** Builds the automaton, or returns undefined when its table would exceed {@link MAX_TABLE_CELLS}. */
  static build(needles: readonly string[]): Automaton | undefined {
    const alphabet = new Alphabet();
    for (const needle of needles) for (let i = 0; i < needle.length; i++) alphabet.add(needle.charCodeAt(i));
    // The trie, with sparse edges while it grows.
    const edges: Map<number, number>[] = [new Map<number, number>()];
    const terminal: boolean[] = [false];
    for (const needle of needles) {
      let state = 0;
      for (let i = 0; i < needle.length; i++) {
        const column = alphabet.column(needle.charCodeAt(i));
        let next = (edges[state] as Map<number, number>).get(column);
        if (next === undefined) {
          next = edges.length;
          edges.push(new Map<number, number>());
          terminal.push(false);
          (edges[state] as Map<number, number>).set(column, next);
        }
        state = next;
      }
      terminal[state] = true;
    }
    const width = alphabet.size;
    if (edges.length * width > MAX_TABLE_CELLS) return undefined;
    const delta = new Int32Array(edges.length * width);
    const accept = new Uint8Array(edges.length);
    const fail = new Int32Array(edges.length);
    // Breadth first, so a state's failure target is complete before the state is filled in.
    const queue: number[] = [];
    for (const [column, next] of edges[0] as Map<number, number>) {
      delta[column] = next;
      queue.push(next);
    }
    accept[0] = terminal[0] === true ? 1 : 0;
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head] as number;
      const back = fail[state] as number;
      accept[state] = terminal[state] === true || accept[back] === 1 ? 1 : 0;
      const row = state * width;
      const backRow = back * width;
      for (let column = 0; column < width; column++) delta[row + column] = delta[backRow + column] as number;
      for (const [column, next] of edges[state] as Map<number, number>) {
        fail[next] = delta[backRow + column] as number;
        delta[row + column] = next;
        queue.push(next);
      }
    }
    return new Automaton(alphabet, delta, accept);
  }

  test(value: string): boolean {
    const { ascii, other, size } = this.alphabet;
    const delta = this.delta;
    const accept = this.accept;
    let state = 0;
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i);
      const column = code < 128 ? (ascii[code] as number) : (other.get(code) ?? 0);
      state = delta[state * size + column] as number;
      if (accept[state] === 1) return true;
    }
    return false;
  }
}

/** A trie of literals walked from the front (prefixes) or from the back (suffixes) of a value. */
class Trie {
  private readonly edges: Map<number, number>[] = [new Map<number, number>()];
  private readonly terminal: boolean[] = [false];

  constructor(
    literals: readonly string[],
    private readonly reversed: boolean,
  ) {
    for (const literal of literals) {
      let state = 0;
      for (let k = 0; k < literal.length; k++) {
        const code = literal.charCodeAt(reversed ? literal.length - 1 - k : k);
        const edges = this.edges[state] as Map<number, number>;
        let next = edges.get(code);
        if (next === undefined) {
          next = this.edges.length;
          this.edges.push(new Map<number, number>());
          this.terminal.push(false);
          edges.set(code, next);
        }
        state = next;
      }
      this.terminal[state] = true;
    }
  }

  test(value: string): boolean {
    let state = 0;
    const n = value.length;
    for (let k = 0; k < n; k++) {
      const next = (this.edges[state] as Map<number, number>).get(value.charCodeAt(this.reversed ? n - 1 - k : k));
      if (next === undefined) return false;
      if (this.terminal[next] === true) return true;
      state = next;
    }
    return false;
  }
}
