import type { FileHandle } from 'node:fs/promises';

/** One line of a file, without its LF (and without the CR of a CRLF). */
export interface Line {
  /** Offset of the line's first byte. */
  readonly offset: number;
  /** Offset just past the line's LF: where reading resumes after this line. */
  readonly end: number;
  readonly data: Buffer;
  /** The line was longer than the maximum and only its beginning is kept. */
  readonly truncated: boolean;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into lines at LF bytes. Splitting on the LF byte can never cut a UTF-8
 * multi-byte sequence (none contains 0x0A), and invalid UTF-8 or NUL bytes pass through as they
 * are: the pipeline decodes. A line longer than `maxLineBytes` keeps its first bytes (backed off
 * to a UTF-8 boundary), is flagged, and the rest of it is skipped without being buffered, so
 * memory stays bounded whatever the file holds.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private kept = 0;
  private truncated = false;
  private lineStart: number;
  private position: number;

  constructor(
    private readonly maxLineBytes: number,
    offset: number,
  ) {
    this.lineStart = offset;
    this.position = offset;
  }

  /** Offset of the next byte expected. */
  get nextOffset(): number {
    return this.position;
  }

  /** True while bytes of an unfinished line (no LF yet) are held. */
  get hasPartial(): boolean {
    return this.position > this.lineStart;
  }

  /** Feeds the bytes that follow the previous chunk; returns the lines they complete. */
  push(chunk: Buffer): Line[] {
    const lines: Line[] = [];
    let from = 0;
    while (from < chunk.length) {
      const lf = chunk.indexOf(LF, from);
      const to = lf < 0 ? chunk.length : lf;
      this.keep(chunk, from, to);
      this.position += to - from;
      if (lf < 0) break;
      this.position += 1;
      lines.push(this.finish(true));
      from = lf + 1;
    }
    return lines;
  }

  /** Emits the held unfinished line as it is (the file went idle or away); undefined if none. */
  flushPartial(): Line | undefined {
    return this.hasPartial ? this.finish(false) : undefined;
  }

  private keep(chunk: Buffer, from: number, to: number): void {
    const room = this.maxLineBytes - this.kept;
    if (to - from > room) {
      this.truncated = true;
      to = from + Math.max(0, room);
    }
    if (to > from) {
      // Copy, so that a held partial line does not pin the whole read buffer.
      this.parts.push(Buffer.from(chunk.subarray(from, to)));
      this.kept += to - from;
    }
  }

  private finish(complete: boolean): Line {
    let data = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.kept);
    if (this.truncated) {
      data = trimToUtf8Boundary(data);
    } else if (complete && data.length > 0 && data[data.length - 1] === CR) {
      data = data.subarray(0, data.length - 1);
    }
    const line: Line = { offset: this.lineStart, end: this.position, data, truncated: this.truncated };
    this.parts = [];
    this.kept = 0;
    this.truncated = false;
    this.lineStart = this.position;
    return line;
  }
}

/**
 * Drops a UTF-8 sequence cut short at the end of `data` (1 to 3 bytes), so that a truncated line
 * ends on a character boundary. Bytes that are not well-formed UTF-8 are left alone.
 */
export function trimToUtf8Boundary(data: Buffer): Buffer {
  const n = data.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const byte = data[n - back] as number;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: look further back for the lead
    const needed = byte >= 0xf0 && byte <= 0xf4 ? 4 : byte >= 0xe0 && byte <= 0xef ? 3 : byte >= 0xc2 && byte <= 0xdf ? 2 : 1;
    return needed > back ? data.subarray(0, n - back) : data;
  }
  return data;
}

/**
 * Reads up to `length` bytes at `position`; returns fewer at end of file (an empty buffer at
 * EOF). The buffer is fresh, so lines may keep slices of it.
 */
export async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}
