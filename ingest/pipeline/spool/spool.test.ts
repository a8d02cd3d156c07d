import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RawRecord } from '../../../core/ingest/record.js';
import { FRAME_HEADER_BYTES } from './codec.js';
import { segmentName } from './files.js';
import { Spool, type SpoolOptions } from './spool.js';

const dirs: string[] = [];
const spools: Spool[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wp-spool-'));
  dirs.push(dir);
  return dir;
}

async function openSpool(dir: string, options: Partial<SpoolOptions> = {}): Promise<Spool> {
  const spool = await Spool.open({ dir, maxBytes: 64 * 1024 * 1024, segmentBytes: 64 * 1024, ...options });
  spools.push(spool);
  return spool;
}

function record(n: number, extra: Partial<RawRecord> = {}): RawRecord {
  return { sourceId: 'syslog-tcp', transport: 'tcp', data: Buffer.from(`<13>line ${n} ${'x'.repeat(100)}`), receivedAt: 1_700_000_000_000 + n, peer: '127.0.0.1:40000', ...extra };
}

async function readAll(spool: Spool): Promise<string[]> {
  const lines: string[] = [];
  for (;;) {
    const { entries } = await spool.read(1000);
    if (entries.length === 0 && !spool.hasUnread()) return lines;
    lines.push(...entries.map((entry) => entry.record.data.toString()));
  }
}

