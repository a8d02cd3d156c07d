/**
 * Builds the configured driver instances (`response.drivers`) from the driver types: each
 * instance's settings and credentials are checked against its type's schemas (defaults applied,
 * unknown keys refused), its secrets resolved from the environment or a file, and its type's
 * `create` called. Every problem is collected, located (`response.drivers[3].settings.table`)
 * and returned at once; a broken instance is left out and the others are built.
 *
 * Problems never carry a secret: they name the key, never the value, and messages that TypeBox
 * writes describe the expectation, not the value found.
 */
import { readFileSync } from 'node:fs';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { ResponseDriverConfig, SecretConfig } from '../../core/config/schema.js';
import { UserError, WatchpostError, type Problem } from '../../core/errors.js';
import type { Driver, DriverDependencies, DriverType } from './types.js';

/** Where the driver configs sit in the config file, for problem paths. */
const CONFIG_PATH = 'response.drivers';

/** The largest secret file read: secrets are keys and passwords, not documents. */
const MAX_SECRET_FILE_BYTES = 64 * 1024;

/** The drivers built, by instance id, and what was wrong with the configs left out. */
export interface BuiltDrivers {
  readonly drivers: ReadonlyMap<string, Driver>;
  readonly problems: Problem[];
}

/**
 * Resolves a secret of the config: the value itself, an environment variable (`{ env: NAME }`)
 * or a file (`{ file: /run/secrets/x }`, one trailing newline dropped, as `echo` writes it).
 * Throws a UserError (WATCHPOST_ERR_DRIVER_CONFIG) naming the variable or file, never the value.
 */
export function resolveSecret(secret: SecretConfig, env: NodeJS.ProcessEnv = process.env): string {
  if (typeof secret === 'string') return secret;
  if ('env' in secret) {
    const value = env[secret.env];
    if (value === undefined || value === '') {
      throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `environment variable ${secret.env} is not set or empty`);
    }
    return value;
  }
  let text: string;
  try {
    const buffer = readFileSync(secret.file);
    if (buffer.length > MAX_SECRET_FILE_BYTES) {
      throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `secret file ${secret.file} is larger than ${MAX_SECRET_FILE_BYTES} bytes`);
    }
    text = buffer.toString('utf8');
  } catch (error) {
    if (error instanceof WatchpostError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `cannot read secret file ${secret.file} (${code})`);
  }
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `secret file ${secret.file} is empty`);
  return value;
}

/**
 * Builds every enabled instance of `configs` whose type is in `types`. Disabled instances are
 * skipped without a word; an unknown type, a duplicate id, settings or credentials that do not fit
 * the type's schemas, an unreadable secret, or a `create` that throws a UserError each leave the
 * instance out with a problem. `create` must not touch the network (see {@link DriverType.create}),
 * so this runs offline, as `watchpost validate` needs.
 */
export function buildDrivers(
  configs: readonly ResponseDriverConfig[],
  types: readonly DriverType[],
  deps: DriverDependencies,
  env: NodeJS.ProcessEnv = process.env,
): BuiltDrivers {
  const byType = new Map(types.map((type) => [type.type, type]));
  const drivers = new Map<string, Driver>();
  const problems: Problem[] = [];
  const seen = new Set<string>();
  configs.forEach((config, index) => {
    const at = `${CONFIG_PATH}[${index}]`;
    if (seen.has(config.id)) {
      problems.push({ path: `${at}.id`, message: `driver id "${config.id}" is used by an earlier driver; ids must be unique` });
      return;
    }
    seen.add(config.id);
    if (config.enabled === false) return;
    const type = byType.get(config.type);
    if (!type) {
      const known = [...byType.keys()].join(', ') || 'none';
      problems.push({ path: `${at}.type`, message: `unknown driver type "${config.type}" (known: ${known})` });
      return;
    }
    const found: Problem[] = [];
    const settings = checked(type.settings, config.settings ?? {}, `${at}.settings`, found);
    const resolved: Record<string, string> = {};
    for (const [key, secret] of Object.entries(config.credentials ?? {})) {
      try {
        resolved[key] = resolveSecret(secret, env);
      } catch (error) {
        found.push({ path: `${at}.credentials.${key}`, message: (error as Error).message });
      }
    }
    // Only checked when every secret resolved, so a missing variable is one problem, not two.
    const credentials = found.some((p) => p.path?.startsWith(`${at}.credentials`)) ? undefined : checked(type.credentials, resolved, `${at}.credentials`, found);
    if (found.length > 0 || settings === undefined || credentials === undefined) {
      problems.push(...found);
      return;
    }
    try {
      const driver = type.create({ id: config.id, settings, credentials }, deps);
      drivers.set(config.id, driver);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      problems.push({ path: at, message: `driver ${config.id} (${config.type}): ${error.message}` });
    }
  });
  return { drivers, problems };
}

/**
 * `value` with the schema's defaults, when it fits the schema; otherwise undefined, with one
 * problem per offending path (TypeBox lists several errors for one bad union member).
 */
function checked<T>(schema: TSchema, value: unknown, at: string, problems: Problem[]): T | undefined {
  const withDefaults: unknown = Value.Default(schema, Value.Clone(value));
  let ok = true;
  const paths = new Set<string>();
  for (const error of Value.Errors(schema, withDefaults)) {
    ok = false;
    const path = `${at}${pointerToPath(error.path)}`;
    if (paths.has(path)) continue;
    paths.add(path);
    // TypeBox's messages state the expectation ("Expected string"), never the value: safe for secrets.
    problems.push({ path, message: error.message });
  }
  return ok ? (withDefaults as T) : undefined;
}

/** `/hosts/0/name` → `.hosts[0].name`. */
function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
    .join('');
}
