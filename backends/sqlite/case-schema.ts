import { migrate, type SqliteDatabase } from './database.js';

/** The collections of the case store, each a table `case_<name>`. */
export const CASE_COLLECTIONS = ['alerts', 'incidents', 'users', 'tokens', 'sessions', 'runs', 'blocks', 'suppressions', 'ruleStates', 'customRules', 'neverBlock', 'controls', 'lockouts', 'reports', 'reportFiles', 'sourceStats'] as const;

/** The collections the first migration created; a collection added later gets a migration of its own. */
const FIRST_COLLECTIONS: readonly CaseCollectionName[] = ['alerts', 'incidents', 'users', 'tokens', 'sessions', 'runs', 'blocks'];

/** One collection name. */
export type CaseCollectionName = (typeof CASE_COLLECTIONS)[number];

/** The append-only logs, each a table `case_<name>`. */
export const CASE_LOGS = ['timeline', 'audit'] as const;

/** One log name. */
export type CaseLogName = (typeof CASE_LOGS)[number];

/** The record, its search view when that differs, and the one of the two that queries read. */
const DOCUMENT_COLUMNS = 'doc TEXT NOT NULL, search TEXT, sdoc TEXT GENERATED ALWAYS AS (coalesce(search, doc)) VIRTUAL';

function collectionTable(name: CaseCollectionName): string {
  // Expression indexes on the default sort (createdAt) and the console's usual sorts; each must be
  // spelled exactly as case-sql.ts's sortExpression writes it, or SQLite will not use it.
  const extra: Record<CaseCollectionName, readonly string[]> = {
    alerts: ['lastSeen', 'updatedAt'],
    incidents: ['updatedAt'],
    users: [],
    tokens: [],
    sessions: ['expiresAt'],
    runs: ['updatedAt'],
    blocks: ['expiresAt'],
    suppressions: ['expiresAt'],
    // Ingest polls the newest updatedAt of both to notice rule changes.
    ruleStates: ['updatedAt'],
    customRules: ['updatedAt'],
    neverBlock: [],
    controls: [],
    lockouts: ['updatedAt'],
    reports: [],
    reportFiles: [],
    // The weekly report reads a week of hours by their start.
    sourceStats: ['startsAt'],
  };
  const indexes = ['createdAt', ...extra[name]].map(
    (field) => `CREATE INDEX case_${name}_by_${field.toLowerCase()} ON case_${name} (json_extract(sdoc, '$.${field}'), id);`,
  );
  // rev comes from case_revision, a counter shared by every collection: a record deleted and
  // created again never gets back a revision an old reader may still hold (no ABA). doc is the
  // record exactly as written; search is its search view (case-search-view.ts), NULL when the
  // two are the same; sdoc, which filters and sorts read, is whichever applies, computed on read.
  return [`CREATE TABLE case_${name} (id TEXT PRIMARY KEY, rev INTEGER NOT NULL, ${DOCUMENT_COLUMNS}) STRICT;`, ...indexes].join('\n');
}

/**
 * An append-only table: plain INSERT only. Triggers refuse UPDATE always, and DELETE unless the
 * row's `at` is before the cutoff that deleteOlderThan writes into case_retention_guard inside its
 * own transaction (and clears before commit; a crash rolls it back). They also refuse an INSERT
 * over an existing id, because `INSERT OR REPLACE` deletes the old row without firing DELETE
 * triggers. This guards the log against bugs and careless SQL, not against someone who can write
 * the file: they can drop the triggers. Tamper evidence would need a hash chain.
 */
function logTable(name: CaseLogName): string {
  const table = `case_${name}`;
  // A timeline is read one incident at a time; incident_key (the case-folded incidentId, see
  // TIMELINE_KEY) lets that read seek an index instead of scanning every incident's entries.
  const timeline = name === 'timeline';
  return `
CREATE TABLE ${table} (id TEXT PRIMARY KEY, at TEXT NOT NULL, ${timeline ? 'incident_key TEXT NOT NULL, ' : ''}${DOCUMENT_COLUMNS}) STRICT;
CREATE INDEX ${table}_by_at ON ${table} (at, id);
${timeline ? `CREATE INDEX ${table}_by_incident ON ${table} (incident_key, at, id);` : ''}
INSERT INTO case_retention_guard (log, cutoff) VALUES ('${name}', NULL);
CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table}
BEGIN SELECT RAISE(ABORT, '${table} is append-only: entries are never updated'); END;
CREATE TRIGGER ${table}_retention_only BEFORE DELETE ON ${table}
WHEN NOT (OLD.at < coalesce((SELECT cutoff FROM case_retention_guard WHERE log = '${name}'), ''))
BEGIN SELECT RAISE(ABORT, '${table} is append-only: only retention deletes entries'); END;
CREATE TRIGGER ${table}_no_overwrite BEFORE INSERT ON ${table}
WHEN EXISTS (SELECT 1 FROM ${table} WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, '${table} is append-only: an entry id is written once'); END;`;
}

/**
 * The field of the timeline kept in a column of its own, case-folded the way the filter compiler
 * folds an `eq` (so an `eq` on it narrows to exactly the rows it could match).
 */
export const TIMELINE_KEY = { field: 'incidentId', column: 'incident_key' } as const;

/** The case store's migrations, in order; append new ones, never edit these. */
export const CASE_MIGRATIONS: readonly string[] = [
  [
    'CREATE TABLE case_revision (only INTEGER PRIMARY KEY CHECK (only = 1), value INTEGER NOT NULL) STRICT;',
    'INSERT INTO case_revision (only, value) VALUES (1, 0);',
    'CREATE TABLE case_retention_guard (log TEXT PRIMARY KEY, cutoff TEXT) STRICT;',
    ...FIRST_COLLECTIONS.map(collectionTable),
    ...CASE_LOGS.map(logTable),
  ].join('\n'),
  collectionTable('suppressions'),
  [collectionTable('ruleStates'), collectionTable('customRules')].join('\n'),
  [collectionTable('neverBlock'), collectionTable('controls'), collectionTable('lockouts')].join('\n'),
  [collectionTable('reports'), collectionTable('reportFiles'), collectionTable('sourceStats')].join('\n'),
];

/** Creates or upgrades the case store's tables. */
export function migrateCaseStore(db: SqliteDatabase): void {
  migrate(db, 'cases', CASE_MIGRATIONS);
}
