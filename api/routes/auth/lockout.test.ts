import { describeLoginLockoutApi } from '../../../test/api/suites/auth-lockout.js';

// The same behaviours run on Elasticsearch in test/api/routes.int.test.ts.
describeLoginLockoutApi('sqlite');
