import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { watch } from 'chokidar';
import type { FSWatcher } from 'chokidar';
import type { FileSourceConfig } from '../../../core/config/ingest.js';
import type { RawRecord } from '../../../core/ingest/record.js';
import type { Source, SourceContext } from '../../source.js';
import { CheckpointStore, type CheckpointEntry } from './checkpoint.js';
import { FINGERPRINT_BYTES, contentId, provisionalId, readHead, sha256Hex } from './fingerprint.js';
import { compileExclude, compileGlob, discover, type CompiledGlob } from './glob.js';
import { identify } from './identity.js';
import { LineJoiner, MultilineJoiner, type JoinedRecord, type Joiner } from './multiline.js';
import { LineSplitter, readAt } from './reader.js';

/** Internal timings and sizes of the tailer; the defaults suit production, tests shorten them. */
export interface FileTailerTuning {
  /** Coalesce position commits to at most one per this interval. @defaultValue 250 */
  readonly commitIntervalMs: number;
  /** Emit a final line without LF once the file has not grown for this long. @defaultValue 5000 */
  readonly partialLineIdleMs: number;
  /** Close a file that has not grown for this long (reopened when it changes). @defaultValue 300000 */
  readonly closeInactiveMs: number;
  /**
   * Keep reading a file that left the globs (renamed away or deleted) until it has not grown for
   * this long: a writer may still append to it before it reopens its log. @defaultValue 5000
   */
  readonly goneGraceMs: number;
  /** How long a file that looks like a copy in progress is left alone. @defaultValue 2000 */
  readonly copyWindowMs: number;
  /** @defaultValue 1000 */
  readonly batchMaxRecords: number;
  /** @defaultValue 1 MiB */
  readonly batchMaxBytes: number;
  /** @defaultValue 64 KiB */
  readonly readChunkBytes: number;
  /** Bytes read from one file before the others get their turn. @defaultValue 4 MiB */
  readonly fairShareBytes: number;
  /** Forget positions of files not seen for this long. @defaultValue 7 days */
  readonly entryTtlMs: number;
  /** Use chokidar events besides the poll. @defaultValue true */
  readonly watch: boolean;
}

/** The production defaults of {@link FileTailerTuning}. */
export const DEFAULT_TUNING: FileTailerTuning = {
  commitIntervalMs: 250,
  partialLineIdleMs: 5000,
  closeInactiveMs: 300_000,
  goneGraceMs: 5000,
  copyWindowMs: 2000,
  batchMaxRecords: 1000,
  batchMaxBytes: 1024 * 1024,
  readChunkBytes: 64 * 1024,
  fairShareBytes: 4 * 1024 * 1024,
  entryTtlMs: 7 * 24 * 3600 * 1000,
  watch: true,
};

type ReleaseReason = 'truncated' | 'gone' | 'inactive' | 'error';

interface Tracked {
  readonly id: string;
  readonly entry: CheckpointEntry;
  path: string;
  readonly handle: FileHandle;
  readonly dev: number;
  readonly inode: number;
  head: Buffer;
  /** Next byte to read; bytes before it are emitted or held in the splitter/joiner. */
  readPos: number;
  readonly splitter: LineSplitter;
  readonly joiner: Joiner;
  lastGrowthAt: number;
  goneSince: number | undefined;
}

interface Settled {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly id?: string;
}

class Aborted extends Error {}

/**
 * Tails the files of one file source: discovery, identity, reading, multiline, emit and
 * position commits. One sequential loop does all of it, so a pending `emit` stops all reading
 * (the backpressure the Source contract asks for) and no two steps race on a file.
 */
export class FileTailer implements Source {
  private readonly tuning: FileTailerTuning;
  private readonly globs: CompiledGlob[];
  private readonly excludes: ((path: string) => boolean)[];
  private readonly tracked = new Map<string, Tracked>();
  private readonly heads = new Map<string, Buffer>();
  private readonly released = new Map<string, { readonly at: number; readonly reason: ReleaseReason }>();
  private readonly settled = new Map<string, Settled>();
  private readonly firstSeen = new Map<string, number>();
  private store: CheckpointStore | undefined;
  private scanNeeded = true;
  private initialScanDone = false;
  private nextPollAt = 0;
  private wakeUp: (() => void) | undefined;
  private wokenEarly = false;

