import type { Command } from 'commander';
import { actionCatalogue, type ActionCatalogue, type FieldSummary } from '../../api/routes/actions/catalogue.js';
import { writeOut } from './options.js';

/** `name*` for a required field, `name` otherwise, with its type: `address* (string)`. */
function fieldList(fields: readonly FieldSummary[]): string {
  if (fields.length === 0) return '-';
  return fields.map((field) => `${field.name}${field.required ? '*' : ''} (${field.type})`).join(', ');
}

/** One line: whitespace runs (a line break in a description) become one space. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * The catalogue as text: every action with its input fields (`*` required), what undoes it and
 * the driver types serving it; then every driver type with its actions, settings and the names of
 * the credentials it takes.
 */
export function actionsText(catalogue: ActionCatalogue): string {
  const lines: string[] = ['ACTIONS'];
  const width = Math.max(...catalogue.actions.map((a) => a.id.length), ...catalogue.driverTypes.map((t) => t.type.length));
  for (const action of catalogue.actions) {
    lines.push(`${action.id.padEnd(width)}  ${oneLine(action.description)}`);
    lines.push(`  input: ${fieldList(action.fields)}`);
    if (action.undoneBy !== undefined) lines.push(`  undone by: ${action.undoneBy} (at the block's expiry, or on release)`);
    lines.push(`  drivers: ${action.driverTypes.join(', ') || '-'}`);
  }
  lines.push('', 'DRIVER TYPES');
  if (catalogue.driverTypes.length === 0) lines.push('(none registered)');
  for (const type of catalogue.driverTypes) {
    lines.push(`${type.type.padEnd(width)}  ${oneLine(type.description)}`);
    lines.push(`  actions: ${type.actions.join(', ')}`);
    lines.push(`  settings: ${fieldList(type.settingFields)}`);
    lines.push(`  credentials: ${fieldList(type.credentials)}`);
  }
  return lines.join('\n') + '\n';
}

/** Registers `watchpost actions list`. */
export function registerActionsCommand(program: Command): void {
  const actions = program.command('actions').description('the response actions and the driver types that carry them out');
  actions
    .command('list')
    .description('print every action with its input fields and drivers, and every driver type with its actions, settings and credential names')
    .option('--json', 'one JSON object per line (NDJSON): {kind: "action", ...} then {kind: "driver", ...}, with the JSON Schemas')
    .action(async (options: { json?: boolean }) => {
      const catalogue = actionCatalogue();
      if (!options.json) {
        await writeOut(actionsText(catalogue));
        return;
      }
      const rows = [...catalogue.actions.map((action) => ({ kind: 'action', ...action })), ...catalogue.driverTypes.map((type) => ({ kind: 'driver', ...type }))];
      for (const row of rows) if (!(await writeOut(JSON.stringify(row) + '\n'))) return;
    });
}