afterEach(async () => {
  for (const spool of spools.splice(0)) await spool.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('Spool', () => {
  it('round-trips records with binary data and every field', async () => {
    const spool = await openSpool(tempDir());
    const binary: RawRecord = {
      sourceId: 'auth-log',
      transport: 'file',
      data: Buffer.from([0, 0xff, 0xfe, 10, 13, 0x80]),
      receivedAt: 1,
      file: '/var/log/auth.log',
      offset: 42,
      key: 'fp:42',
      truncated: true,
      timezone: 'Europe/Berlin',
      event: { message: 'hi' },
    };
    await spool.append([binary]);
    const { entries, next } = await spool.read(10);
    expect(entries).toHaveLength(1);
    expect(entries[0]?.record).toEqual(binary);
    expect(entries[0]?.position).toEqual({ segment: 1, offset: 0 });
    expect(next.offset).toBeGreaterThan(0);
  });

  it('rolls segments, keeps positions stable and deletes segments the cursor has passed', async () => {
    const dir = tempDir();
    const spool = await openSpool(dir);
    for (let batch = 0; batch < 20; batch++) await spool.append(Array.from({ length: 50 }, (_, i) => record(batch * 50 + i)));
    const segments = readdirSync(dir).filter((name) => name.endsWith('.seg'));
    expect(segments.length).toBeGreaterThan(3);
    const first = await spool.read(100);
    expect(first.entries.map((e) => e.position)).toEqual([...first.entries.map((e) => e.position)].sort((a, b) => a.segment - b.segment || a.offset - b.offset));
    let all = first.entries.length;
    let next = first.next;
    for (;;) {
      const read = await spool.read(10_000);
      if (read.entries.length === 0) break;
      all += read.entries.length;
      next = read.next;
    }
    expect(all).toBe(1000);
    await spool.commit(next);
    expect(readdirSync(dir).filter((name) => name.endsWith('.seg'))).toEqual([segmentName(next.segment)]);
    expect(spool.bytes()).toBe(0);
    expect(spool.stats().get('syslog-tcp')).toEqual({ entries: 0, bytes: 0 });
  });

  it('persists the cursor: after reopening only uncommitted records are read', async () => {
    const dir = tempDir();
    const spool = await openSpool(dir);
    await spool.append([record(1), record(2), record(3)]);
    const read = await spool.read(2);
    await spool.commit(read.next);
    await spool.append([record(4)]);
    await spool.close();
    const reopened = await openSpool(dir);
    expect(JSON.parse(readFileSync(join(dir, 'cursor.json'), 'utf8'))).toEqual(read.next);
    expect((await readAll(reopened)).map((line) => line.split(' ')[1])).toEqual(['3', '4']);
    expect(reopened.stats().get('syslog-tcp')?.entries).toBe(2);
    expect(reopened.id).toBe(spool.id);
  });

  it('replays uncommitted records after a crash, at the same positions', async () => {
    const dir = tempDir();
    const spool = await openSpool(dir);
    await spool.append([record(1), record(2)]);
    const before = await spool.read(10);
    await spool.close(); // no commit: as if the process died before the store acknowledged
    const reopened = await openSpool(dir);
    const after = await reopened.read(10);
    expect(after.entries.map((e) => e.position)).toEqual(before.entries.map((e) => e.position));
  });

  it('truncates a torn tail of the last segment and appends after it', async () => {
    const dir = tempDir();
    const spool = await openSpool(dir);
    await spool.append([record(1), record(2), record(3)]);
    await spool.close();
    const path = join(dir, segmentName(1));
    const size = statSync(path).size;
    truncateSync(path, size - 20); // the crash cut the last entry mid-payload
    const reopened = await openSpool(dir);
    const entrySize = size / 3;
    expect(statSync(path).size).toBe(entrySize * 2);
    await reopened.append([record(4)]);
    expect((await readAll(reopened)).map((line) => line.split(' ')[1])).toEqual(['1', '2', '4']);
    expect(reopened.corruptEntries()).toBe(0);
  });

  it('truncates a tail cut inside the frame header', async () => {
    const dir = tempDir();
    const spool = await openSpool(dir);
    await spool.append([record(1), record(2)]);
    await spool.close();
    const path = join(dir, segmentName(1));
    const size = statSync(path).size;
    truncateSync(path, size / 2 + FRAME_HEADER_BYTES - 3);
    const reopened = await openSpool(dir);
    expect(statSync(path).size).toBe(size / 2);
    expect(await readAll(reopened)).toHaveLength(1);
  });

  it('truncates a zero-filled tail (file size grew, data never reached the disk)', async () => {
    const dir = tempDir();
    const spool = await openSpool(dir);
    await spool.append([record(1)]);
    await spool.close();
    const path = join(dir, segmentName(1));
    const size = statSync(path).size;
    writeFileSync(path, Buffer.alloc(4096), { flag: 'a' });
    const reopened = await openSpool(dir);
    expect(statSync(path).size).toBe(size);
    expect(await readAll(reopened)).toHaveLength(1);
  });

  it('skips and counts an entry with a bad CRC in the middle, keeps the ones after it', async () => {
    const dir = tempDir();
    const spool = await openSpool(dir);
    await spool.append([record(1), record(2), record(3)]);
    await spool.close();
    const path = join(dir, segmentName(1));
    const bytes = readFileSync(path);
    const entrySize = bytes.length / 3;
    bytes[entrySize + FRAME_HEADER_BYTES + 5]! ^= 0xff; // flip a payload byte of entry 2
    writeFileSync(path, bytes);
    const reopened = await openSpool(dir);
    expect(statSync(path).size).toBe(bytes.length);
    expect(reopened.corruptEntries()).toBe(1);
    expect((await readAll(reopened)).map((line) => line.split(' ')[1])).toEqual(['1', '3']);
    expect(reopened.corruptEntries()).toBe(2); // counted again when the reader skipped it
  });

  it('makes append wait at the cap and resumes once the drainer commits', async () => {
    const dir = tempDir();
    const spool = await openSpool(dir, { maxBytes: 1024 * 1024, segmentBytes: 64 * 1024 });
    const big = (n: number): RawRecord => record(n, { data: Buffer.alloc(100 * 1024, n) });
    for (let i = 0; i < 10; i++) await spool.append([big(i)]);
    expect(spool.isFull()).toBe(false);
    await spool.append([big(10)]);
    expect(spool.isFull()).toBe(true);
    let done = false;
    const blocked = spool.append([big(11)]).then(() => {
      done = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(done).toBe(false);
    const read = await spool.read(5);
    await spool.commit(read.next);
    await blocked;
    expect(done).toBe(true);
    expect(spool.bytes()).toBeLessThan(1024 * 1024);
  });

  it('group-commits concurrent appends and loses none', async () => {
    const spool = await openSpool(tempDir());
    await Promise.all(Array.from({ length: 200 }, (_, i) => spool.append([record(i)])));
    const lines = await readAll(spool);
    expect(new Set(lines).size).toBe(200);
  });

  it('rejects appends after close', async () => {
    const spool = await openSpool(tempDir());
    await spool.close();
    await expect(spool.append([record(1)])).rejects.toMatchObject({ intent: 'operational' });
  });

  it('resumes in a later segment when the cursor segment is gone', async () => {
    const dir = tempDir();
    const spool = await openSpool(dir);
    for (let i = 0; i < 10; i++) await spool.append(Array.from({ length: 100 }, (_, j) => record(i * 100 + j)));
    await spool.close();
    rmSync(join(dir, segmentName(1)));
    const reopened = await openSpool(dir);
    const { entries } = await reopened.read(1);
    expect(entries[0]?.position.segment).toBe(2);
  });
});

describe('Spool recovery from hand-edited directories', () => {
  it('starts a new segment after the cursor when every segment was deleted', async () => {
    const dir = tempDir();
    const spool = await openSpool(dir);
    await spool.append([record(1)]);
    const read = await spool.read(10);
    await spool.commit(read.next);
    await spool.close();
    rmSync(join(dir, segmentName(1)));
    const reopened = await openSpool(dir);
    expect(reopened.bytes()).toBe(0);
    await reopened.append([record(2)]);
    const { entries } = await reopened.read(10);
    expect(entries.map((e) => e.position)).toEqual([{ segment: 2, offset: 0 }]);
  });
});
