import { spawn, type ChildProcess } from 'node:child_process';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RawRecord } from '../../../core/ingest/record.js';
import { expectExactlyOnceByKey, fileConfig, numbered, sleep, tempDirs } from './test-harness.js';

const CHILD = fileURLToPath(new URL('./testdata/tail-child.ts', import.meta.url));

let dirs: Awaited<ReturnType<typeof tempDirs>>;
const children: ChildProcess[] = [];

beforeEach(async () => {
  dirs = await tempDirs();
});

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await dirs.cleanup();
});

function spawnTailer(configPath: string, out: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, configPath, dirs.state, out], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
}

async function readOut(out: string): Promise<RawRecord[]> {
  const text = await readFile(out, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line.endsWith('}'))
    .map((line) => {
      const { key, data } = JSON.parse(line) as { key: string; data: string };
      return { key, data: Buffer.from(data), sourceId: 'x', transport: 'file', receivedAt: 0 };
    });
}

/** Polls an async predicate (the output file is read between polls). */
async function until(predicate: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(20);
  }
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

describe('file source and kill -9', () => {
  it('loses nothing across SIGKILL mid-stream; repeats only under identical keys', async () => {
    const path = join(dirs.logs, 'app.log');
    const total = 20_000;
    let text = '';
    for (let n = 1; n <= total / 2; n++) text += `${numbered(n)}\n`;
    await writeFile(path, text);
    const configPath = join(dirs.root, 'config.json');
    await writeFile(configPath, JSON.stringify(fileConfig({ paths: [path] })));
    const out = join(dirs.root, 'out.ndjson');

    const first = spawnTailer(configPath, out);
    await until(async () => (await readOut(out)).length >= 3000, 15_000);
    first.kill('SIGKILL');
    await exited(first);
    const atKill = (await readOut(out)).length;
    expect(atKill).toBeGreaterThanOrEqual(3000);
    expect(atKill).toBeLessThan(total / 2);

    text = '';
    for (let n = total / 2 + 1; n <= total; n++) text += `${numbered(n)}\n`;
    await appendFile(path, text);
    const second = spawnTailer(configPath, out);
    let records: RawRecord[] = [];
    await until(async () => {
      records = await readOut(out);
      return new Set(records.map((r) => r.key)).size >= total;
    }, 20_000);
    second.kill('SIGTERM');
    await exited(second);
    expectExactlyOnceByKey(records, 1, total);
    console.info(`kill -9: ${atKill} records before the kill, ${records.length - total} repeated under the same key after it`);
  }, 45_000);
});
