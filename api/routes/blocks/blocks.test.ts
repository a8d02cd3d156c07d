import { describeBlocksApi } from '../../../test/api/suites/blocks.js';

// The bodies live in the suite so that test/api/routes.int.test.ts can run them on Elasticsearch too.
describeBlocksApi('sqlite');
