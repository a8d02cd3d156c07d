/**
 * Processing pipelines (checklist I, docs/specs/rules.md "Pipelines"): rules/pipelines/*.yml,
 * parsed and validated with file:line:col problems, then used two ways — a {@link FieldMapper}
 * for a rule's logsource (Sigma names → ECS), and a {@link LogsourceResolver} that tells which
 * logsources an event belongs to.
 *
 * The format is ours (pySigma's pipelines are Python objects or a much larger YAML language we do
 * not need), so the validation is written by hand over the positioned YAML tree rather than with
 * a JSON Schema, which would lose the line numbers.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { entryOf, problemAt, scalarText } from './document.js';
import type { FieldMapper, LogsourceResolver, RuleProblem, SigmaLogsource, SourcePosition, YamlValue } from './types.js';
import { parseYamlDocuments } from './yaml.js';

/** One `logsources` entry of a pipeline: a logsource and the selector of its events. */
export interface PipelineLogsource {
  readonly logsource: SigmaLogsource;
  /** ECS field → accepted values, lower-cased (any of them; every field must hold). */
  readonly events: ReadonlyMap<string, ReadonlySet<string>>;
  readonly source: SourcePosition;
}

/** A validated pipeline file. */
export interface Pipeline {
  readonly name: string;
  readonly description?: string;
  /** Higher wins when two pipelines fit a rule equally well. @defaultValue 0 */
  readonly priority: number;
  readonly file: string;
  readonly logsources: readonly PipelineLogsource[];
  /** An unmapped Sigma field fails the rule. @defaultValue false */
  readonly strict: boolean;
  /** Fields a keyword search looks in. @defaultValue {@link DEFAULT_KEYWORD_FIELDS} */
  readonly keywords: readonly string[];
  /** Sigma field → ECS field(s). */
  readonly fields: ReadonlyMap<string, readonly string[]>;
  /** Lower-cased Sigma field → lower-cased rule value → replacement values. */
  readonly values: ReadonlyMap<string, ReadonlyMap<string, readonly (string | number | boolean)[]>>;
}

/** Where keywords are searched when no pipeline says otherwise: the parsed message and the raw line. */
export const DEFAULT_KEYWORD_FIELDS: readonly string[] = Object.freeze(['message', 'event.original']);

/** Pipeline files larger than this are refused (they are short mapping tables). */
export const MAX_PIPELINE_BYTES = 1024 * 1024;

const PIPELINE_KEYS = new Set(['name', 'description', 'priority', 'logsources', 'strict', 'keywords', 'fields', 'values']);
const LOGSOURCE_ATTRS = ['category', 'product', 'service'] as const;
const NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** Parses and validates one pipeline file; undefined (with problems) when it has an error. */
export function parsePipeline(text: string, file: string): { pipeline?: Pipeline; problems: RuleProblem[] } {
  const { docs, problems } = parseYamlDocuments(text, file);
  if (problems.some((p) => p.severity === 'error')) return { problems };
  const nonEmpty = docs.filter((d) => !(d.kind === 'scalar' && d.value === null));
  if (nonEmpty.length !== 1) {
    problems.push(problemAt({ file, line: 1, col: 1 }, 'error', 'invalid-pipeline', `a pipeline file holds exactly one YAML document (found ${nonEmpty.length})`));
    return { problems };
  }
  const doc = nonEmpty[0] as YamlValue;
  const errorsBefore = problems.filter((p) => p.severity === 'error').length;
  const pipeline = validatePipeline(doc, file, problems);
  const failed = problems.filter((p) => p.severity === 'error').length > errorsBefore;
  return failed || pipeline === undefined ? { problems } : { pipeline, problems };
}

/**
 * Loads every `*.yml`/`*.yaml` of a directory, in file name order. A pipeline with an error is
 * left out (its problems are returned); so is a second pipeline with a name already taken.
 */
