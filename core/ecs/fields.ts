/**
 * Dotted ECS field paths Watchpost reads and writes, so no code spells a field as a loose string.
 * Values follow ECS spelling exactly (`source.ip`, `event.category`).
 */
export const F = {
  TIMESTAMP: '@timestamp',
  MESSAGE: 'message',
  TAGS: 'tags',
  ECS_VERSION: 'ecs.version',
  EVENT_ID: 'event.id',
  EVENT_KIND: 'event.kind',
  EVENT_CATEGORY: 'event.category',
  EVENT_TYPE: 'event.type',
  EVENT_OUTCOME: 'event.outcome',
  EVENT_ACTION: 'event.action',
  EVENT_CODE: 'event.code',
  EVENT_DATASET: 'event.dataset',
  EVENT_MODULE: 'event.module',
  EVENT_ORIGINAL: 'event.original',
  EVENT_CREATED: 'event.created',
  EVENT_INGESTED: 'event.ingested',
  EVENT_SEVERITY: 'event.severity',
  EVENT_TIMEZONE: 'event.timezone',
  SOURCE_IP: 'source.ip',
  SOURCE_PORT: 'source.port',
  SOURCE_ADDRESS: 'source.address',
  SOURCE_DOMAIN: 'source.domain',
  SOURCE_GEO_COUNTRY_ISO_CODE: 'source.geo.country_iso_code',
  SOURCE_AS_NUMBER: 'source.as.number',
  DESTINATION_IP: 'destination.ip',
  DESTINATION_PORT: 'destination.port',
  DESTINATION_ADDRESS: 'destination.address',
  DESTINATION_DOMAIN: 'destination.domain',
  NETWORK_TRANSPORT: 'network.transport',
  NETWORK_PROTOCOL: 'network.protocol',
  NETWORK_DIRECTION: 'network.direction',
  NETWORK_BYTES: 'network.bytes',
  OBSERVER_NAME: 'observer.name',
  OBSERVER_HOSTNAME: 'observer.hostname',
  OBSERVER_VENDOR: 'observer.vendor',
  OBSERVER_PRODUCT: 'observer.product',
  OBSERVER_TYPE: 'observer.type',
  HOST_NAME: 'host.name',
  HOST_HOSTNAME: 'host.hostname',
  HOST_IP: 'host.ip',
  USER_NAME: 'user.name',
  USER_DOMAIN: 'user.domain',
  USER_TARGET_NAME: 'user.target.name',
  PROCESS_NAME: 'process.name',
  PROCESS_PID: 'process.pid',
  PROCESS_COMMAND_LINE: 'process.command_line',
  FILE_PATH: 'file.path',
  FILE_NAME: 'file.name',
  FILE_HASH_SHA256: 'file.hash.sha256',
  URL_ORIGINAL: 'url.original',
  URL_PATH: 'url.path',
  URL_DOMAIN: 'url.domain',
  HTTP_REQUEST_METHOD: 'http.request.method',
  HTTP_RESPONSE_STATUS_CODE: 'http.response.status_code',
  USER_AGENT_ORIGINAL: 'user_agent.original',
  RULE_ID: 'rule.id',
  RULE_NAME: 'rule.name',
  THREAT_TECHNIQUE_ID: 'threat.technique.id',
  THREAT_TACTIC_NAME: 'threat.tactic.name',
  LOG_LEVEL: 'log.level',
  LOG_FILE_PATH: 'log.file.path',
  LOG_OFFSET: 'log.offset',
  LOG_SYSLOG_APPNAME: 'log.syslog.appname',
  LOG_SYSLOG_HOSTNAME: 'log.syslog.hostname',
  LOG_SYSLOG_PRIORITY: 'log.syslog.priority',
  ERROR_MESSAGE: 'error.message',
  RELATED_IP: 'related.ip',
  RELATED_USER: 'related.user',
  WATCHPOST_INPUT_ID: 'watchpost.input.id',
  WATCHPOST_INPUT_TRANSPORT: 'watchpost.input.transport',
  WATCHPOST_INPUT_PEER: 'watchpost.input.peer',
  WATCHPOST_PARSE_FAILURE: 'watchpost.parse.failure',
} as const;

/** One of the field paths above. */
export type EcsFieldPath = (typeof F)[keyof typeof F];

/** The tag a record gets when no parser understood it (ECS uses tags for this, like Beats' `_grokparsefailure`). */
export const PARSE_FAILURE_TAG = '_watchpost_parse_failure';

/**
 * Reads a dotted path from a nested ECS document. Returns undefined for a missing path.
 * Also accepts a flattened key (`{"source.ip": ...}`) at any level, as ECS allows both spellings.
 */
export function getField(doc: unknown, path: string): unknown {
  let current: unknown = doc;
  let rest = path;
  while (rest.length > 0) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    const record = current as Record<string, unknown>;
    if (rest in record) return record[rest];
    const dot = rest.indexOf('.');
    if (dot < 0) return undefined;
    // Try the longest flattened prefix first so `{"a.b": {c: 1}}` resolves `a.b.c`.
    let matched = false;
    for (let cut = rest.lastIndexOf('.'); cut > 0; cut = rest.lastIndexOf('.', cut - 1)) {
      const head = rest.slice(0, cut);
      if (head in record) {
        current = record[head];
        rest = rest.slice(cut + 1);
        matched = true;
        break;
      }
    }
    if (!matched) return undefined;
  }
  return current;
}
