import type { Client, estypes } from '@elastic/elasticsearch';
import type { Logger } from '../../core/log.js';
import { mapEsError } from './case-errors.js';
import { KEYWORD_SUBFIELD, LOWER_SUBFIELD, type FieldType, type FieldTypes } from './filter-dsl.js';

/** The collections of the case store, each an index `<prefix>-cases-<name>`. */
export const CASE_COLLECTIONS = ['alerts', 'incidents', 'users', 'tokens', 'sessions', 'runs', 'blocks', 'suppressions', 'ruleStates', 'customRules', 'neverBlock', 'controls', 'lockouts', 'reports', 'reportFiles', 'sourceStats'] as const;

/** The append-only logs, each an index `<prefix>-cases-<name>`. */
export const CASE_LOGS = ['timeline', 'audit'] as const;

/** One collection or log name. */
export type CaseIndexName = (typeof CASE_COLLECTIONS)[number] | (typeof CASE_LOGS)[number];

/** The index of one collection or log; a camelCase name is written kebab-case (index names are lower case). */
export function caseIndex(prefix: string, name: CaseIndexName): string {
  return `${prefix}-cases-${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

/** Every index of the case store, in a fixed order. */
export function caseIndices(prefix: string): string[] {
  return [...CASE_COLLECTIONS, ...CASE_LOGS].map((name) => caseIndex(prefix, name));
}

/** The composable index template that shapes every case index. */
export function caseTemplateName(prefix: string): string {
  return `${prefix}-cases`;
}

/**
 * The fields of case records that are not keywords, by dotted path, across every collection and
 * log (a name means the same everywhere: `createdAt` is always a date). The filter compiler reads
 * this to pick its query per type; the template maps the same fields, so the two cannot disagree.
 */
export const CASE_FIELD_TYPES: FieldTypes = Object.freeze({
  ...Object.fromEntries(
    [
      'createdAt',
      'updatedAt',
      'at',
      'firstSeen',
      'lastSeen',
      'expiresAt',
      'acknowledgedAt',
      'resolvedAt',
      'closedAt',
      'lastLoginAt',
      'lastUsedAt',
      'lastSeenAt',
      'releasedAt',
      'startsAt',
      'lastSuppressedAt',
      'clearedAt',
      'lockedUntil',
      'openedAt',
      'period.from',
      'period.to',
      'steps.startedAt',
      'steps.finishedAt',
    ].map((field): [string, FieldType] => [field, 'date']),
  ),
  riskScore: 'number',
  count: 'number',
  suppressedCount: 'number',
  'steps.attempts': 'number',
  received: 'number',
  parsed: 'number',
  failed: 'number',
  dropped: 'number',
  disabled: 'boolean',
  enabled: 'boolean',
  revoked: 'boolean',
  'tasks.done': 'boolean',
  'steps.dryRun': 'boolean',
});

/**
 * Free-form objects (a timeline entry's data, an audit entry's details, a step's result, a
 * correlation's detail): mapped `flattened`, so their keys never grow the mapping and a key that
 * holds a number in one record and an object in the next cannot make an audit or timeline write
 * fail. The price: flattened leaves have no `.lower` view, so only case-sensitive predicates
 * (eq, startswith, range as text) find anything there, and Elasticsearch refuses wildcard and
 * regex queries on them. The SQLite store searches them fully; this is a known difference.
 */
const FREE_FORM_FIELDS = ['data', 'details', 'steps.result', 'explanation.correlation'] as const;

/** Keyword values longer than this many characters are kept in _source but not indexed (Lucene's term limit is 32 766 bytes). */
const IGNORE_ABOVE = 8191;

/**
 * Writes wait for a refresh (refresh=wait_for, see ElasticsearchCaseStore), so this interval is
 * the longest a write waits. Shorter than Elasticsearch's 1 s default to keep triage snappy; a
 * refresh with nothing new is a no-op, so idle indices cost next to nothing.
 */
export const CASE_REFRESH_INTERVAL = '250ms';

/**
 * The normalizer of the `.lower` views: Lucene's lowercase filter, the same simple Unicode
 * lower-casing as foldCase, which the compiler applies to the values it looks for.
 */
const LOWER_NORMALIZER = 'watchpost_lowercase';

/** The case-folded view every string-bearing field carries for case-insensitive predicates. */
const LOWER_VIEW = { [LOWER_SUBFIELD]: { type: 'keyword', ignore_above: IGNORE_ABOVE, normalizer: LOWER_NORMALIZER } } as const;

function fieldMapping(type: FieldType | 'flattened'): estypes.MappingProperty {
  switch (type) {
    case 'date':
      // The compiler runs string predicates on a date's `.keyword` (exact) and `.lower` views.
      return {
        type: 'date',
        format: 'strict_date_optional_time||epoch_millis',
        fields: { [KEYWORD_SUBFIELD]: { type: 'keyword', ignore_above: IGNORE_ABOVE }, ...LOWER_VIEW },
      };
    case 'number':
      return { type: 'double' };
    case 'boolean':
      return { type: 'boolean' };
    case 'flattened':
      return { type: 'flattened', ignore_above: IGNORE_ABOVE };
    case 'keyword':
    case 'text':
    case 'ip':
      return { type: 'keyword', ignore_above: IGNORE_ABOVE, fields: LOWER_VIEW };
  }
}

/** Nests dotted paths into `properties` objects. */
function properties(fields: readonly (readonly [string, estypes.MappingProperty])[]): Record<string, estypes.MappingProperty> {
  const root: Record<string, estypes.MappingProperty> = {};
  for (const [path, mapping] of fields) {
    const segments = path.split('.');
    let level = root;
    for (const segment of segments.slice(0, -1)) {
      const object = (level[segment] ??= { type: 'object', properties: {} }) as estypes.MappingObjectProperty;
      level = (object.properties ??= {});
    }
    level[segments[segments.length - 1] as string] = mapping;
  }
  return root;
}

/**
 * The mappings of every case index: the typed fields above; every other leaf (string, number or
 * boolean) a keyword with its `.lower` view, which is what the filter compiler assumes of a field
 * it does not know. Date and numeric detection are off so that a string never becomes a date or
 * number by its look.
 */
export function caseMappings(): estypes.MappingTypeMapping {
  const keyword = fieldMapping('keyword');
  const dynamicTemplates = (['string', 'long', 'double', 'boolean'] as const).map((kind) => ({
    [`${kind}s_as_keywords`]: { match_mapping_type: kind, mapping: keyword },
  }));
  return {
    dynamic: true,
    date_detection: false,
    numeric_detection: false,
    dynamic_templates: dynamicTemplates,
    properties: properties([
      ['id', fieldMapping('keyword')],
      ...Object.entries(CASE_FIELD_TYPES).map(([path, type]) => [path, fieldMapping(type)] as const),
      ...FREE_FORM_FIELDS.map((path) => [path, fieldMapping('flattened')] as const),
      // A report's PDF: kept in _source, never indexed or searched.
      ['base64', { type: 'binary' }] as const,
    ]),
  };
}

/** Options of {@link installCaseIndices}. */
export interface CaseIndexOptions {
  readonly indexPrefix: string;
  /** @defaultValue 1 */
  readonly shards?: number;
  /** @defaultValue 0 */
  readonly replicas?: number;
}

/**
 * Puts the template and creates every case index, idempotently: several processes may run it at
 * once. The template lists the exact index names (not a wildcard) so it shapes nothing else, at a
 * priority above Elasticsearch's built-in `logs-*-*`-style templates. An index that already
 * exists gets the current mappings put on it, so new typed fields reach old indices.
 */
export async function installCaseIndices(client: Client, options: CaseIndexOptions, logger: Logger): Promise<void> {
  const prefix = options.indexPrefix;
  const indices = caseIndices(prefix);
  const mappings = caseMappings();
  try {
    await client.indices.putIndexTemplate({
      name: caseTemplateName(prefix),
      index_patterns: indices,
      priority: 200,
      template: {
        settings: {
          number_of_shards: options.shards ?? 1,
          number_of_replicas: options.replicas ?? 0,
          refresh_interval: CASE_REFRESH_INTERVAL,
          analysis: { normalizer: { [LOWER_NORMALIZER]: { type: 'custom', filter: ['lowercase'] } } },
        },
        mappings,
      },
      _meta: { managed_by: 'watchpost', component: 'case-store' },
    });
    await Promise.all(
      indices.map(async (index) => {
        try {
          await client.indices.create({ index });
          logger.info({ index }, 'created case index');
        } catch (error) {
          if (errorType(error) !== 'resource_already_exists_exception') throw error;
          await client.indices.putMapping({ index, ...mappings });
        }
      }),
    );
  } catch (error) {
    throw mapEsError(error, 'install', 'write');
  }
}

/** The `error.type` of an Elasticsearch error response, if it is one. */
export function errorType(error: unknown): string | undefined {
  const body = (error as { body?: { error?: { type?: unknown } } } | null)?.body;
  const type = body?.error?.type;
  return typeof type === 'string' ? type : undefined;
}
