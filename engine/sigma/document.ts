/**
 * A Sigma YAML document's metadata, validated (checklist A1–A15, B1–B5): which kind of document it
 * is (detection rule, correlation, meta-filter), its key, title, level, tags and the rest, with
 * every problem at file:line:col. The sections that differ per kind (`detection`, `correlation`,
 * `filter`) are left to their own modules; this one only rejects what they cannot mean, such as
 * the removed v1 aggregation syntax (A13).
 */
import type { RuleMeta, RuleProblem, SigmaLevel, SigmaLogsource, SigmaStatus, SourcePosition, YamlValue } from './types.js';

export type YamlMap = Extract<YamlValue, { kind: 'map' }>;
export type YamlSeq = Extract<YamlValue, { kind: 'seq' }>;
export type YamlScalar = Extract<YamlValue, { kind: 'scalar' }>;
export type YamlEntry = YamlMap['entries'][number];

export type DocumentKind = 'detection' | 'correlation' | 'filter';

/** A document after metadata validation; `node` keeps the kind-specific sections for later. */
export interface SigmaDocument {
  readonly kind: DocumentKind;
  readonly file: string;
  /** 1-based position of the document in its file. */
  readonly index: number;
  readonly node: YamlMap;
  readonly meta: RuleMeta;
  /** Detection rules and meta-filters; undefined when missing or invalid (an error was reported). */
  readonly logsource?: SigmaLogsource;
}

const LEVELS: readonly SigmaLevel[] = ['informational', 'low', 'medium', 'high', 'critical'];
const STATUSES: readonly SigmaStatus[] = ['stable', 'test', 'experimental', 'deprecated', 'unsupported'];
/** `correlation` is pySigma's addition to the specification's five types. */
const RELATED_TYPES = ['derived', 'obsolete', 'merged', 'renamed', 'similar', 'correlation'];
const TITLE_MAX = 256;
const DESCRIPTION_MAX = 65_535;
const NAME_MAX = 256;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TAG = /^[a-z0-9_-]+\.[a-z0-9._-]+$/;
const LOGSOURCE_VALUE = /^[a-z0-9_.-]+$/;

/**
 * Tag namespaces of the specification's tags appendix, each with the shape of its names. ATT&CK
 * names are checked for shape only (technique, group, software… ids or a hyphenated tactic
 * name): tactics are renamed between ATT&CK releases (A11), so no list of them is kept here.
 */
const TAG_NAMESPACES: Readonly<Record<string, RegExp>> = {
  attack: /^(t\d{4}(\.\d{3})?|[gsma]\d{4}|ds\d{4}|[a-z]+(-[a-z]+)*)$/,
  car: /^\d{4}-\d{2}-\d{3}$/,
  cve: /^\d{4}-\d{4,}$/,
  d3fend: /^[a-z0-9._-]+$/,
  detection: /^(dfir|emerging-threats|threat-hunting)$/,
  stp: /^\d[a-z0-9]*$/,
  tlp: /^(red|amber|amber-strict|green|clear)$/,
};

/** The top-level keys Sigma defines; any other key is a custom field, kept in `custom` (A2). */
const SIGMA_KEYS = new Set([
  'title',
  'id',
  'name',
  'related',
  'status',
  'description',
  'author',
  'references',
  'date',
  'modified',
  'tags',
  'logsource',
  'detection',
  'correlation',
  'filter',
  'fields',
  'falsepositives',
  'level',
  'license',
  'taxonomy',
  'scope',
]);

/** Builds a problem at a position. */
export function problemAt(
  pos: SourcePosition,
  severity: RuleProblem['severity'],
  code: string,
  message: string,
  rule?: string,
): RuleProblem {
  const problem: RuleProblem = { file: pos.file, line: pos.line, col: pos.col, severity, code, message };
  return rule === undefined ? problem : { ...problem, rule };
}

/** The entry of a YAML map under `key`, or undefined. */
export function entryOf(map: YamlMap, key: string): YamlEntry | undefined {
  return map.entries.find((e) => e.key === key);
}

/** The text of a scalar as a rule author meant it: strings as they are, numbers and booleans as written. */
export function scalarText(value: YamlValue): string | undefined {
  if (value.kind !== 'scalar' || value.value === null) return undefined;
  return typeof value.value === 'string' ? value.value : value.raw;
}

/** A YAML node as plain JavaScript values (for custom fields). */
export function toPlain(value: YamlValue): unknown {
  switch (value.kind) {
    case 'scalar':
      return value.value;
    case 'seq':
      return value.items.map(toPlain);
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const e of value.entries) out[e.key] = toPlain(e.value);
      return out;
    }
  }
}

/** A map of the same document without some keys (to hand a section minus its extras to a compiler). */
export function withoutKeys(map: YamlMap, keys: readonly string[]): YamlMap {
  return { kind: 'map', pos: map.pos, entries: map.entries.filter((e) => !keys.includes(e.key)) };
}