export async function loadPipelines(dir: string): Promise<{ pipelines: Pipeline[]; problems: RuleProblem[] }> {
  const names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  const texts: { file: string; text: string }[] = [];
  const problems: RuleProblem[] = [];
  for (const n of names) {
    const file = join(dir, n);
    const info = await stat(file);
    if (!info.isFile()) continue;
    if (info.size > MAX_PIPELINE_BYTES) {
      problems.push(problemAt({ file, line: 1, col: 1 }, 'error', 'file-too-large', `pipeline file is ${info.size} bytes; the limit is ${MAX_PIPELINE_BYTES}`));
      continue;
    }
    texts.push({ file, text: await readFile(file, 'utf8') });
  }
  const result = parsePipelineTexts(texts);
  return { pipelines: result.pipelines, problems: [...problems, ...result.problems] };
}

/** {@link loadPipelines} over texts already read (tests, the API). */
export function parsePipelineTexts(texts: readonly { file: string; text: string }[]): { pipelines: Pipeline[]; problems: RuleProblem[] } {
  const pipelines: Pipeline[] = [];
  const problems: RuleProblem[] = [];
  const byName = new Map<string, Pipeline>();
  for (const { file, text } of texts) {
    const r = parsePipeline(text, file);
    problems.push(...r.problems);
    if (r.pipeline === undefined) continue;
    const taken = byName.get(r.pipeline.name);
    if (taken !== undefined) {
      problems.push(problemAt({ file, line: 1, col: 1 }, 'error', 'duplicate-pipeline', `pipeline name '${r.pipeline.name}' is already used by ${taken.file}`));
      continue;
    }
    byName.set(r.pipeline.name, r.pipeline);
    pipelines.push(r.pipeline);
  }
  return { pipelines, problems };
}

