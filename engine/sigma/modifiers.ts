/**
 * Sigma field modifiers (checklist E1–E31): which exist, in which order they may be chained, and
 * what each does to one rule value. Value modifiers apply left to right to every value; `all`
 * and `neq` act on the whole value list and may stand anywhere in the chain (E4, E7).
 *
 * A chain is checked once per detection item by following the kind of value it produces
 * (plain YAML scalar → string, bytes, regex, CIDR, field reference, …), which yields pySigma's
 * ordering rules: `re`, `cidr`, `exists`, `fieldref`, `expand` and the numeric and time
 * modifiers need the value as written, so they come first; `i`/`m`/`s` only follow `re`.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { UTF16_BOM, base64, base64Offsets, bytesToLatin1, utf16be, utf16le, utf8 } from './encodings.js';
import { translateSigmaRegex } from './sigma-regex.js';
import type { SigmaString, StringPart } from './values.js';
import { hasWildcards, literalString, parseSigmaString, plainText, windashVariants, wrapWildcards } from './values.js';

export const MODIFIER_NAMES = [
  'contains',
  'startswith',
  'endswith',
  'all',
  'exists',
  'cased',
  'neq',
  'windash',
  're',
  'i',
  'm',
  's',
  'base64',
  'base64offset',
  'utf16le',
  'wide',
  'utf16be',
  'utf16',
  'cidr',
  'fieldref',
  'expand',
  'gt',
  'gte',
  'lt',
  'lte',
  'minute',
  'hour',
  'day',
  'week',
  'month',
  'year',
] as const;

/** One of the 31 modifiers of the specification (aliases resolved). */
export type ModifierName = (typeof MODIFIER_NAMES)[number];

/** pySigma's long names for the regex sub-modifiers (EXT). */
const ALIASES: Readonly<Record<string, ModifierName>> = { ignorecase: 'i', multiline: 'm', dotall: 's' };

export const TIME_PARTS = ['minute', 'hour', 'day', 'week', 'month', 'year'] as const;
export type TimePart = (typeof TIME_PARTS)[number];
export type Comparison = 'gt' | 'gte' | 'lt' | 'lte';

/** Most variants one value may expand to (`windash` makes 5^n). */
export const MAX_VARIANTS = 625;

/** The modifier a name denotes, aliases included; undefined when unknown. */
export function resolveModifier(name: string): ModifierName | undefined {
  if ((MODIFIER_NAMES as readonly string[]).includes(name)) return name as ModifierName;
  return ALIASES[name];
}

/** A problem found in a chain or a value, before it gets its position. */
export interface ModifierProblem {
  readonly severity: 'error' | 'warning';
  readonly code: string;
  readonly message: string;
}

/** A checked chain: the list-level flags and the value modifiers in order. */
export interface ModifierChain {
  readonly names: readonly ModifierName[];
  readonly values: readonly ModifierName[];
  /** `all` (E4): every value must match. */
  readonly all: boolean;
  /** `neq` (E7): the whole item negated. */
  readonly neq: boolean;
  /** contains/startswith/endswith (or an encoding or regex that implies where the value sits) was given. */
  readonly positioned: boolean;
}

/**
 * The kind of value a chain is producing; `plain` is the YAML scalar as written.
 * `timepart` is a time part awaiting an optional comparison.
 */
type Kind = 'plain' | 'str' | 'bytes' | 're' | 'cidr' | 'exists' | 'fieldref' | 'range' | 'timepart' | 'timepart-compared';

const STRING_INPUT: readonly Kind[] = ['plain', 'str', 'bytes'];

/** Modifiers after which a keyword is still searched as a substring. */
const IMPLICIT_CONTAINS_KEEPS: readonly ModifierName[] = ['cased', 'windash', 'base64', 'utf16le', 'wide', 'utf16be', 'utf16', 'expand'];

