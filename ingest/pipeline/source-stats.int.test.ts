import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import { caseIndices, caseTemplateName } from '../../backends/elasticsearch/case-indices.js';
import { ElasticsearchCaseStore } from '../../backends/elasticsearch/case-store.js';
import { ManualClock } from '../../core/clock.js';
import { silentLogger } from '../../core/log.js';
import { createMetricsRegistry } from '../../core/metrics.js';
import { testElasticsearchUrl, uniquePrefix } from '../../test/helpers/services.js';
import { IngestMetrics } from './metrics.js';
import { startSourceStatsWriter } from './source-stats.js';

describe('source stats on Elasticsearch', () => {
  const client = new Client({ node: testElasticsearchUrl() });
  const prefix = uniquePrefix('source-stats');

  afterAll(async () => {
    await client.indices.delete({ index: caseIndices(prefix), ignore_unavailable: true });
    await client.indices.deleteIndexTemplate({ name: caseTemplateName(prefix) }, { ignore: [404] });
    await client.close();
  });

  it('round-trips the hourly records: numbers stay numbers, and a startsAt range picks the hours', async () => {
    const store = await ElasticsearchCaseStore.open(client, { indexPrefix: prefix });
    const clock = new ManualClock(Date.parse('2024-05-06T10:30:00.000Z'));
    const metrics = new IngestMetrics(createMetricsRegistry({ defaultMetrics: false }), { sourceIds: ['fw', 'web'], spoolStats: () => new Map() });
    const writer = startSourceStatsWriter({ metrics, stats: store.sourceStats, instance: 'es-host.example-77', clock, intervalMs: 3_600_000, logger: silentLogger() });
    metrics.forSource('fw').received(12, 1200);
    metrics.parsed.inc({ source: 'fw' }, 10);
    metrics.failed.inc({ source: 'fw' }, 2);
    metrics.forSource('fw').dropped('udp_buffer', 3);
    await writer.flush();
    // A replace on top of the create: the record changes in place.
    metrics.forSource('fw').received(1, 100);
    await writer.flush();
    clock.set(Date.parse('2024-05-06T11:00:00.000Z'));
    await writer.flush(); // the tick at the hour's start
    metrics.forSource('web').received(4, 400);
    metrics.parsed.inc({ source: 'web' }, 4);
    await writer.close();

    const fw10 = await store.sourceStats.get('fw.2024-05-06T10:00:00.000Z.es-host-example-77');
    expect(fw10).toMatchObject({ source: 'fw', instance: 'es-host-example-77', startsAt: '2024-05-06T10:00:00.000Z', received: 13, parsed: 10, failed: 2, dropped: 3 });
    for (const field of ['received', 'parsed', 'failed', 'dropped'] as const) expect(typeof fw10?.[field]).toBe('number');

    const eleven = await store.sourceStats.list({ filter: { op: 'range', field: 'startsAt', gte: '2024-05-06T11:00:00.000Z', lt: '2024-05-06T12:00:00.000Z' }, sort: 'id' });
    expect(eleven.items.map((r) => [r.source, r.startsAt, r.received, r.parsed])).toEqual([
      ['fw', '2024-05-06T11:00:00.000Z', 0, 0],
      ['web', '2024-05-06T11:00:00.000Z', 4, 4],
    ]);
    const all = await store.sourceStats.list({ filter: { op: 'range', field: 'startsAt', gte: '2024-05-06T00:00:00.000Z' } });
    expect(all.total).toBe(4);
    // The numeric mapping lets a range over counts find the records with drops.
    const withDrops = await store.sourceStats.list({ filter: { op: 'range', field: 'dropped', gt: 0 } });
    expect(withDrops.items.map((r) => r.id)).toEqual([fw10?.id]);
  });
});
