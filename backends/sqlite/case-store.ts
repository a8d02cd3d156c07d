import type {
  Alert,
  ApiToken,
  AuditEntry,
  BlockState,
  CustomRule,
  LoginLockout,
  NeverBlockEntry,
  ResponseControl,
  Incident,
  PlaybookRun,
  RuleState,
  Session,
  Suppression,
  TimelineEntry,
  User,
} from '../../core/cases/types.js';
import { OperationalError } from '../../core/errors.js';
import type { ReportFile, ReportRecord, SourceStat } from '../../core/reports/types.js';
import type { CaseStore } from '../../core/stores/case-store.js';
import type { BackendHealth } from '../../core/stores/event-store.js';
import type { SqliteDatabase } from './database.js';
import { SqliteCollection } from './case-collection.js';
import { SqliteAppendOnlyLog } from './case-log.js';
import { migrateCaseStore } from './case-schema.js';
import { guarded } from './case-sql.js';
import { registerSqlFunctions } from './filter-sql.js';

/**
 * The embedded case store: every collection and log is a table of the shared SQLite file
 * (case-schema.ts), each record a JSON document beside its id and revision.
 *
 * - Revisions are integers from one counter shared by all collections, exposed as strings;
 *   `replace` is a compare-and-set UPDATE on (id, rev).
 * - Lists filter with the filter AST compiled to SQL over each record's search view, which reads
 *   dotted keys and arrays of objects the way Elasticsearch does (case-search-view.ts); they sort
 *   by any field (id breaks ties, missing values first ascending) and page by keyset cursor.
 * - The timeline and audit tables are append-only in the database itself: triggers refuse UPDATE,
 *   and DELETE except inside a retention transaction (see case-schema.ts for what that does and
 *   does not protect against).
 *
 * The database belongs to the caller, who opened it and closes it; several stores may share it.
 */
export class SqliteCaseStore implements CaseStore {
  readonly kind = 'sqlite';
  readonly alerts: SqliteCollection<Alert>;
  readonly incidents: SqliteCollection<Incident>;
  readonly users: SqliteCollection<User>;
  readonly tokens: SqliteCollection<ApiToken>;
  readonly sessions: SqliteCollection<Session>;
  readonly runs: SqliteCollection<PlaybookRun>;
  readonly blocks: SqliteCollection<BlockState>;
  readonly suppressions: SqliteCollection<Suppression>;
  readonly ruleStates: SqliteCollection<RuleState>;
  readonly customRules: SqliteCollection<CustomRule>;
  readonly neverBlock: SqliteCollection<NeverBlockEntry>;
  readonly controls: SqliteCollection<ResponseControl>;
  readonly lockouts: SqliteCollection<LoginLockout>;
  readonly reports: SqliteCollection<ReportRecord>;
  readonly reportFiles: SqliteCollection<ReportFile>;
  readonly sourceStats: SqliteCollection<SourceStat>;
  readonly timeline: SqliteAppendOnlyLog<TimelineEntry>;
  readonly audit: SqliteAppendOnlyLog<AuditEntry>;

  /** Creates or upgrades the case tables of `db` and registers the SQL functions filters use. */
  constructor(private readonly db: SqliteDatabase) {
    guarded('open', () => {
      migrateCaseStore(db);
      registerSqlFunctions(db);
    });
    this.alerts = new SqliteCollection(db, 'alerts');
    this.incidents = new SqliteCollection(db, 'incidents');
    this.users = new SqliteCollection(db, 'users');
    this.tokens = new SqliteCollection(db, 'tokens');
    this.sessions = new SqliteCollection(db, 'sessions');
    this.runs = new SqliteCollection(db, 'runs');
    this.blocks = new SqliteCollection(db, 'blocks');
    this.suppressions = new SqliteCollection(db, 'suppressions');
    this.ruleStates = new SqliteCollection(db, 'ruleStates');
    this.customRules = new SqliteCollection(db, 'customRules');
    this.neverBlock = new SqliteCollection(db, 'neverBlock');
    this.controls = new SqliteCollection(db, 'controls');
    this.lockouts = new SqliteCollection(db, 'lockouts');
    this.reports = new SqliteCollection(db, 'reports');
    this.reportFiles = new SqliteCollection(db, 'reportFiles');
    this.sourceStats = new SqliteCollection(db, 'sourceStats');
    this.timeline = new SqliteAppendOnlyLog(db, 'timeline');
    this.audit = new SqliteAppendOnlyLog(db, 'audit');
  }

  async health(): Promise<BackendHealth> {
    try {
      guarded('health', () => this.db.prepare('SELECT 1 FROM case_revision').get());
      return { state: 'up' };
    } catch (error) {
      throw error instanceof OperationalError
        ? error
        : new OperationalError('WATCHPOST_ERR_STORE_UNAVAILABLE', 'case store (sqlite) cannot read its tables', { cause: error });
    }
  }

  /** Nothing to release: the database is the caller's to close. Idempotent. */
  async close(): Promise<void> {}
}
