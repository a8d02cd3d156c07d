import { describeTokensApi } from '../../../test/api/suites/tokens.js';

// The bodies live in the suite so that test/api/routes.int.test.ts runs them on Elasticsearch too.
describeTokensApi('sqlite');
