import type { estypes } from '@elastic/elasticsearch';
import { KEYWORD_SUBFIELD, LOWER_SUBFIELD, type FieldType, type FieldTypes } from './filter-dsl.js';

/**
 * The mappings of the daily event indices. ECS fields whose type is not "a string to match
 * exactly" are listed; every other string is a keyword through the dynamic templates.
 *
 * - `ip` fields (and every `*.ip`) are `ip` for CIDR queries, with `ignore_malformed` so a bad
 *   address never costs the event, and a `.keyword` multi-field with the verbatim text for the
 *   string predicates (Elasticsearch allows multi-fields on ip; a malformed value still lands there).
 * - `message` and `event.original` are `text` (standard analyzer) for the `text` op, with a
 *   `.keyword` multi-field for the string predicates and terms.
 * - date fields are `date`, with a `.keyword` multi-field so string predicates see the spelling.
 * - every string-bearing field also has a `.lower` multi-field (lowercase normalizer) that the
 *   case-insensitive predicates query; Elasticsearch's `case_insensitive` folds ASCII only.
 * - numbers are `long`/`double` without `ignore_malformed`: a string there is a mapping
 *   conflict, which append reports as `rejected` for the dead-letter queue.
 */

/** Strings longer than this (in characters) are not indexed as keywords; 8191 × 4 bytes fits Lucene's term limit. */
export const KEYWORD_IGNORE_ABOVE = 8191;

const IP_FIELDS = [
  'source.ip',
  'destination.ip',
  'client.ip',
  'server.ip',
  'source.nat.ip',
  'destination.nat.ip',
  'host.ip',
  'observer.ip',
  'related.ip',
  'threat.indicator.ip',
];
const LONG_FIELDS = [
  ...['source', 'destination', 'client', 'server'].flatMap((side) => [`${side}.port`, `${side}.bytes`, `${side}.packets`, `${side}.nat.port`, `${side}.as.number`]),
  'network.bytes',
  'network.packets',
  'http.response.status_code',
  'http.request.bytes',
  'http.response.bytes',
  'http.request.body.bytes',
  'http.response.body.bytes',
  'process.pid',
  'process.parent.pid',
  'event.severity',
  'event.sequence',
  'event.duration',
  'log.offset',
  'log.syslog.priority',
  'log.syslog.facility.code',
  'log.syslog.severity.code',
  'file.size',
  'url.port',
];
const DOUBLE_FIELDS = ['event.risk_score'];
const DATE_FIELDS = ['@timestamp', 'event.created', 'event.ingested', 'event.start', 'event.end'];
const TEXT_FIELDS = ['message', 'event.original'];
const KEYWORD_FIELDS = ['event.id'];

/** The normalizer of the `.lower` multi-fields: Lucene's LowerCaseFilter, simple Unicode lower-casing. */
const LOWER_NORMALIZER = 'watchpost_lowercase';
const lowerSubfield = { [LOWER_SUBFIELD]: { type: 'keyword', ignore_above: KEYWORD_IGNORE_ABOVE, normalizer: LOWER_NORMALIZER } } as const;
const keywordSubfield = { [KEYWORD_SUBFIELD]: { type: 'keyword', ignore_above: KEYWORD_IGNORE_ABOVE }, ...lowerSubfield } as const;

const MAPPING_OF: Record<FieldType, estypes.MappingProperty> = {
  ip: { type: 'ip', ignore_malformed: true, fields: keywordSubfield },
  text: { type: 'text', fields: keywordSubfield },
  date: { type: 'date', fields: keywordSubfield },
  number: { type: 'long' },
  keyword: { type: 'keyword', ignore_above: KEYWORD_IGNORE_ABOVE, fields: lowerSubfield },
  boolean: { type: 'boolean' },
};