/** The kind each modifier turns each accepted input kind into. */
function transition(name: ModifierName, from: Kind): Kind | undefined {
  switch (name) {
    case 'contains':
    case 'startswith':
    case 'endswith':
      if (from === 're' || from === 'fieldref') return from;
      return STRING_INPUT.includes(from) ? 'str' : undefined;
    case 'cased':
      if (from === 'fieldref') return from;
      return STRING_INPUT.includes(from) ? 'str' : undefined;
    case 'windash':
    case 'base64':
    case 'base64offset':
      return STRING_INPUT.includes(from) ? 'str' : undefined;
    case 'utf16le':
    case 'wide':
    case 'utf16be':
    case 'utf16':
      return from === 'plain' || from === 'str' ? 'bytes' : undefined;
    case 'expand':
      return from === 'plain' ? 'str' : undefined;
    case 're':
    case 'cidr':
    case 'exists':
    case 'fieldref':
      return from === 'plain' ? name : undefined;
    case 'i':
    case 'm':
    case 's':
      return from === 're' ? 're' : undefined;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      if (from === 'timepart') return 'timepart-compared';
      return from === 'plain' ? 'range' : undefined;
    case 'minute':
    case 'hour':
    case 'day':
    case 'week':
    case 'month':
    case 'year':
      return from === 'plain' ? 'timepart' : undefined;
    case 'all':
    case 'neq':
      return from;
  }
}

function orderMessage(name: ModifierName, from: Kind, index: number): string {
  if (name === 'i' || name === 'm' || name === 's') return `the modifier "${name}" is only allowed after "re"`;
  if (['re', 'cidr', 'exists', 'fieldref', 'expand'].includes(name)) return `the modifier "${name}" must come first (it reads the value as written)`;
  if (TIME_PARTS.includes(name as TimePart)) return `the time modifier "${name}" must come first`;
  if (['gt', 'gte', 'lt', 'lte'].includes(name)) return `the modifier "${name}" compares numbers and may only follow a time part`;
  return `the modifier "${name}" cannot follow ${index === 0 ? 'the value' : describeKind(from)}`;
}

function describeKind(kind: Kind): string {
  switch (kind) {
    case 'plain':
    case 'str':
      return 'a string modifier';
    case 'bytes':
      return 'an encoding (utf16le/wide/utf16be/utf16)';
    case 're':
      return '"re"';
    case 'cidr':
      return '"cidr"';
    case 'exists':
      return '"exists"';
    case 'fieldref':
      return '"fieldref"';
    case 'range':
      return 'a numeric comparison';
    case 'timepart':
    case 'timepart-compared':
      return 'a time part';
  }
}

/**
 * Checks the modifier names of one detection item (`field|a|b`). Returns the chain, or
 * undefined when an error was found (every error is appended).
 */
export function parseModifierChain(raw: readonly string[], problems: ModifierProblem[], fieldBound: boolean): ModifierChain | undefined {
  const names: ModifierName[] = [];
  let ok = true;
  for (const text of raw) {
    const name = resolveModifier(text);
    if (name === undefined) {
      problems.push({ severity: 'error', code: 'unknown-modifier', message: text === '' ? 'empty modifier name (two "|" in a row)' : `unknown modifier "${text}"` });
      ok = false;
    } else names.push(name);
  }
  if (!ok) return undefined;
  const seen = new Set<ModifierName>();
  for (const name of names) {
    if (seen.has(name) && name !== 'base64') problems.push({ severity: 'warning', code: 'duplicate-modifier', message: `the modifier "${name}" is given twice` });
    seen.add(name);
  }
  const values = names.filter((name) => name !== 'all' && name !== 'neq');
  let kind: Kind = 'plain';
  values.forEach((name, index) => {
    const next = transition(name, kind);
    if (next === undefined) {
      if (ok) problems.push({ severity: 'error', code: 'modifier-order', message: orderMessage(name, kind, index) });
      ok = false;
      return;
    }
    kind = next;
  });
  if (!fieldBound) {
    const bound = values.find((name) => name === 'exists' || name === 'fieldref' || TIME_PARTS.includes(name as TimePart));
    if (bound !== undefined) {
      problems.push({ severity: 'error', code: 'modifier-order', message: `the modifier "${bound}" needs a field name` });
      ok = false;
    }
  }
  if (seen.has('base64offset') && !seen.has('contains')) {
    problems.push({ severity: 'error', code: 'base64offset-without-contains', message: '"base64offset" finds a value inside a larger Base64 text and must be combined with "contains"' });
    ok = false;
  }
  if (!ok) return undefined;
  // Keywords (C18) are substring searches unless the chain says where the value sits or makes it
  // something other than a string.
  const positioned = values.some((name) => !IMPLICIT_CONTAINS_KEEPS.includes(name));
  return { names, values, all: seen.has('all'), neq: seen.has('neq'), positioned };
}

