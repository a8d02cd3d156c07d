import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../../core/clock.js';
import type { CorrelationStore } from '../../../core/stores/correlation-store.js';
import { UserError } from '../../../core/errors.js';
import { prepareSamples, ruleSetProblems, ruleSubset, testRulesOnSamples } from '../../../engine/rules/index.js';
import { buildRuleSet, type RuleSet } from '../../../engine/sigma/index.js';
import { requireRole } from '../../plugins/require-role.js';
import type { CatalogSource } from './catalog-source.js';
import { ANALYST, entryOf, TAGS, unavailable } from './common.js';
import { refuseInvalid, RULE_BODY_LIMIT, RuleYaml } from './custom.js';
import { ProblemView, toProblemView } from './views.js';

/** Options of {@link ruleTestRoutes}. */
export interface RuleTestRouteOptions {
  readonly source: CatalogSource | undefined;
  readonly hasCases: boolean;
  readonly clock: Clock;
  readonly root: string | undefined;
  readonly newCorrelationStore: ((clock: Clock) => CorrelationStore) | undefined;
  readonly parseLine: ((line: string) => Record<string, unknown>) | undefined;
}

/** At most this many sample events per request. */
export const MAX_SAMPLE_EVENTS = 200;
/** The longest pasted log line, as ingest's default for a file line. */
export const MAX_SAMPLE_LINE_BYTES = 64 * 1024;
/** At most this many rule keys per request. */
export const MAX_TEST_RULES = 50;
/** The file name the YAML of a test request loads under. */
export const TEST_RULE_FILE = 'test/rule.yml';

const TestBody = Type.Object(
  {
    rules: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), {
        minItems: 1,
        maxItems: MAX_TEST_RULES,
        description: 'Keys of loaded rules to try (enabled or not); with `yaml`, which of its rules to try.',
      }),
    ),
    yaml: Type.Optional(RuleYaml),
    events: Type.Optional(
      Type.Array(Type.Record(Type.String(), Type.Unknown()), {
        minItems: 1,
        maxItems: MAX_SAMPLE_EVENTS,
        description: 'ECS events as stored (nested objects). Missing `event.id` and `@timestamp` are filled in.',
      }),
    ),
    lines: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: MAX_SAMPLE_LINE_BYTES }), {
        minItems: 1,
        maxItems: MAX_SAMPLE_EVENTS,
        description: 'Raw log lines (syslog or a vendor format, as a sender or a log file writes them), parsed as ingest would; tried after `events`.',
      }),
    ),
  },
  { additionalProperties: false },
);

const Match = Type.Object({
  rule: Type.Object({ key: Type.String(), title: Type.String(), level: Type.String(), id: Type.Optional(Type.String()) }, { additionalProperties: true }),
  kind: Type.String(),
  eventIds: Type.Array(Type.String()),
  at: Type.String(),
  selections: Type.Array(Type.String(), { description: 'The selections of the condition that held.' }),
  matched: Type.Array(Type.Object({ field: Type.String(), value: Type.Union([Type.String(), Type.Number(), Type.Boolean()]), selection: Type.Optional(Type.String()) }), {
    description: 'The event values that made them hold.',
  }),
  entities: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()])),
  correlation: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

const TestResponse = Type.Object({
  rules: Type.Array(Type.String(), { description: 'The rules tried: those asked for and those their correlations need.' }),
  events: Type.Array(
    Type.Object({
      index: Type.Integer(),
      logsources: Type.Array(Type.Record(Type.String(), Type.String())),
      matches: Type.Array(Match),
    }),
  ),
  correlations: Type.Array(Match),
  note: Type.Optional(Type.String()),
  problems: Type.Array(ProblemView, { description: 'Warnings of the YAML given.' }),
});

/**
 * POST /api/v1/rules/test: tries loaded rules (by key) or a YAML rule file on sample events and
 * answers which rules matched which events and why (selections and values), plus what the
 * correlations among them fired over the whole sample. Analysts and above: it changes nothing.
 * The YAML is loaded alone through the shipped pipelines (its correlations may reference only
 * its own rules), and refused with every problem like an upload when any is an error.
 */
export async function ruleTestRoutes(app: FastifyInstance, options: RuleTestRouteOptions): Promise<void> {
  app.post<{ Body: Static<typeof TestBody> }>(
    '/api/v1/rules/test',
    {
      config: { roles: ANALYST },
      onRequest: requireRole(...ANALYST),
      bodyLimit: RULE_BODY_LIMIT + 1024 * 1024,
      schema: { summary: 'Try rules on sample events', tags: TAGS, body: TestBody, response: { 200: TestResponse } },
    },
    async (request, reply) => {
      const source = options.source;
      if (!source) return unavailable(reply, options.hasCases ? 'rule catalog' : 'case store');
      const body = request.body;
      let ruleSet: RuleSet;
      let keys: readonly string[];
      let problems: ReturnType<typeof toProblemView>[] = [];
      if (body.yaml !== undefined) {
        const base = await source.ruleBase();
        const loaded = buildRuleSet([{ file: TEST_RULE_FILE, text: body.yaml }], base.pipelines);
        const found = ruleSetProblems(loaded);
        const valid = !found.some((p) => p.severity === 'error');
        const own = [...loaded.rules, ...loaded.correlations].map((r) => r.key);
        refuseInvalid({ valid: valid && own.length > 0, problems: own.length > 0 ? found : [...found, { file: TEST_RULE_FILE, line: 1, col: 1, severity: 'error', code: 'no-rule', message: 'the YAML holds no rule or correlation' }] });
        problems = found.map((p) => toProblemView(p, options.root));
        const unknown = (body.rules ?? []).filter((key) => !own.includes(key));
        if (unknown.length > 0) throw new UserError('WATCHPOST_ERR_RULE_INVALID', `the YAML has no rule with the key ${unknown.join(', ')}`);
        ruleSet = loaded;
        keys = body.rules ?? own;
      } else {
        if (body.rules === undefined) throw new UserError('WATCHPOST_ERR_RULE_INVALID', 'give the rules to try: `rules` (keys of loaded rules), `yaml`, or both');
        const { catalog } = await source.current();
        keys = body.rules.map((key) => entryOf(catalog, key).rule.key);
        ruleSet = catalog.all;
      }
      const lines = body.lines ?? [];
      if ((body.events?.length ?? 0) + lines.length === 0) throw new UserError('WATCHPOST_ERR_RULE_INVALID', 'give the samples to try: `events` (ECS), `lines` (raw log lines), or both');
      if ((body.events?.length ?? 0) + lines.length > MAX_SAMPLE_EVENTS) throw new UserError('WATCHPOST_ERR_RULE_INVALID', `at most ${MAX_SAMPLE_EVENTS} events and lines in all`);
      const parseLine = options.parseLine;
      if (lines.length > 0 && !parseLine) return unavailable(reply, 'log parser');
      const parsed = lines.map((line) => (parseLine as (line: string) => Record<string, unknown>)(line));
      const now = options.clock.now();
      const samples = prepareSamples([...(body.events ?? []), ...parsed], now);
      const result = await testRulesOnSamples(ruleSubset(ruleSet, keys), samples, {
        nowMs: now,
        ...(options.newCorrelationStore ? { newCorrelationStore: options.newCorrelationStore } : {}),
      });
      return { ...result, problems };
    },
  );
}
