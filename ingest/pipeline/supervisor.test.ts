import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { OperationalError } from '../../core/errors.js';
import type { RawRecord } from '../../core/ingest/record.js';
import { silentLogger } from '../../core/log.js';
import type { SourceContext, SourceDefinition, SourceMetrics } from '../source.js';
import { startSupervisor } from './supervisor.js';

const noMetrics: SourceMetrics = { received: () => undefined, dropped: () => undefined, truncated: () => undefined, connection: () => undefined };

function sink(into: RawRecord[]) {
  return {
    accept: (batch: readonly RawRecord[]) => {
      into.push(...batch);
      return Promise.resolve();
    },
    sourceMetrics: () => noMetrics,
  };
}

/** A source that fails its first `failures` runs, then emits one record and waits for the abort. */
function flakySource(failures: number, starts: { count: number }): SourceDefinition<{ id: string }> {
  return {
    id: 'flaky',
    description: 'test source',
    configSchema: Type.Object({ id: Type.String() }),
    create: (config, context: SourceContext) => ({
      async run() {
        starts.count += 1;
        if (starts.count <= failures) throw new OperationalError('WATCHPOST_ERR_STORE_UNAVAILABLE', 'port in use');
        await context.emit([{ sourceId: config.id, transport: 'tcp', data: Buffer.from('hello'), receivedAt: 1 }]);
        await new Promise((resolve) => context.signal.addEventListener('abort', resolve, { once: true }));
      },
    }),
  };
}

describe('startSupervisor', () => {
  it('restarts a failing source with backoff, gives it a state dir, and stops it on close', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wp-supervisor-'));
    try {
      const received: RawRecord[] = [];
      const starts = { count: 0 };
      const supervisor = startSupervisor({
        sources: [{ definition: flakySource(2, starts), config: { id: 'one' } }],
        sink: sink(received),
        dataDir,
        logger: silentLogger(),
        backoff: { initialMs: 10, maxMs: 20 },
      });
      const deadline = Date.now() + 5000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(starts.count).toBe(3);
      expect(received).toHaveLength(1);
      expect(existsSync(join(dataDir, 'state', 'one'))).toBe(true);
      await supervisor.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(starts.count).toBe(3);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses duplicate source ids', () => {
    const definition = flakySource(0, { count: 0 }) as SourceDefinition<never>;
    expect(() =>
      startSupervisor({
        sources: [
          { definition, config: { id: 'same' } },
          { definition, config: { id: 'same' } },
        ],
        sink: sink([]),
        dataDir: tmpdir(),
        logger: silentLogger(),
      }),
    ).toThrow(/unique/);
  });
});