/** A rule value after its modifiers, ready to become a filter for a field. */
export type SigmaValue =
  | { readonly k: 'str'; readonly s: SigmaString; readonly cased: boolean }
  | { readonly k: 'num'; readonly n: number }
  | { readonly k: 'bool'; readonly b: boolean }
  | { readonly k: 'null' }
  | { readonly k: 'regex'; readonly pattern: string; readonly ignoreCase: boolean }
  | { readonly k: 'cidr'; readonly cidr: string }
  | { readonly k: 'exists'; readonly present: boolean }
  | { readonly k: 'fieldref'; readonly other: string; readonly mode: 'eq' | 'contains' | 'startswith' | 'endswith'; readonly cased: boolean }
  | { readonly k: 'range'; readonly cmp: Comparison; readonly n: number }
  | { readonly k: 'timepart'; readonly part: TimePart; readonly cmp: Comparison | 'eq'; readonly n: number }
  /** Alternatives of one value (windash, base64offset, value maps): OR-ed even in an `all` list. */
  | { readonly k: 'alt'; readonly alts: readonly SigmaValue[] };

/** A YAML scalar as the chain sees it. */
export interface ScalarInput {
  readonly value: string | number | boolean | null;
  /** The source text (without quotes): what string modifiers see of a plain number or boolean. */
  readonly raw: string;
}

/** A value while the chain runs: the final kinds plus the intermediate ones. */
type Working =
  | SigmaValue
  | { readonly k: 'plain'; readonly input: ScalarInput }
  | { readonly k: 'bytes'; readonly parts: readonly (Uint8Array | StringPart)[] }
  | { readonly k: 're'; readonly source: string; readonly i: boolean; readonly m: boolean; readonly s: boolean; readonly start: boolean; readonly end: boolean }
  | { readonly k: 'alt-working'; readonly alts: readonly Working[] };

class ValueProblem extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Applies a checked chain to one scalar. `implicitContains` is for keywords (C18): a keyword
 * without a position modifier is searched as a substring.
 */
export function applyModifiers(input: ScalarInput, chain: ModifierChain, implicitContains = false): SigmaValue | ModifierProblem {
  try {
    let value: Working = { k: 'plain', input };
    if (input.value === null && chain.values.length > 0) throw new ValueProblem('invalid-value', 'null cannot take value modifiers; use "exists" or a null value alone');
    for (const name of chain.values) value = step(name, value);
    if (implicitContains && !chain.positioned) value = step('contains', value);
    return finish(value);
  } catch (error) {
    if (error instanceof ValueProblem) return { severity: 'error', code: error.code, message: error.message };
    throw error;
  }
}

