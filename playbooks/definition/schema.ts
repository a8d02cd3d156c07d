/**
 * The shape of a playbook file, as TypeBox schemas: keys, types and limits. What a schema cannot
 * say well (conditions, approval, durations, templates, actions and drivers) `load.ts` checks by
 * hand, with messages written for playbook authors; those keys are `Unknown` here.
 */
import { Type } from '@sinclair/typebox';
import { SEVERITIES } from '../../core/cases/types.js';

/** Steps in one playbook at most. */
export const MAX_STEPS = 50;

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'lower-case letters, digits and -, at most 63 characters' });

export const StepSchema = Type.Object(
  {
    id: Id,
    action: Type.String({ minLength: 1, maxLength: 64 }),
    with: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    drivers: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 64 })),
    approval: Type.Optional(Type.Unknown()),
    when: Type.Optional(Type.Unknown()),
    timeout: Type.Optional(Type.Unknown()),
    dryRun: Type.Optional(Type.Boolean()),
    continueOnError: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const TriggerSchema = Type.Object(
  {
    on: Type.Union([Type.Literal('alert'), Type.Literal('incident')]),
    rules: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { minItems: 1, maxItems: 1000 })),
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { minItems: 1, maxItems: 1000 })),
    minSeverity: Type.Optional(Type.Union(SEVERITIES.map((severity) => Type.Literal(severity)))),
    when: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

export const PlaybookSchema = Type.Object(
  {
    id: Id,
    title: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 4000 })),
    author: Type.Optional(Type.String({ maxLength: 200 })),
    enabled: Type.Optional(Type.Boolean()),
    dryRun: Type.Optional(Type.Boolean()),
    trigger: TriggerSchema,
    steps: Type.Array(StepSchema, { minItems: 1, maxItems: MAX_STEPS }),
  },
  { additionalProperties: false },
);
