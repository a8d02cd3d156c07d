import { describeSuppressionsApi } from '../../../test/api/suites/suppressions.js';

// The bodies live in the suite so that test/api/routes.int.test.ts runs them on Elasticsearch too.
describeSuppressionsApi('sqlite');
