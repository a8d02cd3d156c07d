import type { FilterNode, FilterScalar } from '../../core/query/filter.js';
import type { FieldTypes } from '../../backends/elasticsearch/filter-dsl.js';

/**
 * Test events for the differential check, synthesized from a rule's filter: positives (one per
 * way of satisfying it, up to a cap), the same with the case of every string swapped, and near
 * misses (each string value with one character dropped). Written by hand: no library derives
 * satisfying documents from a boolean filter. Exactness is not needed — every event is judged by
 * both converters, so a "positive" that is not one is still a fair comparison — only variety.
 */

/** What a filter asks of one field, gathered from the predicates on it. */
type Fragment =
  | { readonly kind: 'eq'; readonly value: FilterScalar }
  | { readonly kind: 'contains' | 'startswith' | 'endswith'; readonly value: string };

type Assignment = ReadonlyMap<string, readonly Fragment[]>;

/** How many alternatives one node yields at most. */
const CAP = 6;

export type Variant = 'positive' | 'case' | 'nearmiss';

/** One synthesized event with what it was made as. */
export interface SynthesizedEvent {
  readonly variant: Variant;
  readonly doc: Record<string, unknown>;
}

/**
 * The events of one rule. `keep` names fields left as they are in the case and near-miss
 * variants (the logsource selector, so the variants still belong to the rule's logsource).
 */
export function synthesize(filter: FilterNode, types: FieldTypes, keep: ReadonlySet<string>): SynthesizedEvent[] {
  const out: SynthesizedEvent[] = [];
  for (const assignment of satisfy(filter)) {
    for (const variant of ['positive', 'case', 'nearmiss'] as const) {
      const doc = materialize(assignment, types, keep, variant);
      if (doc !== undefined) out.push({ variant, doc });
    }
  }
  return out;
}

function merge(a: Assignment, b: Assignment): Assignment {
  const out = new Map(a);
  for (const [field, fragments] of b) out.set(field, [...(out.get(field) ?? []), ...fragments]);
  return out;
}

/** Round-robin over several lists, so every list contributes before the cap. */
function interleave<T>(lists: readonly (readonly T[])[], cap: number): T[] {
  const out: T[] = [];
  for (let i = 0; out.length < cap && lists.some((list) => i < list.length); i++) {
    for (const list of lists) if (i < list.length && out.length < cap) out.push(list[i] as T);
  }
  return out;
}

function one(field: string, fragment: Fragment): Assignment[] {
  return [new Map([[field, [fragment]]])];
}

/** Ways of satisfying the node (`not` contributes nothing: its fields are left out). */
function satisfy(node: FilterNode): Assignment[] {
  switch (node.op) {
    case 'and': {
      let acc: Assignment[] = [new Map()];
      for (const child of node.children) {
        const alternatives = satisfy(child);
        if (alternatives.length === 0) return [];
        // Zipped, not crossed: each child's alternatives show up without a combinatorial blow-up.
        const size = Math.min(CAP, Math.max(acc.length, alternatives.length));
        acc = Array.from({ length: size }, (_, i) => merge(acc[i % acc.length] as Assignment, alternatives[i % alternatives.length] as Assignment));
      }
      return acc;
    }
    case 'or':
      return interleave(node.children.map(satisfy), CAP);
    case 'not':
      return [new Map()];
    case 'eq':
      return one(node.field, { kind: 'eq', value: node.value });
    case 'contains':
    case 'startswith':
    case 'endswith':
      return one(node.field, { kind: node.op, value: node.value });
    case 'wildcard':
      return one(node.field, { kind: 'eq', value: globSample(node.pattern) });
    case 'regex': {
      const sample = regexSample(node.pattern, node.flags?.i === true);
      return sample === undefined ? [] : one(node.field, { kind: 'eq', value: sample });
    }
    case 'cidr':
      return one(node.field, { kind: 'eq', value: node.cidr.split('/')[0] as string });
    case 'exists':
      return one(node.field, { kind: 'eq', value: 'present' });
    case 'range': {
      const value = node.gte ?? node.lte ?? (typeof node.gt === 'number' ? node.gt + 1 : typeof node.lt === 'number' ? node.lt - 1 : undefined);
      return value === undefined ? [] : one(node.field, { kind: 'eq', value });
    }
    case 'text':
      return one('message', { kind: 'contains', value: node.value });
    case 'fieldref':
    case 'timepart':
      return [];
  }
}

/** A value the glob matches: `*` as nothing, `?` as one letter, escapes resolved. */
export function globSample(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\' && i + 1 < pattern.length) out += pattern[++i];
    else if (c === '*') out += '';
    else if (c === '?') out += 'q';
    else out += c;
  }
  return out;
}

/**
 * A string the regex finds, for the common shapes of rule regexes (classes, escapes, groups with
 * alternatives, quantifiers); checked with the JS engine, undefined when the guess misses.
 */
