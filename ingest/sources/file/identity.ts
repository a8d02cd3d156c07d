import type { Stats } from 'node:fs';
import type { CheckpointEntry } from './checkpoint.js';
import { FINGERPRINT_BYTES, relateHead } from './fingerprint.js';

/** What the tailer knows, in memory, about identities besides the checkpoint. */
export interface IdentityState {
  readonly entries: Iterable<CheckpointEntry>;
  /** Identities currently tailed through an open descriptor. */
  isClaimed(id: string): boolean;
  /** The head this process read of an identity (tailed now or earlier), when it has one. */
  knownHead(id: string): Buffer | undefined;
  /** When an identity was let go because its file was truncated (copytruncate), if recently. */
  truncatedAt(id: string): number | undefined;
}

/** The outcome of identifying a file that is not being tailed. */
export type Identification =
  | { readonly kind: 'claim'; readonly entry: CheckpointEntry }
  /** Not decidable yet; `recheck` asks to look again at the next scan even if the file is unchanged. */
  | { readonly kind: 'wait'; readonly recheck: boolean }
  | { readonly kind: 'new' };

/**
 * Decides which identity, if any, a file continues. The rules, from strongest evidence down:
 *
 * 1. *Full fingerprint* (the file's first 1024 bytes hash to an identity's): the same file,
 *    whatever its path or inode — a renamed file continues where it was. If that identity is
 *    being tailed through another descriptor, this file is a copy of it (copytruncate's copy
 *    before the truncate, or a `cp`): wait; once the original is truncated or gone, the copy
 *    continues the identity. If the file is shorter than the committed offset it is a stale
 *    snapshot of data already read: wait (skip it) rather than read it again.
 * 2. *Provisional identity* (first seen shorter than 1024 bytes): its few first bytes do not
 *    tell files apart, so the file must also have the identity's device and inode — or be the
 *    copy of an identity whose file was truncated moments ago (copytruncate of a small file).
 *    A new file that merely shares a small file's first bytes stays a new file.
 * 3. A file whose whole content is a prefix of a known head may be a copy still being written:
 *    wait for `copyWindowMs` after first sight, then decide again.
 *
 * A file whose content no identity explains is new. A truncated file (size below its offset)
 * never continues its identity: it becomes a new identity read from 0, so its records never
 * reuse the keys of the data it held before.
 */
export function identify(
  head: Buffer,
  stats: Pick<Stats, 'size' | 'dev' | 'ino'>,
  state: IdentityState,
  options: { readonly now: number; readonly young: boolean; readonly copyWindowMs: number },
): Identification {
  let best: CheckpointEntry | undefined;
  let bestScore = -1;
  let wait = false;
  let recheck = false;
  for (const entry of state.entries) {
    const known = state.knownHead(entry.id);
    const relation = relateHead(head, entry, known);
    if (relation === 'none') continue;
    const full = relation === 'extends' && (known?.length ?? entry.fingerprintBytes) >= FINGERPRINT_BYTES;
    const sameInode = entry.dev === stats.dev && entry.inode === stats.ino;
    const truncatedAt = state.truncatedAt(entry.id);
    const justTruncated = truncatedAt !== undefined && options.now - truncatedAt < options.copyWindowMs;
    if (state.isClaimed(entry.id)) {
      if (full) {
        wait = true;
      } else if (options.young) {
        wait = true;
        recheck = true;
      }
      continue;
    }
    if (relation === 'prefix') {
      if (justTruncated && entry.offset <= stats.size) {
        // The copy of a just-truncated file, still being written, already holds all we emitted.
      } else {
        if (justTruncated || options.young) {
          wait = true;
          recheck = true;
        }
        continue;
      }
    } else if (entry.offset > stats.size) {
      if (full) wait = true;
      continue;
    } else if (!full && !sameInode && !justTruncated) {
      continue;
    }
    const score = (sameInode ? 4 : 0) + (full ? 2 : 0);
    if (score > bestScore || (score === bestScore && best !== undefined && entry.updatedAt > best.updatedAt)) {
      best = entry;
      bestScore = score;
    }
  }
  if (best) return { kind: 'claim', entry: best };
  if (wait) return { kind: 'wait', recheck };
  return { kind: 'new' };
}
