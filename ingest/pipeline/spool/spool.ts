import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { OperationalError } from '../../../core/errors.js';
import type { RawRecord } from '../../../core/ingest/record.js';
import { silentLogger, type Logger } from '../../../core/log.js';
import { decodePayload, encodeEntry, payloadSourceId } from './codec.js';
import { listSegments, readFrames, removeTempFiles, segmentName, syncDir, writeFileAtomic, type Frame } from './files.js';
import { CURSOR_FILE, readCursor, readOrCreateId, scanSegment, type SpoolPosition } from './recovery.js';

export type { SpoolPosition } from './recovery.js';

/** One record read back from the spool. */
export interface SpoolEntry {
  /** Where the entry starts: with {@link Spool.id}, the record's identity when it has no `key`. */
  readonly position: SpoolPosition;
  readonly record: RawRecord;
}

/** What {@link Spool.read} returns: entries and the position to commit once they are stored. */
export interface SpoolRead {
  readonly entries: SpoolEntry[];
  /** Where reading continues; past the entries and any corrupt bytes skipped on the way. */
  readonly next: SpoolPosition;
}

/** Pending (appended, not yet committed) entries and bytes of one source. */
export interface SpoolSourceStats {
  readonly entries: number;
  readonly bytes: number;
}

/** Options of {@link Spool.open}. */
export interface SpoolOptions {
  /** The spool directory, `<dataDir>/spool`. */
  readonly dir: string;
  /** Append waits while this many bytes are pending. */
  readonly maxBytes: number;
  /** A segment is closed and a new one started before it would grow past this. */
  readonly segmentBytes: number;
  /** @defaultValue a silent logger */
  readonly logger?: Logger;
}


interface QueuedAppend {
  readonly entries: readonly { readonly buffer: Buffer; readonly sourceId: string }[];
  readonly bytes: number;
  resolve(): void;
  reject(error: unknown): void;
}

interface ReadMark {
  readonly end: SpoolPosition;
  readonly sourceId: string | undefined;
  readonly bytes: number;
  readonly valid: boolean;
}

function before(a: SpoolPosition, b: SpoolPosition): boolean {
  return a.segment < b.segment || (a.segment === b.segment && a.offset < b.offset);
}

function spoolError(message: string, cause?: unknown): OperationalError {
  return new OperationalError('WATCHPOST_ERR_SPOOL_IO', message, cause === undefined ? {} : { cause });
}

/**
 * The write-ahead spool every accepted record passes through: segment files of framed,
 * CRC-checked entries in one directory, a reader cursor persisted atomically, segments deleted
 * once the cursor has passed them.
 *
 * - {@link Spool.append} resolves only after its entries are written and fdatasync'd. Appends
 *   that arrive while a sync is running are written and synced together by the next one (group
 *   commit), so the cost of a sync is shared by every concurrent sender.
 * - The reader sees only synced entries: an entry's position is its identity, and a torn tail is
 *   cut on the next open, so a position read before its sync could be reused by another record.
 * - While {@link Spool.isFull}, append waits: the backpressure that reaches TCP and file sources.
 */
export class Spool {
  /** Random id of this spool, made when the directory is first used; scopes entry positions. */
  readonly id: string;
  private readonly dir: string;
  private readonly logger: Logger;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  /** Sizes of live segments (those at or after the cursor), by number. */
  private readonly sizes = new Map<number, number>();
  private readonly pending = new Map<string, { entries: number; bytes: number }>();
  private cursor: SpoolPosition;
  private readPos: SpoolPosition;
  private readonly readMarks: ReadMark[] = [];
  private writeHandle: FileHandle;
  private writeSegment: number;
  private writeOffset: number;
  /** End of the synced part of the active segment: the reader stops here. */
  private syncedOffset: number;
  private queue: QueuedAppend[] = [];
  private queuedBytes = 0;
  private flushing: Promise<void> | undefined;
  private readHandle: { segment: number; handle: FileHandle } | undefined;
  private spaceWaiters: (() => void)[] = [];
  private dataWaiters: (() => void)[] = [];
  private committing: Promise<void> = Promise.resolve();
  private closed = false;
  private corrupt = 0;

  private constructor(options: SpoolOptions, id: string, cursor: SpoolPosition, write: { handle: FileHandle; segment: number; offset: number }) {
    this.dir = options.dir;
    this.logger = options.logger ?? silentLogger();
    this.maxBytes = options.maxBytes;
    this.segmentBytes = options.segmentBytes;
    this.id = id;
    this.cursor = cursor;
    this.readPos = cursor;
    this.writeHandle = write.handle;
    this.writeSegment = write.segment;
    this.writeOffset = write.offset;
    this.syncedOffset = write.offset;
  }

