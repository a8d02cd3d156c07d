import { describe, expect, it } from 'vitest';
import type { CheckpointEntry } from './checkpoint.js';
import { FINGERPRINT_BYTES, sha256Hex } from './fingerprint.js';
import { identify, type IdentityState } from './identity.js';

const big = Buffer.alloc(FINGERPRINT_BYTES, 0x61);
const small = Buffer.from('2024-05-01 start\n');

function entry(head: Buffer, overrides: Partial<CheckpointEntry> = {}): CheckpointEntry {
  return { id: 'e1', path: '/l/a.log', offset: head.length, fingerprint: sha256Hex(head), fingerprintBytes: head.length, dev: 1, inode: 10, updatedAt: 0, ...overrides };
}

function state(entries: CheckpointEntry[], extra: Partial<IdentityState> = {}): IdentityState {
  return { entries, isClaimed: () => false, knownHead: () => undefined, truncatedAt: () => undefined, ...extra };
}

const options = { now: 10_000, young: false, copyWindowMs: 2000 };

describe('identify', () => {
  it('continues a full fingerprint on any inode (rename), but not a shorter file (stale copy)', () => {
    const e = entry(big, { offset: 5000 });
    expect(identify(big, { size: 6000, dev: 1, ino: 99 }, state([e]), options)).toEqual({ kind: 'claim', entry: e });
    expect(identify(big, { size: 4000, dev: 1, ino: 99 }, state([e]), options)).toEqual({ kind: 'wait', recheck: false });
  });

  it('waits on a copy of a file being tailed (copytruncate before the truncate)', () => {
    const e = entry(big);
    expect(identify(big, { size: 2000, dev: 1, ino: 99 }, state([e], { isClaimed: () => true }), options).kind).toBe('wait');
  });

  it('ties a provisional identity to its inode, unless its file was just truncated', () => {
    const e = entry(small);
    expect(identify(small, { size: 100, dev: 1, ino: 10 }, state([e]), options).kind).toBe('claim');
    expect(identify(small, { size: 100, dev: 1, ino: 11 }, state([e]), options).kind).toBe('new');
    expect(identify(small, { size: 100, dev: 1, ino: 11 }, state([e], { truncatedAt: () => 9000 }), options).kind).toBe('claim');
  });

  it('treats different first bytes as a new file even on a reused inode', () => {
    const e = entry(big);
    expect(identify(Buffer.alloc(FINGERPRINT_BYTES, 0x62), { size: 5000, dev: 1, ino: 10 }, state([e]), options).kind).toBe('new');
  });

  it('waits briefly on a young file that is a prefix of a tailed file (a copy in progress)', () => {
    const e = entry(big);
    const st = state([e], { isClaimed: () => true, knownHead: () => big });
    expect(identify(big.subarray(0, 100), { size: 100, dev: 1, ino: 99 }, st, { ...options, young: true })).toEqual({ kind: 'wait', recheck: true });
    expect(identify(big.subarray(0, 100), { size: 100, dev: 1, ino: 99 }, st, options).kind).toBe('new');
  });
});
