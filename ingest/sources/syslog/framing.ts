/**
 * RFC 6587 framing of a syslog byte stream (TCP and TLS): octet counting (`MSG-LEN SP MSG`, the
 * only framing RFC 5425 allows) or non-transparent framing with a trailer (LF, which also covers
 * CRLF, and NUL, which some senders use). Framing only: the frames are not parsed.
 */

/** One frame, without its framing. */
export interface Frame {
  readonly data: Buffer;
  /** The frame was longer than the maximum and was cut to it. */
  readonly truncated: boolean;
}

/** How a connection frames its messages, decided from its first byte. */
export type FramingMode = 'octet-counting' | 'trailer';

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const SP = 0x20;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
/** "non-numeric before SP within 10 chars": a length is at most 10 digits. */
const MAX_LENGTH_DIGITS = 10;
/** A declared length above maxMessageBytes times this is a lie, not a long message. */
const ABSURD_LENGTH_FACTOR = 4;

/**
 * Drops one trailing LF (or CRLF) inside an octet-counted frame: it is a sender's habit (rsyslog's
 * RSYSLOG_SyslogProtocol23Format template ends with one), not message text, and UDP datagrams
 * lose it the same way, so a message reads the same whatever transport brought it.
 */
export function withoutTrailingLf(data: Buffer): Buffer {
  let end = data.length;
  if (end > 0 && data[end - 1] === LF) {
    end -= 1;
    if (end > 0 && data[end - 1] === CR) end -= 1;
  }
  return end === data.length ? data : data.subarray(0, end);
}

/** Why a connection switched from octet counting to trailer framing. */
export type FallbackReason = 'non_numeric_length' | 'absurd_length';

/**
 * Incremental decoder of one connection's stream. Memory is bounded: at most `maxMessageBytes`
 * (plus one byte, a CR awaiting its LF) of an unfinished frame is kept; the rest of an oversized
 * frame is skipped and the kept part is emitted flagged `truncated`.
 *
 * The framing is detected once per connection from the first byte (a digit 1-9 means octet
 * counting, RFC 6587 §3.4.1, anything else a trailer). When an octet-counted connection sends a
 * length that is not a number or is absurdly large, the connection falls back to trailer framing
 * for the rest of its life, re-reading the bytes of the bogus length as message text so that
 * nothing read is lost.
 */
export class FrameDecoder {
  readonly #max: number;
  #mode: FramingMode | undefined;
  #fallback: FallbackReason | undefined;

  // Trailer framing: the unfinished frame and whether its excess is being skipped.
  #parts: Buffer[] = [];
  #partLength = 0;
  #skipping = false;

  // Octet counting: the digits of a length being read, or the message being read.
  #lengthDigits: number[] = [];
  #remaining = 0;
  #inMessage = false;
  #messageTruncated = false;

  /** @param maxMessageBytes - longest frame kept; longer frames are cut to it and flagged. */
  constructor(maxMessageBytes: number) {
    this.#max = maxMessageBytes;
  }

  /** The detected framing, once the first byte has arrived. */
  get mode(): FramingMode | undefined {
    return this.#mode;
  }

  /** Set when an octet-counted connection fell back to trailer framing. */
  get fallback(): FallbackReason | undefined {
    return this.#fallback;
  }

  /** Feeds bytes read from the connection; returns the frames they complete, in order. */
  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    if (chunk.length === 0) return frames;
    if (this.#mode === undefined) {
      const first = chunk[0] ?? 0;
      this.#mode = first > DIGIT_0 && first <= DIGIT_9 ? 'octet-counting' : 'trailer';
    }
    if (this.#mode === 'octet-counting') this.#pushCounted(chunk, frames);
    else this.#pushTrailer(chunk, 0, frames);
    return frames;
  }

