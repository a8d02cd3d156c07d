/**
 * The rule loader: rule files (detection rules, correlations, meta-filters, several documents a
 * file) → one frozen {@link RuleSet}. Every document is validated and compiled; one with an error
 * is disabled and reported (and so is every correlation that needs it) while the others load;
 * every problem of every document is collected with file:line:col, none stops the load.
 */
import type { Dirent } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { conditionToFilter } from './condition.js';
import { parseCorrelation, resolveCorrelations } from './correlation-rule.js';
import type { CorrelationDraft } from './correlation-rule.js';
import { compileDetection } from './detection.js';
import { documentKey, documentTitle, hasLegacyCondition, problemAt, validateDocument } from './document.js';
import type { DocumentKind, SigmaDocument } from './document.js';
import { applyMetaFilters, parseMetaFilter } from './meta-filter.js';
import type { FilterableRule, FilterDraft } from './meta-filter.js';
import { PASS_THROUGH_MAPPER, createLogsourceResolver, loadPipelines, selectPipeline, pipelineMapper } from './pipeline.js';
import type { Pipeline } from './pipeline.js';
import type { CompiledDetection, DetectionRule, DisabledRule, FieldMapper, RuleProblem, RuleSet, SourcePosition } from './types.js';
import { MAX_RULE_FILE_BYTES, parseYamlDocuments } from './yaml.js';

/** Options of {@link loadRuleSet}. */
export interface LoadRuleSetOptions {
  /** Rule files and directories (walked recursively for `*.yml`/`*.yaml`, in name order). */
  readonly paths: readonly string[];
  /** Directory of pipeline files (rules/pipelines); ignored when `pipelines` is given. */
  readonly pipelinesDir?: string;
  /** Pipelines already loaded (see loadPipelines). @defaultValue none: field names as written */
  readonly pipelines?: readonly Pipeline[];
  /** Files or directories to leave out (e.g. rules/sigmahq/unsupported); `pipelinesDir` always is. */
  readonly exclude?: readonly string[];
}

/** At most this many rule files are read in one load. */
export const MAX_RULE_FILES = 20_000;
/** At most this many bytes of rule files are read in one load. */
export const MAX_RULE_BYTES = 128 * 1024 * 1024;
/** Directories nest at most this deep below a given path. */
export const MAX_DIRECTORY_DEPTH = 32;

/** A rule file's text, read. */
export interface RuleText {
  readonly file: string;
  readonly text: string;
}

/**
 * Loads every rule file under `paths`, with the pipelines of `pipelines` or `pipelinesDir`.
 * Never throws for bad content: unreadable paths and broken rules are problems in the result.
 */
export async function loadRuleSet(options: LoadRuleSetOptions): Promise<RuleSet> {
  const problems: RuleProblem[] = [];
  let pipelines: readonly Pipeline[] = options.pipelines ?? [];
  if (options.pipelines === undefined && options.pipelinesDir !== undefined) {
    try {
      const loaded = await loadPipelines(options.pipelinesDir);
      pipelines = loaded.pipelines;
      problems.push(...loaded.problems);
    } catch (err) {
      problems.push(problemAt(at(options.pipelinesDir), 'error', 'unreadable-path', `cannot read the pipelines directory: ${describe(err)}`));
    }
  }
  // Loading `rules/` as a whole must not read the pipelines as rules.
  const exclude = [...(options.exclude ?? []), ...(options.pipelinesDir === undefined ? [] : [options.pipelinesDir])];
  const texts = await readRuleFiles(options.paths, exclude, problems);
  return buildRuleSet(texts, pipelines, problems);
}

/** Loads rules from one text (tests, the API's rule validation); synchronous. */
export function loadRuleText(text: string, file: string, pipelines: readonly Pipeline[] = []): RuleSet {
  return buildRuleSet([{ file, text }], pipelines);
}

// ---------------------------------------------------------------------------------------------
// Files

function at(file: string): SourcePosition {
  return { file, line: 1, col: 1 };
}

function describe(err: unknown): string {
  return err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? err.message) : String(err);
}

function isRuleFileName(name: string): boolean {
  const ext = extname(name);
  if (ext !== '.yml' && ext !== '.yaml') return false;
  // Rule tests live next to their rules (docs/specs/rules.md) and are not rules.
  return !name.endsWith(`.tests${ext}`);
}