function step(name: ModifierName, value: Working): Working {
  if (value.k === 'alt-working') return { k: 'alt-working', alts: value.alts.map((alt) => step(name, alt)) };
  if (value.k === 'alt') return { k: 'alt-working', alts: value.alts.map((alt) => step(name, alt)) };
  switch (name) {
    case 'contains':
    case 'startswith':
    case 'endswith': {
      if (value.k === 're') return { ...value, start: value.start || name === 'startswith', end: value.end || name === 'endswith' };
      if (value.k === 'fieldref') return { ...value, mode: name };
      const s = asString(value);
      return { ...s, s: wrapWildcards(s.s, name !== 'startswith', name !== 'endswith') };
    }
    case 'cased':
      if (value.k === 'fieldref') return { ...value, cased: true };
      return { ...asString(value), cased: true };
    case 'windash': {
      const s = asString(value);
      const variants = windashVariants(s.s, MAX_VARIANTS);
      if (variants === undefined) throw new ValueProblem('too-many-variants', `"windash" would make more than ${MAX_VARIANTS} variants of this value`);
      return variants.length === 1 ? s : { k: 'alt-working', alts: variants.map((variant) => ({ ...s, s: variant })) };
    }
    case 'base64':
      return { k: 'str', s: literalString(base64(noWildcardBytes(value, name))), cased: false };
    case 'base64offset':
      return { k: 'alt-working', alts: base64Offsets(noWildcardBytes(value, name)).map((text) => ({ k: 'str', s: literalString(text), cased: false }) as const) };
    case 'utf16le':
    case 'wide':
    case 'utf16be':
    case 'utf16': {
      const s = asString(value);
      const encode = name === 'utf16be' ? utf16be : utf16le;
      const parts: (Uint8Array | StringPart)[] = s.s.map((part) => (part.t === 'lit' ? encode(part.s) : part));
      if (name === 'utf16') parts.unshift(UTF16_BOM);
      return { k: 'bytes', parts };
    }
    case 'expand': {
      const parts = parseSigmaString(textOf(requireText(value, name)), true);
      const placeholder = parts.find((part) => part.t === 'placeholder');
      if (placeholder !== undefined) {
        throw new ValueProblem('unresolved-placeholder', `the placeholder %${placeholder.name}% is not defined by any pipeline; a rule with an unresolved placeholder cannot be used`);
      }
      return { k: 'str', s: parts, cased: false };
    }
    case 're': {
      const source = textOf(requireText(value, name));
      return { k: 're', source, i: false, m: false, s: false, start: false, end: false };
    }
    case 'i':
    case 'm':
    case 's':
      if (value.k !== 're') throw new ValueProblem('modifier-order', `the modifier "${name}" is only allowed after "re"`);
      return { ...value, [name]: true };
    case 'cidr': {
      const text = textOf(requireText(value, name)).trim();
      const problem = checkCidr(text);
      if (problem !== undefined) throw new ValueProblem('invalid-cidr', problem);
      return { k: 'cidr', cidr: text };
    }
    case 'exists': {
      const input = plainInput(value);
      const spelled = typeof input.value === 'string' ? input.value.toLowerCase() : undefined;
      let present: boolean | undefined = typeof input.value === 'boolean' ? input.value : undefined;
      // YAML 1.2 readers leave yes/no as strings; accept both spellings (E5).
      if (spelled === 'true' || spelled === 'yes') present = true;
      if (spelled === 'false' || spelled === 'no') present = false;
      if (present === undefined) throw new ValueProblem('boolean-required', `"exists" needs true or false, not ${JSON.stringify(input.value)}`);
      return { k: 'exists', present };
    }
    case 'fieldref': {
      const text = textOf(requireText(value, name));
      const parsed = parseSigmaString(text);
      const other = plainText(parsed);
      if (other === undefined || other === '') throw new ValueProblem('wildcard-not-allowed', `"fieldref" needs a field name without wildcards, not ${JSON.stringify(text)}`);
      return { k: 'fieldref', other, mode: 'eq', cased: false };
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      if (value.k === 'timepart') return { ...value, cmp: name };
      return { k: 'range', cmp: name, n: requireNumber(value, name) };
    }
    case 'minute':
    case 'hour':
    case 'day':
    case 'week':
    case 'month':
    case 'year': {
      const n = requireNumber(value, name);
      if (!Number.isInteger(n)) throw new ValueProblem('number-required', `the time part "${name}" needs an integer, not ${n}`);
      return { k: 'timepart', part: name, cmp: 'eq', n };
    }
    case 'all':
    case 'neq':
      return value;
  }
}

function plainInput(value: Working): ScalarInput {
  if (value.k !== 'plain') throw new ValueProblem('modifier-order', 'this modifier must come first');
  return value.input;
}

function textOf(input: ScalarInput): string {
  return typeof input.value === 'string' ? input.value : input.raw;
}

function requireText(value: Working, name: ModifierName): ScalarInput {
  const input = plainInput(value);
  if (input.value === null) throw new ValueProblem('invalid-value', `"${name}" needs a value, not null`);
  return input;
}

function requireNumber(value: Working, name: ModifierName): number {
  const input = plainInput(value);
  if (typeof input.value !== 'number' || !Number.isFinite(input.value)) {
    const quoted = typeof input.value === 'string' && /^[-+]?\d+(\.\d+)?$/.test(input.value) ? ' (a quoted number is a string; remove the quotes)' : '';
    throw new ValueProblem('number-required', `"${name}" needs a number, not ${JSON.stringify(input.value)}${quoted}`);
  }
  return input.value;
}

