import type { TSchema } from '@sinclair/typebox';
import { ACTIONS } from './definitions.js';
import { DRIVER_TYPES } from './index.js';
import type { DriverType } from './types.js';

interface Row {
  readonly key: string;
  readonly type: string;
  readonly required: boolean;
  readonly defaultValue: string;
  readonly description: string;
}

function typeOf(schema: TSchema): string {
  const options = (schema as { anyOf?: TSchema[] }).anyOf;
  if (options) return options.map((option) => (option.const !== undefined ? JSON.stringify(option.const) : typeOf(option))).join(' \\| ');
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.type === 'array') {
    const item = typeOf((schema as unknown as { items: TSchema }).items);
    return item.includes(' ') ? `(${item})[]` : `${item}[]`;
  }
  if (schema.type === 'object' && !(schema as { properties?: unknown }).properties) return 'map';
  return String(schema.type ?? 'any');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** Flattens an object schema to rows of dotted keys (nested objects expanded). */
function rows(schema: TSchema, path: readonly string[] = [], required = true): Row[] {
  const properties = (schema as { properties?: Record<string, TSchema> }).properties;
  if (schema.type === 'object' && properties) {
    const needed = new Set((schema as { required?: string[] }).required ?? []);
    return Object.entries(properties).flatMap(([key, child]) => rows(child, [...path, key], required && needed.has(key)));
  }
  return [
    {
      key: path.join('.'),
      type: typeOf(schema),
      required: required && schema.default === undefined,
      defaultValue: schema.default === undefined ? '' : `\`${cell(JSON.stringify(schema.default))}\``,
      description: cell(String(schema.description ?? '')),
    },
  ];
}

function table(schema: TSchema): string[] {
  const list = rows(schema);
  if (list.length === 0 || (list.length === 1 && list[0]?.key === '')) return ['(none)', ''];
  return ['| key | type | required | default | description |', '|---|---|---|---|---|', ...list.map((r) => `| \`${r.key}\` | ${r.type} | ${r.required ? 'yes' : ''} | ${r.defaultValue} | ${r.description} |`), ''];
}

function driverSection(driver: DriverType): string[] {
  return [
    `### \`${driver.type}\``,
    '',
    cell(driver.description),
    '',
    `Actions: ${driver.actions.map((a) => `\`${a}\``).join(', ')}.`,
    '',
    '**settings**',
    '',
    ...table(driver.settings),
    '**credentials** (secrets: a value, `{ env: NAME }` or `{ file: path }`; never logged or returned)',
    '',
    ...table(driver.credentials),
  ];
}

/**
 * Renders docs/drivers.md from the action input schemas and every driver type's settings and
 * credentials schemas; `npm run docs:drivers` writes it and a test keeps the two in step.
 */
export function renderDriversDoc(): string {
  return [
    '# Response actions and drivers',
    '',
    'A playbook step names an action; the action is carried out by every enabled driver instance',
    'configured for it in `response.drivers` (or the instances the step names). Each instance has an',
    '`id`, a `type` from this page, `settings` and `credentials`:',
    '',
    '```yaml',
    'response:',
    '  drivers:',
    '    - id: edge',
    '      type: nftables',
    '      settings: { hooks: [input, forward] }',
    '    - id: mail',
    '      type: smtp',
    '      settings: { host: smtp.example.org, port: 587, requireTLS: true, from: watchpost@example.org, to: [soc@example.org] }',
    '      credentials: { user: watchpost, password: { env: SMTP_PASSWORD } }',
    '```',
    '',
    '`watchpost actions list` prints the same from the running build; `watchpost validate` checks every',
    "instance against its type's schemas. Generated from the schemas in `playbooks/actions/` by",
    '`npm run docs:drivers`.',
    '',
    '## Actions',
    '',
    ...Object.values(ACTIONS).flatMap((action) => [
      `### \`${action.id}\``,
      '',
      cell(action.description) + (action.undoneBy ? ` Undone by \`${action.undoneBy}\` when its TTL ends.` : ''),
      '',
      ...table(action.input),
    ]),
    '## Driver types',
    '',
    ...DRIVER_TYPES.flatMap(driverSection),
  ].join('\n');
}
