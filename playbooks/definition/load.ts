/**
 * Loads playbooks from YAML: parse (YAML 1.2, positions kept), validate (shape by schema, then
 * actions, drivers, inputs, templates, conditions, approval and durations by hand), freeze. Every
 * problem is reported with its file:line:col, all at once; a playbook with a problem is left out
 * and the others load, so one typo never stops automated response as a whole.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TObject, TSchema } from '@sinclair/typebox';
import { Value, type ValueError } from '@sinclair/typebox/value';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document } from 'yaml';
import { deepFreeze } from '../../core/config/load.js';
import type { Severity } from '../../core/cases/types.js';
import type { Problem, SourceLocation } from '../../core/errors.js';
import { ACTIONS, isActionId } from '../actions/definitions.js';
import type { ActionId } from '../actions/types.js';
import { readCondition, type Report } from './condition.js';
import { formatDuration, parseDuration } from './duration.js';
import { MAX_STEPS, PlaybookSchema } from './schema.js';
import { checkTemplate, hasTemplate, templatePaths } from './template.js';
import type { ApprovalPolicy, Condition, Playbook, PlaybookStep, PlaybookTrigger } from './types.js';

/** A playbook file larger than this is refused unread. */
export const MAX_PLAYBOOK_FILE_BYTES = 1024 * 1024;
/** Playbooks (YAML documents) in one file at most. */
export const MAX_PLAYBOOKS_PER_FILE = 100;
/** Playbook files read from one directory at most. */
export const MAX_FILES_PER_DIR = 1000;
/** Aliases expanded per document: defeats "billion laughs" alias bombs. */
const MAX_ALIAS_COUNT = 100;

/** A step's `timeout:` lies between these. */
const MIN_TIMEOUT_MS = 1000;
const MAX_TIMEOUT_MS = 3_600_000;
/** A block's `duration:` lies between these (the action schemas allow 366 days; safety caps it further). */
const MIN_BLOCK_DURATION_MS = 60_000;
const MAX_BLOCK_DURATION_MS = 366 * 86_400_000;

/** A configured driver instance, as far as the loader needs it: to check `drivers:` names. */
export interface DriverRef {
  readonly id: string;
  readonly type: string;
  readonly actions: readonly ActionId[];
}

/** Where playbooks come from. */
export interface LoadPlaybooksOptions {
  /**
   * Directories read in order (the shipped playbooks/ first, then `response.playbookDirs`); only
   * the `*.yml` and `*.yaml` files directly inside each, not sub-directories. A playbook whose id
   * an earlier directory already had replaces it (see {@link LoadedPlaybooks.replaced}).
   */
  readonly dirs: readonly string[];
  /**
   * The configured driver instances; when given, every name in a step's `drivers:` must be one of
   * them and serve the step's action. Absent: names are not checked.
   */
  readonly drivers?: readonly DriverRef[];
  /** Ids loaded with `enabled: false` (`response.disabledPlaybooks`). */
  readonly disabled?: readonly string[];
}

/** A playbook that a later directory's playbook of the same id replaced. */
export interface ReplacedPlaybook {
  readonly id: string;
  readonly source: Playbook['source'];
  readonly by: Playbook['source'];
}

/** What loading found. */
export interface LoadedPlaybooks {
  /** The valid playbooks, deep-frozen, in directory and file order. */
  readonly playbooks: readonly Playbook[];
  /** Every problem, located; each disabled the playbook it is in (or the file). */
  readonly problems: readonly Problem[];
  /** Intentional replacements across directories: not problems, but worth a line in `validate`. */
  readonly replaced: readonly ReplacedPlaybook[];
}

/** Options of {@link parsePlaybooks}. */
export interface ParsePlaybooksOptions {
  readonly drivers?: readonly DriverRef[];
}

/** A document of a file: its playbook when valid, and the id it claims even when broken. */
interface ParsedDocument {
  readonly playbook?: Playbook;
  readonly id?: string;
  readonly source: Playbook['source'];
}