  constructor(
    private readonly config: Readonly<FileSourceConfig>,
    private readonly ctx: SourceContext,
    tuning: Partial<FileTailerTuning> = {},
  ) {
    this.tuning = { ...DEFAULT_TUNING, ...tuning };
    this.globs = config.paths.map((pattern) => compileGlob(pattern));
    this.excludes = (config.exclude ?? []).map((pattern) => compileExclude(pattern));
    // Compile the multiline pattern now, so that a bad one is a config error at create().
    this.newJoiner();
  }

  async run(): Promise<void> {
    const { signal, logger } = this.ctx;
    if (signal.aborted) return;
    const store = await CheckpointStore.open(this.ctx.stateDir, this.config.id, logger);
    this.store = store;
    const onAbort = (): void => this.wake();
    signal.addEventListener('abort', onAbort);
    const watcher = this.tuning.watch ? this.startWatcher() : undefined;
    logger.info({ paths: this.config.paths, positions: store.entries.size }, 'file source started');
    try {
      await this.loop();
    } catch (error) {
      if (!(error instanceof Aborted)) throw error;
    } finally {
      signal.removeEventListener('abort', onAbort);
      await watcher?.close();
      for (const tracked of this.tracked.values()) await tracked.handle.close().catch(() => undefined);
      this.tracked.clear();
      // Positions of everything acknowledged so far; a failure here only means re-reading.
      await store.flush().catch((error: unknown) => logger.warn({ err: error }, 'last position commit failed; records since the previous one will be read again'));
    }
    logger.info('file source stopped');
  }

  private async loop(): Promise<void> {
    const { signal } = this.ctx;
    while (!signal.aborted) {
      if (this.scanNeeded || Date.now() >= this.nextPollAt) {
        this.scanNeeded = false;
        this.nextPollAt = Date.now() + this.config.pollIntervalMs;
        await this.scan();
      }
      let more = false;
      for (const tracked of [...this.tracked.values()]) {
        if (signal.aborted) return;
        if (await this.pump(tracked)) more = true;
      }
      await this.commitIfDue();
      if (more || this.scanNeeded) continue;
      await this.sleep(this.nextDeadline() - Date.now());
    }
  }

  private startWatcher(): FSWatcher {
    const bases = [...new Set(this.globs.map((glob) => glob.base))];
    const unbounded = this.globs.some((glob) => glob.maxDepth === undefined);
    const depth = unbounded ? undefined : Math.max(...this.globs.map((glob) => glob.maxDepth ?? 0));
    const watcher = watch(bases, { ignoreInitial: true, ignorePermissionErrors: true, ...(depth === undefined ? {} : { depth }) });
    watcher.on('all', (event, path) => {
      if (!this.globs.some((glob) => glob.regex.test(path))) return;
      // A change to a file being tailed needs only a read; anything else may be a new file.
      const tailed = event === 'change' && [...this.tracked.values()].some((tracked) => tracked.path === path);
      if (!tailed) this.scanNeeded = true;
      this.wake();
    });
    watcher.on('error', (error) => this.ctx.logger.warn({ err: error }, 'file watcher failed; polling continues'));
    return watcher;
  }

  private async scan(): Promise<void> {
    const store = this.requireStore();
    const now = Date.now();
    const paths = await discover(this.globs, this.excludes);
    const present = new Set(paths);
    const seen = new Set<string>();
    for (const path of paths) {
      if (this.ctx.signal.aborted) return;
      let stats: Stats;
      try {
        stats = await stat(path);
      } catch {
        continue;
      }
      if (!stats.isFile()) continue;
      const tailed = this.byInode(stats.dev, stats.ino);
      if (tailed) {
        if (tailed.path !== path) this.ctx.logger.debug({ from: tailed.path, to: path }, 'file renamed; reading on under its new name');
        tailed.path = path;
        tailed.goneSince = undefined;
        seen.add(tailed.id);
        continue;
      }
      const settled = this.settled.get(path);
      if (settled && sameStats(settled, stats)) {
        const entry = settled.id === undefined ? undefined : store.entries.get(settled.id);
        // Keep the position of a closed, unchanged file from expiring.
        if (entry && now - entry.updatedAt > this.tuning.entryTtlMs / 2) {
          entry.updatedAt = now;
          store.markDirty();
        }
        continue;
      }
      this.settled.delete(path);
      const id = await this.consider(path, now);
      if (id !== undefined) seen.add(id);
    }
    for (const tracked of this.tracked.values()) {
      if (!seen.has(tracked.id) && tracked.goneSince === undefined) tracked.goneSince = now;
    }
    for (const path of this.settled.keys()) if (!present.has(path)) this.settled.delete(path);
    for (const key of this.firstSeen.keys()) if (!present.has(key.slice(0, key.indexOf('\0')))) this.firstSeen.delete(key);
    for (const [id, released] of this.released) {
      if (now - released.at > Math.max(this.tuning.copyWindowMs, 60_000)) {
        this.released.delete(id);
        if (!this.tracked.has(id)) this.heads.delete(id);
      }
    }
    if (this.initialScanDone) {
      for (const entry of [...store.entries.values()]) {
        if (!this.tracked.has(entry.id) && now - entry.updatedAt > this.tuning.entryTtlMs) store.delete(entry.id);
      }
    }
    this.initialScanDone = true;
  }

