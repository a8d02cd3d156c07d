import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { OperationalError } from '../../../core/errors.js';
import type { Logger } from '../../../core/log.js';

/**
 * The durable position of one file, keyed by its identity id (the record key prefix).
 * `offset` is the end of the last record the pipeline acknowledged: never ahead of emitted data.
 */
export interface CheckpointEntry {
  /** Identity id and record key prefix: the content fingerprint (shortened) or a provisional id. */
  readonly id: string;
  /** Where the file was last seen (informational: identity is the fingerprint). */
  path: string;
  offset: number;
  /** SHA-256 (hex) of the first `fingerprintBytes` bytes of the file. */
  fingerprint: string;
  /** 1024 once the file reached that size; fewer while the identity is provisional. */
  fingerprintBytes: number;
  dev: number;
  inode: number;
  /** Last change, ms since the epoch; old entries of vanished files are forgotten. */
  updatedAt: number;
}

interface CheckpointFile {
  readonly version: 1;
  readonly sourceId: string;
  readonly entries: Record<string, CheckpointEntry>;
}

/**
 * The positions of one file source, in `<stateDir>/file-<sourceId>.positions.json`.
 *
 * Written atomically the way Filebeat's registry learned to (elastic/beats#3537: a zero-byte
 * registry after power loss despite write-temp + rename): write a temp file, fsync it, rename
 * it over the old one, then fsync the directory so the rename itself is durable.
 */
export class CheckpointStore {
  readonly entries = new Map<string, CheckpointEntry>();
  private dirty = false;
  private lastFlushAt = 0;

  private constructor(
    private readonly dir: string,
    private readonly sourceId: string,
  ) {}

  /** The checkpoint file's path. */
  get file(): string {
    return checkpointPath(this.dir, this.sourceId);
  }

  /**
   * Loads the checkpoint, creating the state directory if needed. A corrupt file is moved aside
   * and logged at ERROR: the source then starts afresh (files re-read per `startAt`; records of
   * fully fingerprinted files keep their keys, so the pipeline drops those duplicates).
   */
  static async open(dir: string, sourceId: string, logger: Logger): Promise<CheckpointStore> {
    await mkdir(dir, { recursive: true });
    const store = new CheckpointStore(dir, sourceId);
    let text: string;
    try {
      text = await readFile(store.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return store;
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as Partial<CheckpointFile>;
      if (parsed.version !== 1 || typeof parsed.entries !== 'object' || parsed.entries === null) throw new Error('unknown layout');
      for (const entry of Object.values(parsed.entries)) {
        if (isEntry(entry)) store.entries.set(entry.id, { ...entry });
      }
    } catch (error) {
      const aside = `${store.file}.corrupt-${Date.now()}`;
      await rename(store.file, aside);
      logger.error({ file: store.file, movedTo: aside, err: error }, 'file positions unreadable; starting without them');
    }
    return store;
  }

  /** Records a change; it reaches the disk with the next {@link flush}. */
  set(entry: CheckpointEntry): void {
    this.entries.set(entry.id, entry);
    this.dirty = true;
  }

  delete(id: string): void {
    if (this.entries.delete(id)) this.dirty = true;
  }

  markDirty(): void {
    this.dirty = true;
  }

  /** Milliseconds since the last write. */
  sinceLastFlush(now: number): number {
    return now - this.lastFlushAt;
  }

  get isDirty(): boolean {
    return this.dirty;
  }

  /** Writes the positions durably if anything changed since the last write. */
  async flush(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const body: CheckpointFile = { version: 1, sourceId: this.sourceId, entries: Object.fromEntries(this.entries) };
    try {
      await writeDurably(this.dir, this.file, `${JSON.stringify(body)}\n`);
    } catch (error) {
      this.dirty = true;
      throw new OperationalError('WATCHPOST_ERR_SOURCE_CHECKPOINT', `cannot write the file positions to ${this.file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    this.lastFlushAt = Date.now();
  }
}

/** Where a source's positions live. */
export function checkpointPath(dir: string, sourceId: string): string {
  return join(dir, `file-${sourceId}.positions.json`);
}

async function writeDurably(dir: string, file: string, content: string): Promise<void> {
  const temp = `${file}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

function isEntry(value: unknown): value is CheckpointEntry {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry.id === 'string' &&
    typeof entry.path === 'string' &&
    Number.isSafeInteger(entry.offset) &&
    typeof entry.fingerprint === 'string' &&
    Number.isSafeInteger(entry.fingerprintBytes) &&
    typeof entry.dev === 'number' &&
    typeof entry.inode === 'number' &&
    typeof entry.updatedAt === 'number'
  );
}
