/**
 * The templates of a step's `with:`: `{{ alert.entities.source.ip }}`, with filters
 * (`{{ alert.tags | join: ", " | upper }}`). Written by hand on purpose: template engines such as
 * Handlebars, Nunjucks or Liquid evaluate far more than a field lookup (helpers, expressions,
 * prototype access that each had to be patched shut), and they render a missing value as "" —
 * which here would turn "block {{ alert.entities.source.ip }}" into a request to block nothing,
 * or a ticket with an empty reference. This grammar has one thing in a tag: a field path and a
 * fixed list of filters. Nothing is evaluated as code, and a missing value is an error.
 */
import type { Alert, Incident } from '../../core/cases/types.js';
import { UserError, type Problem } from '../../core/errors.js';
import { CONTEXT_ROOTS, MISSING, pathProblem, resolvePath } from './path.js';

/** What templates and conditions read. */
export interface TemplateContext {
  readonly alert?: Alert;
  readonly incident?: Incident;
  readonly playbook: { readonly id: string; readonly title: string };
  readonly run: { readonly id: string };
  /** Earlier steps of the run, by step id. */
  readonly steps: Readonly<Record<string, { readonly status: string; readonly result?: unknown }>>;
  /** The console's base URL (`https://siem.example.org`), for links back to the alert or incident. */
  readonly consoleUrl?: string;
}

/** A string value of `with:` is at most this many bytes. */
export const MAX_TEMPLATE_BYTES = 4096;
/** Tags per string. */
const MAX_TAGS = 100;
/** A rendered string longer than this is refused (the action schemas allow at most 20 000 characters). */
const MAX_RENDERED_LENGTH = 65_536;
/** How deep `with:` may nest arrays and objects. */
const MAX_DEPTH = 16;

/** The filters, in the order the reference lists them; `default` and `join` take an argument. */
export const FILTERS: readonly string[] = Object.freeze(['default', 'upper', 'lower', 'json', 'first', 'join']);
const FILTER_ARGUMENT: Readonly<Record<string, 'required' | 'none'>> = {
  default: 'required',
  upper: 'none',
  lower: 'none',
  json: 'none',
  first: 'none',
  join: 'required',
};

interface Filter {
  readonly name: string;
  readonly argument?: string | number;
}

interface Tag {
  /** The tag as written, `{{ ... }}` included: named in error messages. */
  readonly source: string;
  readonly path: string;
  readonly filters: readonly Filter[];
}

type Part = string | Tag;

class TemplateSyntaxError extends Error {}

/** Whether a string holds a template tag at all. */
export function hasTemplate(text: string): boolean {
  return text.includes('{{');
}

/** Splits a template into literal text and tags; throws TemplateSyntaxError. */
function parseTemplate(text: string): Part[] {
  const parts: Part[] = [];
  let literal = '';
  let index = 0;
  let tags = 0;
  while (index < text.length) {
    const open = text.indexOf('{{', index);
    if (open < 0) {
      literal += text.slice(index);
      break;
    }
    literal += text.slice(index, open);
    const { tag, end } = parseTag(text, open);
    tags += 1;
    if (tags > MAX_TAGS) throw new TemplateSyntaxError(`more than ${MAX_TAGS} {{ }} tags in one value`);
    if (literal !== '') parts.push(literal);
    literal = '';
    parts.push(tag);
    index = end;
  }
  if (literal !== '') parts.push(literal);
  return parts;
}

/** Reads one tag starting at `open` (the `{{`); quotes may hold `}}` and `|`. */
function parseTag(text: string, open: number): { tag: Tag; end: number } {
  const segments: string[] = [];
  let current = '';
  let index = open + 2;
  for (;;) {
    if (index >= text.length) throw new TemplateSyntaxError(`"{{" at character ${open + 1} is not closed with "}}"`);
    const char = text[index] as string;
    if (char === '"' || char === "'") {
      const close = findQuoteEnd(text, index);
      current += text.slice(index, close + 1);
      index = close + 1;
      continue;
    }
    if (char === '}' && text[index + 1] === '}') break;
    if (char === '{' && text[index + 1] === '{') throw new TemplateSyntaxError(`"{{" inside the tag that starts at character ${open + 1}`);
    if (char === '|') {
      segments.push(current);
      current = '';
    } else {
      current += char;
    }
    index += 1;
  }
  segments.push(current);
  const source = text.slice(open, index + 2);
  const path = (segments[0] as string).trim();
  if (path === '') throw new TemplateSyntaxError(`${source} names no field`);
  const problem = pathProblem(path, CONTEXT_ROOTS);
  if (problem !== undefined) throw new TemplateSyntaxError(`${source}: ${problem}`);
  const filters = segments.slice(1).map((segment) => parseFilter(segment, source));
  return { tag: { source, path, filters }, end: index + 2 };
}