/** The document's key (`id`, else `name`, else `<file>#<index>`), read before validation so problems can carry it. */
export function documentKey(node: YamlValue, file: string, index: number): string {
  if (node.kind === 'map') {
    for (const k of ['id', 'name']) {
      const e = entryOf(node, k);
      const text = e === undefined ? undefined : scalarText(e.value);
      if (text !== undefined && text.trim() !== '') return text.trim();
    }
  }
  return `${file}#${index}`;
}

/** The title (or key) used to name a document in listings, read without validation. */
export function documentTitle(node: YamlValue): string | undefined {
  if (node.kind !== 'map') return undefined;
  const e = entryOf(node, 'title');
  return e === undefined ? undefined : scalarText(e.value);
}

/**
 * Validates a document's metadata and tells its kind. Problems go to `problems` (each carrying
 * the document's key); the result is undefined only when the document is not a map at all.
 */
export function validateDocument(node: YamlValue, file: string, index: number, problems: RuleProblem[]): SigmaDocument | undefined {
  const key = documentKey(node, file, index);
  const report = (pos: SourcePosition, severity: RuleProblem['severity'], code: string, message: string): void => {
    problems.push(problemAt(pos, severity, code, message, key));
  };
  if (node.kind !== 'map') {
    report(node.pos, 'error', 'invalid-document', 'a Sigma document must be a map of keys (title, logsource, detection…)');
    return undefined;
  }

  const kind = documentKind(node, report);
  const text = (k: string, max?: number): string | undefined => {
    const e = entryOf(node, k);
    if (e === undefined) return undefined;
    const t = scalarText(e.value);
    if (t === undefined) {
      report(e.value.pos, 'error', 'invalid-type', `'${k}' must be a string`);
      return undefined;
    }
    if (max !== undefined && t.length > max) report(e.value.pos, 'error', 'too-long', `'${k}' is longer than ${max} characters`);
    return t;
  };

  const titleEntry = entryOf(node, 'title');
  const title = text('title', TITLE_MAX);
  if (titleEntry === undefined) report(node.pos, 'error', 'missing-title', "the document has no 'title'");
  else if (title !== undefined && title.trim() === '') report(titleEntry.value.pos, 'error', 'missing-title', "'title' is empty");

  const id = text('id');
  const idEntry = entryOf(node, 'id');
  if (id !== undefined && idEntry !== undefined && !UUID.test(id)) {
    report(idEntry.value.pos, 'warning', 'invalid-id', `id '${id}' is not a UUID (Sigma recommends a random UUID v4)`);
  }
  const name = text('name', NAME_MAX);

  const status = enumValue(node, 'status', STATUSES, report);
  const level = enumValue(node, 'level', LEVELS, report);
  if (status === 'unsupported') {
    const e = entryOf(node, 'status');
    report(
      e?.value.pos ?? node.pos,
      'error',
      'unsupported-status',
      "status is 'unsupported': the authors mark this rule as unusable as written (legacy aggregation or non-taxonomy fields); rewrite it (aggregations as correlation rules) and set another status",
    );
  }
  if (kind === 'filter') {
    for (const k of ['level', 'status']) {
      const e = entryOf(node, k);
      if (e !== undefined) report(e.keyPos, 'warning', 'ignored-key', `a meta-filter has no '${k}'; it is ignored`);
    }
  }

  const meta: RuleMeta = {
    ...optional('id', id),
    ...optional('name', name),
    key,
    title: title ?? '',
    ...optional('status', status),
    level: level ?? 'medium',
    ...optional('description', text('description', DESCRIPTION_MAX)),
    ...optional('author', text('author')),
    references: stringList(node, 'references', report),
    tags: validateTags(node, report),
    falsepositives: stringList(node, 'falsepositives', report),
    fields: stringList(node, 'fields', report),
    ...optional('date', dateValue(node, 'date', report)),
    ...optional('modified', dateValue(node, 'modified', report)),
    ...optional('license', text('license')),
    custom: customFields(node),
    source: node.pos,
  };
  text('taxonomy');
  stringList(node, 'scope', report);
  validateRelated(node, report);

  let logsource: SigmaLogsource | undefined;
  if (kind !== 'correlation') logsource = validateLogsource(node, report);
  if (kind === 'detection') checkLegacyDetection(node, report);
  return { kind, file, index, node, meta, ...optional('logsource', logsource) };
}

