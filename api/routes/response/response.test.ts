import { describeResponseApi } from '../../../test/api/suites/response.js';

// The bodies live in the suite so that test/api/routes.int.test.ts can run them on Elasticsearch too.
describeResponseApi('sqlite');
