import { foldCase, textWords } from '../../core/query/text.js';
import { MAX_PATH_DEPTH, resolvePath } from '../../core/query/paths.js';

/** A scalar an event field can hold, as the filter AST compares it. */
export type FieldScalar = string | number | boolean;

/** What one dotted path resolves to in one event, computed on first use and kept for the event. */
export interface FieldValues {
  /** Every non-null scalar at the path, arrays fanned out (C16), nested and flat keys merged (C17). */
  readonly scalars: readonly FieldScalar[];
  /** The string scalars, in order. */
  readonly strings: readonly string[];
  /** The string scalars case-folded with foldCase, computed on first read. */
  readonly folded: readonly string[];
  /** True when the path holds a non-null scalar, or an object that holds one somewhere (the `exists` op). */
  readonly present: boolean;
}

/**
 * One event as the compiled predicates read it: field lookups, their string forms and their
 * case-folded forms are computed once per event and shared by every rule evaluated on it.
 */
export interface EventContext {
  /** The event itself. */
  readonly event: object;
  /** The values of a dotted ECS path. */
  field(path: string): FieldValues;
  /** The case-folded words of `message` and `event.original` (the `text` op), computed once. */
  textWords(): ReadonlySet<string>;
}

/** The fields the `text` op searches, as the stores index them. */
export const TEXT_FIELDS = ['message', 'event.original'] as const;

const EMPTY: readonly never[] = Object.freeze([]);

/** Builds the shared context of one event. The event is read, never changed, and must not change while the context is used. */
export function eventContext(event: object): EventContext {
  return new Context(event);
}

class Context implements EventContext {
  private readonly cache = new Map<string, Values>();
  private words: ReadonlySet<string> | undefined;

  constructor(readonly event: object) {}

  field(path: string): FieldValues {
    let values = this.cache.get(path);
    if (values === undefined) {
      values = new Values(resolvePath(this.event, path));
      this.cache.set(path, values);
    }
    return values;
  }

  textWords(): ReadonlySet<string> {
    if (this.words === undefined) {
      const words = new Set<string>();
      for (const field of TEXT_FIELDS) for (const text of this.field(field).strings) for (const word of textWords(text)) words.add(word);
      this.words = words;
    }
    return this.words;
  }
}

class Values implements FieldValues {
  readonly scalars: readonly FieldScalar[];
  readonly strings: readonly string[];
  readonly present: boolean;
  private foldedCache: readonly string[] | undefined;

  constructor(raw: readonly unknown[]) {
    const scalars: FieldScalar[] = [];
    let present = false;
    for (const value of raw) {
      if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) {
        scalars.push(value);
        present = true;
      } else if (!present && value !== null && typeof value === 'object' && holdsScalar(value, 0)) present = true;
    }
    this.scalars = scalars.length === 0 ? EMPTY : scalars;
    const strings = scalars.filter((value): value is string => typeof value === 'string');
    this.strings = strings.length === 0 ? EMPTY : strings;
    this.present = present;
  }

  get folded(): readonly string[] {
    this.foldedCache ??= this.strings.length === 0 ? EMPTY : this.strings.map(foldCase);
    return this.foldedCache;
  }
}

// Events are parsed JSON of bounded size, but the walks below recurse: a cap keeps a hostile
// nesting depth from exhausting the stack.
const MAX_DEPTH = MAX_PATH_DEPTH;

/** True when an object or array holds a non-null scalar at any depth (what the `exists` op sees). */
function holdsScalar(value: object, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  for (const member of Array.isArray(value) ? value : Object.values(value)) {
    if (member === null || member === undefined) continue;
    if (typeof member !== 'object') return true;
    if (holdsScalar(member as object, depth + 1)) return true;
  }
  return false;
}

