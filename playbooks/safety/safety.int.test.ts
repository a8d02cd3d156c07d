import { openTestStores } from '../../test/api/backends.js';
import { describeSafetyStoreSuite } from './testdata/store-suite.js';

// Several workers share one Elasticsearch case store: the breaker's revisions and the block
// records must behave there as on SQLite.
describeSafetyStoreSuite('elasticsearch', async () => {
  const stores = await openTestStores('elasticsearch');
  return { cases: stores.cases, close: () => stores.close() };
});
