import { describeUsersApi } from '../../../test/api/suites/users.js';

// The bodies live in the suite so that test/api/routes.int.test.ts runs them on Elasticsearch too.
describeUsersApi('sqlite');
