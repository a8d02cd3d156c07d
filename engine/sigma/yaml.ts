/**
 * Rule files as YAML 1.1, the way pySigma (PyYAML) reads them, with a 1-based position on every
 * node so each problem can point at file:line:col (checklist A1, C20).
 *
 * The `yaml` package does the parsing (documents, quoting, block scalars, anchors, duplicate
 * keys) with its failsafe schema, so every scalar arrives as the text it denotes; plain scalars
 * are then typed here by PyYAML's resolver expressions, because the package's own YAML 1.1 schema
 * differs from PyYAML where rules notice it (`00000429` and `1e3` become numbers there, strings in
 * PyYAML). Quoted and block scalars are always strings.
 */
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Document, Scalar } from 'yaml';
import type { RuleProblem, SourcePosition, YamlValue } from './types.js';

/** A rule file larger than this is refused unread: no SigmaHQ rule comes near it. */
export const MAX_RULE_FILE_BYTES = 1024 * 1024;
/** Nodes visited per document, aliases counted each time they are used (defeats alias bombs). */
export const MAX_YAML_NODES = 100_000;

// PyYAML's implicit resolvers (resolver.py), written out because no JS library types scalars
// the way PyYAML does.
const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const NULL = /^(?:~|null|Null|NULL|)$/;

/**
 * Types the text of a plain (unquoted) scalar as PyYAML does: null, boolean, integer (binary,
 * octal with a leading 0, hex, base 60 with colons), float (a dot is required; an exponent needs
 * a sign) or else the string itself. Timestamps stay strings. An integer beyond 2^53 stays its
 * text, so no digit is silently changed.
 */
export function typePlainScalar(text: string): string | number | boolean | null {
  if (NULL.test(text)) return null;
  if (BOOL.test(text)) return TRUE.test(text);
  if (INT.test(text)) return parseYamlInt(text);
  if (FLOAT.test(text)) return parseYamlFloat(text);
  return text;
}

function parseYamlInt(text: string): number | string {
  let digits = text.replace(/_/g, '');
  let sign = 1;
  if (digits.startsWith('-') || digits.startsWith('+')) {
    if (digits.startsWith('-')) sign = -1;
    digits = digits.slice(1);
  }
  let value: number;
  if (digits === '0') value = 0;
  else if (digits.startsWith('0b')) value = parseInt(digits.slice(2), 2);
  else if (digits.startsWith('0x')) value = parseInt(digits.slice(2), 16);
  else if (digits.startsWith('0')) value = parseInt(digits, 8);
  else if (digits.includes(':')) value = digits.split(':').reduce((sum, part) => sum * 60 + Number(part), 0);
  else value = Number(digits);
  return Number.isSafeInteger(value) ? sign * value : text;
}

function parseYamlFloat(text: string): number {
  let digits = text.replace(/_/g, '').toLowerCase();
  let sign = 1;
  if (digits.startsWith('-') || digits.startsWith('+')) {
    if (digits.startsWith('-')) sign = -1;
    digits = digits.slice(1);
  }
  if (digits === '.inf') return sign * Infinity;
  if (digits === '.nan') return NaN;
  if (digits.includes(':')) return sign * digits.split(':').reduce((sum, part) => sum * 60 + Number(part), 0);
  return sign * Number(digits);
}

/** Appends a problem to `problems`; the one way every module of the Sigma compiler reports. */
export function report(
  problems: RuleProblem[],
  severity: RuleProblem['severity'],
  code: string,
  message: string,
  pos: SourcePosition,
  rule?: string,
): void {
  problems.push({ file: pos.file, line: pos.line, col: pos.col, severity, code, message, ...(rule === undefined ? {} : { rule }) });
}

/** The YAML kind of a value, for messages ("expected a map, found a list"). */
export function describeYaml(value: YamlValue): string {
  if (value.kind === 'map') return 'a map';
  if (value.kind === 'seq') return 'a list';
  if (value.value === null) return 'null';
  return typeof value.value === 'string' ? 'a string' : `a ${typeof value.value}`;
}

/**
 * Parses every YAML document of a rule file. Documents with a YAML error are left out of `docs`
 * (their errors are in `problems`), so one broken document does not hide the others; empty
 * documents (a trailing `---`) are left out silently.
 */
