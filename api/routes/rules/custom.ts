import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { CustomRule } from '../../../core/cases/types.js';
import type { Clock } from '../../../core/clock.js';
import { UserError } from '../../../core/errors.js';
import { randomId } from '../../../core/ids.js';
import type { CaseStore } from '../../../core/stores/case-store.js';
import { modify } from '../../../core/stores/modify.js';
import { customRuleFile, MAX_CUSTOM_RULE_BYTES, MAX_CUSTOM_RULES, validateCustomRule, type CustomRuleValidation } from '../../../engine/rules/index.js';
import type { RuleProblem } from '../../../engine/sigma/index.js';
import { requireRole } from '../../plugins/require-role.js';
import { recordAudit } from '../audit/record.js';
import type { CatalogSource } from './catalog-source.js';
import { principalOf, RESPONDER, TAGS, unavailable, VIEWER } from './common.js';
import { CustomId, CustomIdParams, CustomRuleView, ProblemView, toCustomRuleView, toProblemView } from './views.js';

/** Options of {@link customRulesRoutes}. */
export interface CustomRulesRouteOptions {
  readonly cases: CaseStore | undefined;
  readonly source: CatalogSource | undefined;
  readonly clock: Clock;
  readonly root: string | undefined;
}

/** The largest page of uploaded files. */
export const MAX_CUSTOM_PAGE = 200;

/** A request carrying a rule file: its JSON escaping may grow it, so allow four times the file limit. */
export const RULE_BODY_LIMIT = 4 * MAX_CUSTOM_RULE_BYTES;

/** The YAML text of a rule file. */
export const RuleYaml = Type.String({
  minLength: 1,
  maxLength: MAX_CUSTOM_RULE_BYTES,
  description: `Sigma YAML: one or more documents (rules, correlations, meta-filters); at most ${MAX_CUSTOM_RULE_BYTES} bytes.`,
});

const UploadBody = Type.Object({ id: Type.Optional(CustomId), yaml: RuleYaml }, { additionalProperties: false });
const ReplaceBody = Type.Object({ yaml: RuleYaml }, { additionalProperties: false });
const CustomQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: MAX_CUSTOM_PAGE, default: 50 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  },
  { additionalProperties: false },
);
const CustomPage = Type.Object({ items: Type.Array(CustomRuleView), total: Type.Integer(), nextCursor: Type.Optional(Type.String()) });
const CustomWithProblems = Type.Composite([CustomRuleView, Type.Object({ problems: Type.Array(ProblemView) })]);

/** The problem as the error shape carries it: located, with its severity and code in the message. */
function asErrorProblem(problem: RuleProblem): { message: string; location: { file: string; line: number; col: number } } {
  return { message: `${problem.severity} ${problem.code}: ${problem.message}`, location: { file: problem.file, line: problem.line, col: problem.col } };
}

/** Refuses a file whose YAML is over the limit in bytes (the schema counts characters). */
function checkSize(text: string): void {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_CUSTOM_RULE_BYTES) {
    throw new UserError('WATCHPOST_ERR_RULE_INVALID', `the rule file has ${bytes} bytes; uploads are limited to ${MAX_CUSTOM_RULE_BYTES}`);
  }
}

/** A 400 listing every problem of the file with file:line:col, when any is an error. */
export function refuseInvalid(validation: Pick<CustomRuleValidation, 'problems' | 'valid'>): void {
  if (validation.valid) return;
  const errors = validation.problems.filter((p) => p.severity === 'error');
  const shown = errors.slice(0, 20).map((p) => `${p.file}:${p.line}:${p.col} ${p.code} ${p.message}`);
  const more = errors.length > shown.length ? `; and ${errors.length - shown.length} more` : '';
  throw new UserError('WATCHPOST_ERR_RULE_INVALID', `the rule file does not load: ${shown.join('; ')}${more}`, {
    problems: validation.problems.map(asErrorProblem),
  });
}

/**
 * Uploaded rule files under /api/v1/rules/custom: list and get (viewer), upload, replace and
 * delete (responder and above). An upload is loaded with every other rule through the shipped
 * pipelines and refused with every problem (file:line:col) when any is an error, so what is
 * stored always loads; ingest picks it up at its next poll.
 */
