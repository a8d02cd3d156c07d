import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { Redis } from 'ioredis';
import { loadConfig } from '../core/config/load.js';
import { silentLogger } from '../core/log.js';
import { testElasticsearchUrl, testRedisUrl, uniquePrefix } from '../test/helpers/services.js';
import { startRoles, type RunningProcess } from './roles.js';

describe('every role against Elasticsearch and Redis', () => {
  let running: RunningProcess;
  const prefix = uniquePrefix('roles');

  beforeAll(async () => {
    const config = loadConfig({
      env: {},
      text: [
        `dataDir: ${mkdtempSync(join(tmpdir(), 'wp-roles-'))}`,
        'api:',
        '  listen: 127.0.0.1:0',
        'backends:',
        '  events: elasticsearch',
        '  cases: elasticsearch',
        '  queue: redis',
        '  correlation: redis',
        'elasticsearch:',
        `  nodes: [${testElasticsearchUrl()}]`,
        `  indexPrefix: ${prefix}`,
        'redis:',
        `  url: ${testRedisUrl()}`,
        `  prefix: ${prefix}`,
      ].join('\n'),
    });
    running = await startRoles(['api', 'ingest', 'worker'], config, silentLogger());
  });

  afterAll(async () => {
    await running?.close();
    const es = new Client({ node: testElasticsearchUrl() });
    await es.indices.delete({ index: `${prefix}-*`, ignore_unavailable: true, allow_no_indices: true });
    const templates = await es.indices.getIndexTemplate({ name: `${prefix}-*` }).catch(() => ({ index_templates: [] }));
    for (const template of templates.index_templates) await es.indices.deleteIndexTemplate({ name: template.name });
    await es.close();
    const redis = new Redis(testRedisUrl());
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('reports each backend with its kind and state', async () => {
    const response = await fetch(`${running.url}/api/health`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { backends: Record<string, { kind: string; state: string }> };
    expect(body.backends).toEqual({
      events: { kind: 'elasticsearch', state: 'up' },
      cases: { kind: 'elasticsearch', state: 'up' },
      queue: { kind: 'redis', state: 'up' },
      correlation: { kind: 'redis', state: 'up' },
    });
  });

  it('runs the daily retention job once through the shared queue', async () => {
    const day = new Date().toISOString().slice(0, 10);
    let info = await running.backends.queue.get(`retention-${day}`);
    for (let i = 0; i < 100 && info?.state !== 'completed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      info = await running.backends.queue.get(`retention-${day}`);
    }
    expect(info?.state).toBe('completed');
    expect(info?.result).toEqual({ events: 0, audit: 0, sessions: 0 });
  });
});
