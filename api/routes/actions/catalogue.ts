/**
 * The catalogue of automated response: every action with its input, every driver type with the
 * actions it serves, its settings and the names of the credentials it takes. One description for
 * GET /api/v1/actions and `watchpost actions list`, built from the registry of
 * playbooks/actions/index.ts, so both show what the code ships and nothing else.
 */
import type { TSchema } from '@sinclair/typebox';
import { ACTIONS, DRIVER_TYPES, type ActionDefinition, type DriverType } from '../../../playbooks/actions/index.js';

/** One field of an object schema. */
export interface FieldSummary {
  readonly name: string;
  readonly required: boolean;
  /** The JSON Schema type (`string`, `integer`, ...), or `any` when the schema has none. */
  readonly type: string;
  readonly description?: string;
}

/** An action: what a playbook step may ask for. */
export interface ActionEntry {
  readonly id: string;
  readonly description: string;
  /** The input's JSON Schema. */
  readonly input: Readonly<Record<string, unknown>>;
  readonly fields: readonly FieldSummary[];
  /** The action that undoes this one (a block's undo, scheduled at its expiry). */
  readonly undoneBy?: string;
  /** Whether the action keeps a block record (`ip`, `account`). */
  readonly blockKind?: string;
  /** The driver types serving it. */
  readonly driverTypes: readonly string[];
}

/** A driver type: how an action is carried out on one kind of device or service. */
export interface DriverTypeEntry {
  readonly type: string;
  readonly description: string;
  readonly actions: readonly string[];
  /** The settings' JSON Schema. */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly settingFields: readonly FieldSummary[];
  /** The credentials it takes, by name: a schema of secrets, never a value. */
  readonly credentials: readonly FieldSummary[];
}

/** The whole catalogue. */
export interface ActionCatalogue {
  readonly actions: readonly ActionEntry[];
  readonly driverTypes: readonly DriverTypeEntry[];
}

/** The schema as plain JSON: TypeBox's symbol-keyed markers dropped, nothing shared with the registry. */
function plainSchema(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}

/** The top-level fields of an object schema, in declaration order; a field with a default is not required of the user. */
export function fieldsOf(schema: TSchema): FieldSummary[] {
  const properties = (schema as { properties?: Record<string, TSchema> }).properties ?? {};
  const required = new Set((schema as { required?: string[] }).required ?? []);
  return Object.entries(properties).map(([name, property]) => {
    const type = typeof property.type === 'string' ? property.type : Array.isArray(property.anyOf) ? 'enum' : 'any';
    return { name, required: required.has(name) && property.default === undefined, type, ...(typeof property.description === 'string' ? { description: property.description } : {}) };
  });
}

/** What the catalogue shows of a driver type: its credential schema only as names. */
export function driverTypeEntry(type: DriverType): DriverTypeEntry {
  return {
    type: type.type,
    description: type.description,
    actions: [...type.actions],
    settings: plainSchema(type.settings),
    settingFields: fieldsOf(type.settings),
    credentials: fieldsOf(type.credentials),
  };
}

function actionEntry(action: ActionDefinition, types: readonly DriverType[]): ActionEntry {
  return {
    id: action.id,
    description: action.description,
    input: plainSchema(action.input),
    fields: fieldsOf(action.input),
    ...(action.undoneBy !== undefined ? { undoneBy: action.undoneBy } : {}),
    ...(action.blockKind !== undefined ? { blockKind: action.blockKind } : {}),
    driverTypes: types.filter((type) => type.actions.includes(action.id)).map((type) => type.type),
  };
}

/**
 * The catalogue of the registry (or of the given actions and types, for tests): actions in the
 * registry's order, driver types in DRIVER_TYPES order.
 */
export function actionCatalogue(types: readonly DriverType[] = DRIVER_TYPES, actions: readonly ActionDefinition[] = Object.values(ACTIONS)): ActionCatalogue {
  return { actions: actions.map((action) => actionEntry(action, types)), driverTypes: types.map(driverTypeEntry) };
}
