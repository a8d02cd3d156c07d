import { Client } from '@elastic/elasticsearch';
import { afterAll } from 'vitest';
import { caseIndices, caseTemplateName } from '../../backends/elasticsearch/case-indices.js';
import { ElasticsearchCaseStore } from '../../backends/elasticsearch/case-store.js';
import { ElasticsearchEventStore } from '../../backends/elasticsearch/event-store.js';
import { testElasticsearchUrl, uniquePrefix } from '../../test/helpers/services.js';
import { describeFiguresSuite } from './testdata/suite.js';

const client = new Client({ node: testElasticsearchUrl(), requestTimeout: 30_000 });

afterAll(async () => {
  await client.close();
});

/** Deletes every index and template a store with this prefix created. */
async function removeAll(prefix: string): Promise<void> {
  await client.indices.delete({ index: caseIndices(prefix), ignore_unavailable: true });
  await client.indices.deleteIndexTemplate({ name: caseTemplateName(prefix) }, { ignore: [404] });
  const events = Object.keys(await client.indices.get({ index: `${prefix}-events-*`, allow_no_indices: true, ignore_unavailable: true }));
  if (events.length > 0) await client.indices.delete({ index: events.join(',') });
  await client.indices.deleteIndexTemplate({ name: `${prefix}-events` }, { ignore: [404] });
}

describeFiguresSuite('elasticsearch', async () => {
  const prefix = uniquePrefix('figures');
  const cases = await ElasticsearchCaseStore.open(client, { indexPrefix: prefix });
  const events = await ElasticsearchEventStore.open(client, { indexPrefix: prefix });
  return { cases, events, cleanup: () => removeAll(prefix) };
});