/** The explicitly mapped fields with their types, as the filter compiler needs them. */
export const STATIC_FIELD_TYPES: FieldTypes = Object.freeze({
  ...Object.fromEntries(IP_FIELDS.map((f) => [f, 'ip'])),
  ...Object.fromEntries([...LONG_FIELDS, ...DOUBLE_FIELDS].map((f) => [f, 'number'])),
  ...Object.fromEntries(DATE_FIELDS.map((f) => [f, 'date'])),
  ...Object.fromEntries(TEXT_FIELDS.map((f) => [f, 'text'])),
  ...Object.fromEntries(KEYWORD_FIELDS.map((f) => [f, 'keyword'])),
}) as FieldTypes;

/** Nests dotted paths into `properties` objects, as mappings are written. */
function nest(fields: Readonly<Record<string, estypes.MappingProperty>>): Record<string, estypes.MappingProperty> {
  const root: Record<string, estypes.MappingProperty> = {};
  for (const [path, mapping] of Object.entries(fields)) {
    const segments = path.split('.');
    let level = root;
    for (const segment of segments.slice(0, -1)) {
      const object = (level[segment] ??= { type: 'object', properties: {} }) as estypes.MappingObjectProperty;
      level = object.properties ??= {};
    }
    level[segments[segments.length - 1] as string] = mapping;
  }
  return root;
}

/** Options of {@link eventsIndexTemplate}. */
export interface EventsTemplateOptions {
  readonly indexPattern: string;
  readonly shards: number;
  readonly replicas: number;
  readonly refreshInterval?: string;
}

/** The composable index template of the event indices. */
export function eventsIndexTemplate(options: EventsTemplateOptions): Omit<estypes.IndicesPutIndexTemplateRequest, 'name'> {
  const explicit = Object.fromEntries(
    Object.entries(STATIC_FIELD_TYPES).map(([field, type]) => [field, DOUBLE_FIELDS.includes(field) ? { type: 'double' } : MAPPING_OF[type]]),
  ) as Record<string, estypes.MappingProperty>;
  return {
    index_patterns: [options.indexPattern],
    // Above the built-in templates (100) so nothing else shapes these indices.
    priority: 200,
    _meta: { managed_by: 'watchpost', description: 'Watchpost ECS events, one index per UTC day' },
    template: {
      settings: {
        number_of_shards: options.shards,
        number_of_replicas: options.replicas,
        ...(options.refreshInterval === undefined ? {} : { refresh_interval: options.refreshInterval }),
        // search asks for one event more than the page to know whether another page follows.
        max_result_window: 10_001,
        // Vendor structured data and labels add fields; keep room without letting it grow unbounded.
        'mapping.total_fields.limit': 5000,
        analysis: { normalizer: { [LOWER_NORMALIZER]: { type: 'custom', filter: ['lowercase'] } } },
      },
      mappings: {
        // Dates and numbers inside strings stay strings, as SQLite keeps them.
        date_detection: false,
        numeric_detection: false,
        dynamic_templates: [
          { ip_fields: { path_match: '*.ip', mapping: MAPPING_OF.ip } },
          // Doubles, not the default float: a float would round 0.1 and break range equality.
          { doubles: { match_mapping_type: 'double', mapping: { type: 'double' } } },
          { strings: { match_mapping_type: 'string', mapping: MAPPING_OF.keyword } },
        ],
        properties: nest(explicit),
      },
    },
  };
}

/** Maps an Elasticsearch field type (from field_caps) to the compiler's view, or undefined for objects. */
export function fieldTypeOf(esType: string): FieldType | undefined {
  switch (esType) {
    case 'keyword':
    case 'constant_keyword':
    case 'wildcard':
      return 'keyword';
    case 'text':
    case 'match_only_text':
      return 'text';
    case 'ip':
      return 'ip';
    case 'date':
    case 'date_nanos':
      return 'date';
    case 'boolean':
      return 'boolean';
    case 'long':
    case 'integer':
    case 'short':
    case 'byte':
    case 'double':
    case 'float':
    case 'half_float':
    case 'scaled_float':
    case 'unsigned_long':
      return 'number';
    default:
      return undefined;
  }
}
