import { randomUUID } from 'node:crypto';
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../../core/log.js';
import { payloadSourceId } from './codec.js';
import { readFrames, writeFileAtomic, type Frame } from './files.js';

/**
 * What the spool reads when it opens: its id, its cursor, and each segment scanned for corrupt
 * entries and a tail torn by a crash (cut, since those bytes were never acknowledged).
 */

/** A place in the spool: a segment number and a byte offset in it. Stable for the life of the spool. */
export interface SpoolPosition {
  readonly segment: number;
  readonly offset: number;
}

/** The file holding the reader cursor (written atomically after each commit). */
export const CURSOR_FILE = 'cursor.json';
const ID_FILE = 'spool-id';

/**
 * Scans one segment from `start`: counts good entries per source and corrupt ones. In the last
 * segment, the first bad frame that no good frame follows starts a torn tail, which is cut.
 */
export async function scanSegment(
  path: string,
  start: number,
  last: boolean,
  logger: Logger,
): Promise<{ size: number; corrupt: number; pending: Map<string, { entries: number; bytes: number }> }> {
  const pending = new Map<string, { entries: number; bytes: number }>();
  let corrupt = 0;
  let size = (await stat(path)).size;
  const handle = await open(path, last ? 'r+' : 'r');
  try {
    let offset = Math.min(start, size);
    let tail: number | undefined;
    while (tail === undefined && offset < size) {
      const run = await readFrames(handle, offset, size, 10_000);
      for (const frame of run.frames) {
        if (frame.payload !== undefined) {
          const source = payloadSourceId(frame.payload) ?? 'unknown';
          const stats = pending.get(source) ?? { entries: 0, bytes: 0 };
          stats.entries += 1;
          stats.bytes += frame.size;
          pending.set(source, stats);
        } else if (last && !(await followedByGoodFrame(handle, frame, size))) {
          tail = frame.offset;
          break;
        } else {
          corrupt += 1;
        }
      }
      if (tail === undefined && run.stop !== undefined) {
        if (last) tail = run.next;
        else corrupt += 1;
        break;
      }
      offset = run.next;
    }
    if (tail !== undefined && last) {
      logger.warn({ file: path, offset: tail, bytes: size - tail }, 'spool tail cut by a crash; truncating the unacknowledged bytes');
      await handle.truncate(tail);
      await handle.sync();
      size = tail;
    }
  } finally {
    await handle.close();
  }
  return { size, corrupt, pending };
}

/** Whether a valid frame follows a bad-CRC one: then the bad one is corruption, not a torn tail. */
async function followedByGoodFrame(handle: FileHandle, frame: Frame, size: number): Promise<boolean> {
  const after = frame.offset + frame.size;
  if (after >= size) return false;
  const run = await readFrames(handle, after, size, 1);
  return run.frames[0]?.payload !== undefined;
}

/** The spool's random id (part of record identities), created on first open. */
export async function readOrCreateId(dir: string): Promise<string> {
  try {
    const id = (await readFile(join(dir, ID_FILE), 'utf8')).trim();
    if (/^[0-9a-f-]{36}$/.test(id)) return id;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const id = randomUUID();
  await writeFileAtomic(dir, ID_FILE, id);
  return id;
}

/** The committed reader position, or undefined when there is none or it is unreadable. */
export async function readCursor(dir: string, logger: Logger): Promise<SpoolPosition | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, CURSOR_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const value = JSON.parse(text) as Partial<SpoolPosition>;
    if (Number.isSafeInteger(value.segment) && Number.isSafeInteger(value.offset)) return { segment: value.segment as number, offset: value.offset as number };
  } catch {
    // handled below
  }
  // Replaying from the first segment is safe: event ids are deterministic, the store drops repeats.
  logger.error({ file: join(dir, CURSOR_FILE) }, 'spool cursor unreadable; replaying from the oldest segment');
  return undefined;
}