  /**
   * The connection closed: returns what is left. An unfinished trailer frame is a complete
   * message whose sender omitted the last LF; an unfinished octet-counted frame is flagged
   * truncated, since fewer bytes arrived than its length promised.
   */
  end(): Frame[] {
    const frames: Frame[] = [];
    if (this.#mode === 'trailer') {
      if (!this.#skipping && this.#partLength > 0) this.#emitTrailerFrame(frames, false);
    } else if (this.#mode === 'octet-counting') {
      if (this.#inMessage && this.#partLength > 0) {
        frames.push({ data: this.#takeParts(), truncated: true });
      } else if (this.#lengthDigits.length > 0) {
        frames.push({ data: Buffer.from(this.#lengthDigits), truncated: true });
      }
    }
    this.#reset();
    return frames;
  }

  #reset(): void {
    this.#parts = [];
    this.#partLength = 0;
    this.#skipping = false;
    this.#lengthDigits = [];
    this.#remaining = 0;
    this.#inMessage = false;
    this.#messageTruncated = false;
  }

  #pushCounted(chunk: Buffer, frames: Frame[]): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.#inMessage) {
        const take = Math.min(this.#remaining, chunk.length - pos);
        const room = this.#max - this.#partLength;
        if (room > 0) this.#keep(chunk.subarray(pos, pos + Math.min(take, room)));
        pos += take;
        this.#remaining -= take;
        if (this.#remaining === 0) {
          frames.push({ data: this.#messageTruncated ? this.#takeParts() : withoutTrailingLf(this.#takeParts()), truncated: this.#messageTruncated });
          this.#inMessage = false;
          this.#messageTruncated = false;
        }
        continue;
      }
      const byte = chunk[pos] ?? 0;
      if (byte >= DIGIT_0 && byte <= DIGIT_9 && !(byte === DIGIT_0 && this.#lengthDigits.length === 0)) {
        this.#lengthDigits.push(byte);
        pos += 1;
        if (this.#lengthDigits.length > MAX_LENGTH_DIGITS) return this.#fallBack('non_numeric_length', chunk, pos, frames);
        continue;
      }
      if (byte === SP && this.#lengthDigits.length > 0) {
        const length = Number(Buffer.from(this.#lengthDigits).toString('latin1'));
        if (length > this.#max * ABSURD_LENGTH_FACTOR) return this.#fallBack('absurd_length', chunk, pos, frames);
        this.#lengthDigits = [];
        this.#remaining = length;
        this.#inMessage = true;
        this.#messageTruncated = length > this.#max;
        pos += 1;
        continue;
      }
      // Some senders end octet-counted frames with a LF anyway (or pad with NULs): harmless
      // between frames.
      if (this.#lengthDigits.length === 0 && (byte === LF || byte === CR || byte === NUL)) {
        pos += 1;
        continue;
      }
      return this.#fallBack('non_numeric_length', chunk, pos, frames);
    }
  }

  /** Switches the connection to trailer framing; the bytes of the bogus length become text. */
  #fallBack(reason: FallbackReason, chunk: Buffer, pos: number, frames: Frame[]): void {
    this.#fallback = reason;
    this.#mode = 'trailer';
    const digits = Buffer.from(this.#lengthDigits);
    this.#lengthDigits = [];
    this.#pushTrailer(Buffer.concat([digits, chunk.subarray(pos)]), 0, frames);
  }

  #pushTrailer(chunk: Buffer, start: number, frames: Frame[]): void {
    let pos = start;
    // indexOf is far faster than a byte loop; the NUL position is cached so each byte is
    // scanned at most once per terminator kind.
    let nextNul = chunk.indexOf(NUL, pos);
    while (pos < chunk.length) {
      if (nextNul !== -1 && nextNul < pos) nextNul = chunk.indexOf(NUL, pos);
      const nextLf = chunk.indexOf(LF, pos);
      let end: number;
      if (nextLf === -1) end = nextNul;
      else if (nextNul === -1) end = nextLf;
      else end = Math.min(nextLf, nextNul);

      const pieceEnd = end === -1 ? chunk.length : end;
      if (!this.#skipping) {
        // One byte of slack for a CR that turns out to precede the LF.
        const room = this.#max + 1 - this.#partLength;
        const piece = chunk.subarray(pos, pieceEnd);
        if (piece.length <= room) {
          this.#keep(piece);
        } else {
          this.#keep(piece.subarray(0, room));
          this.#emitTrailerFrame(frames, true);
          this.#skipping = true;
        }
      }
      if (end === -1) return;
      if (this.#skipping) {
        this.#skipping = false;
        this.#parts = [];
        this.#partLength = 0;
      } else {
        this.#emitTrailerFrame(frames, false, chunk[end] === LF);
      }
      pos = end + 1;
    }
  }

  #emitTrailerFrame(frames: Frame[], overflowed: boolean, stripCr = true): void {
    let data = this.#takeParts();
    if (!overflowed && stripCr && data.length > 0 && data[data.length - 1] === CR) data = data.subarray(0, data.length - 1);
    const truncated = overflowed || data.length > this.#max;
    if (data.length > this.#max) data = data.subarray(0, this.#max);
    // Blank lines (LF LF, CRLF CRLF, a NUL after a LF) carry no message.
    if (data.length > 0 || truncated) frames.push({ data, truncated });
  }

  /**
   * Keeps a copy of a piece. Copying (rather than slicing the socket's chunk) lets a 64 KiB read
   * buffer be freed while a small record from it waits in the spool, and keeps a frame that
   * trickles in byte by byte from pinning one read buffer per byte.
   */
  #keep(piece: Buffer): void {
    if (piece.length === 0) return;
    this.#parts.push(Buffer.from(piece));
    this.#partLength += piece.length;
  }

  #takeParts(): Buffer {
    const data = this.#parts.length === 1 ? (this.#parts[0] ?? Buffer.alloc(0)) : Buffer.concat(this.#parts, this.#partLength);
    this.#parts = [];
    this.#partLength = 0;
    return data;
  }
}