type Report = (pos: SourcePosition, severity: RuleProblem['severity'], code: string, message: string) => void;

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** A document is a correlation or a meta-filter by its section; anything else is a detection rule. */
function documentKind(node: YamlMap, report: Report): DocumentKind {
  const sections = (['correlation', 'filter', 'detection'] as const).filter((k) => entryOf(node, k) !== undefined);
  if (sections.length > 1) {
    const second = entryOf(node, sections[1] as string) as YamlEntry;
    report(second.keyPos, 'error', 'ambiguous-document', `a document has one of 'detection', 'correlation' or 'filter', not ${sections.join(' and ')}`);
  }
  const first = sections[0];
  if (first === 'correlation' || first === 'filter') return first;
  if (first === undefined) {
    report(node.pos, 'error', 'missing-detection', "the document has no 'detection' (nor 'correlation' or 'filter')");
  }
  return 'detection';
}

function enumValue<T extends string>(node: YamlMap, key: string, allowed: readonly T[], report: Report): T | undefined {
  const e = entryOf(node, key);
  if (e === undefined) return undefined;
  const t = scalarText(e.value);
  if (t === undefined || !(allowed as readonly string[]).includes(t)) {
    report(e.value.pos, 'error', `invalid-${key}`, `'${key}' must be one of ${allowed.join(', ')}`);
    return undefined;
  }
  return t as T;
}

/** A list of strings; a single string is accepted as a one-item list (pySigma does so). */
function stringList(node: YamlMap, key: string, report: Report): string[] {
  const e = entryOf(node, key);
  if (e === undefined) return [];
  if (e.value.kind === 'scalar') {
    const t = scalarText(e.value);
    if (t === undefined) {
      if (e.value.value !== null) report(e.value.pos, 'error', 'invalid-type', `'${key}' must be a list of strings`);
      return [];
    }
    return [t];
  }
  if (e.value.kind === 'map') {
    report(e.value.pos, 'error', 'invalid-type', `'${key}' must be a list of strings`);
    return [];
  }
  const out: string[] = [];
  for (const item of e.value.items) {
    const t = scalarText(item);
    if (t === undefined) report(item.pos, 'error', 'invalid-type', `'${key}' items must be strings`);
    else out.push(t);
  }
  return out;
}

/** `YYYY-MM-DD` as a string (A9); the v1 slash format is refused, so is a date that does not exist. */
function dateValue(node: YamlMap, key: string, report: Report): string | undefined {
  const e = entryOf(node, key);
  if (e === undefined) return undefined;
  const t = scalarText(e.value);
  const m = t === undefined ? null : DATE.exec(t);
  if (t === undefined || m === null) {
    report(e.value.pos, 'error', 'invalid-date', `'${key}' must be a date written YYYY-MM-DD (Sigma v2 dropped YYYY/MM/DD)`);
    return undefined;
  }
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) {
    report(e.value.pos, 'error', 'invalid-date', `'${key}' ${t} is not a calendar date`);
    return undefined;
  }
  return t;
}

/**
 * Tags (A10, A11): a tag without a namespace is an error (it cannot be read); anything else
 * unusual is a warning, so a rule is never lost to tag drift.
 */
function validateTags(node: YamlMap, report: Report): string[] {
  const e = entryOf(node, 'tags');
  if (e === undefined) return [];
  if (e.value.kind !== 'seq') {
    report(e.value.pos, 'error', 'invalid-type', "'tags' must be a list of strings");
    return [];
  }
  const out: string[] = [];
  const seen = new Set<string>();
  for (const item of e.value.items) {
    const tag = scalarText(item);
    if (tag === undefined) {
      report(item.pos, 'error', 'invalid-tag', "'tags' items must be strings");
      continue;
    }
    const dot = tag.indexOf('.');
    if (dot <= 0 || dot === tag.length - 1) {
      report(item.pos, 'error', 'invalid-tag', `tag '${tag}' is not namespace.name`);
      continue;
    }
    if (seen.has(tag)) report(item.pos, 'warning', 'duplicate-tag', `tag '${tag}' is listed twice`);
    seen.add(tag);
    out.push(tag);
    if (!TAG.test(tag)) {
      report(item.pos, 'warning', 'tag-syntax', `tag '${tag}' should be lower case [a-z0-9_-].[a-z0-9._-]`);
      continue;
    }
    const namespace = tag.slice(0, dot);
    const name = tag.slice(dot + 1);
    const shape = TAG_NAMESPACES[namespace];
    if (shape === undefined) {
      report(item.pos, 'warning', 'unknown-tag-namespace', `tag namespace '${namespace}' is not one of ${Object.keys(TAG_NAMESPACES).join(', ')}`);
    } else if (namespace === 'attack' && name.includes('_')) {
      report(item.pos, 'warning', 'tag-syntax', `ATT&CK tactic '${name}': Sigma v2 writes tactics with hyphens (${name.replaceAll('_', '-')})`);
    } else if (!shape.test(name)) {
      report(item.pos, 'warning', 'tag-syntax', `tag '${tag}' does not look like a ${namespace} tag`);
    }
  }
  return out;
}

