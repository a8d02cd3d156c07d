import type { EcsEvent } from '../../core/ecs/event.js';
import type { RawRecord } from '../../core/ingest/record.js';
import type { SyslogMessage } from '../syslog/parse.js';

/**
 * The Parser contract (docs/specs/parser.md): a vendor format to ECS.
 *
 * - `matches` is a cheap pre-filter (a prefix, a keyword, a character test): no regex over the
 *   whole line, no allocation it can avoid. It may say yes to lines `parse` then refuses.
 * - `parse` is pure (no I/O, no clock but the context's) and NEVER throws on bad input: it returns
 *   the event or a failure with a short, low-cardinality reason code (`no_match`, `bad_timestamp`).
 *   A throw is a bug; the fuzz test over every parser exists to find it.
 * - The event returned extends `context.base` (keep its `@timestamp` unless the line carries a
 *   better one, its `event.original`, `log.*`, `host.*`, `watchpost.input`) and sets what the
 *   format tells: `event.kind/category/type/action/outcome`, `source.*`/`destination.*`,
 *   `network.*`, `observer.*`, `user.*`, `url.*`, `http.*`, `rule.*`, `threat.*`/malware names,
 *   `process.*`, `file.*`, `related.*`, `event.dataset` (`<vendor>.<log>`), `event.module`.
 * - The parser documents in `timeResolution` how it finds the year and time zone of timestamps
 *   (`context.timezone` is the source's or sender's configured zone).
 */
export interface Parser {
  /** `vendor-product` (= its folder name): `cisco-asa`, `openssh`. */
  readonly id: string;
  readonly description: string;
  /** Syslog app names / programs (lower case) that route straight to this parser. */
  readonly programs: readonly string[];
  /** How the year and time zone of the format's timestamps are resolved. */
  readonly timeResolution: string;
  matches(context: ParseContext): boolean;
  parse(context: ParseContext): ParseResult;
}

/** What a parser sees of one record. */
export interface ParseContext {
  readonly record: RawRecord;
  /** The syslog header when the record had one; `text` is then its MSG part. */
  readonly syslog?: SyslogMessage;
  /** What to parse: the syslog MSG when there is a header, else the whole record as text. */
  readonly text: string;
  /** The event the transport gave (syslogEvent or plainEvent): extend it, do not rebuild it. */
  readonly base: EcsEvent;
  /** IANA zone for timestamps without an offset. */
  readonly timezone: string;
}

/** A parser's answer. */
export type ParseResult = { readonly event: EcsEvent } | { readonly failure: string };
