import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import { describeCaseStoreContract } from '../../test/contracts/case-store.contract.js';
import { makeAlert, makeTimelineEntry } from '../../test/contracts/case-fixtures.js';
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

  it('shows a write to another client at once, in get and in list', async () => {
    const writer = await ElasticsearchCaseStore.open(client, { indexPrefix: prefix });
    const otherClient = new Client({ node: testElasticsearchUrl() });
    try {
      const reader = await ElasticsearchCaseStore.open(otherClient, { indexPrefix: prefix });
      const created = await writer.alerts.create(makeAlert({ assignee: 'cross-client' }));
      await expect(reader.alerts.get(created.id)).resolves.toEqual(created);
      const listed = await reader.alerts.list({ filter: { op: 'eq', field: 'id', value: created.id } });
      expect(listed.items).toEqual([created]);
      const replaced = await reader.alerts.replace({ ...created, status: 'closed', verdict: 'benign' });
      await expect(writer.alerts.replace({ ...created, status: 'in_progress' })).rejects.toMatchObject({ code: 'WATCHPOST_ERR_STORE_CONFLICT' });
      await expect(writer.alerts.list({ filter: { op: 'eq', field: 'status', value: 'closed' } })).resolves.toMatchObject({ items: [replaced] });
    } finally {
      await otherClient.close();
    }
  });

  it('finds free-form (flattened) fields by exact value only, and says so for what it cannot run', async () => {
    const store = await ElasticsearchCaseStore.open(client, { indexPrefix: prefix });
    const entry = await store.timeline.append(makeTimelineEntry({ data: { ticket: 'SEC-1042', nested: { count: 3 } } }));
    const exact = await store.timeline.list({ filter: { op: 'eq', field: 'data.ticket', value: 'SEC-1042', caseSensitive: true } });
    expect(exact.items).toEqual([entry]);
    const nested = await store.timeline.list({ filter: { op: 'eq', field: 'data.nested.count', value: '3', caseSensitive: true } });
    expect(nested.items).toEqual([entry]);
    await expect(store.timeline.list({ filter: { op: 'contains', field: 'data.ticket', value: 'SEC' } })).rejects.toMatchObject({
      code: 'WATCHPOST_ERR_STORE_INVALID_QUERY',
    });
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
