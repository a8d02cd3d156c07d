import { isAbsolute, relative, sep } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import type { CustomRule } from '../../../core/cases/types.js';
import type { CatalogEntry } from '../../../engine/rules/index.js';
import type { RuleProblem } from '../../../engine/sigma/index.js';

const Levels = ['informational', 'low', 'medium', 'high', 'critical'] as const;
const Statuses = ['stable', 'test', 'experimental', 'deprecated', 'unsupported'] as const;
const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((value) => Type.Literal(value)));

export const LevelSchema = literals(Levels);
export const StatusSchema = literals(Statuses);
export const KindSchema = literals(['detection', 'correlation'] as const);
export const OriginSchema = literals(['shipped', 'config', 'custom'] as const);

/** A rule key as a path parameter (URL-encoded when it holds `/` or `#`). */
export const KeyParams = Type.Object({ key: Type.String({ minLength: 1, maxLength: 1024 }) }, { additionalProperties: false });

/** An uploaded file's id. */
export const CustomId = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[a-z0-9][a-z0-9_-]*$',
  description: 'Lower-case letters, digits, `-` and `_`; the file loads as `custom/<id>.yml`.',
});
export const CustomIdParams = Type.Object({ id: CustomId }, { additionalProperties: false });

/** One problem of a rule file, located. */
export const ProblemView = Type.Object({
  file: Type.String(),
  line: Type.Integer(),
  col: Type.Integer(),
  severity: literals(['error', 'warning'] as const),
  code: Type.String(),
  message: Type.String(),
  rule: Type.Optional(Type.String()),
});

const Logsource = Type.Object({ category: Type.Optional(Type.String()), product: Type.Optional(Type.String()), service: Type.Optional(Type.String()) });

/** A rule in a list. */
export const RuleSummary = Type.Object({
  key: Type.String({ description: 'The rule id, else its name, else `<file>#<document>`: what alerts carry.' }),
  id: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  title: Type.String(),
  level: LevelSchema,
  status: Type.Optional(StatusSchema),
  author: Type.Optional(Type.String()),
  tags: Type.Array(Type.String()),
  logsource: Type.Optional(Logsource),
  kind: KindSchema,
  origin: OriginSchema,
  customId: Type.Optional(Type.String({ description: 'The uploaded file it comes from (origin custom).' })),
  file: Type.String(),
  line: Type.Integer(),
  enabled: Type.Boolean({ description: 'Its own switch.' }),
  switchedBy: literals(['api', 'config', 'default'] as const),
  active: Type.Boolean({ description: 'Whether ingest runs it: enabled, and for a correlation every rule it needs is active.' }),
});
export type RuleSummary = Static<typeof RuleSummary>;

/** One rule in full. */
export const RuleDetail = Type.Composite([
  RuleSummary,
  Type.Object({
    description: Type.Optional(Type.String()),
    references: Type.Array(Type.String()),
    falsepositives: Type.Array(Type.String()),
    fields: Type.Array(Type.String()),
    pipeline: Type.Optional(Type.String()),
    filtersApplied: Type.Array(Type.String()),
    filter: Type.Optional(Type.Unknown({ description: 'The compiled filter (core/query/filter.ts AST) of a detection rule.' })),
    kql: Type.Optional(Type.String({ description: 'The filter as KQL, when KQL can say it.' })),
    correlation: Type.Optional(
      Type.Object({
        type: Type.String(),
        rules: Type.Array(Type.String()),
        groupBy: Type.Array(Type.String()),
        timespanMs: Type.Number(),
        condition: Type.Record(Type.String(), Type.Unknown()),
        generate: Type.Boolean(),
      }),
    ),
    source: Type.String({ description: 'The YAML of the file the rule is in.' }),
    problems: Type.Array(ProblemView, { description: 'Warnings of the rule (a rule with an error does not load).' }),
  }),
]);
export type RuleDetail = Static<typeof RuleDetail>;

/** An uploaded rule file. */
export const CustomRuleView = Type.Object({
  id: Type.String(),
  file: Type.String(),
  title: Type.String(),
  keys: Type.Array(Type.String()),
  createdBy: Type.String(),
  updatedBy: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  text: Type.Optional(Type.String()),
});
export type CustomRuleView = Static<typeof CustomRuleView>;

/** The path of a rule file as the API shows it: relative to `root` when inside it. */
export function displayFile(file: string, root: string | undefined): string {
  if (root === undefined || !isAbsolute(file)) return file;
  const rel = relative(root, file);
  return rel.startsWith('..') || isAbsolute(rel) ? file : rel.split(sep).join('/');
}

export function toProblemView(problem: RuleProblem, root: string | undefined): Static<typeof ProblemView> {
  return {
    file: displayFile(problem.file, root),
    line: problem.line,
    col: problem.col,
    severity: problem.severity,
    code: problem.code,
    message: problem.message,
    ...(problem.rule !== undefined ? { rule: problem.rule } : {}),
  };
}

export function toRuleSummary(entry: CatalogEntry, root: string | undefined): RuleSummary {
  const rule = entry.rule;
  return {
    key: rule.key,
    ...(rule.id !== undefined ? { id: rule.id } : {}),
    ...(rule.name !== undefined ? { name: rule.name } : {}),
    title: rule.title,
    level: rule.level,
    ...(rule.status !== undefined ? { status: rule.status } : {}),
    ...(rule.author !== undefined ? { author: rule.author } : {}),
    tags: [...rule.tags],
    ...(rule.kind === 'detection' ? { logsource: { ...rule.logsource } } : {}),
    kind: rule.kind,
    origin: entry.origin,
    ...(entry.customId !== undefined ? { customId: entry.customId } : {}),
    file: displayFile(rule.source.file, root),
    line: rule.source.line,
    enabled: entry.enabled,
    switchedBy: entry.switchedBy,
    active: entry.active,
  };
}

export function toCustomRuleView(record: CustomRule, withText: boolean): CustomRuleView {
  return {
    id: record.id,
    file: `custom/${record.id}.yml`,
    title: record.title,
    keys: [...record.keys],
    createdBy: record.createdBy,
    updatedBy: record.updatedBy,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    ...(withText ? { text: record.text } : {}),
  };
}
