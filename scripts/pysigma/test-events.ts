import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { EcsEvent } from '../../core/ecs/event.js';
import { normalizeRecord } from '../../ingest/pipeline/normalize.js';
import { replayEvent, replayRecord } from '../../ingest/pipeline/replay.js';

/**
 * The events of every rules/watchpost tests file (match, nomatch, sequences with `repeat` capped
 * at 3), for the differential check: raw lines normalized as `watchpost rules test` does
 * (cli/commands/rules-test-runner.ts, which scripts may not import), ECS objects as written.
 * A file that does not parse contributes nothing; `watchpost rules test` reports it.
 */
export async function watchpostTestEvents(dir: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const file of await testsFiles(dir)) {
    let doc: { tests?: Record<string, unknown>[] } | null;
    try {
      doc = parse(await readFile(file, 'utf8')) as { tests?: Record<string, unknown>[] } | null;
    } catch {
      continue;
    }
    for (const test of doc?.tests ?? []) {
      const items = [test.match, test.nomatch, test.events].flatMap((list) => (Array.isArray(list) ? (list as unknown[]) : []));
      for (const item of items) {
        if (item === null || typeof item !== 'object') continue;
        const wrapper = item as { repeat?: unknown; every?: unknown; event?: unknown };
        const written = 'repeat' in wrapper || 'every' in wrapper ? wrapper.event : item;
        const copies = typeof wrapper.repeat === 'number' ? Math.min(Math.max(1, wrapper.repeat), 3) : 1;
        const event = materialize(written);
        for (let i = 0; event !== undefined && i < copies; i++) out.push(structuredClone(event));
      }
    }
  }
  return out;
}

function materialize(written: unknown): Record<string, unknown> | undefined {
  if (written === null || typeof written !== 'object') return undefined;
  const value = written as Record<string, unknown>;
  if (typeof value.line !== 'string' || !Object.keys(value).every((key) => key === 'line' || key === 'format')) return value;
  const record = replayRecord(
    { sourceId: 'pysigma-diff', keyPrefix: 'diff', receivedAt: Date.parse('2026-01-05T10:00:00Z'), ...(typeof value.format === 'string' ? { format: value.format } : {}) },
    { data: Buffer.from(value.line, 'utf8'), offset: 0, end: Buffer.byteLength(value.line), truncated: false },
  );
  const event: EcsEvent = replayEvent(normalizeRecord, record);
  return event as unknown as Record<string, unknown>;
}

async function testsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await testsFiles(path)));
    else if (entry.name.endsWith('.tests.yml')) out.push(path);
  }
  return out;
}