export function regexSample(pattern: string, ignoreCase: boolean): string | undefined {
  let source = pattern;
  let flags = ignoreCase ? 'i' : '';
  const inline = /^\(\?([ims]+)\)/.exec(source);
  if (inline) {
    source = source.slice(inline[0].length);
    flags += (inline[1] ?? '').replace(/[^ims]/g, '');
  }
  let out = '';
  let last = '';
  let i = 0;
  const atom = (text: string): void => {
    out += text;
    last = text;
  };
  while (i < source.length) {
    const c = source[i] as string;
    if (c === '\\') {
      const e = source[i + 1] ?? '';
      const classes: Record<string, string> = { d: '7', D: 'x', w: 'w', W: '-', s: ' ', S: 'x', b: '', B: '', n: '\n', t: '\t', r: '\r' };
      atom(classes[e] ?? e);
      i += 2;
    } else if (c === '[') {
      const end = closingBracket(source, i);
      const body = source.slice(i + 1, end);
      atom(body.startsWith('^') ? (/[qQ]/.test(body) ? '#' : 'q') : classSample(body));
      i = end + 1;
    } else if (c === '(') {
      const end = closingParen(source, i);
      let body = source.slice(i + 1, end);
      body = body.replace(/^\?(?::|<?[=!]|P?<[A-Za-z_]\w*>)/, '');
      const first = splitTopLevel(body)[0] ?? '';
      const inner = regexSample(first, false);
      atom(inner ?? '');
      i = end + 1;
    } else if (c === '|') {
      break;
    } else if (c === '^' || c === '$') {
      i += 1;
    } else if (c === '.') {
      atom('a');
      i += 1;
    } else if (c === '*' || c === '+' || c === '?') {
      // One occurrence satisfies *, + and ?; a lazy or possessive marker follows sometimes.
      i += 1;
      if (source[i] === '?' || source[i] === '+') i += 1;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
      if (m) {
        const times = Math.min(Number(m[1]), 200);
        out += last.repeat(Math.max(0, times - 1));
        if (times === 0) out = out.slice(0, out.length - last.length);
        i += m[0].length;
      } else {
        atom('{');
        i += 1;
      }
    } else {
      atom(c);
      i += 1;
    }
  }
  try {
    return new RegExp(source, [...new Set(flags)].join('')).test(out) ? out : undefined;
  } catch {
    return undefined;
  }
}

function classSample(body: string): string {
  if (body.startsWith('\\')) {
    const e = body[1] ?? '';
    return ({ d: '7', w: 'w', s: ' ' } as Record<string, string>)[e] ?? e;
  }
  return body[0] ?? 'q';
}

function closingBracket(source: string, open: number): number {
  let i = open + 1;
  if (source[i] === '^') i += 1;
  if (source[i] === ']') i += 1;
  while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
  return Math.min(i, source.length - 1);
}

function closingParen(source: string, open: number): number {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i += 1;
    else if (c === '[') i = closingBracket(source, i);
    else if (c === '(') depth += 1;
    else if (c === ')' && --depth === 0) return i;
  }
  return source.length - 1;
}

function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\') i += 1;
    else if (c === '[') i = closingBracket(body, i);
    else if (c === '(') depth += 1;
    else if (c === ')') depth -= 1;
    else if (c === '|' && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts;
}

function swapCase(text: string): string {
  let out = '';
  for (const c of text) out += c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
  return out;
}

function damage(text: string): string {
  if (text.length < 2) return `${text}#`;
  const middle = Math.floor(text.length / 2);
  return text.slice(0, middle) + text.slice(middle + 1);
}

/** One field's value from its fragments: an `eq` wins; else prefix, contained parts, suffix. */
function valueOf(fragments: readonly Fragment[], transform: (text: string) => string): FilterScalar {
  const eq = fragments.find((f) => f.kind === 'eq');
  if (eq) return typeof eq.value === 'string' ? transform(eq.value) : eq.value;
  const start = fragments.find((f) => f.kind === 'startswith')?.value as string | undefined;
  const end = fragments.find((f) => f.kind === 'endswith')?.value as string | undefined;
  const middle = fragments.filter((f) => f.kind === 'contains').map((f) => transform(f.value as string));
  return [start !== undefined ? transform(start) : 'pre ', ...middle, end !== undefined ? transform(end) : ' post'].join('');
}

function materialize(assignment: Assignment, types: FieldTypes, keep: ReadonlySet<string>, variant: Variant): Record<string, unknown> | undefined {
  const doc: Record<string, unknown> = {};
  let changed = false;
  for (const [field, fragments] of assignment) {
    const fixed = variant === 'positive' || keep.has(field);
    const transform = (text: string): string => {
      if (fixed) return text;
      const next = variant === 'case' ? swapCase(text) : damage(text);
      if (next !== text) changed = true;
      return next;
    };
    let value: FilterScalar | undefined = valueOf(fragments, transform);
    const type = types[field];
    if (type === 'number') {
      const number = typeof value === 'number' ? value : /^-?\d+(\.\d+)?$/.test(String(value).trim()) ? Number(value) : undefined;
      value = number !== undefined && variant === 'nearmiss' && !fixed ? number + 1 : number;
      if (variant === 'nearmiss' && !fixed) changed = true;
    } else if (type === 'boolean') {
      value = typeof value === 'boolean' ? value : undefined;
    }
    if (value === undefined) continue;
    if (!setPath(doc, field, value)) return undefined;
  }
  // A variant equal to its positive adds nothing.
  return variant === 'positive' || changed ? doc : undefined;
}

/** Sets a dotted path in a nested object; false when a scalar is in the way. */
function setPath(doc: Record<string, unknown>, path: string, value: unknown): boolean {
  const parts = path.split('.');
  let level = doc;
  for (const part of parts.slice(0, -1)) {
    const next = level[part];
    if (next === undefined) level = level[part] = {} as Record<string, unknown>;
    else if (typeof next === 'object' && next !== null && !Array.isArray(next)) level = next as Record<string, unknown>;
    else return false;
  }
  const last = parts[parts.length - 1] as string;
  if (typeof level[last] === 'object' && level[last] !== null) return false;
  level[last] = value;
  return true;
}