/** The value as a Sigma string: plain text is read for wildcards, a number or boolean as written, bytes as Latin-1 text. */
function asString(value: Working): Extract<SigmaValue, { k: 'str' }> {
  if (value.k === 'str') return value;
  if (value.k === 'plain') {
    if (value.input.value === null) throw new ValueProblem('invalid-value', 'null cannot take string modifiers');
    return { k: 'str', s: parseSigmaString(textOf(value.input)), cased: false };
  }
  if (value.k === 'bytes') return { k: 'str', s: value.parts.map((part) => (part instanceof Uint8Array ? { t: 'lit', s: bytesToLatin1(part) } : part)), cased: false };
  throw new ValueProblem('modifier-order', `a ${value.k} value cannot take string modifiers`);
}

/** The bytes `base64`/`base64offset` encode: UTF-8 of a string, or the output of an encoding; no wildcards (E13, E14). */
function noWildcardBytes(value: Working, name: ModifierName): Uint8Array {
  if (value.k === 'bytes') {
    const chunks: Uint8Array[] = [];
    for (const part of value.parts) {
      if (!(part instanceof Uint8Array)) throw new ValueProblem('wildcard-not-allowed', `"${name}" cannot encode a value with wildcards`);
      chunks.push(part);
    }
    return new Uint8Array(Buffer.concat(chunks));
  }
  const s = asString(value);
  if (hasWildcards(s.s)) throw new ValueProblem('wildcard-not-allowed', `"${name}" cannot encode a value with wildcards`);
  return utf8(plainText(s.s) ?? '');
}

function finish(value: Working): SigmaValue {
  switch (value.k) {
    case 'plain': {
      const v = value.input.value;
      if (v === null) return { k: 'null' };
      if (typeof v === 'number') return { k: 'num', n: v };
      if (typeof v === 'boolean') return { k: 'bool', b: v };
      return { k: 'str', s: parseSigmaString(v), cased: false };
    }
    case 'bytes':
      return asString(value);
    case 're': {
      const translated = translateSigmaRegex(value.source, { i: value.i, m: value.m, s: value.s }, { start: value.start, end: value.end });
      if ('error' in translated) throw new ValueProblem('invalid-regex', `the regex ${JSON.stringify(value.source)} cannot be used: ${translated.error}`);
      return { k: 'regex', pattern: translated.pattern, ignoreCase: translated.ignoreCase };
    }
    case 'alt-working':
    case 'alt':
      return { k: 'alt', alts: value.alts.map((alt) => finish(alt)) };
    case 'str':
    case 'num':
    case 'bool':
    case 'null':
    case 'regex':
    case 'cidr':
    case 'exists':
    case 'fieldref':
    case 'range':
    case 'timepart':
      return value;
  }
}

/**
 * Checks a CIDR block strictly, as Python's ip_network does (E19): a valid IPv4 or IPv6 address,
 * an optional prefix length in range, and no host bits set. Returns the problem, or undefined.
 */
export function checkCidr(text: string): string | undefined {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  if (address.includes('%')) return `${JSON.stringify(text)} has a zone index, which a network cannot have`;
  const v4 = isIPv4(address);
  if (!v4 && !isIPv6(address)) return `${JSON.stringify(text)} is not an IPv4 or IPv6 network`;
  const bits = v4 ? 32 : 128;
  const prefixText = slash < 0 ? String(bits) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) return `${JSON.stringify(text)} has an invalid prefix length`;
  const prefix = Number(prefixText);
  const bytes = v4 ? address.split('.').map(Number) : ipv6Bytes(address);
  for (let bit = prefix; bit < bits; bit++) {
    if ((((bytes[bit >> 3] as number) >> (7 - (bit & 7))) & 1) === 1) return `${JSON.stringify(text)} has host bits set (the network would be written with zeros after the first ${prefix} bits)`;
  }
  return undefined;
}

/** The 16 bytes of an IPv6 address already checked by isIPv6 (`::` and a trailing IPv4 allowed). */
function ipv6Bytes(address: string): number[] {
  let text = address;
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4 !== null) {
    tail.push(...(v4[1] as string).split('.').map(Number));
    text = `${text.slice(0, v4.index)}0:0`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const groups = (part: string | undefined): number[] => (part === undefined || part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = groups(head);
  const right = groups(rest);
  const words = rest === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = words.flatMap((word) => [word >> 8, word & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}
