/**
 * The Sigma condition grammar (checklist F1–F11), parsed by hand (a dozen lines of grammar do
 * not warrant a parser generator) into a {@link ConditionNode} whose selectors (`1 of sel_*`,
 * `all of them`) are already expanded against the rule's identifiers:
 *
 * ```
 * condition = or ;  or = and { "or" and } ;  and = not { "and" not } ;
 * not = "not" not | primary ;  primary = "(" or ")" | ("1" | "any" | "all") "of" (pattern | "them") | identifier ;
 * ```
 * Operator words are accepted in any case (F3). A `|` is the removed aggregation syntax and
 * fails with `use-correlation` (F10, A13).
 */
import { UnexpectedError } from '../../core/errors.js';
import type { FilterNode } from '../../core/query/filter.js';
import type { ConditionNode, RuleProblem, SourcePosition, YamlValue } from './types.js';
import { describeYaml, report } from './yaml.js';

/** Where a condition comes from, for problems. */
export interface ConditionContext {
  readonly file: string;
  readonly rule?: string;
  /** Where each identifier is defined, for the "never referenced" warning (F9). */
  readonly identifierPositions?: ReadonlyMap<string, SourcePosition>;
}

/** The longest condition accepted (the longest in SigmaHQ is under 200 characters). */
export const MAX_CONDITION_LENGTH = 8192;

/** How deep parentheses and `not`s may nest. */
export const MAX_CONDITION_DEPTH = 100;

const KEYWORDS = new Set(['and', 'or', 'not', 'of', 'them', 'all', 'any']);

interface Token {
  readonly text: string;
  /** 0-based offset in the condition string. */
  readonly at: number;
}

class ConditionError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

/**
 * Parses a rule's `condition` (a string, or a list of strings OR-ed, F8), reporting every
 * problem; undefined when it pushed an error. `identifiers` are the detection's search
 * identifiers in the order written.
 */
export function parseCondition(
  condition: YamlValue,
  identifiers: readonly string[],
  problems: RuleProblem[],
  ctx: ConditionContext,
): ConditionNode | undefined {
  const sources = condition.kind === 'seq' ? condition.items : [condition];
  if (sources.length === 0) {
    report(problems, 'error', 'invalid-condition', 'the condition list is empty', condition.pos, ctx.rule);
    return undefined;
  }
  const referenced = new Set<string>();
  const parsed: ConditionNode[] = [];
  let failed = false;
  for (const source of sources) {
    if (source.kind !== 'scalar' || typeof source.value !== 'string') {
      report(problems, 'error', 'invalid-condition', `a condition must be a string (or a list of strings), not ${describeYaml(source)}`, source.pos, ctx.rule);
      failed = true;
      continue;
    }
    const node = parseOne(source, identifiers, problems, ctx, referenced);
    if (node === undefined) failed = true;
    else parsed.push(node);
  }
  if (failed) return undefined;
  for (const name of identifiers) {
    if (referenced.has(name)) continue;
    const pos = ctx.identifierPositions?.get(name) ?? condition.pos;
    report(problems, 'warning', 'unreferenced-identifier', `the search identifier "${name}" is not used by the condition`, pos, ctx.rule);
  }
  return parsed.length === 1 ? (parsed[0]) : { op: 'or', children: parsed };
}

function parseOne(
  source: Extract<YamlValue, { kind: 'scalar' }>,
  identifiers: readonly string[],
  problems: RuleProblem[],
  ctx: ConditionContext,
  referenced: Set<string>,
): ConditionNode | undefined {
  const text = source.value as string;
  const at = (offset: number): SourcePosition => positionOf(source, offset);
  if (text.length > MAX_CONDITION_LENGTH) {
    report(problems, 'error', 'invalid-condition', `the condition is longer than ${MAX_CONDITION_LENGTH} characters`, source.pos, ctx.rule);
    return undefined;
  }
  const pipe = text.indexOf('|');
  if (pipe >= 0) {
    report(
      problems,
      'error',
      'use-correlation',
      'the "|" aggregation syntax (count() by …, near) was removed from Sigma; rewrite this rule as a correlation rule (event_count, value_count or temporal) over a rule with the selection',
      at(pipe),
      ctx.rule,
    );
    return undefined;
  }
  try {
    const tokens = tokenize(text);
    const parser = new Parser(tokens, text.length, identifiers, referenced);
    const node = parser.parse();
    for (const warning of parser.warnings) report(problems, 'warning', warning.code, warning.message, at(warning.at), ctx.rule);
    return node;
  } catch (error) {
    if (error instanceof ConditionError) {
      report(problems, 'error', error.code, error.message, at(error.at), ctx.rule);
      return undefined;
    }
    throw error;
  }
}