function validatePipeline(doc: YamlValue, file: string, problems: RuleProblem[]): Pipeline | undefined {
  const report = (pos: SourcePosition, message: string, code = 'invalid-pipeline'): void => {
    problems.push(problemAt(pos, 'error', code, message));
  };
  if (doc.kind !== 'map') {
    report(doc.pos, 'a pipeline is a map (name, logsources, fields…)');
    return undefined;
  }
  for (const e of doc.entries) {
    if (!PIPELINE_KEYS.has(e.key)) report(e.keyPos, `unknown pipeline key '${e.key}' (allowed: ${[...PIPELINE_KEYS].join(', ')})`, 'unknown-key');
  }
  const nameE = entryOf(doc, 'name');
  const name = nameE === undefined ? undefined : scalarText(nameE.value);
  if (nameE === undefined) report(doc.pos, "a pipeline needs a 'name'");
  else if (name === undefined || !NAME.test(name)) report(nameE.value.pos, "'name' must be lower case letters, digits, - and _");

  const descE = entryOf(doc, 'description');
  const description = descE === undefined ? undefined : scalarText(descE.value);
  if (descE !== undefined && description === undefined) report(descE.value.pos, "'description' must be a string");

  let priority = 0;
  const prioE = entryOf(doc, 'priority');
  if (prioE !== undefined) {
    if (prioE.value.kind === 'scalar' && typeof prioE.value.value === 'number' && Number.isFinite(prioE.value.value)) priority = prioE.value.value;
    else report(prioE.value.pos, "'priority' must be a number");
  }

  let strict = false;
  const strictE = entryOf(doc, 'strict');
  if (strictE !== undefined) {
    if (strictE.value.kind === 'scalar' && typeof strictE.value.value === 'boolean') strict = strictE.value.value;
    else report(strictE.value.pos, "'strict' must be true or false");
  }

  const keywordsE = entryOf(doc, 'keywords');
  const keywords = keywordsE === undefined ? [...DEFAULT_KEYWORD_FIELDS] : stringItems(keywordsE.value, 'keywords', report);

  const logsources: PipelineLogsource[] = [];
  const lsE = entryOf(doc, 'logsources');
  if (lsE === undefined) report(doc.pos, "a pipeline needs 'logsources' (the logsources it serves, each with its events)");
  else if (lsE.value.kind !== 'seq' || lsE.value.items.length === 0) report(lsE.value.pos, "'logsources' must be a non-empty list");
  else for (const item of lsE.value.items) {
    const entry = validateLogsourceEntry(item, report);
    if (entry !== undefined) logsources.push(entry);
  }

  const fields = new Map<string, readonly string[]>();
  const fieldsE = entryOf(doc, 'fields');
  if (fieldsE !== undefined) {
    if (fieldsE.value.kind !== 'map') report(fieldsE.value.pos, "'fields' must be a map: Sigma name → ECS field or list of ECS fields");
    else for (const f of fieldsE.value.entries) {
      const targets = stringItems(f.value, `fields.${f.key}`, report);
      if (targets.length === 0) report(f.value.pos, `'fields.${f.key}' maps to no field`);
      else fields.set(f.key, Object.freeze(targets));
    }
  }

  const values = new Map<string, ReadonlyMap<string, readonly (string | number | boolean)[]>>();
  const valuesE = entryOf(doc, 'values');
  if (valuesE !== undefined) {
    if (valuesE.value.kind !== 'map') report(valuesE.value.pos, "'values' must be a map: Sigma field → {rule value → replacement values}");
    else for (const f of valuesE.value.entries) {
      if (f.value.kind !== 'map') {
        report(f.value.pos, `'values.${f.key}' must be a map: rule value → replacement values`);
        continue;
      }
      const rewrites = new Map<string, readonly (string | number | boolean)[]>();
      for (const v of f.value.entries) {
        const replacements = scalarItems(v.value, `values.${f.key}.${v.key}`, report);
        if (replacements.length === 0) report(v.value.pos, `'values.${f.key}.${v.key}' has no replacement value`);
        rewrites.set(v.key.toLowerCase(), Object.freeze(replacements));
      }
      values.set(f.key.toLowerCase(), rewrites);
    }
  }

  if (name === undefined) return undefined;
  return Object.freeze({
    name,
    ...(description === undefined ? {} : { description }),
    priority,
    file,
    logsources: Object.freeze(logsources),
    strict,
    keywords: Object.freeze(keywords),
    fields,
    values,
  });
}

type PipelineReport = (pos: SourcePosition, message: string, code?: string) => void;

function validateLogsourceEntry(item: YamlValue, report: PipelineReport): PipelineLogsource | undefined {
  if (item.kind !== 'map') {
    report(item.pos, "a 'logsources' entry is a map {logsource, events}");
    return undefined;
  }
  for (const e of item.entries) {
    if (e.key !== 'logsource' && e.key !== 'events') report(e.keyPos, `unknown key '${e.key}' in a 'logsources' entry (allowed: logsource, events)`, 'unknown-key');
  }
  const lsE = entryOf(item, 'logsource');
  let logsource: SigmaLogsource | undefined;
  if (lsE === undefined) report(item.pos, "a 'logsources' entry needs 'logsource'");
  else if (lsE.value.kind !== 'map') report(lsE.value.pos, "'logsource' must be a map (category, product, service)");
  else {
    const ls: { category?: string; product?: string; service?: string } = {};
    for (const e of lsE.value.entries) {
      const attr = LOGSOURCE_ATTRS.find((a) => a === e.key);
      const t = scalarText(e.value);
      if (attr === undefined) report(e.keyPos, `unknown logsource attribute '${e.key}' (allowed: category, product, service)`, 'unknown-key');
      else if (t === undefined) report(e.value.pos, `logsource '${attr}' must be a string`);
      else ls[attr] = t.toLowerCase();
    }
    if (Object.keys(ls).length === 0) report(lsE.value.pos, "'logsource' needs at least one of category, product, service");
    else logsource = ls;
  }
  const evE = entryOf(item, 'events');
  const events = new Map<string, ReadonlySet<string>>();
  if (evE === undefined) report(item.pos, "a 'logsources' entry needs 'events' (the selector of its events)");
  else if (evE.value.kind !== 'map' || evE.value.entries.length === 0) report(evE.value.pos, "'events' must be a non-empty map: ECS field → value or list of values");
  else for (const e of evE.value.entries) {
    const accepted = scalarItems(e.value, `events.${e.key}`, report).map((v) => String(v).toLowerCase());
    if (accepted.length === 0) report(e.value.pos, `'events.${e.key}' lists no value`);
    events.set(e.key, new Set(accepted));
  }
  if (logsource === undefined || evE === undefined) return undefined;
  return { logsource: Object.freeze(logsource), events, source: item.pos };
}

