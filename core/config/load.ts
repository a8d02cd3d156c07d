import { readFileSync } from 'node:fs';
import type { TSchema } from '@sinclair/typebox';
import { Value, type ValueError } from '@sinclair/typebox/value';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { UserError, type Problem, type SourceLocation } from '../errors.js';
import { readEnvOverrides, type EnvOverride } from './env.js';
import { ConfigSchema, type Config } from './schema.js';

/** Where configuration comes from. */
export interface LoadConfigInput {
  /** A YAML file; without one, defaults and the environment make the config. */
  readonly file?: string;
  /** YAML text instead of a file (tests); `file` then only names it in messages. */
  readonly text?: string;
  /** @defaultValue process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Applied last, above the file and the environment (command-line flags such as --data-dir). */
  readonly overrides?: readonly { readonly path: readonly string[]; readonly value: unknown }[];
}

/**
 * Parses, validates and freezes the configuration: YAML file, then WATCHPOST_* environment
 * overrides, then command-line overrides; defaults filled; unknown keys, wrong types and missing
 * values all reported together, each with its file:line:col (or the environment variable).
 * Throws UserError WATCHPOST_ERR_CONFIG_READ, _PARSE or _INVALID.
 */
export function loadConfig(input: LoadConfigInput = {}): Readonly<Config> {
  const file = input.file ?? '<config>';
  let text = input.text;
  if (text === undefined && input.file !== undefined) {
    try {
      text = readFileSync(input.file, 'utf8');
    } catch (error) {
      throw new UserError('WATCHPOST_ERR_CONFIG_READ', `cannot read configuration file ${input.file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text ?? '', { lineCounter, uniqueKeys: true, prettyErrors: false });
  const locate = (offset: number): SourceLocation => {
    const position = lineCounter.linePos(offset);
    return { file, line: position.line, col: position.col };
  };
  if (document.errors.length > 0) {
    const problems = document.errors.map((error) => ({ message: error.message.split('\n')[0] ?? error.message, location: locate(error.pos[0]) }));
    throw new UserError('WATCHPOST_ERR_CONFIG_PARSE', summarize('is not valid YAML', file, problems), { problems });
  }
  const raw: unknown = document.toJS() ?? {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    const problems = [{ message: 'the configuration must be a mapping of keys to values', location: locate(0) }];
    throw new UserError('WATCHPOST_ERR_CONFIG_INVALID', summarize('is invalid', file, problems), { problems });
  }

  const { overrides: envOverrides, problems: envProblems } = readEnvOverrides(ConfigSchema, input.env ?? process.env);
  const fromEnv = new Map<string, EnvOverride>();
  const value = raw as Record<string, unknown>;
  for (const override of envOverrides) {
    setPath(value, override.path, override.value);
    fromEnv.set(override.path.join('/'), override);
  }
  for (const override of input.overrides ?? []) setPath(value, override.path, override.value);

  const withDefaults = Value.Default(ConfigSchema, value) as Record<string, unknown>;
  const problems: Problem[] = [...envProblems];
  const seen = new Set<string>();
  for (const error of Value.Errors(ConfigSchema, withDefaults)) {
    if (seen.has(error.path)) continue;
    seen.add(error.path);
    problems.push(describe(error, document, locate, fromEnv));
  }
  problems.push(...crossChecks(withDefaults as Config, document, locate));
  if (problems.length > 0) {
    throw new UserError('WATCHPOST_ERR_CONFIG_INVALID', summarize('is invalid', file, problems), { problems });
  }
  return deepFreeze(withDefaults as Config);
}

function summarize(what: string, file: string, problems: readonly Problem[]): string {
  return `configuration ${file} ${what}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  path.slice(0, -1).forEach((key) => {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  });
  node[path[path.length - 1] as string] = value;
}

function segments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The position of a key (for unknown keys) or its value (for bad values) in the YAML document. */
function position(document: Document, path: readonly string[], atKey: boolean): number | undefined {
  for (let depth = path.length; depth > 0; depth--) {
    const parent = depth === 1 ? document.contents : document.getIn(path.slice(0, depth - 1), true);
    if (!isMap(parent)) continue;
    const key = path[depth - 1];
    const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === key);
    if (!pair) {
      // A missing key: point at its parent mapping.
      if (depth === path.length) return parent.range?.[0];
      continue;
    }
    const node = atKey || depth < path.length ? pair.key : pair.value;
    const range = (node as { range?: [number, number, number] } | null)?.range;
    if (range) return range[0];
  }
  return undefined;
}

function describe(
  error: ValueError,
  document: Document,
  locate: (offset: number) => SourceLocation,
  fromEnv: ReadonlyMap<string, EnvOverride>,
): Problem {
  const path = segments(error.path);
  const dotted = path.join('.');
  const unknown = error.message === 'Unexpected property';
  const message = unknown ? `unknown key "${dotted}"` : `"${dotted}" ${explain(error)}`;
  const env = fromEnv.get(path.join('/'));
  if (env) return { message: `${message} (from environment variable ${env.variable})`, path: dotted };
  const offset = position(document, path, unknown);
  return offset === undefined ? { message, path: dotted } : { message, path: dotted, location: locate(offset) };
}

function explain(error: ValueError): string {
  const schema = error.schema as TSchema & { anyOf?: { const?: unknown }[]; pattern?: string; description?: string };
  if (error.message === 'Expected required property') return 'is required';
  if (schema.anyOf && schema.anyOf.every((option) => option.const !== undefined)) {
    return `must be one of ${schema.anyOf.map((option) => JSON.stringify(option.const)).join(', ')}, got ${JSON.stringify(error.value)}`;
  }
  if (schema.pattern && typeof error.value === 'string') {
    return `has an invalid value ${JSON.stringify(error.value)}${schema.description ? ` (expected ${schema.description})` : ''}`;
  }
  return `${error.message.charAt(0).toLowerCase()}${error.message.slice(1)}, got ${JSON.stringify(error.value)}`;
}

/** Rules one key's schema cannot express: a backend choice needs its connection settings. */
function crossChecks(config: Config, document: Document, locate: (offset: number) => SourceLocation): Problem[] {
  const problems: Problem[] = [];
  const need = (concern: keyof Config['backends'], section: 'elasticsearch' | 'redis'): void => {
    if (config.backends[concern] !== section || config[section] !== undefined) return;
    const offset = position(document, ['backends', concern], false);
    problems.push({
      message: `"backends.${concern}" is ${section} but the "${section}" section is missing`,
      path: `backends.${concern}`,
      ...(offset === undefined ? {} : { location: locate(offset) }),
    });
  };
  need('events', 'elasticsearch');
  need('cases', 'elasticsearch');
  need('queue', 'redis');
  need('correlation', 'redis');
  return problems;
}

/** Freezes an object graph so no component can change configuration after load. */
export function deepFreeze<T>(value: T): Readonly<T> {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}

/** The JSON Schema of the configuration, for `watchpost config schema` and editor completion. */
export function configJsonSchema(): TSchema {
  return ConfigSchema;
}
