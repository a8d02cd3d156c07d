import type { TSchema } from '@sinclair/typebox';
import { envName } from './env.js';
import { ConfigSchema } from './schema.js';

interface Row {
  readonly key: string;
  readonly type: string;
  readonly defaultValue: string;
  readonly env: string;
  readonly description: string;
}

function typeOf(schema: TSchema): string {
  const anyOf = (schema as { anyOf?: { const?: unknown }[] }).anyOf;
  if (anyOf) return anyOf.map((option) => JSON.stringify(option.const)).join(' \\| ');
  if (schema.type === 'array') return `${typeOf((schema as unknown as { items: TSchema }).items)}[]`;
  return String(schema.type ?? 'any');
}

function rows(schema: TSchema, path: readonly string[] = []): Row[] {
  const properties = (schema as { properties?: Record<string, TSchema> }).properties;
  if (schema.type === 'object' && properties) return Object.entries(properties).flatMap(([key, child]) => rows(child, [...path, key]));
  return [
    {
      key: path.join('.'),
      type: typeOf(schema),
      defaultValue: schema.default === undefined ? '' : `\`${JSON.stringify(schema.default)}\``,
      env: `\`${envName(path)}\``,
      description: String(schema.description ?? ''),
    },
  ];
}

/** Renders docs/configuration.md from the schema; `npm run docs:config` writes it and a test keeps the two in step. */
export function renderConfigDoc(): string {
  const lines = [
    '# Configuration',
    '',
    'One YAML file (`--config <file>`), then `WATCHPOST_*` environment variables, then command-line',
    'flags (`--data-dir`, `--api-listen`, `--log-level`), each overriding the one before. Unknown keys are',
    'errors, reported with their file:line:col; `watchpost validate --config <file>` checks a file without',
    'starting anything. Environment names: `WATCHPOST_` plus the key path in SCREAMING_SNAKE_CASE with `__`',
    'between levels; arrays are comma-separated. Sections `elasticsearch` and `redis` are required only',
    'when a backend uses them. Generated from `core/config/schema.ts` by `npm run docs:config`.',
    '',
    '| key | type | default | environment | description |',
    '|---|---|---|---|---|',
    ...rows(ConfigSchema).map((row) => `| \`${row.key}\` | ${row.type} | ${row.defaultValue} | ${row.env} | ${row.description} |`),
    '',
  ];
  return lines.join('\n');
}
