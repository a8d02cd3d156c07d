import { describeRunsApi } from '../../../test/api/suites/runs.js';

// The bodies live in the suite so that test/api/routes.int.test.ts can run them on Elasticsearch too.
describeRunsApi('sqlite');