function stringItems(value: YamlValue, what: string, report: PipelineReport): string[] {
  const items = value.kind === 'seq' ? value.items : value.kind === 'scalar' ? [value] : undefined;
  if (items === undefined) {
    report(value.pos, `'${what}' must be a string or a list of strings`);
    return [];
  }
  const out: string[] = [];
  for (const i of items) {
    if (i.kind === 'scalar' && typeof i.value === 'string' && i.value !== '') out.push(i.value);
    else report(i.pos, `'${what}' items must be non-empty strings`);
  }
  return out;
}

function scalarItems(value: YamlValue, what: string, report: PipelineReport): (string | number | boolean)[] {
  const items = value.kind === 'seq' ? value.items : value.kind === 'scalar' ? [value] : undefined;
  if (items === undefined) {
    report(value.pos, `'${what}' must be a value or a list of values`);
    return [];
  }
  const out: (string | number | boolean)[] = [];
  for (const i of items) {
    if (i.kind === 'scalar' && i.value !== null) out.push(i.value);
    else report(i.pos, `'${what}' items must be strings, numbers or booleans`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Rule → pipeline

/** The mapper used when no pipeline fits: names as written, keywords in the default fields. */
export const PASS_THROUGH_MAPPER: FieldMapper = Object.freeze({
  map: (field: string): readonly string[] => [field],
  values: () => undefined,
  keywordFields: DEFAULT_KEYWORD_FIELDS,
});

const mappers = new WeakMap<Pipeline, FieldMapper>();

/** The field mapper of a pipeline (one per pipeline; it does not depend on the rule). */
export function pipelineMapper(pipeline: Pipeline): FieldMapper {
  const cached = mappers.get(pipeline);
  if (cached !== undefined) return cached;
  const targets = new Set<string>();
  for (const t of pipeline.fields.values()) for (const f of t) targets.add(f);
  const mapper: FieldMapper = Object.freeze({
    pipeline: pipeline.name,
    map(field: string): readonly string[] | string {
      const mapped = pipeline.fields.get(field);
      if (mapped !== undefined) return mapped;
      if (targets.has(field) || !pipeline.strict) return [field];
      return `field '${field}' is not mapped by pipeline '${pipeline.name}' (strict; ${pipeline.file}): add it to its 'fields'`;
    },
    values: (field: string) => pipeline.values.get(field.toLowerCase()),
    keywordFields: pipeline.keywords,
  });
  mappers.set(pipeline, mapper);
  return mapper;
}

/**
 * How many attributes an entry and a rule logsource both state, when they agree on all of them;
 * -1 when they disagree on one, or share none (an entry for `category: firewall` says nothing
 * about a `product: linux` rule, so it does not fit it).
 */
export function logsourceFit(entry: SigmaLogsource, rule: SigmaLogsource): number {
  let shared = 0;
  for (const a of LOGSOURCE_ATTRS) {
    const e = entry[a];
    const r = rule[a];
    if (e === undefined || r === undefined) continue;
    if (e !== r) return -1;
    shared++;
  }
  return shared === 0 ? -1 : shared;
}

/**
 * The pipeline for a rule's logsource (docs/specs/rules.md): among the pipelines with an entry
 * that fits, the one whose entry shares the most attributes, then the higher priority, then the
 * earlier file. Undefined when none fits.
 */
export function selectPipeline(pipelines: readonly Pipeline[], logsource: SigmaLogsource): Pipeline | undefined {
  let best: { pipeline: Pipeline; fit: number } | undefined;
  const ordered = [...pipelines].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  for (const pipeline of ordered) {
    let fit = -1;
    for (const entry of pipeline.logsources) fit = Math.max(fit, logsourceFit(entry.logsource, logsource));
    if (fit < 0) continue;
    if (best === undefined || fit > best.fit || (fit === best.fit && pipeline.priority > best.pipeline.priority)) best = { pipeline, fit };
  }
  return best?.pipeline;
}

/** The field mapper for a rule's logsource: its pipeline's, or names as written when none fits. */
export function fieldMapperFor(pipelines: readonly Pipeline[], logsource: SigmaLogsource): FieldMapper {
  const pipeline = selectPipeline(pipelines, logsource);
  return pipeline === undefined ? PASS_THROUGH_MAPPER : pipelineMapper(pipeline);
}

// ---------------------------------------------------------------------------------------------
// Event → logsources

/** Reads one dotted field of an event; compiled once per path. */
type Getter = (obj: object) => unknown;

interface SelectorEntry {
  /** Index of the entry's logsource among the distinct logsources (for dedupe without strings). */
  readonly id: number;
  readonly logsource: SigmaLogsource;
  /** The answer when this entry alone holds, shared. */
  readonly alone: readonly SigmaLogsource[];
  /** Every check but the indexed one. */
  readonly checks: readonly (readonly [Getter, ReadonlySet<string>])[];
}

interface FieldIndex {
  readonly get: Getter;
  readonly byValue: ReadonlyMap<string, readonly SelectorEntry[]>;
}

const NONE: readonly SigmaLogsource[] = Object.freeze([]);

/**
 * The resolver over the pipelines' `events` selectors. It runs once per event, so the work is
 * done up front: each entry is indexed under one of its fields (`event.dataset` when it has it)
 * by each accepted value, so an event costs one lookup per indexed field (a handful) plus the
 * remaining checks of the entries its values designate; field access is compiled per path, and
 * the common answer (one entry holds) is a shared frozen array.
 */
export function createLogsourceResolver(pipelines: readonly Pipeline[]): LogsourceResolver {
  const getters = new Map<string, Getter>();
  const getter = (path: string): Getter => {
    let g = getters.get(path);
    if (g === undefined) {
      g = compileGetter(path, getters);
      getters.set(path, g);
    }
    return g;
  };
  const distinct = new Map<string, number>();
  const indexes = new Map<string, { get: Getter; byValue: Map<string, SelectorEntry[]> }>();
  for (const p of pipelines) {
    for (const ls of p.logsources) {
      const fields = [...ls.events.keys()];
      const indexed = fields.includes(DATASET) ? DATASET : (fields[0] as string);
      const lsKey = `${ls.logsource.category ?? ''}\u0000${ls.logsource.product ?? ''}\u0000${ls.logsource.service ?? ''}`;
      if (!distinct.has(lsKey)) distinct.set(lsKey, distinct.size);
      const entry: SelectorEntry = {
        id: distinct.get(lsKey) as number,
        logsource: ls.logsource,
        alone: Object.freeze([ls.logsource]),
        checks: [...ls.events.entries()].filter(([f]) => f !== indexed).map(([f, values]) => [getter(f), values] as const),
      };
      let index = indexes.get(indexed);
      if (index === undefined) {
        index = { get: getter(indexed), byValue: new Map() };
        indexes.set(indexed, index);
      }
      for (const v of ls.events.get(indexed) ?? []) {
        const list = index.byValue.get(v) ?? [];
        list.push(entry);
        index.byValue.set(v, list);
      }
    }
  }
  const fieldIndexes: readonly FieldIndex[] = [...indexes.values()];

  return Object.freeze({
    logsourcesOf(event: unknown): readonly SigmaLogsource[] {
      if (event === null || typeof event !== 'object') return NONE;
      let matched: SelectorEntry[] | undefined;
      for (let i = 0; i < fieldIndexes.length; i++) {
        const index = fieldIndexes[i] as FieldIndex;
        const v = index.get(event);
        if (v === undefined || v === null) continue;
        if (Array.isArray(v)) {
          for (const x of v) matched = collect(event, candidates(index, x), matched);
        } else matched = collect(event, candidates(index, v), matched);
      }
      if (matched === undefined) return NONE;
      if (matched.length === 1) return (matched[0] as SelectorEntry).alone;
      return matched.map((m) => m.logsource);
    },
  });
}

const DATASET = 'event.dataset';
const NO_ENTRIES: readonly SelectorEntry[] = [];

/** Adds the entries that hold, once per distinct logsource. */
function collect(event: object, entries: readonly SelectorEntry[], matched: SelectorEntry[] | undefined): SelectorEntry[] | undefined {
  for (let i = 0; i < entries.length; i++) {
    const c = entries[i] as SelectorEntry;
    if (!holds(event, c)) continue;
    if (matched === undefined) matched = [c];
    else if (!matched.some((m) => m.id === c.id)) matched.push(c);
  }
  return matched;
}

function candidates(index: FieldIndex, v: unknown): readonly SelectorEntry[] {
  if (typeof v === 'string') return index.byValue.get(v.toLowerCase()) ?? NO_ENTRIES;
  if (typeof v === 'number' || typeof v === 'boolean') return index.byValue.get(String(v)) ?? NO_ENTRIES;
  return NO_ENTRIES;
}

function holds(event: object, entry: SelectorEntry): boolean {
  for (const [get, accepted] of entry.checks) {
    const v = get(event);
    if (Array.isArray(v)) {
      if (!v.some((x) => accepts(accepted, x))) return false;
    } else if (!accepts(accepted, v)) return false;
  }
  return true;
}

function accepts(accepted: ReadonlySet<string>, v: unknown): boolean {
  if (typeof v === 'string') return accepted.has(v.toLowerCase());
  if (typeof v === 'number' || typeof v === 'boolean') return accepted.has(String(v));
  return false;
}

/**
 * A getter for a dotted path in an event that may be nested, flat (`"event.dataset": …`) or a
 * mix of both: the flat key first, then each split point into an object, the rest read by the
 * getter of the remaining path (shared through `cache`).
 */
function compileGetter(path: string, cache: Map<string, Getter>): Getter {
  const splits: { head: string; rest: Getter }[] = [];
  for (let i = path.indexOf('.'); i > 0; i = path.indexOf('.', i + 1)) {
    const restPath = path.slice(i + 1);
    let rest = cache.get(restPath);
    if (rest === undefined) {
      rest = compileGetter(restPath, cache);
      cache.set(restPath, rest);
    }
    splits.push({ head: path.slice(0, i), rest });
  }
  // Plain property reads (Object.hasOwn costs ten times more here); what an event inherits is a
  // function of Object.prototype, never a field value, so functions are read as absent.
  return (obj: object): unknown => {
    const rec = obj as Record<string, unknown>;
    const direct = rec[path];
    if (direct !== undefined && typeof direct !== 'function') return direct;
    for (let i = 0; i < splits.length; i++) {
      const { head, rest } = splits[i] as { head: string; rest: Getter };
      const inner = rec[head];
      if (inner !== null && typeof inner === 'object' && !Array.isArray(inner)) {
        const v = rest(inner);
        if (v !== undefined) return v;
      }
    }
    return undefined;
  };
}

/** A dotted ECS path in an event that may be nested, flat or a mix of both (not for hot paths). */
export function fieldValue(obj: object, path: string): unknown {
  return compileGetter(path, new Map())(obj);
}
