import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { RuleState } from '../../../core/cases/types.js';
import { SYSTEM_CLOCK, type Clock } from '../../../core/clock.js';
import { hasCode } from '../../../core/errors.js';
import type { CaseStore } from '../../../core/stores/case-store.js';
import { modify } from '../../../core/stores/modify.js';
import { printKql } from '../../../engine/query/kql-print.js';
import type { CatalogEntry, RuleCatalog } from '../../../engine/rules/index.js';
import { requireRole } from '../../plugins/require-role.js';
import { recordAudit } from '../audit/record.js';
import { CatalogSource, type RulesDependencies } from './catalog-source.js';
import { customRulesRoutes } from './custom.js';
import { ruleTestRoutes } from './try.js';
import { entryOf, principalOf, RESPONDER, TAGS, unavailable, VIEWER } from './common.js';
import { KeyParams, KindSchema, LevelSchema, OriginSchema, RuleDetail, RuleSummary, StatusSchema, toProblemView, toRuleSummary } from './views.js';

export type { RulesDependencies } from './catalog-source.js';

/** Options of {@link rulesRoutes}. */
export interface RulesRouteOptions {
  /** Absent when this process has no case store: every route then answers 503. */
  readonly cases?: CaseStore | undefined;
  /** The rules on disk; absent when this process does not serve rules: every route then answers 503. */
  readonly rules?: RulesDependencies | undefined;
  /** Stamps switches, uploads and audit entries. @defaultValue the system clock */
  readonly clock?: Clock | undefined;
}

/** The largest page of rules. */
export const MAX_RULES_PAGE = 500;


/** The query of GET /api/v1/rules. */
export const RulesQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Case-insensitive text in the key, title, description, author or tags.' })),
    level: Type.Optional(LevelSchema),
    status: Type.Optional(StatusSchema),
    kind: Type.Optional(KindSchema),
    origin: Type.Optional(OriginSchema),
    enabled: Type.Optional(Type.Boolean()),
    active: Type.Optional(Type.Boolean()),
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'An exact tag, e.g. attack.t1110 (case-insensitive).' })),
    product: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    category: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    service: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    limit: Type.Integer({ minimum: 1, maximum: MAX_RULES_PAGE, default: 50 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 16, pattern: '^[0-9]+$', description: 'The nextCursor of the previous page.' })),
  },
  { additionalProperties: false },
);

const RulePage = Type.Object({ items: Type.Array(RuleSummary), total: Type.Integer(), nextCursor: Type.Optional(Type.String()) });

/** The body of POST /api/v1/rules/:key/enable and /disable. */
export const SwitchBody = Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })) }, { additionalProperties: false });

/** A switch as stored and shown. */
const RuleStateView = Type.Object({
  key: Type.String(),
  enabled: Type.Boolean(),
  reason: Type.Optional(Type.String()),
  updatedBy: Type.String(),
  updatedAt: Type.String(),
  note: Type.String({ description: 'When ingest applies it.' }),
});


function matches(entry: CatalogEntry, query: Static<typeof RulesQuery>): boolean {
  const rule = entry.rule;
  if (query.level !== undefined && rule.level !== query.level) return false;
  if (query.status !== undefined && rule.status !== query.status) return false;
  if (query.kind !== undefined && rule.kind !== query.kind) return false;
  if (query.origin !== undefined && entry.origin !== query.origin) return false;
  if (query.enabled !== undefined && entry.enabled !== query.enabled) return false;
  if (query.active !== undefined && entry.active !== query.active) return false;
  if (query.tag !== undefined && !rule.tags.some((tag) => tag.toLowerCase() === query.tag?.toLowerCase())) return false;
  const logsource = rule.kind === 'detection' ? rule.logsource : {};
  for (const part of ['product', 'category', 'service'] as const) {
    const wanted = query[part];
    if (wanted !== undefined && logsource[part]?.toLowerCase() !== wanted.toLowerCase()) return false;
  }
  if (query.q !== undefined) {
    const needle = query.q.toLowerCase();
    const haystack = [rule.key, rule.title, rule.description ?? '', rule.author ?? '', ...rule.tags].join('\n').toLowerCase();
    if (!haystack.includes(needle)) return false;
  }
  return true;
}


function kqlOf(entry: CatalogEntry): string | undefined {
  if (entry.rule.kind !== 'detection') return undefined;
  try {
    return printKql(entry.rule.filter);
  } catch (error) {
    // Regular expressions, field references and case-sensitive matches have no KQL form.
    if (hasCode(error, 'WATCHPOST_ERR_QUERY_SYNTAX')) return undefined;
    throw error;
  }
}

function toDetail(catalog: RuleCatalog, entry: CatalogEntry, root: string | undefined): RuleDetail {
  const rule = entry.rule;
  const kql = kqlOf(entry);
  return {
    ...toRuleSummary(entry, root),
    ...(rule.description !== undefined ? { description: rule.description } : {}),
    references: [...rule.references],
    falsepositives: [...rule.falsepositives],
    fields: [...rule.fields],
    ...(rule.kind === 'detection' && rule.pipeline !== undefined ? { pipeline: rule.pipeline } : {}),
    filtersApplied: rule.kind === 'detection' ? [...rule.filtersApplied] : [],
    ...(rule.kind === 'detection' ? { filter: rule.filter } : {}),
    ...(kql !== undefined ? { kql } : {}),
    ...(rule.kind === 'correlation'
      ? {
          correlation: {
            type: rule.type,
            rules: [...rule.rules],
            groupBy: [...rule.groupBy],
            timespanMs: rule.timespanMs,
            condition: { ...rule.condition },
            generate: rule.generate,
          },
        }
      : {}),
    source: catalog.text(rule.source.file)?.text ?? '',
    problems: catalog.all.problems.filter((p) => p.rule === rule.key).map((p) => toProblemView(p, root)),
  };
}

