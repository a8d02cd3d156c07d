import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { requireRole } from '../../plugins/require-role.js';
import { RESPONSE_ROLES } from '../response/common.js';
import type { DriverInstanceSummary } from '../response/operations.js';
import { actionCatalogue, type ActionCatalogue } from './catalogue.js';

/** Options of {@link actionsRoutes}. */
export interface ActionsRouteOptions {
  /** The driver instances of `response.drivers`. @defaultValue none configured */
  readonly drivers?: readonly DriverInstanceSummary[] | undefined;
  /** @defaultValue the registry of playbooks/actions/index.ts */
  readonly catalogue?: ActionCatalogue | undefined;
}

const TAGS = ['actions'];

const Field = Type.Object(
  { name: Type.String(), required: Type.Boolean(), type: Type.String(), description: Type.Optional(Type.String()) },
  { additionalProperties: false },
);

const ActionView = Type.Object(
  {
    id: Type.String(),
    description: Type.String(),
    input: Type.Unknown({ description: "The input's JSON Schema." }),
    fields: Type.Array(Field),
    undoneBy: Type.Optional(Type.String()),
    blockKind: Type.Optional(Type.String()),
    driverTypes: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);

const DriverTypeView = Type.Object(
  {
    type: Type.String(),
    description: Type.String(),
    actions: Type.Array(Type.String()),
    settings: Type.Unknown({ description: "The settings' JSON Schema." }),
    settingFields: Type.Array(Field),
    credentials: Type.Array(Field, { description: 'The secrets the driver takes, by name only: values are never returned.' }),
  },
  { additionalProperties: false },
);

const DriverInstanceView = Type.Object(
  { id: Type.String(), type: Type.String(), actions: Type.Array(Type.String()), enabled: Type.Boolean() },
  { additionalProperties: false },
);

/** The body of GET /api/v1/actions. */
export const ActionsResponse = Type.Object({
  actions: Type.Array(ActionView),
  driverTypes: Type.Array(DriverTypeView),
  drivers: Type.Array(DriverInstanceView, { description: 'The configured driver instances (response.drivers).' }),
});

/**
 * GET /api/v1/actions (viewers): what automated response can do here — every action with its
 * input schema, every driver type with its actions, settings schema and the names of its
 * credentials, and the configured driver instances (id, type, actions, enabled). No setting value
 * and no secret of an instance is ever part of the answer.
 */
export async function actionsRoutes(app: FastifyInstance, options: ActionsRouteOptions): Promise<void> {
  const catalogue = options.catalogue ?? actionCatalogue();
  const drivers = (options.drivers ?? []).map((driver) => ({ id: driver.id, type: driver.type, actions: [...driver.actions], enabled: driver.enabled }));
  app.get(
    '/api/v1/actions',
    {
      config: { roles: RESPONSE_ROLES.read },
      onRequest: requireRole(...RESPONSE_ROLES.read),
      schema: { summary: 'Actions, driver types and the configured driver instances', tags: TAGS, response: { 200: ActionsResponse } },
    },
    async () => ({ actions: catalogue.actions, driverTypes: catalogue.driverTypes, drivers }),
  );
}
