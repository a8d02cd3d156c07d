// Spool and pipeline throughput: prints figures, asserts nothing.
//   npx tsx test/bench/ingest-pipeline.ts [records]
// 1. spool append + fdatasync (group commit): sequential batches of 1000, and 50 concurrent
//    appenders of 20-record batches (what 50 TCP connections look like);
// 2. end to end: accept → spool → normalize → SQLite event store, until drained.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { openSqliteDatabase } from '../../backends/sqlite/database.js';
import { SqliteEventStore } from '../../backends/sqlite/event-store.js';
import { ECS_VERSION } from '../../core/ecs/event.js';
import type { RawRecord } from '../../core/ingest/record.js';
import { inputOf, type Normalizer } from '../../ingest/pipeline/events.js';
import { IngestPipeline } from '../../ingest/pipeline/pipeline.js';
import { Spool } from '../../ingest/pipeline/spool/spool.js';

const total = Number(process.argv[2] ?? 200_000);

function record(i: number): RawRecord {
  const line = `<38>Nov 24 09:00:00 web01 sshd[4242]: Failed password for invalid user admin from 203.0.113.${i % 250} port ${10000 + (i % 50000)} ssh2 seq=${i}`;
  return { sourceId: 'syslog-tcp', transport: 'tcp', data: Buffer.from(line), receivedAt: Date.now(), peer: '127.0.0.1:40000', listener: '127.0.0.1:5514' };
}

const simple: Normalizer = (r) => {
  const text = r.data.toString('utf8');
  return { '@timestamp': new Date(r.receivedAt).toISOString(), message: text, ecs: { version: ECS_VERSION }, event: { original: text }, watchpost: { input: inputOf(r) } };
};

async function normalizer(): Promise<{ name: string; normalize: Normalizer }> {
  try {
    const module = (await import('../../ingest/pipeline/normalize.js'));
    return { name: 'syslog (normalizeRecord)', normalize: module.normalizeRecord };
  } catch {
    return { name: 'minimal (syslog parser not available)', normalize: simple };
  }
}

async function spoolBench(concurrency: number, batchSize: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wp-bench-spool-'));
  const spool = await Spool.open({ dir, maxBytes: 4 * 2 ** 30, segmentBytes: 16 << 20 });
  const records = Array.from({ length: total }, (_, i) => record(i));
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const batch = records.slice(next, next + batchSize);
        next += batchSize;
        await spool.append(batch);
      }
    }),
  );
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const mb = spool.bytes() / 1e6;
  const readStarted = process.hrtime.bigint();
  let read = 0;
  for (;;) {
    const { entries } = await spool.read(10_000);
    if (entries.length === 0) break;
    read += entries.length;
  }
  const readMs = Number(process.hrtime.bigint() - readStarted) / 1e6;
  await spool.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(
    JSON.stringify({
      bench: 'spool append+fdatasync',
      concurrency,
      batchSize,
      records: total,
      ms: Math.round(ms),
      recordsPerSec: Math.round((total / ms) * 1000),
      mbPerSec: Number(((mb / ms) * 1000).toFixed(1)),
      readRecordsPerSec: Math.round((read / readMs) * 1000),
    }),
  );
}

async function pipelineBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wp-bench-pipeline-'));
  const db = openSqliteDatabase(join(dir, 'watchpost.db'));
  const { name, normalize } = await normalizer();
  const pipeline = await IngestPipeline.open({
    dataDir: dir,
    spool: { maxBytes: 1 << 30, segmentBytes: 16 << 20 },
    batch: { maxRecords: 2000, maxDelayMs: 200 },
    store: new SqliteEventStore(db),
    normalize,
    metrics: new Registry(),
  });
  const started = process.hrtime.bigint();
  for (let i = 0; i < total; i += 1000) await pipeline.accept(Array.from({ length: Math.min(1000, total - i) }, (_, j) => record(i + j)));
  const acceptedMs = Number(process.hrtime.bigint() - started) / 1e6;
  await pipeline.idle();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const stored = (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  await pipeline.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(
    JSON.stringify({ bench: 'pipeline accept→spool→normalize→SQLite', normalizer: name, records: total, stored, acceptedMs: Math.round(acceptedMs), ms: Math.round(ms), eventsPerSec: Math.round((total / ms) * 1000) }),
  );
}

await spoolBench(1, 1000);
await spoolBench(50, 20);
await pipelineBench();