/**
 * Reads the rule files under `paths`: directories recursively in name order, hidden entries and
 * rule tests skipped, each real file and directory once (symbolic links followed, loops cut),
 * within the file-count, size and depth limits.
 */
export async function readRuleFiles(paths: readonly string[], exclude: readonly string[], problems: RuleProblem[]): Promise<RuleText[]> {
  const excluded = exclude.map((e) => resolve(e));
  const isExcluded = (p: string): boolean => excluded.some((e) => p === e || p.startsWith(e + sep));
  const seen = new Set<string>();
  const out: RuleText[] = [];
  let bytes = 0;
  let limitReported = false;
  const overLimit = (file: string): boolean => {
    if (out.length < MAX_RULE_FILES && bytes <= MAX_RULE_BYTES) return false;
    if (!limitReported) {
      problems.push(problemAt(at(file), 'error', 'too-many-rules', `the load stops at ${MAX_RULE_FILES} files or ${MAX_RULE_BYTES} bytes; the remaining files were not read`));
      limitReported = true;
    }
    return true;
  };

  const visit = async (path: string, depth: number, explicit: boolean): Promise<void> => {
    const absolute = resolve(path);
    if (isExcluded(absolute)) return;
    let real: string;
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      real = await realpath(absolute);
      info = await stat(real);
    } catch (err) {
      if (explicit) problems.push(problemAt(at(path), 'error', 'unreadable-path', `cannot read ${path}: ${describe(err)}`));
      return;
    }
    if (real !== absolute && isExcluded(real)) return;
    if (seen.has(real)) return;
    seen.add(real);
    if (info.isDirectory()) {
      if (depth > MAX_DIRECTORY_DEPTH) {
        problems.push(problemAt(at(path), 'warning', 'too-deep', `directories nest deeper than ${MAX_DIRECTORY_DEPTH} levels here; not read`));
        return;
      }
      let entries: Dirent[];
      try {
        entries = await readdir(real, { withFileTypes: true });
      } catch (err) {
        problems.push(problemAt(at(path), 'error', 'unreadable-path', `cannot list ${path}: ${describe(err)}`));
        return;
      }
      const names = entries.map((e) => e.name).filter((n) => !n.startsWith('.')).sort();
      for (const name of names) await visit(join(path, name), depth + 1, false);
      return;
    }
    if (!info.isFile() || (!explicit && !isRuleFileName(path))) return;
    if (overLimit(path)) return;
    if (info.size > MAX_RULE_FILE_BYTES) {
      problems.push(problemAt(at(path), 'error', 'file-too-large', `the file has ${info.size} bytes; rule files are limited to ${MAX_RULE_FILE_BYTES}`));
      return;
    }
    try {
      const text = await readFile(real, 'utf8');
      bytes += info.size;
      out.push({ file: path, text });
    } catch (err) {
      problems.push(problemAt(at(path), 'error', 'unreadable-path', `cannot read ${path}: ${describe(err)}`));
    }
  };
  for (const p of paths) await visit(p, 0, true);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Documents

/** One document of the load and what became of it. */
interface DocState {
  readonly file: string;
  readonly key: string;
  readonly title?: string;
  readonly kind?: DocumentKind;
  readonly doc?: SigmaDocument;
  readonly problems: RuleProblem[];
  mapper?: FieldMapper;
  pipeline?: string;
  detection?: CompiledDetection;
  filter?: FilterDraft;
  correlation?: CorrelationDraft;
}

const hasError = (problems: readonly RuleProblem[]): boolean => problems.some((p) => p.severity === 'error');

/**
 * Builds a RuleSet from rule texts already read; `problems` (file and pipeline problems found
 * before) are kept in the result.
 */