  /**
   * Opens (creating if needed) the spool in `options.dir`: reads the cursor, deletes segments
   * before it, scans every entry after it, truncates a torn tail of the last segment (a write
   * cut by a crash: never acknowledged, since append resolves only after the sync) and counts
   * corrupt entries elsewhere (skipped when read, logged at error).
   */
  static async open(options: SpoolOptions): Promise<Spool> {
    const { dir } = options;
    const logger = options.logger ?? silentLogger();
    await mkdir(dir, { recursive: true });
    await removeTempFiles(dir);
    const id = await readOrCreateId(dir);
    const segments = await listSegments(dir);
    let cursor: SpoolPosition = (await readCursor(dir, logger)) ?? { segment: segments[0] ?? 1, offset: 0 };
    const first = cursor.segment;
    for (const n of segments) if (n < first) await rm(join(dir, segmentName(n)), { force: true });
    const live = segments.filter((n) => n >= first);
    if (live.length > 0 && live[0] !== cursor.segment) cursor = { segment: live[0] as number, offset: 0 };

    const sizes = new Map<number, number>();
    const pending = new Map<string, { entries: number; bytes: number }>();
    let corrupt = 0;
    for (const [index, n] of live.entries()) {
      const scanned = await scanSegment(join(dir, segmentName(n)), n === cursor.segment ? cursor.offset : 0, index === live.length - 1, logger);
      sizes.set(n, scanned.size);
      corrupt += scanned.corrupt;
      for (const [source, count] of scanned.pending) {
        const stats = pending.get(source) ?? { entries: 0, bytes: 0 };
        stats.entries += count.entries;
        stats.bytes += count.bytes;
        pending.set(source, stats);
      }
    }
    if (corrupt > 0) logger.error({ corrupt }, 'spool has corrupt entries; they will be skipped and counted when read (their records are lost)');

    if (live.length === 0 && cursor.offset > 0) {
      // The cursor's segment vanished (deleted by hand): start a fresh one after it, so no position is reused.
      cursor = { segment: cursor.segment + 1, offset: 0 };
    }
    const cursorSize = sizes.get(cursor.segment);
    if (cursorSize !== undefined && cursor.offset > cursorSize) cursor = { segment: cursor.segment, offset: cursorSize };
    const writeSegment = live.length > 0 ? (live[live.length - 1] as number) : cursor.segment;
    const writePath = join(dir, segmentName(writeSegment));
    let handle: FileHandle;
    if (sizes.has(writeSegment)) {
      handle = await open(writePath, 'r+');
    } else {
      handle = await open(writePath, 'wx');
      await syncDir(dir);
      sizes.set(writeSegment, 0);
    }
    const spool = new Spool(options, id, cursor, { handle, segment: writeSegment, offset: sizes.get(writeSegment) ?? 0 });
    for (const [n, size] of sizes) spool.sizes.set(n, size);
    for (const [source, stats] of pending) spool.pending.set(source, stats);
    spool.corrupt = corrupt;
    logger.info({ dir, id, cursor, segments: sizes.size, pendingBytes: spool.bytes() }, 'spool opened');
    return spool;
  }

  /** Bytes appended (or waiting to be) and not yet committed: what the cap applies to. */
  bytes(): number {
    let total = this.queuedBytes - this.cursor.offset;
    for (const [n, size] of this.sizes) if (n >= this.cursor.segment) total += size;
    return total;
  }

  /** True while the spool is at its cap: UDP drops (counted) instead of waiting. */
  isFull(): boolean {
    return this.bytes() >= this.maxBytes;
  }

  /** Pending entries and bytes per source, for the spool gauges. */
  stats(): ReadonlyMap<string, SpoolSourceStats> {
    return this.pending;
  }

  /** Corrupt entries found (at open) or skipped (when read) since open. */
  corruptEntries(): number {
    return this.corrupt;
  }