function findQuoteEnd(text: string, start: number): number {
  const quote = text[start];
  for (let index = start + 1; index < text.length; index += 1) {
    if (text[index] === '\\') {
      index += 1;
      continue;
    }
    if (text[index] === quote) return index;
  }
  throw new TemplateSyntaxError(`the quote at character ${start + 1} is not closed`);
}

function parseFilter(segment: string, source: string): Filter {
  const trimmed = segment.trim();
  const colon = trimmed.indexOf(':');
  const name = (colon < 0 ? trimmed : trimmed.slice(0, colon)).trim();
  if (name === '') throw new TemplateSyntaxError(`${source}: an empty filter after "|"`);
  const arity = Object.hasOwn(FILTER_ARGUMENT, name) ? FILTER_ARGUMENT[name] : undefined;
  if (arity === undefined) throw new TemplateSyntaxError(`${source}: unknown filter "${name}"; the filters are ${FILTERS.join(', ')}`);
  if (colon < 0) {
    if (arity === 'required') throw new TemplateSyntaxError(`${source}: the filter "${name}" needs an argument, as in ${name}: "${name === 'join' ? ', ' : 'unknown'}"`);
    return { name };
  }
  if (arity === 'none') throw new TemplateSyntaxError(`${source}: the filter "${name}" takes no argument`);
  return { name, argument: parseArgument(trimmed.slice(colon + 1).trim(), name, source) };
}

/** A filter argument: a quoted string (`\"`, `\'`, `\\`, `\n` escapes) or a number. */
function parseArgument(text: string, filter: string, source: string): string | number {
  const quote = text[0];
  if ((quote === '"' || quote === "'") && text.length >= 2 && text.endsWith(quote)) {
    const body = text.slice(1, -1);
    let out = '';
    for (let index = 0; index < body.length; index += 1) {
      const char = body[index] as string;
      if (char !== '\\') {
        if (char === quote) throw new TemplateSyntaxError(`${source}: the argument of "${filter}" has an unescaped quote`);
        out += char;
        continue;
      }
      const next = body[index + 1];
      index += 1;
      if (next === 'n') out += '\n';
      else if (next === '\\' || next === '"' || next === "'") out += next;
      else throw new TemplateSyntaxError(`${source}: unknown escape "\\${next ?? ''}" in the argument of "${filter}"`);
    }
    return out;
  }
  if (/^-?\d{1,15}(\.\d{1,15})?$/.test(text)) return Number(text);
  throw new TemplateSyntaxError(`${source}: the argument of "${filter}" must be a quoted string or a number, got ${JSON.stringify(text.slice(0, 40))}`);
}

/**
 * The syntax problems of one template string (unclosed tags, unknown filters, paths that are not
 * field paths or start outside the context), without locations: the loader adds where the
 * string is.
 */
export function checkTemplate(text: string): Problem[] {
  if (Buffer.byteLength(text, 'utf8') > MAX_TEMPLATE_BYTES) return [{ message: `the value has ${Buffer.byteLength(text, 'utf8')} bytes; a value of with: is limited to ${MAX_TEMPLATE_BYTES}` }];
  try {
    parseTemplate(text);
    return [];
  } catch (error) {
    if (error instanceof TemplateSyntaxError) return [{ message: error.message }];
    throw error;
  }
}

/** The field paths a template reads (none when it does not parse: {@link checkTemplate} says why). */
export function templatePaths(text: string): string[] {
  try {
    return parseTemplate(text).flatMap((part) => (typeof part === 'string' ? [] : [part.path]));
  } catch (error) {
    if (error instanceof TemplateSyntaxError) return [];
    throw error;
  }
}

/** A value as text inside a longer string: arrays joined with ", ", objects as JSON. */
function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(toText).join(', ');
  return JSON.stringify(value) ?? '';
}

