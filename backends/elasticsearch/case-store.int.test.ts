import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import { describeCaseStoreContract } from '../../test/contracts/case-store.contract.js';
import { makeAlert } from '../../test/contracts/case-fixtures.js';
import { testElasticsearchUrl, uniquePrefix } from '../../test/helpers/services.js';
import { caseIndices, caseTemplateName } from './case-indices.js';
import { ElasticsearchCaseStore } from './case-store.js';

async function removeCaseStore(client: Client, prefix: string): Promise<void> {
  await client.indices.delete({ index: caseIndices(prefix), ignore_unavailable: true });
  await client.indices.deleteIndexTemplate({ name: caseTemplateName(prefix) }, { ignore: [404] });
}

describeCaseStoreContract('elasticsearch', async () => {
  const client = new Client({ node: testElasticsearchUrl() });
  const prefix = uniquePrefix('case-store');
  const store = await ElasticsearchCaseStore.open(client, { indexPrefix: prefix });
  return {
    store,
    cleanup: async () => {
      await removeCaseStore(client, prefix);
      await client.close();
    },
  };
});

describe('ElasticsearchCaseStore', () => {
  const client = new Client({ node: testElasticsearchUrl() });
  const prefix = uniquePrefix('case-store-open');

  afterAll(async () => {
    await removeCaseStore(client, prefix);
    await client.close();
  });

  it('opens idempotently: a second open over existing indices keeps their records', async () => {
    const first = await ElasticsearchCaseStore.open(client, { indexPrefix: prefix });
    const alert = await first.alerts.create(makeAlert());
    const second = await ElasticsearchCaseStore.open(client, { indexPrefix: prefix });
    await expect(second.alerts.get(alert.id)).resolves.toEqual(alert);
    const template = await client.indices.getIndexTemplate({ name: caseTemplateName(prefix) });
    expect(template.index_templates[0]?.index_template.index_patterns).toEqual(caseIndices(prefix));
  });

  it('maps timestamps as dates and free-form objects as flattened', async () => {
    await ElasticsearchCaseStore.open(client, { indexPrefix: prefix });
    const [alerts] = caseIndices(prefix);
    const mapping = await client.indices.getMapping({ index: alerts! });
    const properties = mapping[alerts!]?.mappings.properties as Record<string, any>;
    expect(properties.createdAt.type).toBe('date');
    expect(properties.riskScore.type).toBe('double');
    expect(properties.explanation.properties.correlation.type).toBe('flattened');
  });

  it('refuses an index prefix Elasticsearch would not accept', async () => {
    await expect(ElasticsearchCaseStore.open(client, { indexPrefix: 'Bad Prefix' })).rejects.toMatchObject({ code: 'WATCHPOST_ERR_CONFIG_INVALID' });
  });

  it('rejects with STORE_UNAVAILABLE when Elasticsearch cannot be reached', async () => {
    const nowhere = new Client({ node: 'http://127.0.0.1:1', maxRetries: 0, requestTimeout: 2_000 });
    try {
      await expect(ElasticsearchCaseStore.open(nowhere, { indexPrefix: uniquePrefix('nowhere') })).rejects.toMatchObject({
        code: 'WATCHPOST_ERR_STORE_UNAVAILABLE',
      });
    } finally {
      await nowhere.close();
    }
  });
});
