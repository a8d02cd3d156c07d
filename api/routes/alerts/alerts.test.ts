import { describeAlertsApi } from '../../../test/api/suites/alerts.js';

// The bodies live in the suite so that test/api/routes.int.test.ts runs them on Elasticsearch too.
describeAlertsApi('sqlite');
