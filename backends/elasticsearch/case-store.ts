import type { Client } from '@elastic/elasticsearch';
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
import { OperationalError, UserError } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/log.js';
import type { ReportFile, ReportRecord, SourceStat } from '../../core/reports/types.js';
import type { CaseStore } from '../../core/stores/case-store.js';
import type { BackendHealth } from '../../core/stores/event-store.js';
import { ElasticsearchCollection } from './case-collection.js';
import { mapEsError } from './case-errors.js';
import { caseIndex, caseIndices, installCaseIndices } from './case-indices.js';
import { ElasticsearchAppendOnlyLog } from './case-log.js';

/** Options of {@link ElasticsearchCaseStore.open}. */
export interface ElasticsearchCaseStoreOptions {
  /** Prefix of the indices (`<prefix>-cases-<collection>`) and of the template (`<prefix>-cases`). */
  readonly indexPrefix: string;
  /** Primary shards per index. @defaultValue 1 */
  readonly shards?: number;
  /** Replicas per shard. @defaultValue 0 */
  readonly replicas?: number;
  /** @defaultValue a silent logger */
  readonly logger?: Logger;
}

/** The config schema's rule for prefixes; index names must be lowercase and not start with - _ +. */
const INDEX_PREFIX = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * The case store on Elasticsearch: one index per collection and log (case-indices.ts), shaped by
 * one composable index template.
 *
 * - Revisions are `<_seq_no>:<_primary_term>`, opaque to callers: create is `op_type=create`,
 *   replace is a write conditional on both (`if_seq_no`/`if_primary_term`); a 409 is a conflict.
 *   Sequence numbers grow across deletes, so a record deleted and created again never matches
 *   an old revision.
 * - `get` is realtime; writes wait for a refresh (`refresh=wait_for`) so `list` sees them too,
 *   as the contract requires (see {@link ElasticsearchCollection} for why not `refresh=true`).
 * - Expiry and retention use search + bulk delete, not `_delete_by_query`, which some
 *   distributions lack.
 * - The logs are append-only by this API only; Elasticsearch has no way to refuse an update to
 *   a client with write access (see {@link ElasticsearchAppendOnlyLog}).
 *
 * The client belongs to the caller, who closes it.
 */
export class ElasticsearchCaseStore implements CaseStore {
  readonly kind = 'elasticsearch';
  readonly alerts: ElasticsearchCollection<Alert>;
  readonly incidents: ElasticsearchCollection<Incident>;
  readonly users: ElasticsearchCollection<User>;
  readonly tokens: ElasticsearchCollection<ApiToken>;
  readonly sessions: ElasticsearchCollection<Session>;
  readonly runs: ElasticsearchCollection<PlaybookRun>;
  readonly blocks: ElasticsearchCollection<BlockState>;
  readonly suppressions: ElasticsearchCollection<Suppression>;
  readonly ruleStates: ElasticsearchCollection<RuleState>;
  readonly customRules: ElasticsearchCollection<CustomRule>;
  readonly neverBlock: ElasticsearchCollection<NeverBlockEntry>;
  readonly controls: ElasticsearchCollection<ResponseControl>;
  readonly lockouts: ElasticsearchCollection<LoginLockout>;
  readonly reports: ElasticsearchCollection<ReportRecord>;
  readonly reportFiles: ElasticsearchCollection<ReportFile>;
  readonly sourceStats: ElasticsearchCollection<SourceStat>;
  readonly timeline: ElasticsearchAppendOnlyLog<TimelineEntry>;
  readonly audit: ElasticsearchAppendOnlyLog<AuditEntry>;
  private readonly indices: string[];

  private constructor(
    private readonly client: Client,
    prefix: string,
  ) {
    const collection = <T extends { readonly id: string }>(name: Parameters<typeof caseIndex>[1]) =>
      new ElasticsearchCollection<T>(client, caseIndex(prefix, name));
    this.alerts = collection('alerts');
    this.incidents = collection('incidents');
    this.users = collection('users');
    this.tokens = collection('tokens');
    this.sessions = collection('sessions');
    this.runs = collection('runs');
    this.blocks = collection('blocks');
    this.suppressions = collection('suppressions');
    this.ruleStates = collection('ruleStates');
    this.customRules = collection('customRules');
    this.neverBlock = collection('neverBlock');
    this.controls = collection('controls');
    this.lockouts = collection('lockouts');
    this.reports = collection('reports');
    this.reportFiles = collection('reportFiles');
    this.sourceStats = collection('sourceStats');
    this.timeline = new ElasticsearchAppendOnlyLog(client, caseIndex(prefix, 'timeline'));
    this.audit = new ElasticsearchAppendOnlyLog(client, caseIndex(prefix, 'audit'));
    this.indices = caseIndices(prefix);
  }

  /**
   * Puts the index template and creates the indices (idempotent, safe to run from several
   * processes at once), then returns the store. Rejects with an OperationalError when
   * Elasticsearch cannot be reached.
   */
  static async open(client: Client, options: ElasticsearchCaseStoreOptions): Promise<ElasticsearchCaseStore> {
    if (!INDEX_PREFIX.test(options.indexPrefix)) {
      throw new UserError('WATCHPOST_ERR_CONFIG_INVALID', `invalid index prefix ${JSON.stringify(options.indexPrefix)}: use lowercase letters, digits, _ and -`);
    }
    const logger = options.logger ?? silentLogger();
    await installCaseIndices(client, options, logger);
    logger.debug({ prefix: options.indexPrefix }, 'case store ready');
    return new ElasticsearchCaseStore(client, options.indexPrefix);
  }

  /** The health of the case indices: green is up, yellow (replicas unassigned) degraded, red down. */
  async health(): Promise<BackendHealth> {
    let response;
    try {
      // A missing index keeps the health request waiting; 408 after the timeout is an answer (red), not a failure.
      response = await this.client.cluster.health({ index: this.indices, timeout: '2s' }, { ignore: [408] });
    } catch (error) {
      const mapped = mapEsError(error, 'health', 'read');
      throw mapped instanceof OperationalError
        ? mapped
        : new OperationalError('WATCHPOST_ERR_STORE_UNAVAILABLE', mapped.message, { cause: error });
    }
    const status = String(response.status).toLowerCase();
    if (status === 'green') return { state: 'up' };
    if (status === 'yellow') return { state: 'degraded', detail: 'case indices have unassigned replicas' };
    return { state: 'down', detail: `case indices are ${status}` };
  }

  /** Nothing to release: the client is the caller's to close. Idempotent. */
  async close(): Promise<void> {}
}
