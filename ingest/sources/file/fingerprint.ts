import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

/**
 * How many leading bytes identify a file (Filebeat's fingerprint length). Two files whose first
 * 1024 bytes are equal are the same file, whatever their path or inode: that is what makes
 * rename rotation, copytruncate and inode reuse tractable.
 */
export const FINGERPRINT_BYTES = 1024;

/** SHA-256 of `bytes`, hex. */
export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Reads the first `min(size, FINGERPRINT_BYTES)` bytes of a file. */
export async function readHead(handle: FileHandle, size: number): Promise<Buffer> {
  const length = Math.min(size, FINGERPRINT_BYTES);
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/**
 * The key prefix of a file identified by a full fingerprint: content-derived, so even a lost
 * checkpoint re-reads the file under the same record keys (and the pipeline dedups them).
 */
export function contentId(head: Buffer): string {
  return sha256Hex(head).slice(0, 32);
}

/**
 * The key prefix of a file first seen shorter than {@link FINGERPRINT_BYTES}. Its first bytes
 * are too few to tell files apart (many logs begin with the same date), so the id is made
 * unique with the device, inode and the time of first sight. It is not reproducible, which is
 * why the tailer writes a new identity to the checkpoint before it emits a record under it.
 */
export function provisionalId(head: Buffer, dev: number, inode: number, now: number): string {
  return `p${sha256Hex(head).slice(0, 16)}-${dev.toString(36)}-${inode.toString(36)}-${now.toString(36)}`;
}

/** How a file's first bytes relate to a known identity. */
export type HeadRelation = 'extends' | 'prefix' | 'none';

/**
 * Compares a file's head with an identity: `extends` when the identity's fingerprinted bytes are
 * the file's first bytes (same file, possibly grown); `prefix` when the file is shorter than the
 * identity's known head and equal to its beginning (a copy in progress, or a new file sharing a
 * prefix: only decidable later). `known` is the identity's head when this process has read it;
 * otherwise only its hash is available and only `extends` can be told.
 */
export function relateHead(
  head: Buffer,
  identity: { readonly fingerprint: string; readonly fingerprintBytes: number },
  known?: Buffer,
): HeadRelation {
  if (known) {
    if (head.length >= known.length) return head.subarray(0, known.length).equals(known) ? 'extends' : 'none';
    return known.subarray(0, head.length).equals(head) ? 'prefix' : 'none';
  }
  if (identity.fingerprintBytes > head.length) return 'none';
  return sha256Hex(head.subarray(0, identity.fingerprintBytes)) === identity.fingerprint ? 'extends' : 'none';
}
