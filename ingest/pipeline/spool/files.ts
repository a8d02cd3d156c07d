import { open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { checkFrame, type FrameCheck } from './codec.js';

/** Segment files are `<20-digit number>.seg` so a plain sort is numeric order. */
const SEGMENT_PATTERN = /^(\d{20})\.seg$/;

/** The file name of segment `n`. */
export function segmentName(n: number): string {
  return `${String(n).padStart(20, '0')}.seg`;
}

/** Numbers of the segments in `dir`, ascending. */
export async function listSegments(dir: string): Promise<number[]> {
  const names = await readdir(dir);
  return names
    .map((name) => SEGMENT_PATTERN.exec(name)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/** fsyncs a directory so a create, rename or unlink inside it survives a power loss. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `dir/name` atomically and durably: temp file, fsync, rename, fsync of the directory.
 * A crash leaves either the old or the new content, never a torn or empty file (the failure
 * Filebeat hit, elastic/beats#3537, came from skipping the directory fsync).
 */
export async function writeFileAtomic(dir: string, name: string, content: string): Promise<void> {
  const temp = join(dir, `${name}.tmp`);
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, join(dir, name));
  await syncDir(dir);
}

/** Removes leftover temp files of an interrupted {@link writeFileAtomic}. */
export async function removeTempFiles(dir: string): Promise<void> {
  for (const name of await readdir(dir)) if (name.endsWith('.tmp')) await rm(join(dir, name), { force: true });
}

/** One frame found by {@link readFrames}: a good entry (with payload) or one whose CRC failed. */
export interface Frame {
  readonly offset: number;
  readonly size: number;
  /** Undefined when the CRC did not match. */
  readonly payload?: Buffer;
}

/** What {@link readFrames} read: the frames and where the next one starts. */
export interface FrameRun {
  readonly frames: Frame[];
  /** Offset of the first byte not consumed. */
  readonly next: number;
  /** Set when reading cannot continue before `end`: the frame at `next` is cut short or has an impossible length. */
  readonly stop?: 'short' | 'bad-length';
}

/** Bytes read from a segment at a time. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * Reads frames of one segment from `start` up to `end` (exclusive), at most `limit` of them
 * (bad-CRC frames included). Payloads are views of the read buffer.
 */
export async function readFrames(handle: FileHandle, start: number, end: number, limit: number): Promise<FrameRun> {
  const frames: Frame[] = [];
  let offset = start;
  let buffer: Buffer = Buffer.alloc(0);
  let base = start;
  while (offset < end && frames.length < limit) {
    let check: FrameCheck = checkFrame(buffer, offset - base);
    if (check.kind === 'short') {
      const wanted = Math.max(check.needed, Math.min(CHUNK_BYTES, end - offset));
      if (offset + check.needed > end) {
        // Not even the header or payload fits before the end: read what is there to tell a cut frame from a bad length.
        buffer = await readAt(handle, offset, end - offset);
        base = offset;
        check = checkFrame(buffer, 0);
        if (check.kind === 'bad-length') return { frames, next: offset, stop: 'bad-length' };
        return { frames, next: offset, stop: 'short' };
      }
      buffer = await readAt(handle, offset, Math.min(wanted, end - offset));
      base = offset;
      // The file is shorter than `end` says (it was truncated under us): stop rather than spin.
      if (buffer.length < check.needed) return { frames, next: offset, stop: 'short' };
      continue;
    }
    if (check.kind === 'bad-length') return { frames, next: offset, stop: 'bad-length' };
    if (offset + check.size > end) return { frames, next: offset, stop: 'short' };
    frames.push(check.kind === 'ok' ? { offset, size: check.size, payload: check.payload } : { offset, size: check.size });
    offset += check.size;
  }
  return { frames, next: offset };
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}