export async function customRulesRoutes(app: FastifyInstance, options: CustomRulesRouteOptions): Promise<void> {
  const { clock, root } = options;
  const ready = (reply: FastifyReply): { cases: CaseStore; source: CatalogSource } | undefined => {
    if (!options.cases) return void unavailable(reply, 'case store');
    if (!options.source) return void unavailable(reply, 'rule catalog');
    return { cases: options.cases, source: options.source };
  };

  /** Validates `text` as the upload `id` in the context of the current catalog, or throws a 400. */
  const validate = async (source: CatalogSource, id: string, text: string): Promise<CustomRuleValidation> => {
    checkSize(text);
    const [base, { changes }] = await Promise.all([source.ruleBase(), source.current()]);
    const validation = validateCustomRule(base, changes.customRules, changes.states, { id, text });
    refuseInvalid(validation);
    return validation;
  };

  app.get<{ Querystring: Static<typeof CustomQuery> }>(
    '/api/v1/rules/custom',
    {
      config: { roles: VIEWER },
      onRequest: requireRole(...VIEWER),
      schema: { summary: 'List uploaded rule files', tags: TAGS, querystring: CustomQuery, response: { 200: CustomPage } },
    },
    async (request, reply) => {
      const deps = ready(reply);
      if (!deps) return reply;
      const page = await deps.cases.customRules.list({ sort: 'id', limit: request.query.limit, ...(request.query.cursor !== undefined ? { cursor: request.query.cursor } : {}) });
      return { items: page.items.map((r) => toCustomRuleView(r, false)), total: page.total, ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}) };
    },
  );

  app.get<{ Params: Static<typeof CustomIdParams> }>(
    '/api/v1/rules/custom/:id',
    {
      config: { roles: VIEWER },
      onRequest: requireRole(...VIEWER),
      schema: { summary: 'Get an uploaded rule file with its YAML and problems', tags: TAGS, params: CustomIdParams, response: { 200: CustomWithProblems } },
    },
    async (request, reply) => {
      const deps = ready(reply);
      if (!deps) return reply;
      const record = await deps.cases.customRules.get(request.params.id);
      if (!record) throw new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', `no uploaded rule file ${request.params.id}`);
      const { catalog } = await deps.source.current();
      const file = customRuleFile(record.id);
      return { ...toCustomRuleView(record, true), problems: catalog.all.problems.filter((p) => p.file === file).map((p) => toProblemView(p, root)) };
    },
  );

  app.post<{ Body: Static<typeof UploadBody> }>(
    '/api/v1/rules/custom',
    {
      config: { roles: RESPONDER },
      onRequest: requireRole(...RESPONDER),
      bodyLimit: RULE_BODY_LIMIT,
      schema: { summary: 'Upload a rule file (validated; 400 lists every problem)', tags: TAGS, body: UploadBody, response: { 201: CustomWithProblems } },
    },
    async (request, reply) => {
      const deps = ready(reply);
      if (!deps) return reply;
      const id = request.body.id ?? randomId();
      if ((await deps.cases.customRules.list({ limit: 1 })).total >= MAX_CUSTOM_RULES) {
        throw new UserError('WATCHPOST_ERR_RULE_INVALID', `there are already ${MAX_CUSTOM_RULES} uploaded rule files; delete some first`);
      }
      if (await deps.cases.customRules.get(id)) throw new UserError('WATCHPOST_ERR_STORE_CONFLICT', `an uploaded rule file ${id} exists; replace it with PUT`);
      const validation = await validate(deps.source, id, request.body.yaml);
      const actor = principalOf(request).id;
      const now = new Date(clock.now()).toISOString();
      const record: CustomRule = {
        id,
        text: request.body.yaml,
        keys: [...validation.keys],
        title: validation.title ?? id,
        createdBy: actor,
        updatedBy: actor,
        createdAt: now,
        updatedAt: now,
      };
      // Two uploads of one id at once: the store lets one create it; the other gets a 409.
      const { rev: _rev, ...created } = await deps.cases.customRules.create(record);
      await recordAudit(deps.cases, { actor, action: 'rule.upload', target: { type: 'custom-rule', id }, after: created, at: clock.now() });
      return reply.code(201).send({ ...toCustomRuleView(created, true), problems: validation.problems.map((p) => toProblemView(p, root)) });
    },
  );

  app.put<{ Params: Static<typeof CustomIdParams>; Body: Static<typeof ReplaceBody> }>(
    '/api/v1/rules/custom/:id',
    {
      config: { roles: RESPONDER },
      onRequest: requireRole(...RESPONDER),
      bodyLimit: RULE_BODY_LIMIT,
      schema: { summary: 'Replace an uploaded rule file (validated like an upload)', tags: TAGS, params: CustomIdParams, body: ReplaceBody, response: { 200: CustomWithProblems } },
    },
    async (request, reply) => {
      const deps = ready(reply);
      if (!deps) return reply;
      const id = request.params.id;
      const before = await deps.cases.customRules.get(id);
      if (!before) throw new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', `no uploaded rule file ${id}`);
      const validation = await validate(deps.source, id, request.body.yaml);
      const actor = principalOf(request).id;
      const { rev: _rev, ...after } = await modify(deps.cases.customRules, id, (current) => ({
        ...current,
        text: request.body.yaml,
        keys: [...validation.keys],
        title: validation.title ?? id,
        updatedBy: actor,
        updatedAt: new Date(clock.now()).toISOString(),
      }));
      await recordAudit(deps.cases, { actor, action: 'rule.replace', target: { type: 'custom-rule', id }, before, after, at: clock.now() });
      return { ...toCustomRuleView(after, true), problems: validation.problems.map((p) => toProblemView(p, root)) };
    },
  );

  app.delete<{ Params: Static<typeof CustomIdParams> }>(
    '/api/v1/rules/custom/:id',
    {
      config: { roles: RESPONDER },
      onRequest: requireRole(...RESPONDER),
      schema: { summary: 'Delete an uploaded rule file', tags: TAGS, params: CustomIdParams, response: { 204: Type.Null() } },
    },
    async (request, reply) => {
      const deps = ready(reply);
      if (!deps) return reply;
      const id = request.params.id;
      const before = await deps.cases.customRules.get(id);
      if (!before || !(await deps.cases.customRules.delete(id))) throw new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', `no uploaded rule file ${id}`);
      // Its switches stay: the same rule uploaded again keeps being on or off as it was.
      await recordAudit(deps.cases, { actor: principalOf(request).id, action: 'rule.delete', target: { type: 'custom-rule', id }, before, at: clock.now() });
      return reply.code(204).send();
    },
  );
}
