import type { TSchema } from '@sinclair/typebox';
import type { Problem } from '../errors.js';

/**
 * Environment overrides: `WATCHPOST_` followed by the key path, each key in SCREAMING_SNAKE_CASE,
 * segments joined by a double underscore: `api.listen` ← `WATCHPOST_API__LISTEN`,
 * `dataDir` ← `WATCHPOST_DATA_DIR`, `elasticsearch.nodes` ← `WATCHPOST_ELASTICSEARCH__NODES`
 * (arrays comma-separated). Names under `WATCHPOST_TEST_` and `WATCHPOST_DEV_` belong to the test
 * harness and are ignored; any other unknown `WATCHPOST_` variable is reported, so a typo is not
 * silently ignored.
 */
export const ENV_PREFIX = 'WATCHPOST_';
const RESERVED_PREFIXES = ['WATCHPOST_TEST_', 'WATCHPOST_DEV_'];
/**
 * Variables that are not configuration but read on their own: the built-in blocklist feed's token
 * (cli/response.ts) and the API token `watchpost demo` uses.
 */
const NOT_CONFIG: ReadonlySet<string> = new Set(['WATCHPOST_FEED_TOKEN', 'WATCHPOST_TOKEN']);

/** One override found in the environment. */
export interface EnvOverride {
  readonly variable: string;
  readonly path: readonly string[];
  readonly value: unknown;
}

/** The environment variable that sets the key at `path`. */
export function envName(path: readonly string[]): string {
  return ENV_PREFIX + path.map((key) => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('__');
}

interface Leaf {
  readonly path: readonly string[];
  readonly schema: TSchema;
}

function leaves(schema: TSchema, path: readonly string[] = []): Leaf[] {
  const properties = (schema as { properties?: Record<string, TSchema> }).properties;
  if (schema.type === 'object' && properties) {
    return Object.entries(properties).flatMap(([key, child]) => leaves(child, [...path, key]));
  }
  return path.length > 0 ? [{ path, schema }] : [];
}

function coerce(text: string, schema: TSchema): unknown {
  switch (schema.type) {
    case 'integer':
    case 'number':
      return text.trim() === '' ? text : Number(text);
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'array':
      return text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0)
        .map((item) => coerce(item, (schema as unknown as { items: TSchema }).items));
    default:
      return text;
  }
}

/** Reads the overrides the schema allows from `env`, and reports unknown `WATCHPOST_` names. */
export function readEnvOverrides(
  schema: TSchema,
  env: Readonly<Record<string, string | undefined>>,
): { overrides: EnvOverride[]; problems: Problem[] } {
  const known = new Map(leaves(schema).map((leaf) => [envName(leaf.path), leaf]));
  const overrides: EnvOverride[] = [];
  const problems: Problem[] = [];
  for (const [variable, text] of Object.entries(env)) {
    if (!variable.startsWith(ENV_PREFIX) || text === undefined) continue;
    if (RESERVED_PREFIXES.some((prefix) => variable.startsWith(prefix)) || NOT_CONFIG.has(variable)) continue;
    const leaf = known.get(variable);
    if (!leaf) {
      problems.push({ message: `unknown environment variable ${variable}`, path: variable });
      continue;
    }
    overrides.push({ variable, path: leaf.path, value: coerce(text, leaf.schema) });
  }
  return { overrides, problems };
}
