import { appendFile, readFile, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkpointPath } from './checkpoint.js';
import { fileSource } from './source.js';
import { TestRun, expectExactlyOnceByKey, fileConfig, numbered, numbersOf, sleep, tempDirs, waitFor } from './test-harness.js';

let dirs: Awaited<ReturnType<typeof tempDirs>>;
const runs: TestRun[] = [];

function start(...args: ConstructorParameters<typeof TestRun>): TestRun {
  const run = new TestRun(...args);
  runs.push(run);
  return run;
}

beforeEach(async () => {
  dirs = await tempDirs();
});

afterEach(async () => {
  for (const run of runs.splice(0)) await run.stop().catch(() => undefined);
  await dirs.cleanup();
});

/** The positions committed to the checkpoint file. */
async function committed(): Promise<{ offset: number; path: string }[]> {
  const parsed: { entries: Record<string, { offset: number; path: string }> } = JSON.parse(
    await readFile(checkpointPath(dirs.state, 'test-files'), 'utf8'),
  );
  return Object.values(parsed.entries);
}

function lines(from: number, to: number): string {
  let text = '';
  for (let n = from; n <= to; n++) text += `${numbered(n)}\n`;
  return text;
}

describe('file source', () => {
  it('is registered as "file" with its config schema', () => {
    expect(fileSource.id).toBe('file');
    expect(fileSource.configSchema).toBeDefined();
  });

  it('emits one record per line with file, offset, key and metadata; strips the CR of CRLF', async () => {
    const path = join(dirs.logs, 'a.log');
    await writeFile(path, 'first\r\nsecond\n\nfourth\n');
    const run = start(fileConfig({ paths: [path], format: 'linux-auth', timezone: 'Europe/Berlin' }), dirs.state);
    await waitFor(() => run.records.length === 4, '4 records');
    expect(run.lines()).toEqual(['first', 'second', '', 'fourth']);
    expect(run.records.map((r) => r.offset)).toEqual([0, 7, 14, 15]);
    const [first] = run.records;
    expect(first).toMatchObject({ sourceId: 'test-files', transport: 'file', file: path, timezone: 'Europe/Berlin', format: 'linux-auth' });
    expect(first!.key).toMatch(/^p[0-9a-f]{16}-.+:0$/);
    expect(first!.receivedAt).toBeGreaterThan(Date.now() - 60_000);
    expect(run.counts.received).toBe(4);
  });

  it('uses the content fingerprint as key prefix once a file has 1024 bytes', async () => {
    const path = join(dirs.logs, 'big.log');
    await writeFile(path, lines(1, 30));
    const run = start(fileConfig({ paths: [path] }), dirs.state);
    await waitFor(() => run.records.length === 30, '30 records');
    const prefixes = new Set(run.records.map((r) => r.key!.split(':')[0]));
    expect([...prefixes]).toHaveLength(1);
    expect([...prefixes][0]).toMatch(/^[0-9a-f]{32}$/);
  });

  it('holds a final line without LF until it is completed, or emits it after the file idles', async () => {
    const path = join(dirs.logs, 'a.log');
    await writeFile(path, 'one\ntw');
    const run = start(fileConfig({ paths: [path] }), dirs.state);
    await waitFor(() => run.records.length === 1, 'first line');
    await appendFile(path, 'o\nthr');
    await waitFor(() => run.records.length === 2, 'completed line');
    expect(run.lines()).toEqual(['one', 'two']);
    await waitFor(() => run.records.length === 3, 'idle partial line', 3000);
    expect(run.lines()[2]).toBe('thr');
    await appendFile(path, 'ee\n');
    await waitFor(() => run.records.length === 4, 'rest of the line');
    expect(run.records[3]).toMatchObject({ offset: 11 });
    expect(new Set(run.records.map((r) => r.key)).size).toBe(4);
  });

  it('starts pre-existing files at the end with startAt: end, but files created later at the beginning', async () => {
    const old = join(dirs.logs, 'old.log');
    await writeFile(old, 'before start 1\nbefore start 2\n');
    const run = start(fileConfig({ paths: [join(dirs.logs, '*.log')], startAt: 'end' }), dirs.state);
    await sleep(300);
    await appendFile(old, 'after start\n');
    await writeFile(join(dirs.logs, 'new.log'), 'new file line 1\nnew file line 2\n');
    await waitFor(() => run.records.length === 3, '3 records');
    expect(run.lines().sort()).toEqual(['after start', 'new file line 1', 'new file line 2']);
  });

  it('follows globs (including **) and skips excluded files', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dirs.logs, 'nginx', 'deep'), { recursive: true });
    await writeFile(join(dirs.logs, 'nginx', 'access.log'), 'access\n');
    await writeFile(join(dirs.logs, 'nginx', 'deep', 'error.log'), 'error\n');
    await writeFile(join(dirs.logs, 'nginx', 'access.log.1.gz'), 'gzip bytes\n');
    await writeFile(join(dirs.logs, 'nginx', 'notes.txt'), 'not a log\n');
    await writeFile(join(dirs.logs, 'nginx', 'skip-me.log'), 'skipped\n');
    const run = start(
      fileConfig({ paths: [join(dirs.logs, '**/*.log*')], exclude: ['*.gz', join(dirs.logs, 'nginx/skip-*')] }),
      dirs.state,
    );
    await waitFor(() => run.records.length === 2, 'two files');
    await writeFile(join(dirs.logs, 'nginx', 'deep', 'later.log'), 'later\n');
    await waitFor(() => run.records.length === 3, 'file created later');
    await sleep(300);
    expect(run.lines().sort()).toEqual(['access', 'error', 'later']);
  });

  it('finds files in a directory created after start (the poll covers what the watcher cannot)', async () => {
    const { mkdir } = await import('node:fs/promises');
    const run = start(fileConfig({ paths: [join(dirs.logs, 'later', '*.log')] }), dirs.state);
    await sleep(200);
    await mkdir(join(dirs.logs, 'later'));
    await writeFile(join(dirs.logs, 'later', 'a.log'), 'hello\n');
    await waitFor(() => run.records.length === 1, 'the file');
    expect(run.lines()).toEqual(['hello']);
  });

  it('continues after a stop where it left off: no loss, no duplicates', async () => {
    const path = join(dirs.logs, 'a.log');
    await writeFile(path, lines(1, 2000));
    const first = start(fileConfig({ paths: [path] }), dirs.state, { commitIntervalMs: 0, batchMaxRecords: 100 });
    first.emitDelayMs = 20;
    await waitFor(() => first.records.length >= 500, 'part of the file');
    await first.stop();
    const seen = first.records.length;
    expect(seen).toBeLessThan(2000);
    await appendFile(path, lines(2001, 2500));
    const second = start(fileConfig({ paths: [path] }), dirs.state);
    await waitFor(() => new Set([...first.records, ...second.records].map((r) => r.key)).size >= 2500, 'the rest');
    await sleep(300);
    // A batch delivered but not acknowledged before the stop comes again, under the same keys.
    expectExactlyOnceByKey([...first.records, ...second.records], 1, 2500);
  });

  it('commits every acknowledged position when stopped, so nothing comes again', async () => {
    const path = join(dirs.logs, 'a.log');
    await writeFile(path, lines(1, 100));
    // A long commit interval: the stop comes before any position is written past the start.
    const first = start(fileConfig({ paths: [path] }), dirs.state, { commitIntervalMs: 60_000 });
    await waitFor(() => first.records.length === 100, 'all');
    first.controller.abort();
    await first.done;
    const second = start(fileConfig({ paths: [path] }), dirs.state);
    await sleep(400);
    // The final flush on stop committed everything acknowledged: nothing comes again.
    expect(second.records).toHaveLength(0);
    const [entry] = await committed();
    expect(entry).toMatchObject({ offset: (await stat(path)).size, path });
  });

  it('reads a file truncated while stopped from the start', async () => {
    const path = join(dirs.logs, 'a.log');
    await writeFile(path, lines(1, 50));
    const first = start(fileConfig({ paths: [path] }), dirs.state);
    await waitFor(() => first.records.length === 50, '50');
    await first.stop();
    await truncate(path, 0);
    await writeFile(path, 'after truncation 1\nafter truncation 2\n');
    const second = start(fileConfig({ paths: [path], startAt: 'end' }), dirs.state);
    await waitFor(() => second.records.length === 2, 'new content');
    expect(second.lines()).toEqual(['after truncation 1', 'after truncation 2']);
    expect(second.records[0]!.offset).toBe(0);
    expect(second.records[0]!.key).not.toBe(first.records[0]!.key);
  });

  it('reads a file truncated while running from the start, under new keys', async () => {
    const path = join(dirs.logs, 'a.log');
    await writeFile(path, lines(1, 50));
    const run = start(fileConfig({ paths: [path] }), dirs.state);
    await waitFor(() => run.records.length === 50, '50');
    await truncate(path, 0);
    await sleep(150);
    await appendFile(path, lines(51, 60));
    await waitFor(() => run.records.length === 60, '60');
    expect(numbersOf(run.lines())).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(new Set(run.records.map((r) => r.key)).size).toBe(60);
  });

  it('reads a new file that reuses a deleted file\'s inode from the start (while stopped and while running)', async () => {
    const path = join(dirs.logs, 'a.log');
    await writeFile(path, lines(1, 40));
    const inode = (await stat(path)).ino;
    const first = start(fileConfig({ paths: [path] }), dirs.state);
    await waitFor(() => first.records.length === 40, '40');
    await first.stop();
    await rm(path);
    await writeFile(path, lines(41, 100));
    const reused = (await stat(path)).ino === inode;
    const second = start(fileConfig({ paths: [path] }), dirs.state);
    await waitFor(() => second.records.length === 60, 'all of the new file');
    expect(numbersOf(second.lines())).toEqual(Array.from({ length: 60 }, (_, i) => i + 41));
    // Also while running: delete and recreate (the fd we hold keeps the old inode alive here).
    await rm(path);
    await writeFile(path, 'x\n');
    await waitFor(() => second.records.length === 61, 'recreated file');
    expect(second.lines()[60]).toBe('x');
    // Linux usually hands the freed inode to the next file; say so when the case was not exercised.
    if (!reused) console.warn('inode was not reused on this file system; the inode-reuse path ran as a plain new file');
  });

  it('keeps reading a renamed file under its new name and starts the new file from 0 (create rotation)', async () => {
    const path = join(dirs.logs, 'app.log');
    await writeFile(path, lines(1, 30));
    const run = start(fileConfig({ paths: [join(dirs.logs, 'app.log*')] }), dirs.state);
    await waitFor(() => run.records.length === 30, '30');
    await rename(path, `${path}.1`);
    await appendFile(`${path}.1`, lines(31, 35)); // the writer has not reopened yet
    await writeFile(path, lines(36, 40));
    await waitFor(() => run.records.length === 40, '40');
    expect(numbersOf(run.lines()).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(run.records.find((r) => r.data.toString() === numbered(31))!.file).toBe(`${path}.1`);
  });

  it('reads to the end a file renamed out of the globs', async () => {
    const path = join(dirs.logs, 'app.log');
    await writeFile(path, lines(1, 30));
    const run = start(fileConfig({ paths: [path] }), dirs.state);
    await waitFor(() => run.records.length === 30, '30');
    run.emitDelayMs = 200; // slow sink: the rename happens before everything is read
    await appendFile(path, lines(31, 60));
    await rename(path, join(dirs.logs, 'app.old'));
    await waitFor(() => run.records.length === 60, '60');
  });

  it('joins a Java stack trace into one record (multiline after, negate false)', async () => {
    const path = join(dirs.logs, 'java.log');
    const trace = [
      '2024-05-01 10:00:00 ERROR boom',
      'java.lang.IllegalStateException: bad',
      '\tat com.example.A.run(A.java:10)',
      '\tat com.example.B.call(B.java:20)',
      'Caused by: java.io.IOException: disk',
      '\t... 2 more',
    ];
    await writeFile(path, `2024-05-01 09:59:59 INFO ok\n${trace.join('\n')}\n2024-05-01 10:00:01 INFO next\n`);
    const run = start(
      fileConfig({
        paths: [path],
        multiline: { pattern: '^([[:space:]]+(at|\\.{3})|Caused by:|[a-z]+\\.[a-zA-Z.]+(Exception|Error))', negate: false, match: 'after', maxLines: 500, timeoutMs: 200 },
      }),
      dirs.state,
    );
    await waitFor(() => run.records.length === 3, '3 records');
    expect(run.lines()).toEqual(['2024-05-01 09:59:59 INFO ok', trace.join('\n'), '2024-05-01 10:00:01 INFO next']);
    expect(run.records[1]!.offset).toBe('2024-05-01 09:59:59 INFO ok\n'.length);
    expect(run.records[1]!.key).toMatch(/:28$/);
  });

  it('emits a pending multiline record after timeoutMs', async () => {
    const path = join(dirs.logs, 'm.log');
    await writeFile(path, '[1] start\n  more\n');
    const run = start(
      fileConfig({ paths: [path], multiline: { pattern: '^\\[', negate: true, match: 'after', maxLines: 500, timeoutMs: 150 } }),
      dirs.state,
    );
    await waitFor(() => run.records.length === 1, 'timed-out record', 3000);
    expect(run.lines()).toEqual(['[1] start\n  more']);
  });

  it('truncates a 1 MiB line to maxLineBytes, flags it, and reads on', async () => {
    const path = join(dirs.logs, 'huge.log');
    await writeFile(path, `before\n${'A'.repeat(1024 * 1024)}\nafter\n`);
    const run = start(fileConfig({ paths: [path], maxLineBytes: 4096 }), dirs.state);
    await waitFor(() => run.records.length === 3, '3 records');
    const [, huge, after] = run.records;
    expect(huge!.data.length).toBe(4096);
    expect(huge!.truncated).toBe(true);
    expect(after).toMatchObject({ offset: 7 + 1024 * 1024 + 1 });
    expect(after!.data.toString()).toBe('after');
    expect(run.records[0]!.truncated).toBeUndefined();
    expect(run.counts.truncated).toBe(1);
  });

  it('passes invalid UTF-8 and NUL bytes through as bytes', async () => {
    const path = join(dirs.logs, 'bin.log');
    const bad = Buffer.from([0x61, 0x00, 0x62, 0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82]);
    const utf8 = Buffer.from('héllo wörld ✓', 'utf8');
    await writeFile(path, Buffer.concat([bad, Buffer.from('\n'), utf8, Buffer.from('\n')]));
    const run = start(fileConfig({ paths: [path] }), dirs.state);
    await waitFor(() => run.records.length === 2, '2 records');
    expect(run.records[0]!.data.equals(bad)).toBe(true);
    expect(run.records[1]!.data.equals(utf8)).toBe(true);
  });

  it('does not read more while emit is pending (backpressure) and commits only acknowledged positions', async () => {
    const path = join(dirs.logs, 'a.log');
    await writeFile(path, lines(1, 3000));
    const run = start(fileConfig({ paths: [path] }), dirs.state, { batchMaxRecords: 100, commitIntervalMs: 0 });
    run.emitDelayMs = 100;
    await waitFor(() => run.records.length >= 200, 'two batches');
    const [entry] = await committed();
    // Never ahead of what the sink acknowledged.
    const acknowledged = run.records.length;
    expect(entry!.offset).toBeLessThanOrEqual(acknowledged * (numbered(1).length + 1));
    expect(run.counts.received - run.records.length).toBeLessThanOrEqual(100);
    await run.stop();
  });

  it('resolves run() promptly on abort, even with an emit pending, and releases its watcher', async () => {
    const path = join(dirs.logs, 'a.log');
    await writeFile(path, lines(1, 100));
    const run = start(fileConfig({ paths: [join(dirs.logs, '*.log')] }), dirs.state);
    run.emitDelayMs = 10_000;
    await waitFor(() => run.emitting, 'an emit in flight');
    const before = Date.now();
    await run.stop();
    expect(Date.now() - before).toBeLessThan(500);
    // Nothing was acknowledged, so nothing was committed past the start.
    expect((await committed())[0]!.offset).toBe(0);
  });

  it('rejects run() when emit fails without an abort (the supervisor restarts it)', async () => {
    const path = join(dirs.logs, 'a.log');
    await writeFile(path, 'x\n');
    const run = new TestRun(fileConfig({ paths: [path] }), dirs.state);
    run.failEmits = true;
    await expect(run.done).rejects.toThrow('emit failed');
  });

  it('moves a corrupt checkpoint aside and starts afresh', async () => {
    const { mkdir, readdir } = await import('node:fs/promises');
    await mkdir(dirs.state, { recursive: true });
    await writeFile(checkpointPath(dirs.state, 'test-files'), '');
    const path = join(dirs.logs, 'a.log');
    await writeFile(path, 'x\n');
    const run = start(fileConfig({ paths: [path] }), dirs.state);
    await waitFor(() => run.records.length === 1, 'record');
    expect((await readdir(dirs.state)).some((name) => name.includes('.corrupt-'))).toBe(true);
  });

  it('refuses an invalid multiline pattern at create()', () => {
    const create = (): unknown =>
      fileSource.create(fileConfig({ paths: ['/x'], multiline: { pattern: '([', negate: false, match: 'after', maxLines: 5, timeoutMs: 5 } }), {
        signal: new AbortController().signal,
      } as never);
    expect(create).toThrow(/multiline.pattern/);
  });
});