  /** Identifies a file that is not being tailed and starts tailing it; returns its identity id. */
  private async consider(path: string, now: number): Promise<string | undefined> {
    const store = this.requireStore();
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      this.ctx.logger.debug({ file: path, err: error }, 'file not readable');
      return undefined;
    }
    let owned = false;
    try {
      const stats = await handle.stat();
      const already = this.byInode(stats.dev, stats.ino);
      if (already) return already.id;
      if (!stats.isFile() || stats.size === 0) {
        // Nothing to identify an empty file by: look again when it changes.
        this.settled.set(path, settledOf(stats));
        return undefined;
      }
      const head = await readHead(handle, stats.size);
      const seenKey = `${path}\0${stats.dev}:${stats.ino}`;
      const firstSeen = this.firstSeen.get(seenKey) ?? now;
      this.firstSeen.set(seenKey, firstSeen);
      const decision = identify(
        head,
        stats,
        {
          entries: store.entries.values(),
          isClaimed: (id) => this.tracked.has(id),
          knownHead: (id) => this.heads.get(id),
          truncatedAt: (id) => {
            const released = this.released.get(id);
            return released?.reason === 'truncated' ? released.at : undefined;
          },
        },
        { now, young: now - firstSeen < this.tuning.copyWindowMs, copyWindowMs: this.tuning.copyWindowMs },
      );
      let entry: CheckpointEntry;
      if (decision.kind === 'wait') {
        if (!decision.recheck) this.settled.set(path, settledOf(stats));
        return undefined;
      } else if (decision.kind === 'claim') {
        entry = decision.entry;
        Object.assign(entry, { path, dev: stats.dev, inode: stats.ino, updatedAt: now });
        store.markDirty();
        this.ctx.logger.debug({ file: path, offset: entry.offset, id: entry.id }, 'file recognized; resuming');
      } else {
        entry = await this.newIdentity(path, handle, stats, head, now);
      }
      const tracked: Tracked = {
        id: entry.id,
        entry,
        path,
        handle,
        dev: stats.dev,
        inode: stats.ino,
        head,
        readPos: entry.offset,
        splitter: new LineSplitter(this.config.maxLineBytes, entry.offset),
        joiner: this.newJoiner(),
        lastGrowthAt: now,
        goneSince: undefined,
      };
      this.tracked.set(entry.id, tracked);
      this.heads.set(entry.id, head);
      this.released.delete(entry.id);
      this.upgradeFingerprint(tracked);
      owned = true;
      return entry.id;
    } finally {
      if (!owned) await handle.close().catch(() => undefined);
    }
  }

  private async newIdentity(path: string, handle: FileHandle, stats: Stats, head: Buffer, now: number): Promise<CheckpointEntry> {
    const store = this.requireStore();
    const entries = [...store.entries.values()];
    // startAt applies to files never seen before. A file at a known path or inode is a rotated-in
    // or truncated file (perhaps while we were stopped): all of it is new data.
    const known = entries.some((entry) => entry.path === path || (entry.dev === stats.dev && entry.inode === stats.ino));
    const atEnd = !this.initialScanDone && this.config.startAt === 'end' && !known;
    const offset = atEnd ? await lineStartBefore(handle, stats.size) : 0;
    let id = head.length >= FINGERPRINT_BYTES ? contentId(head) : provisionalId(head, stats.dev, stats.ino, now);
    if (store.entries.has(id)) id = provisionalId(head, stats.dev, stats.ino, now);
    const entry: CheckpointEntry = {
      id,
      path,
      offset,
      fingerprint: sha256Hex(head),
      fingerprintBytes: head.length,
      dev: stats.dev,
      inode: stats.ino,
      updatedAt: now,
    };
    store.set(entry);
    // A provisional id cannot be derived again: it must be durable before any record carries it.
    await store.flush();
    this.ctx.logger.debug({ file: path, offset, id }, 'new file');
    return entry;
  }

  /** Reads what a file has beyond its position and emits it; true when more remains to read. */
  private async pump(tracked: Tracked): Promise<boolean> {
    let size: number;
    try {
      size = (await tracked.handle.stat()).size;
    } catch (error) {
      this.ctx.logger.warn({ file: tracked.path, err: error }, 'file stat failed; reopening it later');
      await this.release(tracked, 'error');
      return false;
    }
    if (size < tracked.readPos) {
      this.ctx.logger.info({ file: tracked.path, size, position: tracked.readPos }, 'file truncated; reading it again from the start as a new file');
      // Complete lines held for multiline joining may exist nowhere else now (copytruncate keeps
      // only what was there at the copy). If the copy has them, it re-reads them under the same
      // keys. The unfinished last line is not emitted: the copy holds it whole, or it is lost anyway.
      const held = tracked.joiner.flush();
      if (held) await this.emit(tracked, [held]);
      await this.release(tracked, 'truncated');
      return false;
    }
    if (tracked.head.length < FINGERPRINT_BYTES && size > tracked.head.length) {
      const head = await readHead(tracked.handle, size);
      if (!head.subarray(0, tracked.head.length).equals(tracked.head)) {
        this.ctx.logger.info({ file: tracked.path }, 'file rewritten in place; reading it again from the start as a new file');
        await this.release(tracked, 'truncated');
        return false;
      }
      tracked.head = head;
      this.heads.set(tracked.id, head);
      this.upgradeFingerprint(tracked);
    }
    const now = Date.now();
    const records: JoinedRecord[] = [];
    let bytes = 0;
    let budget = this.tuning.fairShareBytes;
    try {
      while (tracked.readPos < size && budget > 0) {
        const chunk = await readAt(tracked.handle, tracked.readPos, Math.min(this.tuning.readChunkBytes, size - tracked.readPos));
        if (chunk.length === 0) break;
        tracked.readPos += chunk.length;
        tracked.lastGrowthAt = now;
        budget -= chunk.length;
        for (const line of tracked.splitter.push(chunk)) {
          for (const record of tracked.joiner.push(line, now)) {
            records.push(record);
            bytes += record.data.length;
          }
          if (records.length >= this.tuning.batchMaxRecords || bytes >= this.tuning.batchMaxBytes) {
            await this.emit(tracked, records.splice(0));
            bytes = 0;
          }
        }
      }
    } catch (error) {
      if (error instanceof Aborted) throw error;
      this.ctx.logger.warn({ file: tracked.path, err: error }, 'file read failed; reopening it later');
      await this.release(tracked, 'error');
      return false;
    }
    const goneFor = tracked.goneSince === undefined ? -1 : now - Math.max(tracked.lastGrowthAt, tracked.goneSince);
    const gone = goneFor >= this.tuning.goneGraceMs;
    if (tracked.splitter.hasPartial && (gone || now - tracked.lastGrowthAt >= this.tuning.partialLineIdleMs)) {
      // A last line without LF: the writer is idle or the file is gone, so this is all of it.
      const line = tracked.splitter.flushPartial();
      if (line) records.push(...tracked.joiner.push(line, now));
    }
    const pendingSince = tracked.joiner.pendingSince;
    if (pendingSince !== undefined && (gone || now - pendingSince >= (this.config.multiline?.timeoutMs ?? 0))) {
      const record = tracked.joiner.flush();
      if (record) records.push(record);
    }
    if (records.length > 0) await this.emit(tracked, records);
    if (tracked.readPos < size) return true;
    if (gone) {
      this.ctx.logger.debug({ file: tracked.path }, 'file gone and read to its end; closing it');
      await this.release(tracked, 'gone');
    } else if (
      !tracked.splitter.hasPartial &&
      tracked.joiner.pendingSince === undefined &&
      now - tracked.lastGrowthAt >= this.tuning.closeInactiveMs
    ) {
      const stats = await tracked.handle.stat().catch(() => undefined);
      if (stats) this.settled.set(tracked.path, { ...settledOf(stats), id: tracked.id });
      await this.release(tracked, 'inactive');
    }
    return false;
  }

  private async emit(tracked: Tracked, records: readonly JoinedRecord[]): Promise<void> {
    const last = records[records.length - 1];
    if (!last) return;
    const receivedAt = Date.now();
    let bytes = 0;
    let truncated = 0;
    const batch: RawRecord[] = records.map((record) => {
      bytes += record.data.length;
      if (record.truncated) truncated += 1;
      return {
        sourceId: this.config.id,
        transport: 'file',
        data: record.data,
        receivedAt,
        file: tracked.path,
        offset: record.offset,
        key: `${tracked.id}:${record.offset}`,
        timezone: this.config.timezone,
        ...(record.truncated ? { truncated: true } : {}),
        ...(this.config.format === undefined ? {} : { format: this.config.format }),
      };
    });
    this.ctx.metrics.received(batch.length, bytes);
    if (truncated > 0) this.ctx.metrics.truncated(truncated);
    await this.untilAborted(this.ctx.emit(batch));
    // Only now, with the batch durable downstream, may the position move past it.
    Object.assign(tracked.entry, { offset: last.end, path: tracked.path, updatedAt: receivedAt });
    this.requireStore().markDirty();
    await this.commitIfDue();
  }

  private upgradeFingerprint(tracked: Tracked): void {
    const { entry, head } = tracked;
    if (head.length <= entry.fingerprintBytes) return;
    // The identity id stays; only the bytes that prove it grow, up to the full fingerprint.
    entry.fingerprint = sha256Hex(head);
    entry.fingerprintBytes = head.length;
    this.requireStore().markDirty();
  }

  private async release(tracked: Tracked, reason: ReleaseReason): Promise<void> {
    await tracked.handle.close().catch(() => undefined);
    this.tracked.delete(tracked.id);
    this.released.set(tracked.id, { at: Date.now(), reason });
    if (reason !== 'inactive') {
      // A copy left waiting for this file (copytruncate) may now continue it: look at all again.
      this.settled.clear();
      this.scanNeeded = true;
    }
  }

  private async commitIfDue(): Promise<void> {
    const store = this.requireStore();
    if (store.isDirty && store.sinceLastFlush(Date.now()) >= this.tuning.commitIntervalMs) await store.flush();
  }

  private nextDeadline(): number {
    let deadline = this.nextPollAt;
    const store = this.requireStore();
    if (store.isDirty) deadline = Math.min(deadline, Date.now() - store.sinceLastFlush(Date.now()) + this.tuning.commitIntervalMs);
    for (const tracked of this.tracked.values()) {
      if (tracked.splitter.hasPartial) deadline = Math.min(deadline, tracked.lastGrowthAt + this.tuning.partialLineIdleMs);
      const pendingSince = tracked.joiner.pendingSince;
      if (pendingSince !== undefined) deadline = Math.min(deadline, pendingSince + (this.config.multiline?.timeoutMs ?? 0));
      if (tracked.goneSince !== undefined) {
        deadline = Math.min(deadline, Math.max(tracked.lastGrowthAt, tracked.goneSince) + this.tuning.goneGraceMs);
      }
      deadline = Math.min(deadline, tracked.lastGrowthAt + this.tuning.closeInactiveMs);
    }
    return deadline;
  }

  private wake(): void {
    const wakeUp = this.wakeUp;
    if (wakeUp) wakeUp();
    else this.wokenEarly = true;
  }

  private async sleep(ms: number): Promise<void> {
    if (this.wokenEarly || this.ctx.signal.aborted || ms <= 0) {
      this.wokenEarly = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
    this.wokenEarly = false;
  }

  /** Waits for `promise` unless the source is stopped first (then an unacknowledged batch is simply read again next time). */
  private async untilAborted(promise: Promise<void>): Promise<void> {
    const { signal } = this.ctx;
    if (signal.aborted) throw new Aborted();
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(new Aborted());
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then(
        () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(signal.aborted ? new Aborted() : (error as Error));
        },
      );
    });
  }

  private byInode(dev: number, ino: number): Tracked | undefined {
    for (const tracked of this.tracked.values()) if (tracked.dev === dev && tracked.inode === ino) return tracked;
    return undefined;
  }

  private newJoiner(): Joiner {
    return this.config.multiline ? new MultilineJoiner(this.config.multiline, this.config.maxLineBytes, this.config.id) : new LineJoiner();
  }

  private requireStore(): CheckpointStore {
    if (!this.store) throw new Error('file source used before run()');
    return this.store;
  }
}

function settledOf(stats: Stats): Settled {
  return { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs };
}

function sameStats(settled: Settled, stats: Stats): boolean {
  return settled.dev === stats.dev && settled.ino === stats.ino && settled.size === stats.size && settled.mtimeMs === stats.mtimeMs;
}

/** The start of the last line at `size` (for startAt: end), so a line being written is not cut. */
async function lineStartBefore(handle: FileHandle, size: number): Promise<number> {
  const window = Math.min(size, 64 * 1024);
  const tail = await readAt(handle, size - window, window);
  const lf = tail.lastIndexOf(0x0a);
  return lf < 0 ? (window === size ? 0 : size) : size - window + lf + 1;
}
