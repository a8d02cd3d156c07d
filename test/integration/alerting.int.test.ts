import { Client } from '@elastic/elasticsearch';
import { ElasticsearchCaseStore } from '../../backends/elasticsearch/case-store.js';
import { caseIndices, caseTemplateName } from '../../backends/elasticsearch/case-indices.js';
import { openSqliteDatabase } from '../../backends/sqlite/database.js';
import { SqliteJobQueue } from '../../backends/sqlite/job-queue.js';
import { testElasticsearchUrl, uniquePrefix } from '../helpers/services.js';
import { describeAlertingBehaviour } from './alerting-behaviour.js';

// The same behaviour as the SQLite run (engine/alerting/alerting.test.ts), over the real
// Elasticsearch case store. The queue is the embedded one: the Redis queue has its own contract.
describeAlertingBehaviour('elasticsearch', async () => {
  const client = new Client({ node: testElasticsearchUrl() });
  const prefix = uniquePrefix('alerting');
  const store = await ElasticsearchCaseStore.open(client, { indexPrefix: prefix });
  const db = openSqliteDatabase(':memory:');
  const queue = new SqliteJobQueue(db, { pollIntervalMs: 50 });
  return {
    store,
    queue,
    cleanup: async () => {
      await queue.close();
      db.close();
      await client.indices.delete({ index: caseIndices(prefix), ignore_unavailable: true });
      await client.indices.deleteIndexTemplate({ name: caseTemplateName(prefix) }, { ignore: [404] });
      await client.close();
    },
  };
});