/**
 * Loads every playbook of the directories. Never throws for bad files: unreadable directories and
 * files, YAML errors, oversized files and invalid playbooks are all problems. Within one directory
 * an id must be unique (the later one is a problem and left out); a later directory replaces an
 * earlier one's playbook of the same id on purpose — even with a broken one, so an operator's
 * override that fails to load never silently brings back the playbook it meant to replace.
 */
export function loadPlaybooks(options: LoadPlaybooksOptions): LoadedPlaybooks {
  const problems: Problem[] = [];
  const replaced: ReplacedPlaybook[] = [];
  /** id → the playbook (undefined: claimed by a broken one) and where it came from. */
  const byId = new Map<string, { playbook?: Playbook; source: Playbook['source']; dir: number }>();
  options.dirs.forEach((dir, dirIndex) => {
    for (const file of playbookFiles(dir, problems)) {
      for (const parsed of readPlaybookFile(file, options, problems)) {
        if (parsed.id === undefined) continue;
        const earlier = byId.get(parsed.id);
        if (earlier && earlier.dir === dirIndex) {
          if (parsed.playbook) {
            problems.push({
              message: `playbook id "${parsed.id}" is already used by ${earlier.source.file}:${earlier.source.line}; ids must be unique (this one is left out)`,
              path: 'id',
              location: { file: parsed.source.file, line: parsed.source.line, col: 1 },
            });
          }
          continue;
        }
        if (earlier) replaced.push({ id: parsed.id, source: earlier.source, by: parsed.source });
        byId.set(parsed.id, { ...(parsed.playbook ? { playbook: parsed.playbook } : {}), source: parsed.source, dir: dirIndex });
      }
    }
  });
  const disabled = new Set(options.disabled ?? []);
  for (const id of disabled) {
    if (!byId.has(id)) problems.push({ message: `response.disabledPlaybooks names "${id}", but no playbook has that id`, path: 'response.disabledPlaybooks' });
  }
  const playbooks: Playbook[] = [];
  for (const [id, entry] of byId) {
    if (!entry.playbook) continue;
    playbooks.push(disabled.has(id) && entry.playbook.enabled ? deepFreeze({ ...entry.playbook, enabled: false }) : entry.playbook);
  }
  return { playbooks, problems, replaced };
}

