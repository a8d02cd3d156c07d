import { openTestStores } from '../../test/api/backends.js';
import { describeSafetyStoreSuite } from './testdata/store-suite.js';

describeSafetyStoreSuite('sqlite', async () => {
  const stores = await openTestStores('sqlite');
  return { cases: stores.cases, close: () => stores.close() };
});