export function buildRuleSet(texts: readonly RuleText[], pipelines: readonly Pipeline[], problems: RuleProblem[] = []): RuleSet {
  const fileOrder = new Map<string, number>();
  const states: DocState[] = [];
  const fileProblems: RuleProblem[] = [...problems];
  const disabled: DisabledRule[] = [];

  for (const { file, text } of texts) {
    fileOrder.set(file, fileOrder.size);
    const parsed = parseYamlDocuments(text, file);
    if (parsed.problems.length > 0) {
      fileProblems.push(...parsed.problems);
      if (hasError(parsed.problems)) disabled.push({ file, problems: parsed.problems });
    }
    parsed.docs.forEach((node, i) => {
      const docProblems: RuleProblem[] = [];
      const doc = validateDocument(node, file, i + 1, docProblems);
      const title = documentTitle(node);
      states.push({
        file,
        key: documentKey(node, file, i + 1),
        ...(title === undefined ? {} : { title }),
        ...(doc === undefined ? {} : { doc, kind: doc.kind }),
        problems: docProblems,
      });
    });
  }

  const index = indexReferences(states);

  // Detection rules: map fields through the pipeline of the logsource, compile.
  for (const s of states) {
    const doc = s.doc;
    if (doc === undefined) continue;
    if (doc.kind === 'filter') {
      const draft = parseMetaFilter(doc, s.problems);
      if (draft !== undefined) s.filter = draft;
      continue;
    }
    if (doc.kind === 'correlation') {
      const draft = parseCorrelation(doc, s.problems);
      if (draft !== undefined) s.correlation = draft;
      continue;
    }
    const pipeline = doc.logsource === undefined ? undefined : selectPipeline(pipelines, doc.logsource);
    s.mapper = pipeline === undefined ? PASS_THROUGH_MAPPER : pipelineMapper(pipeline);
    if (pipeline !== undefined) s.pipeline = pipeline.name;
    else if (doc.logsource !== undefined) {
      const ls = Object.entries(doc.logsource).map(([k, v]) => `${k}: ${String(v)}`).join(', ');
      const pos = doc.node.entries.find((e) => e.key === 'logsource')?.keyPos ?? doc.node.pos;
      s.problems.push(problemAt(pos, 'warning', 'no-pipeline', `no pipeline serves logsource {${ls}}: field names are used as written`, s.key));
    }
    if (hasLegacyCondition(doc.node)) continue;
    const detectionNode = doc.node.entries.find((e) => e.key === 'detection')?.value;
    if (detectionNode === undefined) continue;
    const compiled = compileDetection(detectionNode, s.mapper, { file: s.file, rule: s.key }, s.problems);
    if (compiled !== undefined) s.detection = compiled;
  }

  // Meta-filters, applied to the detection rules that loaded.
  // A key names its first document: a later one with the same key is disabled (duplicate-key).
  const byKey = new Map<string, DocState>();
  for (const s of states) if (!byKey.has(s.key)) byKey.set(s.key, s);
  const filterable = new Map<DocState, FilterableRule>();
  for (const s of states) {
    if (s.kind !== 'detection' || s.detection === undefined || hasError(s.problems) || s.doc?.logsource === undefined) continue;
    filterable.set(s, { key: s.key, logsource: s.doc.logsource, mapper: s.mapper ?? PASS_THROUGH_MAPPER, detection: s.detection, filtersApplied: [] });
  }
  const filterDrafts = states.filter((s) => s.filter !== undefined && !hasError(s.problems)).map((s) => s.filter as FilterDraft);
  const filters = applyMetaFilters(filterDrafts, [...filterable.values()], {
    resolve: (ref) => resolveRef(index, ref),
    problemsOf: (key) => byKey.get(key)?.problems ?? fileProblems,
  });

  // Correlations, inner first; one needing a disabled rule is disabled.
  const correlationProblems: RuleProblem[] = [];
  const drafts = states.filter((s) => s.correlation !== undefined && !hasError(s.problems)).map((s) => s.correlation as CorrelationDraft);
  const correlations = resolveCorrelations(drafts, {
    resolve: (ref) => resolveRef(index, ref),
    mapperOf: (key) => byKey.get(key)?.mapper,
    isDisabled: (key) => {
      const s = byKey.get(key);
      return s === undefined || !filterable.has(s);
    },
  }, correlationProblems);
  for (const p of correlationProblems) (byKey.get(p.rule ?? '')?.problems ?? fileProblems).push(p);

  // Detection rules, final: the condition with its selections substituted.
  const rules: DetectionRule[] = [];
  for (const [s, f] of filterable) {
    if (hasError(s.problems)) continue;
    const doc = s.doc as SigmaDocument;
    const mapper = f.mapper;
    const fields: string[] = [];
    for (const name of doc.meta.fields) {
      const mapped = mapper.map(name);
      if (typeof mapped === 'string') {
        s.problems.push(problemAt(doc.meta.source, 'warning', 'unmapped-field', `fields: ${mapped}; shown as written`, s.key));
        fields.push(name);
      } else fields.push(...mapped);
    }
    const rule: DetectionRule = {
      ...doc.meta,
      fields: Object.freeze(fields),
      kind: 'detection',
      logsource: doc.logsource as NonNullable<SigmaDocument['logsource']>,
      detection: f.detection,
      filter: conditionToFilter(f.detection.condition, f.detection.selections),
      filtersApplied: Object.freeze([...f.filtersApplied]),
      ...(s.pipeline === undefined ? {} : { pipeline: s.pipeline }),
    };
    rules.push(deepFreeze(rule));
  }

  for (const s of states) {
    if (!hasError(s.problems)) continue;
    disabled.push({
      file: s.file,
      key: s.key,
      ...(s.title === undefined ? {} : { title: s.title }),
      problems: Object.freeze(dedupe(s.problems)),
    });
  }

  const all = dedupe([...fileProblems, ...states.flatMap((s) => s.problems)]);
  const order = (f: string): number => fileOrder.get(f) ?? -1;
  all.sort((a, b) => order(a.file) - order(b.file) || a.line - b.line || a.col - b.col);

  return Object.freeze({
    rules: Object.freeze(rules),
    correlations: Object.freeze(correlations.map(deepFreeze)),
    filters: Object.freeze(filters),
    disabled: Object.freeze(disabled),
    problems: Object.freeze(all),
    logsources: createLogsourceResolver(pipelines),
  });
}