/** The position of a character of the condition, exact when the scalar is one line of plain or single-quoted text. */
function positionOf(source: Extract<YamlValue, { kind: 'scalar' }>, offset: number): SourcePosition {
  const text = source.value as string;
  if (text.includes('\n') || source.raw !== text || (source.quoted && text.includes("'"))) return source.pos;
  return { ...source.pos, col: source.pos.col + offset + (source.quoted ? 1 : 0) };
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s+|[()]|[^\s()]+/gy;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const word = match[0];
    if (/^\s/.test(word)) continue;
    const bad = /[^A-Za-z0-9_.*()-]/.exec(word);
    if (bad !== null) throw new ConditionError('condition-syntax', `unexpected character "${bad[0]}" in the condition`, match.index + bad.index);
    tokens.push({ text: word, at: match.index });
  }
  return tokens;
}

class Parser {
  private index = 0;
  private depth = 0;
  /** Discouraged but valid forms (F9). */
  readonly warnings: { code: string; message: string; at: number }[] = [];

  constructor(
    private readonly tokens: readonly Token[],
    private readonly end: number,
    private readonly identifiers: readonly string[],
    private readonly referenced: Set<string>,
  ) {}

  parse(): ConditionNode {
    if (this.tokens.length === 0) throw new ConditionError('condition-syntax', 'the condition is empty', 0);
    const node = this.or();
    const extra = this.peek();
    if (extra !== undefined) throw new ConditionError('condition-syntax', `expected "and", "or" or the end of the condition, found "${extra.text}"`, extra.at);
    return node;
  }

  private peek(): Token | undefined {
    return this.tokens[this.index];
  }

  private isWord(token: Token | undefined, word: string): boolean {
    return token !== undefined && token.text.toLowerCase() === word;
  }

  private or(): ConditionNode {
    const children = [this.and()];
    while (this.isWord(this.peek(), 'or')) {
      this.index += 1;
      children.push(this.and());
    }
    return children.length === 1 ? (children[0] as ConditionNode) : { op: 'or', children };
  }

  private and(): ConditionNode {
    const children = [this.not()];
    while (this.isWord(this.peek(), 'and')) {
      this.index += 1;
      children.push(this.not());
    }
    return children.length === 1 ? (children[0] as ConditionNode) : { op: 'and', children };
  }

  private not(): ConditionNode {
    const token = this.peek();
    if (this.isWord(token, 'not')) {
      this.index += 1;
      this.enter(token as Token);
      const child = this.not();
      this.depth -= 1;
      return { op: 'not', child };
    }
    return this.primary();
  }

  /** Bounds the recursion, so a hostile condition cannot exhaust the stack. */
  private enter(token: Token): void {
    this.depth += 1;
    if (this.depth > MAX_CONDITION_DEPTH) throw new ConditionError('condition-syntax', `the condition nests deeper than ${MAX_CONDITION_DEPTH} levels`, token.at);
  }

