import type { Readable } from 'node:stream';
import type { EcsEvent } from '../../core/ecs/event.js';
import type { RawRecord } from '../../core/ingest/record.js';
import { LineSplitter, type Line } from '../sources/file/reader.js';
import type { Normalizer } from './events.js';

/** Longest line kept by a replay, as the file source's default `maxLineBytes`. */
export const REPLAY_MAX_LINE_BYTES = 64 * 1024;

/** How replayed lines become records: what a file source with this config would set. */
export interface ReplaySource {
  /** The source id the records carry. @defaultValue `replay` */
  readonly sourceId?: string;
  /** The path shown in `log.file.path`; absent for stdin. */
  readonly file?: string;
  /** Key prefix (the file source's content fingerprint id); keys are `<prefix>:<offset>`. */
  readonly keyPrefix: string;
  /** Parser id, or `auto`/undefined for detection. */
  readonly format?: string;
  /** IANA zone for timestamps without an offset. @defaultValue `UTC` */
  readonly timezone?: string;
  /** The receive time stamped on every record (one per replay, so output is reproducible within it). */
  readonly receivedAt: number;
}

/** The record a file source would emit for `line`. */
export function replayRecord(source: ReplaySource, line: Line): RawRecord {
  return {
    sourceId: source.sourceId ?? 'replay',
    transport: 'file',
    data: line.data,
    receivedAt: source.receivedAt,
    ...(source.file !== undefined ? { file: source.file } : {}),
    offset: line.offset,
    key: `${source.keyPrefix}:${line.offset}`,
    timezone: source.timezone ?? 'UTC',
    ...(line.truncated ? { truncated: true } : {}),
    ...(source.format !== undefined && source.format !== 'auto' ? { format: source.format } : {}),
  };
}

/**
 * Normalizes one replayed record; `event.original` is always set (to the line) so a replay shows
 * what each event came from even when a parser dropped it.
 */
export function replayEvent(normalize: Normalizer, record: RawRecord): EcsEvent {
  const event = normalize(record);
  if (typeof event.event?.original === 'string') return event;
  return { ...event, event: { ...event.event, original: record.data.toString('utf8') } };
}

/**
 * The lines of a byte stream, streaming: memory is bounded by one chunk and one line of at most
 * `maxLineBytes` (longer lines keep their start and are flagged, as the file source does). A
 * last line without LF is emitted too.
 */
export async function* streamLines(input: Readable, maxLineBytes = REPLAY_MAX_LINE_BYTES): AsyncGenerator<Line> {
  const splitter = new LineSplitter(maxLineBytes, 0);
  for await (const chunk of input) {
    yield* splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  }
  const last = splitter.flushPartial();
  if (last) yield last;
}

/** Counts of a replay, for its summary line. */
export interface ReplayTally {
  events: number;
  /** Events a parser produced, by parser id. */
  readonly parsed: Record<string, number>;
  /** Events no parser claimed (kept as the transport decoded them). */
  unclaimed: number;
  /** Events tagged as parse failures, by reason. */
  readonly failures: Record<string, number>;
}

/** An empty tally. */
export function newTally(): ReplayTally {
  return { events: 0, parsed: {}, unclaimed: 0, failures: {} };
}

/** Counts one event by how it was parsed (from `watchpost.parse`). */
export function tallyEvent(tally: ReplayTally, event: EcsEvent): void {
  tally.events += 1;
  const parse = event.watchpost?.parse;
  if (parse?.failure !== undefined) tally.failures[parse.failure] = (tally.failures[parse.failure] ?? 0) + 1;
  else if (parse?.parser !== undefined) tally.parsed[parse.parser] = (tally.parsed[parse.parser] ?? 0) + 1;
  else tally.unclaimed += 1;
}
