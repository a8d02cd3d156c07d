import { ECS_VERSION, type EcsEvent } from '../../core/ecs/event.js';
import { PARSE_FAILURE_TAG } from '../../core/ecs/fields.js';
import type { RawRecord } from '../../core/ingest/record.js';

/** Turns one raw record into an ECS event (without `event.id`, which the pipeline sets). May throw: the pipeline catches it. */
export type Normalizer = (record: RawRecord) => EcsEvent;

/** `watchpost.input` of a record: where it came from. */
export function inputOf(record: RawRecord): NonNullable<NonNullable<EcsEvent['watchpost']>['input']> {
  return {
    id: record.sourceId,
    transport: record.transport,
    ...(record.peer !== undefined ? { peer: record.peer } : {}),
    ...(record.listener !== undefined ? { listener: record.listener } : {}),
  };
}

/**
 * Marks an event as not understood: the parse-failure tag, `watchpost.parse.failure` with a
 * short reason code, and `event.original` kept (the record's text when the event has none).
 */
export function markParseFailure(event: EcsEvent, record: RawRecord, reason: string): EcsEvent {
  const tags = event.tags ?? [];
  return {
    ...event,
    tags: tags.includes(PARSE_FAILURE_TAG) ? tags : [...tags, PARSE_FAILURE_TAG],
    event: { ...event.event, original: event.event?.original ?? record.data.toString('utf8') },
    watchpost: { ...event.watchpost, parse: { ...event.watchpost?.parse, failure: event.watchpost?.parse?.failure ?? reason } },
  };
}

/**
 * The event stored for a record that could not be decoded at all (the normalizer threw): the
 * text as `message` and `event.original`, when and where it was received, tagged and with the
 * reason, so nothing accepted is lost and the failure is searchable.
 */
export function failureEvent(record: RawRecord, reason: string): EcsEvent {
  const text = record.data.toString('utf8');
  const received = new Date(record.receivedAt).toISOString();
  return {
    '@timestamp': received,
    message: text,
    tags: [PARSE_FAILURE_TAG],
    ecs: { version: ECS_VERSION },
    event: { kind: 'pipeline_error', original: text, created: received },
    ...(record.file !== undefined ? { log: { file: { path: record.file }, ...(record.offset !== undefined ? { offset: record.offset } : {}) } } : {}),
    ...(record.peer !== undefined ? { log: { source: { address: record.peer } } } : {}),
    watchpost: { input: inputOf(record), parse: { failure: reason, ...(record.truncated ? { truncated: true } : {}) } },
  };
}

/**
 * An event posted over HTTP: the sender's structure (from `record.event`, else the JSON in
 * `data`) with what Watchpost fills in: `@timestamp` (receive time when absent or unparsable),
 * `event.original`, `ecs.version` and `watchpost.input`. The sender's own `event.id` is not
 * trusted as the stored id: the pipeline derives the id from the record's key.
 */
export function httpEvent(record: RawRecord): EcsEvent {
  const text = record.data.toString('utf8');
  let given: unknown = record.event;
  if (given === undefined) {
    try {
      given = JSON.parse(text);
    } catch {
      return markParseFailure(failureEvent(record, 'invalid_json'), record, 'invalid_json');
    }
  }
  if (given === null || typeof given !== 'object' || Array.isArray(given)) return failureEvent(record, 'not_an_object');
  const sent = given as Partial<EcsEvent>;
  const received = new Date(record.receivedAt).toISOString();
  const stamp = typeof sent['@timestamp'] === 'string' && !Number.isNaN(Date.parse(sent['@timestamp'])) ? sent['@timestamp'] : undefined;
  const event: EcsEvent = {
    ...sent,
    '@timestamp': stamp ?? received,
    ecs: { version: ECS_VERSION, ...sent.ecs },
    event: { kind: 'event', ...sent.event, original: sent.event?.original ?? (text.length > 0 ? text : JSON.stringify(given)), created: received },
    watchpost: { ...sent.watchpost, input: inputOf(record) },
  };
  return stamp === undefined && sent['@timestamp'] !== undefined ? markParseFailure(event, record, 'invalid_timestamp') : event;
}