export function parseYamlDocuments(text: string, file: string): { docs: YamlValue[]; problems: RuleProblem[] } {
  const problems: RuleProblem[] = [];
  const size = Buffer.byteLength(text, 'utf8');
  if (size > MAX_RULE_FILE_BYTES) {
    report(problems, 'error', 'file-too-large', `the file has ${size} bytes; rule files are limited to ${MAX_RULE_FILE_BYTES}`, { file, line: 1, col: 1 });
    return { docs: [], problems };
  }
  const lines = new LineCounter();
  const documents = parseAllDocuments(text, { version: '1.1', schema: 'failsafe', lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const docs: YamlValue[] = [];
  const position = (offset: number): SourcePosition => {
    const { line, col } = lines.linePos(offset);
    return { file, line, col };
  };
  for (const document of Array.isArray(documents) ? documents : [documents]) {
    for (const error of document.errors) {
      const code = error.code === 'DUPLICATE_KEY' ? 'duplicate-key' : 'yaml-syntax';
      report(problems, 'error', code, firstLine(error.message), position(error.pos[0]));
    }
    if (document.errors.length > 0 || document.contents === null) continue;
    if (isScalar(document.contents) && document.contents.type === 'PLAIN' && document.contents.value === '') continue;
    const converted = new Converter(document, position, problems).convert(document.contents);
    if (converted !== undefined) docs.push(converted);
  }
  return { docs, problems };
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/** Turns the package's nodes into {@link YamlValue}s, typing plain scalars and resolving aliases. */
class Converter {
  private visited = 0;
  private failed = false;

  constructor(
    private readonly document: Document.Parsed,
    private readonly position: (offset: number) => SourcePosition,
    private readonly problems: RuleProblem[],
  ) {}

  convert(node: unknown): YamlValue | undefined {
    const value = this.node(node, 0);
    return this.failed ? undefined : value;
  }

  private node(node: unknown, depth: number): YamlValue {
    this.visited += 1;
    if ((this.visited > MAX_YAML_NODES || depth > 64) && !this.failed) {
      this.failed = true;
      const at = (node as { range?: [number] }).range?.[0] ?? 0;
      report(this.problems, 'error', 'yaml-too-large', `the document has more than ${MAX_YAML_NODES} nodes or nests deeper than 64 levels`, this.position(at));
    }
    if (this.failed) return { kind: 'scalar', value: null, quoted: false, raw: '', pos: this.position(0) };
    if (isAlias(node)) return this.node(node.resolve(this.document), depth + 1);
    if (isScalar(node)) return this.scalar(node);
    if (isMap(node)) {
      const entries: { key: string; keyPos: SourcePosition; value: YamlValue }[] = [];
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isAlias(pair.key) ? pair.key.resolve(this.document) : pair.key;
        const keyPos = this.position(rangeOf(key) ?? rangeOf(node) ?? 0);
        if (!isScalar(key)) {
          report(this.problems, 'error', 'yaml-syntax', 'map keys must be plain strings', keyPos);
          this.failed = true;
          continue;
        }
        const value: YamlValue =
          pair.value === null || pair.value === undefined
            ? { kind: 'scalar', value: null, quoted: false, raw: '', pos: keyPos }
            : this.node(pair.value, depth + 1);
        entries.push({ key: String(key.value), keyPos, value });
      }
      return { kind: 'map', entries, pos: this.position(rangeOf(node) ?? 0) };
    }
    if (isSeq(node)) {
      const items = node.items.map((item) =>
        item === null ? ({ kind: 'scalar', value: null, quoted: false, raw: '', pos: this.position(rangeOf(node) ?? 0) } as const) : this.node(item, depth + 1),
      );
      return { kind: 'seq', items, pos: this.position(rangeOf(node) ?? 0) };
    }
    // Unreachable with the failsafe schema; a null scalar keeps the walk total.
    return { kind: 'scalar', value: null, quoted: false, raw: '', pos: this.position(rangeOf(node) ?? 0) };
  }

  private scalar(node: Scalar): YamlValue {
    const raw = String(node.value);
    const pos = this.position(rangeOf(node) ?? 0);
    const tag = node.tag;
    // An explicit standard tag decides the type; the failsafe schema only reports it as unresolved.
    if (tag === 'tag:yaml.org,2002:str') return { kind: 'scalar', value: raw, quoted: true, raw, pos };
    if (node.type === 'PLAIN' || (tag !== undefined && /^tag:yaml\.org,2002:(int|float|bool|null)$/.test(tag))) {
      return { kind: 'scalar', value: typePlainScalar(raw), quoted: false, raw, pos };
    }
    return { kind: 'scalar', value: raw, quoted: true, raw, pos };
  }
}

function rangeOf(node: unknown): number | undefined {
  return (node as { range?: readonly number[] } | null)?.range?.[0];
}

/** The scalar's string form when it is a string (or a number/boolean written plain); undefined for null and collections. */
export function scalarString(value: YamlValue): string | undefined {
  if (value.kind !== 'scalar' || value.value === null) return undefined;
  return typeof value.value === 'string' ? value.value : value.raw;
}

/** Used by tests and the loader: the plain JS value of a node (maps as objects, positions dropped). */
export function toPlain(value: YamlValue): unknown {
  if (value.kind === 'scalar') return value.value;
  if (value.kind === 'seq') return value.items.map(toPlain);
  const out: Record<string, unknown> = {};
  for (const entry of value.entries) out[entry.key] = toPlain(entry.value);
  return out;
}