/** References by id and by name; a duplicate id, name or key is an error on the later document. */
function indexReferences(states: readonly DocState[]): { ids: Map<string, DocState>; names: Map<string, DocState> } {
  const ids = new Map<string, DocState>();
  const names = new Map<string, DocState>();
  const keys = new Map<string, DocState>();
  for (const s of states) {
    const meta = s.doc?.meta;
    const where = meta?.source ?? at(s.file);
    const clash = (what: string, value: string, first: DocState): void => {
      s.problems.push(problemAt(where, 'error', `duplicate-${what}`, `${what} '${value}' is already used by ${first.file} (document ${first.title ?? first.key})`, s.key));
    };
    const firstKey = keys.get(s.key);
    if (firstKey !== undefined) clash('key', s.key, firstKey);
    else keys.set(s.key, s);
    if (meta?.id !== undefined) {
      const first = ids.get(meta.id);
      if (first !== undefined) {
        if (first !== firstKey) clash('id', meta.id, first);
      } else ids.set(meta.id, s);
    }
    if (meta?.name !== undefined) {
      const first = names.get(meta.name);
      if (first !== undefined) {
        if (first !== firstKey) clash('name', meta.name, first);
      } else names.set(meta.name, s);
    }
  }
  return { ids, names };
}

function resolveRef(index: { ids: Map<string, DocState>; names: Map<string, DocState> }, ref: string): { key: string; kind: DocumentKind; name?: string } | undefined {
  const s = index.ids.get(ref) ?? index.names.get(ref);
  if (s?.kind === undefined) return undefined;
  const name = s.doc?.meta.name;
  return { key: s.key, kind: s.kind, ...(name === undefined ? {} : { name }) };
}

function dedupe(problems: readonly RuleProblem[]): RuleProblem[] {
  const seen = new Set<string>();
  const out: RuleProblem[] = [];
  for (const p of problems) {
    const k = `${p.file}\u0000${p.line}\u0000${p.col}\u0000${p.code}\u0000${p.message}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(p);
  }
  return out;
}

/** Freezes a loaded rule and everything it holds (maps are left as they are, read-only by type). */
function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  if (value instanceof Map) {
    for (const v of value.values()) deepFreeze(v);
    return value;
  }
  for (const v of Object.values(value)) deepFreeze(v);
  return Object.freeze(value);
}