/** The playbook files of a directory, sorted by name; hidden files and sub-directories are skipped. */
function playbookFiles(dir: string, problems: Problem[]): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    problems.push({ message: `cannot read the playbook directory ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, location: { file: dir, line: 1, col: 1 } });
    return [];
  }
  const files = names
    .filter((name) => !name.startsWith('.') && /\.ya?ml$/.test(name))
    .sort()
    .map((name) => join(dir, name))
    .filter((file) => {
      try {
        return statSync(file).isFile();
      } catch {
        return false;
      }
    });
  if (files.length > MAX_FILES_PER_DIR) {
    problems.push({ message: `${files.length} playbook files; only the first ${MAX_FILES_PER_DIR} are read`, location: { file: dir, line: 1, col: 1 } });
    return files.slice(0, MAX_FILES_PER_DIR);
  }
  return files;
}

function readPlaybookFile(file: string, options: LoadPlaybooksOptions, problems: Problem[]): ParsedDocument[] {
  const at = { file, line: 1, col: 1 };
  try {
    const size = statSync(file).size;
    if (size > MAX_PLAYBOOK_FILE_BYTES) {
      problems.push({ message: `the file has ${size} bytes; playbook files are limited to ${MAX_PLAYBOOK_FILE_BYTES}`, location: at });
      return [];
    }
    return parseDocuments(readFileSync(file, 'utf8'), file, options.drivers, problems);
  } catch (error) {
    problems.push({ message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, location: at });
    return [];
  }
}

/**
 * Parses the playbooks of one YAML text (one per document, `---` between them): for the API's
 * upload and validate, and for tests. Ids must be unique within the text.
 */
export function parsePlaybooks(text: string, file: string, options: ParsePlaybooksOptions = {}): LoadedPlaybooks {
  const problems: Problem[] = [];
  const size = Buffer.byteLength(text, 'utf8');
  if (size > MAX_PLAYBOOK_FILE_BYTES) {
    return { playbooks: [], problems: [{ message: `the text has ${size} bytes; playbook files are limited to ${MAX_PLAYBOOK_FILE_BYTES}`, location: { file, line: 1, col: 1 } }], replaced: [] };
  }
  const playbooks: Playbook[] = [];
  const seen = new Map<string, Playbook['source']>();
  for (const parsed of parseDocuments(text, file, options.drivers, problems)) {
    if (parsed.id === undefined) continue;
    const earlier = seen.get(parsed.id);
    if (earlier) {
      problems.push({ message: `playbook id "${parsed.id}" is already used on line ${earlier.line}; ids must be unique`, path: 'id', location: { file, line: parsed.source.line, col: 1 } });
      continue;
    }
    seen.set(parsed.id, parsed.source);
    if (parsed.playbook) playbooks.push(parsed.playbook);
  }
  return { playbooks, problems, replaced: [] };
}

function parseDocuments(text: string, file: string, drivers: readonly DriverRef[] | undefined, problems: Problem[]): ParsedDocument[] {
  const lines = new LineCounter();
  const documents = parseAllDocuments(text, { version: '1.2', lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const locate = (offset: number): SourceLocation => {
    const { line, col } = lines.linePos(offset);
    return { file, line, col };
  };
  const out: ParsedDocument[] = [];
  let count = 0;
  for (const document of Array.isArray(documents) ? documents : [documents]) {
    if (document.errors.length > 0) {
      for (const error of document.errors) problems.push({ message: error.message.split('\n')[0] ?? error.message, location: locate(error.pos[0]) });
      continue;
    }
    if (document.contents === null || (isScalar(document.contents) && document.contents.value === null)) continue;
    count += 1;
    if (count > MAX_PLAYBOOKS_PER_FILE) {
      problems.push({ message: `more than ${MAX_PLAYBOOKS_PER_FILE} playbooks in one file; the rest are left out`, location: locate(document.contents.range?.[0] ?? 0) });
      break;
    }
    out.push(new DocumentReader(document, locate, drivers, problems).read());
  }
  return out;
}

type PathSegment = string | number;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** JSON Pointer (TypeBox error paths) to segments; array indexes become numbers. */
function segments(pointer: string): PathSegment[] {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function dotted(path: readonly PathSegment[]): string {
  return path.map(String).join('.');
}

/** Checks one YAML document and builds its playbook. */
class DocumentReader {
  private readonly problems: Problem[] = [];
  private readonly start: number;

  constructor(
    private readonly document: Document.Parsed,
    private readonly locate: (offset: number) => SourceLocation,
    private readonly drivers: readonly DriverRef[] | undefined,
    private readonly sink: Problem[],
  ) {
    this.start = document.contents?.range?.[0] ?? 0;
  }

  read(): ParsedDocument {
    const source = { file: this.locate(this.start).file, line: this.locate(this.start).line };
    let raw: unknown;
    try {
      raw = this.document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      this.report(`the YAML cannot be read: ${(error as Error).message}`, []);
      return this.finish({ source });
    }
    if (!isRecord(raw)) {
      this.report('a playbook must be a map of keys (id, title, trigger, steps, ...)', []);
      return this.finish({ source });
    }
    const id = typeof raw['id'] === 'string' && /^[a-z0-9][a-z0-9-]{0,62}$/.test(raw['id']) ? raw['id'] : undefined;
    const seen = new Set<string>();
    for (const error of Value.Errors(PlaybookSchema, raw)) {
      if (seen.has(error.path)) continue;
      seen.add(error.path);
      const path = segments(error.path);
      const unknown = error.message === 'Unexpected property';
      this.report(unknown ? `unknown key "${String(path[path.length - 1])}"${where(path)}` : `"${dotted(path)}" ${explain(error)}`, path, unknown);
    }
    const trigger = this.readTrigger(raw['trigger']);
    const steps = this.readSteps(raw['steps']);
    if (this.problems.length > 0 || trigger === undefined || steps === undefined) return this.finish({ ...(id !== undefined ? { id } : {}), source });
    const playbook: Playbook = {
      id: raw['id'] as string,
      title: raw['title'] as string,
      ...(raw['description'] !== undefined ? { description: raw['description'] as string } : {}),
      ...(raw['author'] !== undefined ? { author: raw['author'] as string } : {}),
      enabled: (raw['enabled'] as boolean | undefined) ?? true,
      dryRun: (raw['dryRun'] as boolean | undefined) ?? false,
      trigger,
      steps,
      source,
    };
    return this.finish({ id: playbook.id, playbook: deepFreeze(playbook), source });
  }

  private finish(parsed: ParsedDocument): ParsedDocument {
    const position = (problem: Problem): number => (problem.location?.line ?? 0) * 100_000 + (problem.location?.col ?? 0);
    this.sink.push(...[...this.problems].sort((a, b) => position(a) - position(b)));
    return parsed;
  }

  /** Reports at the node of `path` (its key when `atKey`), or the nearest parent that exists. */
  private readonly report: Report = (message, path, atKey = false) => {
    this.problems.push({ message, ...(path.length > 0 ? { path: dotted(path) } : {}), location: this.locate(this.offset(path, atKey)) });
  };

  private offset(path: readonly PathSegment[], atKey: boolean): number {
    let node: unknown = this.document.contents;
    let offset = this.start;
    for (let index = 0; index < path.length; index += 1) {
      if (isAlias(node)) node = node.resolve(this.document);
      const segment = path[index] as PathSegment;
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
        if (!pair) return offset;
        const last = index === path.length - 1;
        const keyRange = (pair.key as { range?: [number, number, number] }).range;
        const valueRange = (pair.value as { range?: [number, number, number] } | null)?.range;
        if (last && (atKey || !valueRange || pair.value === null || (isScalar(pair.value) && pair.value.source === '' && pair.value.value === null))) return keyRange?.[0] ?? offset;
        node = pair.value;
        offset = valueRange?.[0] ?? keyRange?.[0] ?? offset;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment] as { range?: [number, number, number] } | undefined;
        if (!item) return offset;
        node = item;
        offset = item.range?.[0] ?? offset;
      } else {
        return offset;
      }
    }
    return offset;
  }

  private readTrigger(raw: unknown): PlaybookTrigger | undefined {
    if (!isRecord(raw)) return undefined;
    const on = raw['on'];
    if (on === 'incident' && raw['rules'] !== undefined) {
      this.report('"rules" applies to alert triggers only (an incident has no rule): use tags, minSeverity or when', ['trigger', 'rules'], true);
    }
    let when: Condition | undefined;
    if (raw['when'] !== undefined) {
      // At trigger time only the alert (or the incident) exists: no run, no steps.
      const roots = on === 'alert' || on === 'incident' ? [on] : ['alert', 'incident'];
      when = readCondition(raw['when'], ['trigger', 'when'], this.report, roots);
    }
    if (on !== 'alert' && on !== 'incident') return undefined;
    return {
      on,
      ...(Array.isArray(raw['rules']) ? { rules: raw['rules'] as string[] } : {}),
      ...(Array.isArray(raw['tags']) ? { tags: raw['tags'] as string[] } : {}),
      ...(typeof raw['minSeverity'] === 'string' ? { minSeverity: raw['minSeverity'] as Severity } : {}),
      ...(when !== undefined ? { when } : {}),
    };
  }

  private readSteps(raw: unknown): PlaybookStep[] | undefined {
    if (!Array.isArray(raw)) return undefined;
    const ids = new Map<string, number>();
    const steps = raw.slice(0, MAX_STEPS).map((step, index) => {
      const id = isRecord(step) && typeof step['id'] === 'string' ? step['id'] : undefined;
      const earlier = [...ids.keys()];
      if (id !== undefined) {
        const first = ids.get(id);
        if (first !== undefined) this.report(`step id "${id}" is already used by step ${first + 1}; step ids must be unique in a playbook`, ['steps', index, 'id']);
        else ids.set(id, index);
      }
      return this.readStep(step, index, earlier);
    });
    return steps.every((step): step is PlaybookStep => step !== undefined) ? steps : undefined;
  }

  private readStep(raw: unknown, index: number, earlierSteps: readonly string[]): PlaybookStep | undefined {
    if (!isRecord(raw)) return undefined;
    const at: PathSegment[] = ['steps', index];
    const before = this.problems.length;
    const action = typeof raw['action'] === 'string' ? raw['action'] : undefined;
    if (action !== undefined && !isActionId(action)) {
      this.report(`unknown action "${action}"; the actions are ${Object.keys(ACTIONS).join(', ')}`, [...at, 'action']);
    }
    const known = action !== undefined && isActionId(action) ? action : undefined;
    const inputs = isRecord(raw['with']) ? raw['with'] : raw['with'] === undefined ? {} : undefined;
    const rendered = known !== undefined && inputs !== undefined ? this.readInputs(known, inputs, at, raw['with'] !== undefined, earlierSteps) : undefined;
    if (known !== undefined && Array.isArray(raw['drivers'])) this.checkDrivers(known, raw['drivers'], at);
    const approval = this.readApproval(raw['approval'], at, earlierSteps);
    const when = raw['when'] === undefined ? undefined : readCondition(raw['when'], [...at, 'when'], this.report);
    if (when !== undefined) this.checkStepRefs(conditionFields(when), [...at, 'when'], earlierSteps);
    const timeoutMs = this.readDuration(raw['timeout'], [...at, 'timeout'], MIN_TIMEOUT_MS, MAX_TIMEOUT_MS);
    if (this.problems.length > before || known === undefined || rendered === undefined || approval === undefined) return undefined;
    return {
      id: raw['id'] as string,
      action: known,
      with: rendered,
      ...(Array.isArray(raw['drivers']) ? { drivers: raw['drivers'] as string[] } : {}),
      approval,
      ...(when !== undefined ? { when } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      dryRun: (raw['dryRun'] as boolean | undefined) ?? false,
      continueOnError: (raw['continueOnError'] as boolean | undefined) ?? false,
    };
  }

  /**
   * Checks `with:` against the action's input schema: known keys, required ones present,
   * literal values valid, every string a valid template. `duration:` (actions that keep a block)
   * becomes `ttlSeconds`, the TTL the step asks for; safety caps it.
   */
  private readInputs(action: ActionId, inputs: Record<string, unknown>, at: PathSegment[], written: boolean, earlierSteps: readonly string[]): Record<string, unknown> | undefined {
    const schema = ACTIONS[action].input as TObject;
    const properties = schema.properties as Record<string, TSchema>;
    const blocks = ACTIONS[action].blockKind !== undefined;
    const out: Record<string, unknown> = {};
    let ok = true;
    const fail = (message: string, path: PathSegment[], atKey = false): void => {
      this.report(message, path, atKey);
      ok = false;
    };
    for (const [key, value] of Object.entries(inputs)) {
      const path = [...at, 'with', key];
      if (blocks && key === 'duration') {
        const ms = this.readDuration(value, path, MIN_BLOCK_DURATION_MS, MAX_BLOCK_DURATION_MS);
        if (ms === undefined) ok = false;
        else out['ttlSeconds'] = Math.floor(ms / 1000);
        continue;
      }
      if (blocks && key === 'ttlSeconds') {
        fail(`"ttlSeconds" is set by the runner from the safety policy; write duration: 4h to ask for a shorter block`, path, true);
        continue;
      }
      if (!Object.hasOwn(properties, key)) {
        const allowed = [...Object.keys(properties).filter((name) => !(blocks && name === 'ttlSeconds')), ...(blocks ? ['duration'] : [])];
        fail(`unknown input "${key}" of action ${action}; it takes ${allowed.join(', ')}`, path, true);
        continue;
      }
      if (!this.checkTemplates(value, path, earlierSteps)) {
        ok = false;
        continue;
      }
      if (!containsTemplate(value)) {
        const error = Value.Errors(properties[key] as TSchema, value).First();
        if (error !== undefined) fail(`input "${key}" of action ${action} ${explain(error)}`, [...path, ...segments(error.path)]);
      }
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    }
    for (const name of schema.required ?? []) {
      if (name === 'ttlSeconds' || Object.hasOwn(inputs, name)) continue;
      fail(`action ${action} needs the input "${name}" under with:`, written ? [...at, 'with'] : at, written);
    }
    return ok ? out : undefined;
  }

  /** Checks every string of a `with:` value as a template; false when one is bad. */
  private checkTemplates(value: unknown, path: PathSegment[], earlierSteps: readonly string[], depth = 0): boolean {
    if (depth > 16) {
      this.report('with: nests deeper than 16 levels', path);
      return false;
    }
    if (typeof value === 'string') {
      const problems = checkTemplate(value);
      for (const problem of problems) this.report(problem.message, path);
      return problems.length === 0 && this.checkStepRefs(templatePaths(value), path, earlierSteps);
    }
    if (Array.isArray(value)) return value.map((item, index) => this.checkTemplates(item, [...path, index], earlierSteps, depth + 1)).every(Boolean);
    if (isRecord(value)) return Object.entries(value).map(([key, item]) => this.checkTemplates(item, [...path, key], earlierSteps, depth + 1)).every(Boolean);
    return true;
  }

  /** `steps.<id>` may only name a step that runs before this one. */
  private checkStepRefs(paths: readonly string[], at: PathSegment[], earlierSteps: readonly string[]): boolean {
    let ok = true;
    for (const path of paths) {
      const [root, step] = path.split('.');
      if (root !== 'steps' || step === undefined || earlierSteps.includes(step)) continue;
      this.report(`"${path}" reads step "${step}", which is not an earlier step of this playbook${earlierSteps.length > 0 ? ` (earlier steps: ${earlierSteps.join(', ')})` : ''}`, at);
      ok = false;
    }
    return ok;
  }

  private checkDrivers(action: ActionId, names: readonly unknown[], at: PathSegment[]): void {
    const seen = new Set<string>();
    names.forEach((name, index) => {
      if (typeof name !== 'string') return;
      const path = [...at, 'drivers', index];
      if (seen.has(name)) this.report(`driver "${name}" is named twice`, path);
      seen.add(name);
      if (this.drivers === undefined) return;
      const driver = this.drivers.find((candidate) => candidate.id === name);
      if (!driver) {
        const ids = this.drivers.map((candidate) => candidate.id);
        this.report(`driver "${name}" is not configured (response.drivers has ${ids.length > 0 ? ids.join(', ') : 'none'})`, path);
      } else if (!driver.actions.includes(action)) {
        this.report(`driver "${name}" (type ${driver.type}) does not serve ${action}; it serves ${driver.actions.length > 0 ? driver.actions.join(', ') : 'nothing known'}`, path);
      }
    });
  }

  private readApproval(raw: unknown, at: PathSegment[], earlierSteps: readonly string[]): ApprovalPolicy | undefined {
    if (raw === undefined || raw === 'auto') return 'auto';
    if (raw === 'required') return 'required';
    const path = [...at, 'approval'];
    if (isRecord(raw) && Object.keys(raw).length === 1 && raw['requiredIf'] !== undefined) {
      const condition = readCondition(raw['requiredIf'], [...path, 'requiredIf'], this.report);
      if (condition === undefined) return undefined;
      if (!this.checkStepRefs(conditionFields(condition), [...path, 'requiredIf'], earlierSteps)) return undefined;
      return { requiredIf: condition };
    }
    this.report(`"approval" must be auto, required, or requiredIf: <condition>; got ${preview(raw, 60)}`, path);
    return undefined;
  }

  private readDuration(raw: unknown, path: PathSegment[], min: number, max: number): number | undefined {
    if (raw === undefined) return undefined;
    const ms = typeof raw === 'string' ? parseDuration(raw) : undefined;
    const key = String(path[path.length - 1]);
    if (ms === undefined) {
      this.report(`"${key}" must be a duration such as 30s, 5m or 4h (not templated), got ${preview(raw, 40)}`, path);
      return undefined;
    }
    if (ms < min || ms > max) {
      this.report(`"${key}" must lie between ${formatDuration(min)} and ${formatDuration(max)}, got ${preview(raw, 40)}`, path);
      return undefined;
    }
    return ms;
  }
}

/** Where an unknown key was, for its message ("in trigger", "in step 2"). */
function where(path: readonly PathSegment[]): string {
  if (path.length <= 1) return '';
  if (path[0] === 'steps' && typeof path[1] === 'number') return path.length === 3 ? ` in step ${path[1] + 1}` : ` in step ${path[1] + 1} (${dotted(path.slice(2, -1))})`;
  return ` in ${dotted(path.slice(0, -1))}`;
}

/** A value for a message: JSON, cut short. */
function preview(value: unknown, length: number): string {
  return (JSON.stringify(value) ?? 'undefined').slice(0, length);
}

function containsTemplate(value: unknown): boolean {
  if (typeof value === 'string') return hasTemplate(value);
  if (Array.isArray(value)) return value.some(containsTemplate);
  if (isRecord(value)) return Object.values(value).some(containsTemplate);
  return false;
}

/** Every field path a condition reads. */
function conditionFields(condition: Condition): string[] {
  if ('all' in condition) return condition.all.flatMap(conditionFields);
  if ('any' in condition) return condition.any.flatMap(conditionFields);
  if ('not' in condition) return conditionFields(condition.not);
  return [condition.field];
}

/** A TypeBox error in words for playbook authors. */
function explain(error: ValueError): string {
  const schema = error.schema as TSchema & { anyOf?: { const?: unknown }[]; pattern?: string; description?: string; minItems?: number; maxItems?: number; minLength?: number; maxLength?: number };
  if (error.message === 'Expected required property') return 'is required';
  if (schema.anyOf && schema.anyOf.every((option) => option.const !== undefined)) {
    return `must be one of ${schema.anyOf.map((option) => JSON.stringify(option.const)).join(', ')}, got ${JSON.stringify(error.value)}`;
  }
  if (schema.pattern && typeof error.value === 'string') return `has an invalid value ${JSON.stringify(error.value.slice(0, 80))}${schema.description ? ` (expected ${schema.description})` : ''}`;
  if (Array.isArray(error.value) && schema.minItems !== undefined && error.value.length < schema.minItems) return schema.minItems === 1 ? 'must not be empty' : `needs at least ${schema.minItems} items`;
  if (Array.isArray(error.value) && schema.maxItems !== undefined && error.value.length > schema.maxItems) return `has ${error.value.length} items; at most ${schema.maxItems} are allowed`;
  if (typeof error.value === 'string' && schema.maxLength !== undefined && error.value.length > schema.maxLength) return `is ${error.value.length} characters long; at most ${schema.maxLength} are allowed`;
  if (typeof error.value === 'string' && schema.minLength !== undefined && error.value.length < schema.minLength) return 'must not be empty';
  return `${error.message.charAt(0).toLowerCase()}${error.message.slice(1)}, got ${JSON.stringify(error.value)?.slice(0, 80) ?? String(error.value)}`;
}