/** `related`: a list of {id, type} (A5). */
function validateRelated(node: YamlMap, report: Report): void {
  const e = entryOf(node, 'related');
  if (e === undefined) return;
  if (e.value.kind !== 'seq') {
    report(e.value.pos, 'error', 'invalid-related', "'related' must be a list of {id, type}");
    return;
  }
  for (const item of e.value.items) {
    if (item.kind !== 'map') {
      report(item.pos, 'error', 'invalid-related', "'related' items must be maps {id, type}");
      continue;
    }
    const idE = entryOf(item, 'id');
    const typeE = entryOf(item, 'type');
    if (idE === undefined || scalarText(idE.value) === undefined) report(item.pos, 'error', 'invalid-related', "a 'related' item needs an 'id'");
    const type = typeE === undefined ? undefined : scalarText(typeE.value);
    if (type === undefined || !RELATED_TYPES.includes(type)) {
      report(typeE?.value.pos ?? item.pos, 'error', 'invalid-related', `a 'related' item's type must be one of ${RELATED_TYPES.join(', ')}`);
    }
    for (const extra of item.entries) {
      if (extra.key !== 'id' && extra.key !== 'type') report(extra.keyPos, 'warning', 'unknown-key', `'related' items have only id and type; '${extra.key}' is ignored`);
    }
  }
}

/** The logsource (B1): a map with at least one of category/product/service, lower-case values. */
function validateLogsource(node: YamlMap, report: Report): SigmaLogsource | undefined {
  const e = entryOf(node, 'logsource');
  if (e === undefined) {
    report(node.pos, 'error', 'missing-logsource', "the document has no 'logsource'");
    return undefined;
  }
  if (e.value.kind !== 'map') {
    report(e.value.pos, 'error', 'invalid-logsource', "'logsource' must be a map (category, product, service)");
    return undefined;
  }
  const out: { category?: string; product?: string; service?: string } = {};
  let ok = true;
  for (const attr of ['category', 'product', 'service'] as const) {
    const a = entryOf(e.value, attr);
    if (a === undefined) continue;
    const t = scalarText(a.value);
    if (t === undefined) {
      report(a.value.pos, 'error', 'invalid-logsource', `logsource '${attr}' must be a string`);
      ok = false;
      continue;
    }
    const lower = t.toLowerCase();
    if (!LOGSOURCE_VALUE.test(lower)) report(a.value.pos, 'warning', 'logsource-syntax', `logsource ${attr} '${t}' should be lower case with _ . - only`);
    else if (lower !== t) report(a.value.pos, 'warning', 'logsource-syntax', `logsource ${attr} '${t}' should be lower case; read as '${lower}'`);
    out[attr] = lower;
  }
  if (ok && out.category === undefined && out.product === undefined && out.service === undefined) {
    report(e.value.pos, 'error', 'invalid-logsource', "'logsource' needs at least one of category, product, service");
    return undefined;
  }
  return ok ? out : undefined;
}

/** The v1 aggregation syntax (A13, F10): `detection.timeframe` and `|` in a condition. */
function checkLegacyDetection(node: YamlMap, report: Report): void {
  const detection = entryOf(node, 'detection');
  if (detection === undefined || detection.value.kind !== 'map') return;
  const timeframe = entryOf(detection.value, 'timeframe');
  if (timeframe !== undefined) {
    report(timeframe.keyPos, 'error', 'use-correlation', "'detection.timeframe' is Sigma v1 aggregation syntax: rewrite the rule as a correlation rule (correlation: {type, rules, timespan, group-by, condition})");
  }
  const condition = entryOf(detection.value, 'condition');
  if (condition === undefined) return;
  const items = condition.value.kind === 'seq' ? condition.value.items : [condition.value];
  for (const item of items) {
    const t = scalarText(item);
    if (t !== undefined && t.includes('|')) {
      report(item.pos, 'error', 'use-correlation', `'${t.trim()}': the '|' aggregation was removed in Sigma v2: rewrite the rule as a correlation rule (e.g. event_count or value_count with group-by and timespan)`);
    }
  }
}

/** True when the condition uses v1 aggregation (then it is not handed to the condition parser). */
export function hasLegacyCondition(node: YamlMap): boolean {
  const detection = entryOf(node, 'detection');
  if (detection === undefined || detection.value.kind !== 'map') return false;
  if (entryOf(detection.value, 'timeframe') !== undefined) return true;
  const condition = entryOf(detection.value, 'condition');
  if (condition === undefined) return false;
  const items = condition.value.kind === 'seq' ? condition.value.items : [condition.value];
  return items.some((i) => scalarText(i)?.includes('|') === true);
}

function customFields(node: YamlMap): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const e of node.entries) if (!SIGMA_KEYS.has(e.key)) out[e.key] = toPlain(e.value);
  return out;
}