  /**
   * Appends a batch; resolves once it is synced to disk. Waits first while the spool is full.
   * Rejects with an OperationalError when the spool is closing or the disk write fails.
   */
  async append(batch: readonly RawRecord[]): Promise<void> {
    if (batch.length === 0) return;
    const entries = batch.map((record) => ({ buffer: encodeEntry(record), sourceId: record.sourceId }));
    const bytes = entries.reduce((sum, entry) => sum + entry.buffer.length, 0);
    while (!this.closed && this.isFull()) await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    if (this.closed) throw spoolError('the spool is closed; the pipeline is stopping');
    this.queuedBytes += bytes;
    for (const entry of entries) this.account(entry.sourceId, 1, entry.buffer.length);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ entries, bytes, resolve, reject });
      this.kick();
    });
  }

  /**
   * Reads up to `max` synced entries after the last read (not the cursor: re-reading what is in
   * flight is {@link Spool.rewind}'s job). Returns at once, possibly with none.
   */
  async read(max: number): Promise<SpoolRead> {
    const entries: SpoolEntry[] = [];
    while (entries.length < max && !this.closed) {
      const { segment } = this.readPos;
      const end = segment === this.writeSegment ? this.syncedOffset : this.sizes.get(segment);
      if (end === undefined || this.readPos.offset >= end) {
        if (segment >= this.writeSegment) break;
        const nextSegment = [...this.sizes.keys()].filter((n) => n > segment).sort((a, b) => a - b)[0];
        if (nextSegment === undefined) break;
        this.readPos = { segment: nextSegment, offset: 0 };
        continue;
      }
      const handle = await this.readerFor(segment);
      const run = await readFrames(handle, this.readPos.offset, end, max - entries.length);
      for (const frame of run.frames) this.take(segment, frame, entries);
      let next = run.next;
      if (run.stop !== undefined) {
        this.corrupt += 1;
        this.logger.error({ segment, offset: run.next, bytes: end - run.next, reason: run.stop }, 'spool segment unreadable from here on; skipping the rest of it (records lost)');
        next = end;
      }
      this.readMarks.push({ end: { segment, offset: next }, sourceId: undefined, bytes: 0, valid: false });
      this.readPos = { segment, offset: next };
    }
    return { entries, next: this.readPos };
  }

  /** Waits until synced entries are there to read, `ms` pass, `signal` aborts or the spool closes. */
  async waitForData(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.closed || this.hasUnread() || signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        const index = this.dataWaiters.indexOf(done);
        if (index >= 0) this.dataWaiters.splice(index, 1);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.dataWaiters.push(done);
    });
  }

  /** Whether synced entries wait beyond the read position. */
  hasUnread(): boolean {
    if (this.readPos.segment < this.writeSegment) return true;
    return this.readPos.offset < this.syncedOffset;
  }

  /** Moves the read position back to the cursor: what was read and not committed is read again. */
  rewind(): void {
    this.readPos = this.cursor;
    this.readMarks.length = 0;
  }

  /**
   * Persists the cursor at `position` (temp file, fsync, rename, directory fsync): entries before
   * it are done and will not be read again after a restart. Deletes segments wholly before it.
   */
  commit(position: SpoolPosition): Promise<void> {
    const run = this.committing.then(() => this.commitNow(position));
    this.committing = run.catch(() => undefined);
    return run;
  }

  /** Stops appends (waiting ones reject), finishes the running sync, closes the files. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake(this.spaceWaiters);
    this.wake(this.dataWaiters);
    while (this.flushing) await this.flushing;
    await this.committing;
    await this.readHandle?.handle.close();
    this.readHandle = undefined;
    await this.writeHandle.close();
  }

  private async commitNow(position: SpoolPosition): Promise<void> {
    if (!before(this.cursor, position)) return;
    await writeFileAtomic(this.dir, CURSOR_FILE, JSON.stringify(position));
    this.cursor = position;
    while (this.readMarks.length > 0 && !before(position, (this.readMarks[0] as ReadMark).end)) {
      const mark = this.readMarks.shift() as ReadMark;
      if (mark.valid && mark.sourceId !== undefined) this.account(mark.sourceId, -1, -mark.bytes);
    }
    for (const n of [...this.sizes.keys()]) {
      if (n >= position.segment || n === this.writeSegment) continue;
      this.sizes.delete(n);
      if (this.readHandle?.segment === n) {
        await this.readHandle.handle.close();
        this.readHandle = undefined;
      }
      // A deleted segment that reappears after a power loss lies before the cursor and is deleted again on open.
      await rm(join(this.dir, segmentName(n)), { force: true });
    }
    this.wake(this.spaceWaiters);
  }

  private take(segment: number, frame: Frame, into: SpoolEntry[]): void {
    const end = { segment, offset: frame.offset + frame.size };
    if (frame.payload === undefined) {
      this.corrupt += 1;
      this.logger.error({ segment, offset: frame.offset, bytes: frame.size }, 'spool entry fails its CRC; skipping it (record lost)');
      this.readMarks.push({ end, sourceId: undefined, bytes: frame.size, valid: false });
      return;
    }
    const sourceId = payloadSourceId(frame.payload);
    try {
      into.push({ position: { segment, offset: frame.offset }, record: decodePayload(frame.payload) });
      this.readMarks.push({ end, sourceId, bytes: frame.size, valid: true });
    } catch (error) {
      this.corrupt += 1;
      this.logger.error({ err: error, segment, offset: frame.offset }, 'spool entry cannot be decoded; skipping it (record lost)');
      this.readMarks.push({ end, sourceId, bytes: frame.size, valid: true });
    }
  }

  private async readerFor(segment: number): Promise<FileHandle> {
    if (this.readHandle?.segment === segment) return this.readHandle.handle;
    await this.readHandle?.handle.close();
    const handle = await open(join(this.dir, segmentName(segment)), 'r');
    this.readHandle = { segment, handle };
    return handle;
  }

  private account(sourceId: string, entries: number, bytes: number): void {
    const stats = this.pending.get(sourceId) ?? { entries: 0, bytes: 0 };
    stats.entries += entries;
    stats.bytes += bytes;
    this.pending.set(sourceId, stats);
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = undefined;
      if (this.queue.length > 0) this.kick();
    });
  }

  private async flushLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const appends = this.queue;
      this.queue = [];
      try {
        await this.writeAndSync(appends);
        for (const append of appends) append.resolve();
      } catch (error) {
        for (const append of appends) {
          for (const entry of append.entries) this.account(entry.sourceId, -1, -entry.buffer.length);
          append.reject(spoolError(`spool write failed: ${(error as Error).message}`, error));
        }
        this.logger.error({ err: error }, 'spool write failed; the senders of this batch were refused');
      } finally {
        for (const append of appends) this.queuedBytes -= append.bytes;
      }
      this.wake(this.dataWaiters);
    }
  }

  private async writeAndSync(appends: readonly QueuedAppend[]): Promise<void> {
    let chunk: Buffer[] = [];
    let chunkBytes = 0;
    try {
      for (const append of appends) {
        for (const { buffer } of append.entries) {
          const used = this.writeOffset + chunkBytes;
          if (used > 0 && used + buffer.length > this.segmentBytes) {
            await this.writeChunk(chunk, chunkBytes);
            chunk = [];
            chunkBytes = 0;
            await this.roll();
          }
          chunk.push(buffer);
          chunkBytes += buffer.length;
        }
      }
      await this.writeChunk(chunk, chunkBytes);
      await this.writeHandle.datasync();
      this.syncedOffset = this.writeOffset;
    } catch (error) {
      // Cut what this round wrote so the segment ends at its last synced entry and positions stay unique.
      try {
        await this.writeHandle.truncate(this.syncedOffset);
        this.writeOffset = this.syncedOffset;
        this.sizes.set(this.writeSegment, this.syncedOffset);
      } catch (truncateError) {
        this.logger.error({ err: truncateError }, 'spool cannot truncate a failed write; closing it');
        this.closed = true;
      }
      throw error;
    }
  }

  private async writeChunk(chunk: readonly Buffer[], bytes: number): Promise<void> {
    if (bytes === 0) return;
    const data = chunk.length === 1 ? (chunk[0] as Buffer) : Buffer.concat(chunk, bytes);
    let written = 0;
    while (written < bytes) {
      const result = await this.writeHandle.write(data, written, bytes - written, this.writeOffset + written);
      written += result.bytesWritten;
    }
    this.writeOffset += bytes;
    this.sizes.set(this.writeSegment, this.writeOffset);
  }

  /** Seals the active segment (synced) and starts the next one. */
  private async roll(): Promise<void> {
    await this.writeHandle.datasync();
    this.syncedOffset = this.writeOffset;
    const next = this.writeSegment + 1;
    const handle = await open(join(this.dir, segmentName(next)), 'wx');
    await syncDir(this.dir);
    await this.writeHandle.close();
    this.writeHandle = handle;
    this.writeSegment = next;
    this.writeOffset = 0;
    this.syncedOffset = 0;
    this.sizes.set(next, 0);
    this.wake(this.dataWaiters);
  }

  private wake(waiters: (() => void)[]): void {
    for (const waiter of waiters.splice(0)) waiter();
  }
}