  private primary(): ConditionNode {
    const token = this.peek();
    if (token === undefined) throw new ConditionError('condition-syntax', 'the condition ends where an identifier or "(" was expected', this.end);
    this.index += 1;
    if (token.text === '(') {
      this.enter(token);
      const inner = this.or();
      this.depth -= 1;
      const close = this.peek();
      if (close?.text !== ')') throw new ConditionError('condition-syntax', 'missing ")"', close?.at ?? this.end);
      this.index += 1;
      return inner;
    }
    if (token.text === ')') throw new ConditionError('condition-syntax', 'unexpected ")"', token.at);
    const lower = token.text.toLowerCase();
    const next = this.peek();
    if (this.isWord(next, 'of')) {
      if (lower !== '1' && lower !== 'any' && lower !== 'all') {
        throw new ConditionError('condition-syntax', `"${token.text} of" is not Sigma: only "1 of", "any of" and "all of" exist`, token.at);
      }
      this.index += 1;
      return this.selector(lower === 'all' ? 'and' : 'or', token);
    }
    if (KEYWORDS.has(lower) || lower === '1') throw new ConditionError('condition-syntax', `unexpected "${token.text}" where an identifier was expected`, token.at);
    if (next?.text === '(') throw new ConditionError('condition-syntax', `"${token.text}(" looks like an aggregation function, which Sigma conditions do not have; use a correlation rule`, next.at);
    if (token.text.includes('*')) throw new ConditionError('condition-syntax', `the pattern "${token.text}" needs "1 of" or "all of" before it`, token.at);
    if (!this.identifiers.includes(token.text)) {
      throw new ConditionError('unknown-identifier', `the condition uses "${token.text}", which the detection does not define`, token.at);
    }
    this.referenced.add(token.text);
    return { op: 'ref', name: token.text };
  }

  /** `1 of x` / `all of x` (F1, F4–F7): expanded now; an empty expansion is an error. */
  private selector(op: 'and' | 'or', quantifier: Token): ConditionNode {
    const target = this.peek();
    if (target === undefined || target.text === '(' || target.text === ')') {
      throw new ConditionError('condition-syntax', `"${quantifier.text} of" needs a pattern or "them"`, target?.at ?? this.end);
    }
    this.index += 1;
    const names = selectIdentifiers(target.text, this.identifiers);
    if (names.length === 0) {
      const what = target.text.toLowerCase() === 'them' ? 'the detection has no identifiers' : `no search identifier matches "${target.text}"`;
      throw new ConditionError('empty-selector', `"${quantifier.text} of ${target.text}": ${what}`, quantifier.at);
    }
    for (const name of names) this.referenced.add(name);
    if (target.text.toLowerCase() === 'them') {
      if (op === 'and') this.warnings.push({ code: 'all-of-them', message: '"all of them" is discouraged: it keeps meta-filters from adding exclusions', at: quantifier.at });
      else if (names.length === 1) this.warnings.push({ code: 'one-of-them', message: '"1 of them" with a single identifier: name it instead', at: quantifier.at });
    }
    const refs: ConditionNode[] = names.map((name) => ({ op: 'ref', name }));
    return refs.length === 1 ? (refs[0] as ConditionNode) : { op, children: refs };
  }
}

/**
 * The identifiers a selector pattern names: `them` is every identifier not starting with `_`
 * (F4); a pattern matches whole names with `*` as any run, and reaches `_` identifiers only when
 * it starts with `_` itself (F5, as pySigma).
 */
export function selectIdentifiers(pattern: string, identifiers: readonly string[]): string[] {
  if (pattern.toLowerCase() === 'them') return identifiers.filter((name) => !name.startsWith('_'));
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`, 's');
  return identifiers.filter((name) => regex.test(name) && (!name.startsWith('_') || pattern.startsWith('_')));
}

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

/** The condition with each selection's filter in place of its name. */
export function conditionToFilter(condition: ConditionNode, selections: ReadonlyMap<string, FilterNode>): FilterNode {
  switch (condition.op) {
    case 'ref': {
      const filter = selections.get(condition.name);
      if (filter === undefined) throw new UnexpectedError('WATCHPOST_ERR_INTERNAL', `the condition references "${condition.name}", which has no compiled selection`);
      return filter;
    }
    case 'not':
      return { op: 'not', child: conditionToFilter(condition.child, selections) };
    case 'and':
    case 'or': {
      const children: FilterNode[] = [];
      for (const child of condition.children) {
        const filter = conditionToFilter(child, selections);
        if (filter.op === condition.op) children.push(...filter.children);
        else children.push(filter);
      }
      return children.length === 1 ? (children[0] as FilterNode) : { op: condition.op, children };
    }
  }
}
