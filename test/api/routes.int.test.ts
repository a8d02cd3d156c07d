import { describeAlertsApi } from './suites/alerts.js';
import { describeAuditApi } from './suites/audit.js';
import { describeLoginLockoutApi } from './suites/auth-lockout.js';
import { describeBlocksApi } from './suites/blocks.js';
import { describeIncidentsApi } from './suites/incidents.js';
import { describePlaybooksApi } from './suites/playbooks.js';
import { describeResponseApi } from './suites/response.js';
import { describeRunsApi } from './suites/runs.js';
import { describeSuppressionsApi } from './suites/suppressions.js';
import { describeTokensApi } from './suites/tokens.js';
import { describeUsersApi } from './suites/users.js';

// The same API behaviours as the route tests (which run them on SQLite), on the real Elasticsearch
// of deploy/dev/services.sh: cases, events and audit on per-test index prefixes (test/api/backends.ts).
describeAlertsApi('elasticsearch');
describeIncidentsApi('elasticsearch');
describeSuppressionsApi('elasticsearch');
describeUsersApi('elasticsearch');
describeTokensApi('elasticsearch');
describeAuditApi('elasticsearch');
describeRunsApi('elasticsearch');
describePlaybooksApi('elasticsearch');
describeBlocksApi('elasticsearch');
describeResponseApi('elasticsearch');
describeLoginLockoutApi('elasticsearch');
