import { execFile } from 'node:child_process';
import { open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestRun, expectExactlyOnceByKey, fileConfig, numbered, numbersOf, sleep, tempDirs, waitFor } from './test-harness.js';

const run = promisify(execFile);
const LOGROTATE = '/usr/sbin/logrotate';

let dirs: Awaited<ReturnType<typeof tempDirs>>;
let source: TestRun | undefined;

beforeEach(async () => {
  dirs = await tempDirs();
});

afterEach(async () => {
  await source?.stop().catch(() => undefined);
  source = undefined;
  await dirs.cleanup();
});

/**
 * Appends numbered lines continuously through one O_APPEND descriptor, like a daemon. In
 * `create` mode it reopens its log when the path points to a new inode (what a daemon does on
 * the HUP of a postrotate script); until then it keeps writing into the renamed file.
 */
function startWriter(path: string, reopen: boolean): { stop: () => Promise<number> } {
  let stopping = false;
  const done = (async () => {
    let n = 0;
    let handle = await open(path, 'a');
    let inode = (await handle.stat()).ino;
    while (!stopping) {
      let text = '';
      for (let i = 0; i < 20; i++) text += `${numbered(++n)}\n`;
      await handle.write(text);
      if (reopen && n % 100 === 0) {
        const current = await stat(path).catch(() => undefined);
        if (current && current.ino !== inode) {
          await handle.close();
          handle = await open(path, 'a');
          inode = (await handle.stat()).ino;
        }
      }
      await sleep(2);
    }
    await handle.close();
    return n;
  })();
  return {
    stop: async () => {
      stopping = true;
      return done;
    },
  };
}

async function rotate(mode: 'create' | 'copytruncate'): Promise<{ written: number }> {
  const path = join(dirs.logs, 'app.log');
  await writeFile(path, '');
  const conf = join(dirs.root, 'logrotate.conf');
  await writeFile(conf, `${path} {\n  rotate 20\n  ${mode}\n  missingok\n  nocompress\n}\n`);
  source = new TestRun(fileConfig({ paths: [join(dirs.logs, 'app.log*')], exclude: ['*.gz'], pollIntervalMs: 100 }), dirs.state);
  const writer = startWriter(path, mode === 'create');
  for (let i = 0; i < 4; i++) {
    await sleep(350);
    await run(LOGROTATE, ['-f', '-s', join(dirs.root, 'logrotate.state'), conf]);
  }
  await sleep(350);
  const written = await writer.stop();
  return { written };
}

/** Every numbered line still in some app.log* file: what rotation itself kept. */
async function linesOnDisk(): Promise<Set<number>> {
  const kept = new Set<number>();
  for (const name of await readdir(dirs.logs)) {
    for (const n of numbersOf((await readFile(join(dirs.logs, name), 'utf8')).split('\n'))) kept.add(n);
  }
  return kept;
}

describe('file source under logrotate', () => {
  it('create mode: every line exactly once while a writer appends continuously', async () => {
    const { written } = await rotate('create');
    expect((await readdir(dirs.logs)).filter((name) => name.startsWith('app.log.'))).toHaveLength(4);
    await waitFor(() => new Set(source!.records.map((r) => r.key)).size >= written, `${written} lines`, 15_000);
    await sleep(300);
    expectExactlyOnceByKey(source!.records, 1, written);
    // In-process and without crashes nothing may come twice at all.
    expect(source!.records).toHaveLength(written);
  });

  it('copytruncate mode: every line logrotate kept, exactly once', async () => {
    const { written } = await rotate('copytruncate');
    const kept = await linesOnDisk();
    await waitFor(() => {
      const seen = emitted();
      return [...kept].every((n) => seen.has(n));
    }, 'every kept line', 15_000);
    await sleep(300);
    const numbers = numbersOf(source!.lines());
    expect(numbers).toHaveLength(new Set(numbers).size); // no duplicates
    expect(new Set(source!.records.map((r) => r.key)).size).toBe(source!.records.length);
    expect(numbers.every((n) => n >= 1 && n <= written)).toBe(true);
    // copytruncate loses what is written between logrotate's copy and its truncate (logrotate(8)
    // says so); a line lost that way is on no disk, and anything we did read of it is a bonus.
    const seen = emitted();
    const lost = [...Array(written).keys()].map((i) => i + 1).filter((n) => !kept.has(n) && !seen.has(n));
    console.info(`copytruncate: ${written} lines written, ${kept.size} kept by logrotate, ${lost.length} lost between its copy and truncate`);
    expect(lost.length).toBeLessThan(written / 10);
    expect(kept.size).toBeGreaterThan(written / 2);
  });
});

function emitted(): Set<number> {
  return new Set(numbersOf(source!.lines()));
}