function mapText(value: unknown, change: (text: string) => string): unknown {
  return Array.isArray(value) ? value.map((item) => change(toText(item))) : change(toText(value));
}

function applyFilter(value: unknown, filter: Filter): unknown {
  if (filter.name === 'default') return value === MISSING || value === null || value === '' ? filter.argument : value;
  // A missing value passes the other filters untouched, so `{{ x | upper | default: "n/a" }}` works.
  if (value === MISSING) return MISSING;
  switch (filter.name) {
    case 'upper':
      return mapText(value, (text) => text.toUpperCase());
    case 'lower':
      return mapText(value, (text) => text.toLowerCase());
    case 'json':
      return JSON.stringify(value);
    case 'first':
      return Array.isArray(value) ? (value.length > 0 ? value[0] : MISSING) : value;
    case 'join':
      return Array.isArray(value) ? value.map(toText).join(String(filter.argument)) : toText(value);
    default:
      throw new UserError('WATCHPOST_ERR_ACTION_INPUT', `unknown template filter "${filter.name}"`);
  }
}

/** Copies data out of the context, so an input never shares objects with the alert it came from. */
function copy(value: unknown): unknown {
  return value !== null && typeof value === 'object' ? structuredClone(value) : value;
}

function renderString(text: string, at: string, context: TemplateContext): unknown {
  if (!hasTemplate(text)) return text;
  let parts: Part[];
  try {
    parts = parseTemplate(text);
  } catch (error) {
    if (error instanceof TemplateSyntaxError) throw new UserError('WATCHPOST_ERR_ACTION_INPUT', `the template in ${at} is invalid: ${error.message}`, { details: { path: at } });
    throw error;
  }
  const evaluate = (tag: Tag): unknown => {
    const value = tag.filters.reduce<unknown>((current, filter) => applyFilter(current, filter), resolvePath(context, tag.path));
    if (value === MISSING || value === null) {
      throw new UserError('WATCHPOST_ERR_ACTION_INPUT', `the template ${tag.source} in ${at} has no value: ${tag.path} is not set (add | default: "..." if it may be absent)`, {
        details: { path: at, template: tag.source },
      });
    }
    return value;
  };
  // A value that is exactly one tag (spaces around it aside) keeps the type of what it resolves to.
  const single = parseSingle(text.trim());
  if (single !== undefined) return copy(evaluate(single));
  const rendered = parts.map((part) => (typeof part === 'string' ? part : toText(evaluate(part)))).join('');
  if (rendered.length > MAX_RENDERED_LENGTH) throw new UserError('WATCHPOST_ERR_ACTION_INPUT', `${at} renders to ${rendered.length} characters; the limit is ${MAX_RENDERED_LENGTH}`, { details: { path: at } });
  return rendered;
}

/** The tag when `text` is exactly one tag (surrounding whitespace already trimmed). */
function parseSingle(text: string): Tag | undefined {
  const parts = parseTemplate(text);
  return parts.length === 1 && typeof parts[0] !== 'string' ? parts[0] : undefined;
}

function renderValue(value: unknown, at: string, context: TemplateContext, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new UserError('WATCHPOST_ERR_ACTION_INPUT', `${at} nests deeper than ${MAX_DEPTH} levels`, { details: { path: at } });
  if (typeof value === 'string') return renderString(value, at, context);
  if (Array.isArray(value)) return value.map((item, index) => renderValue(item, `${at}[${index}]`, context, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // defineProperty: a key named __proto__ in the playbook stays data, never a prototype.
      Object.defineProperty(out, key, { value: renderValue(item, `${at}.${key}`, context, depth + 1), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

/**
 * Fills every template in a step's `with:` (strings at any depth of arrays and objects) from the
 * context. A string that is exactly one tag keeps the type of its value; otherwise values are
 * written as text (lists joined with ", ", objects as JSON). Throws a UserError
 * (WATCHPOST_ERR_ACTION_INPUT) naming the template when a field is not set and no `default`
 * filter gives a value — never an empty string in its place.
 */
export function renderInputs(values: Readonly<Record<string, unknown>>, context: TemplateContext): Record<string, unknown> {
  return renderValue(values, 'with', context, 0) as Record<string, unknown>;
}