/**
 * Rules under /api/v1/rules: the loaded rules (shipped, configured, uploaded) with filters and
 * paging, one rule with its YAML, compiled filter and problems, switching a rule on or off,
 * uploaded rule files (./custom.ts) and trying rules on sample events (./try.ts). Switches and
 * uploads live in the case store; every ingest process polls it and reloads (cli/detection.ts),
 * so a change applies everywhere within one poll interval. Every change is audited.
 */
export async function rulesRoutes(app: FastifyInstance, options: RulesRouteOptions): Promise<void> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const root = options.rules?.root;
  const source = options.cases && options.rules ? new CatalogSource(options.rules, options.cases) : undefined;
  const catalogOf = async (reply: FastifyReply): Promise<RuleCatalog | undefined> => {
    if (!source) {
      unavailable(reply, options.cases ? 'rule catalog' : 'case store');
      return undefined;
    }
    return (await source.current()).catalog;
  };

  app.get<{ Querystring: Static<typeof RulesQuery> }>(
    '/api/v1/rules',
    {
      config: { roles: VIEWER },
      onRequest: requireRole(...VIEWER),
      schema: { summary: 'List the loaded rules', tags: TAGS, querystring: RulesQuery, response: { 200: RulePage } },
    },
    async (request, reply) => {
      const catalog = await catalogOf(reply);
      if (!catalog) return reply;
      const query = request.query;
      const found = catalog.entries.filter((entry) => matches(entry, query)).sort((a, b) => (a.rule.key < b.rule.key ? -1 : a.rule.key > b.rule.key ? 1 : 0));
      const offset = query.cursor === undefined ? 0 : Number(query.cursor);
      const items = found.slice(offset, offset + query.limit).map((entry) => toRuleSummary(entry, root));
      const next = offset + query.limit;
      return { items, total: found.length, ...(next < found.length ? { nextCursor: String(next) } : {}) };
    },
  );

  // Registered before /api/v1/rules/:key so that `custom` and `test` are not taken for keys.
  await app.register(customRulesRoutes, { cases: options.cases, source, clock, root });
  await app.register(ruleTestRoutes, { source, clock, root, newCorrelationStore: options.rules?.newCorrelationStore, parseLine: options.rules?.parseLine, hasCases: options.cases !== undefined });

  app.get<{ Params: Static<typeof KeyParams> }>(
    '/api/v1/rules/:key',
    {
      config: { roles: VIEWER },
      onRequest: requireRole(...VIEWER),
      schema: { summary: 'Get a rule: its YAML, compiled filter and problems', tags: TAGS, params: KeyParams, response: { 200: RuleDetail } },
    },
    async (request, reply) => {
      const catalog = await catalogOf(reply);
      if (!catalog) return reply;
      return toDetail(catalog, entryOf(catalog, request.params.key), root);
    },
  );

  for (const [verb, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    app.post<{ Params: Static<typeof KeyParams>; Body: Static<typeof SwitchBody> }>(
      `/api/v1/rules/:key/${verb}`,
      {
        config: { roles: RESPONDER },
        onRequest: requireRole(...RESPONDER),
        // The body is optional: a request without one is validated as {}.
        preValidation: async (request) => {
          request.body ??= {};
        },
        schema: {
          summary: enabled ? 'Switch a rule on (overrides detection.disabledRules)' : 'Switch a rule off',
          tags: TAGS,
          params: KeyParams,
          body: SwitchBody,
          response: { 200: RuleStateView },
        },
      },
      async (request, reply) => {
        const cases = options.cases;
        const catalog = await catalogOf(reply);
        if (!catalog || !cases) return reply;
        const key = entryOf(catalog, request.params.key).rule.key;
        const actor = principalOf(request).id;
        const reason = request.body.reason;
        const now = new Date(clock.now()).toISOString();
        const next = (current: RuleState | undefined): RuleState => ({
          id: key,
          enabled,
          ...(reason !== undefined ? { reason } : {}),
          updatedBy: actor,
          createdAt: current?.createdAt ?? now,
          updatedAt: now,
        });
        const before = await cases.ruleStates.get(key);
        let previous: RuleState | undefined = before;
        let after: RuleState;
        if (!before) {
          try {
            after = await cases.ruleStates.create(next(undefined));
          } catch (error) {
            // Someone switched it in the same instant: change theirs instead.
            if (!hasCode(error, 'WATCHPOST_ERR_STORE_CONFLICT')) throw error;
            after = await modify(cases.ruleStates, key, (current) => ((previous = current), next(current)));
          }
        } else {
          after = await modify(cases.ruleStates, key, (current) => ((previous = current), next(current)));
        }
        await recordAudit(cases, {
          actor,
          action: `rule.${verb}`,
          target: { type: 'rule', id: key },
          before: previous ?? { enabled: entryOf(catalog, key).enabled, switchedBy: entryOf(catalog, key).switchedBy },
          after,
          at: clock.now(),
        });
        return {
          key,
          enabled: after.enabled,
          ...(after.reason !== undefined ? { reason: after.reason } : {}),
          updatedBy: after.updatedBy,
          updatedAt: after.updatedAt,
          note: 'ingest processes apply it at their next poll of the case store (every 10 s by default)',
        };
      },
    );
  }
}
