// A file source in its own process, for the kill -9 test: `node --import tsx tail-child.ts
// <config.json> <stateDir> <out.ndjson>`. emit appends each record as a JSON line and fsyncs
// before it resolves — a stand-in for the spool — so what the test reads back is exactly what was
// acknowledged before the SIGKILL.
import { open } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import type { FileSourceConfig } from '../../../../core/config/ingest.js';
import { silentLogger } from '../../../../core/log.js';
import { FileTailer } from '../tailer.js';

const [configPath, stateDir, outPath] = process.argv.slice(2) as [string, string, string];
const config = JSON.parse(readFileSync(configPath, 'utf8')) as FileSourceConfig;
const out = await open(outPath, 'a');
const controller = new AbortController();
process.on('SIGTERM', () => controller.abort());

const tailer = new FileTailer(
  config,
  {
    logger: silentLogger(),
    signal: controller.signal,
    stateDir,
    metrics: { received: () => undefined, dropped: () => undefined, truncated: () => undefined, connection: () => undefined },
    emit: async (batch) => {
      const text = batch.map((record) => JSON.stringify({ key: record.key, data: record.data.toString('utf8') })).join('\n');
      await out.write(`${text}\n`);
      await out.datasync();
      // Slow enough that the kill lands mid-stream.
      await new Promise((resolve) => setTimeout(resolve, 5));
    },
  },
  { commitIntervalMs: 100, batchMaxRecords: 200 },
);
await tailer.run();
await out.close();
