import { UserError } from '../../../core/errors.js';
import type { MultilineConfig } from '../../../core/config/ingest.js';
import type { Line } from './reader.js';
import { trimToUtf8Boundary } from './reader.js';

/** A record built of one or more lines: offset of its first line, end of its last. */
export interface JoinedRecord {
  readonly offset: number;
  readonly end: number;
  readonly data: Buffer;
  readonly truncated: boolean;
}

/** Turns lines into records: one per line, or joined by a multiline rule. */
export interface Joiner {
  /** Feeds one line; returns the records it completes. */
  push(line: Line, now: number): JoinedRecord[];
  /** Emits the record being built, if any (its timeout passed or the file went away). */
  flush(): JoinedRecord | undefined;
  /** When the pending record last grew (ms since the epoch); undefined when nothing is pending. */
  readonly pendingSince: number | undefined;
}

/** One record per line. */
export class LineJoiner implements Joiner {
  readonly pendingSince = undefined;
  push(line: Line): JoinedRecord[] {
    return [line];
  }
  flush(): undefined {
    return undefined;
  }
}

// RE2 (Filebeat's regex engine) accepts POSIX classes such as [[:space:]] inside brackets;
// JavaScript does not, and copied Filebeat patterns use them all the time.
const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  blank: ' \\t',
  digit: '0-9',
  lower: 'a-z',
  upper: 'A-Z',
  space: '\\s',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  word: '\\w',
};

/** Compiles a multiline pattern (JavaScript syntax plus RE2's `[[:class:]]`). Throws a UserError when invalid. */
export function compileMultilinePattern(pattern: string, sourceId: string): RegExp {
  const translated = pattern.replace(/\[:([a-z]+):\]/g, (whole, name: string) => POSIX_CLASSES[name] ?? whole);
  try {
    return new RegExp(translated);
  } catch (error) {
    throw new UserError('WATCHPOST_ERR_CONFIG_INVALID', `file source ${sourceId}: multiline.pattern is not a valid regular expression`, {
      cause: error,
      problems: [{ message: (error as Error).message, path: `ingest.files[id=${sourceId}].multiline.pattern` }],
    });
  }
}

/**
 * Filebeat-style multiline joining. A line is *marked* when the pattern matches it (or does not,
 * with `negate`). With `match: after`, marked lines continue the record before them (a Java
 * stack trace: pattern `^\s`); with `match: before`, marked lines continue into the next line
 * (a trailing backslash: pattern `\\$`). Joined lines are separated by LF.
 *
 * Unlike Filebeat, lines beyond `maxLines` are not discarded: the record is emitted and the line
 * starts the next one, because a source must not drop silently. The joined record is capped at
 * `maxBytes` (truncated and flagged; later lines of it are consumed but not kept).
 */
export class MultilineJoiner implements Joiner {
  private readonly regex: RegExp;
  private parts: Buffer[] = [];
  private bytes = 0;
  private lines = 0;
  private offset = 0;
  private end = 0;
  private truncated = false;
  private lastLineAt: number | undefined;

  constructor(
    private readonly config: Readonly<MultilineConfig>,
    private readonly maxBytes: number,
    sourceId: string,
  ) {
    this.regex = compileMultilinePattern(config.pattern, sourceId);
  }

  get pendingSince(): number | undefined {
    return this.lastLineAt;
  }

  push(line: Line, now: number): JoinedRecord[] {
    const marked = this.regex.test(line.data.toString('utf8')) !== this.config.negate;
    const out: JoinedRecord[] = [];
    if (this.config.match === 'after') {
      if (!marked || this.lines >= this.config.maxLines) pushIf(out, this.flush());
      this.append(line, now);
    } else {
      if (this.lines >= this.config.maxLines) pushIf(out, this.flush());
      this.append(line, now);
      if (!marked) pushIf(out, this.flush());
    }
    return out;
  }

  flush(): JoinedRecord | undefined {
    if (this.lines === 0) return undefined;
    const record: JoinedRecord = {
      offset: this.offset,
      end: this.end,
      data: Buffer.concat(this.parts, this.bytes),
      truncated: this.truncated,
    };
    this.parts = [];
    this.bytes = 0;
    this.lines = 0;
    this.truncated = false;
    this.lastLineAt = undefined;
    return record;
  }

  private append(line: Line, now: number): void {
    if (this.lines === 0) this.offset = line.offset;
    this.end = line.end;
    this.lines += 1;
    this.lastLineAt = now;
    this.truncated ||= line.truncated;
    const separator = this.lines > 1 ? 1 : 0;
    const room = this.maxBytes - this.bytes - separator;
    if (room < 0 || (room === 0 && line.data.length > 0)) {
      this.truncated = true;
      return;
    }
    if (separator) this.parts.push(Buffer.from('\n'));
    let data = line.data;
    if (data.length > room) {
      data = trimToUtf8Boundary(data.subarray(0, room));
      this.truncated = true;
    }
    this.parts.push(data);
    this.bytes += separator + data.length;
  }
}

function pushIf(out: JoinedRecord[], record: JoinedRecord | undefined): void {
  if (record) out.push(record);
}
