import { closeSync, existsSync, openSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Command } from 'commander';
import type { Config } from '../../core/config/schema.js';
import { OperationalError, UserError } from '../../core/errors.js';
import { SQLITE_FILE } from '../backends.js';
import { configOf, refuse, withStoreOptions, writeOut, type StoreOptions } from './options.js';

/** What {@link backupSqliteFile} wrote. */
export interface SqliteBackupResult {
  /** The backup file, absolute. */
  readonly file: string;
  readonly bytes: number;
  readonly pages: number;
  readonly pageSize: number;
  readonly durationMs: number;
}

/**
 * Pages copied per step once the backup has started: all of them. sqlite3_backup_step holds a
 * read transaction on the source for the length of one step, so one step is one consistent
 * snapshot; in WAL mode that read never blocks the writer. In small steps, every write another
 * connection (the running `watchpost start`) commits between two steps would restart the copy,
 * and a busy ingest could keep it restarting forever.
 */
const ALL_PAGES = 0x7fffffff;

/**
 * Copies the SQLite database `source` to the new file `out` online, with SQLite's backup API
 * (better-sqlite3's `db.backup()`), while other processes keep writing to it: the copy is the
 * database as of one committed transaction, including what still sits in the WAL. The new file is
 * created exclusively with mode 0600 (it holds password hashes, sessions and tokens' hashes) and
 * never replaces an existing one; it is switched to a rollback journal so that it is one
 * self-contained file, and checked with `PRAGMA quick_check`. A failed backup removes its file.
 *
 * Throws a UserError (WATCHPOST_ERR_BACKUP_TARGET) when `out` exists, an OperationalError
 * (WATCHPOST_ERR_STORE_UNAVAILABLE) when the source cannot be read or the copy fails its check.
 */
export async function backupSqliteFile(source: string, out: string): Promise<SqliteBackupResult> {
  const started = Date.now();
  const file = resolve(out);
  try {
    // 'wx': the exclusive create is the overwrite check, so a file appearing meanwhile is not lost.
    closeSync(openSync(file, 'wx', 0o600));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UserError('WATCHPOST_ERR_BACKUP_TARGET', `${file} exists; a backup never overwrites a file: name a new one`);
    throw new OperationalError('WATCHPOST_ERR_STORE_UNAVAILABLE', `cannot create ${file}: ${(error as Error).message}`, { cause: error });
  }
  let db: Database.Database | undefined;
  try {
    // Read-write but used only to read: a read-only connection cannot open a WAL database whose
    // -shm file is missing (no process running), and this one changes nothing.
    db = new Database(source, { fileMustExist: true });
    db.pragma('busy_timeout = 10000');
    const copied = await db.backup(file, { progress: () => ALL_PAGES });
    db.close();
    db = undefined;
    const copy = new Database(file);
    try {
      copy.pragma('journal_mode = DELETE');
      const check = copy.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new OperationalError('WATCHPOST_ERR_STORE_UNAVAILABLE', `the backup ${file} failed its integrity check: ${String(check)}`);
      const pageSize = copy.pragma('page_size', { simple: true }) as number;
      const pages = copy.pragma('page_count', { simple: true }) as number;
      copy.close();
      return { file, bytes: statSync(file).size, pages: pages > 0 ? pages : copied.totalPages, pageSize, durationMs: Date.now() - started };
    } finally {
      if (copy.open) copy.close();
    }
  } catch (error) {
    if (db?.open) db.close();
    for (const leftover of [file, `${file}-journal`, `${file}-wal`, `${file}-shm`]) {
      try {
        unlinkSync(leftover);
      } catch {
        // Not there: nothing to clean.
      }
    }
    if (error instanceof UserError || error instanceof OperationalError) throw error;
    throw new OperationalError('WATCHPOST_ERR_STORE_UNAVAILABLE', `backup of ${source} failed: ${(error as Error).message}`, { cause: error });
  }
}

/** The first Elasticsearch node without credentials in its URL, for the printed calls. */
function esUrl(config: Readonly<Config>): string {
  const node = config.elasticsearch?.nodes[0] ?? 'http://127.0.0.1:9200';
  try {
    const url = new URL(node);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return node;
  }
}

/**
 * How to back up and restore what a configuration keeps in Elasticsearch and Redis: snapshots
 * (the exact API calls, with this configuration's index names) and Redis's own persistence.
 * Watchpost has no snapshot manager of its own: Elasticsearch's snapshot lifecycle does it better.
 * Empty when the configuration uses neither.
 */
export function clusterBackupInstructions(config: Readonly<Config>): string {
  const lines: string[] = [];
  const prefix = config.elasticsearch?.indexPrefix ?? 'watchpost';
  const patterns = [
    ...(config.backends.events === 'elasticsearch' ? [`${prefix}-events-*`] : []),
    ...(config.backends.cases === 'elasticsearch' ? [`${prefix}-cases-*`] : []),
  ];
  if (patterns.length > 0) {
    const es = esUrl(config);
    const indices = patterns.join(',');
    const json = "-H 'content-type: application/json'";
    lines.push(
      `Elasticsearch holds ${patterns.map((pattern) => (pattern.includes('-events-') ? 'the events' : 'alerts, incidents, users, runs and blocks')).join(' and ')} (indices ${indices}).`,
      'Back them up with Elasticsearch snapshots; Watchpost does not copy indices itself. With curl (add -u or an',
      'Authorization: ApiKey header as your cluster needs):',
      '',
      '1. Register a repository once. For type fs, every node must list the location under path.repo in',
      '   elasticsearch.yml (a shared mount on a cluster); s3, gcs and azure repositories need no path.repo:',
      `   curl -X PUT '${es}/_snapshot/watchpost' ${json} -d '{"type":"fs","settings":{"location":"/srv/es-snapshots/watchpost"}}'`,
      '',
      '2. Take a snapshot (incremental: only segments not yet in the repository are copied):',
      `   curl -X PUT "${es}/_snapshot/watchpost/watchpost-$(date -u +%Y.%m.%d-%H%M)?wait_for_completion=true" ${json} -d '{"indices":"${indices}","include_global_state":false}'`,
      '',
      '   or nightly with snapshot lifecycle management (keeps 30 days):',
      `   curl -X PUT '${es}/_slm/policy/watchpost-nightly' ${json} -d '{"schedule":"0 30 1 * * ?","name":"<watchpost-{now/d}>","repository":"watchpost","config":{"indices":"${indices}","include_global_state":false},"retention":{"expire_after":"30d","min_count":7,"max_count":60}}'`,
      '',
      `3. List snapshots: curl '${es}/_cat/snapshots/watchpost?v'`,
      '',
      '4. Restore: stop every Watchpost process (a running one recreates missing indices), delete the indices, restore, start:',
      `   curl -X DELETE '${es}/${indices}'`,
      `   curl -X POST '${es}/_snapshot/watchpost/<snapshot>/_restore?wait_for_completion=true' ${json} -d '{"indices":"${indices}","include_global_state":false}'`,
      '   The index templates are not in the snapshot (include_global_state false): Watchpost puts them back when it starts.',
    );
  }
  if (config.backends.queue === 'redis' || config.backends.correlation === 'redis') {
    if (lines.length > 0) lines.push('');
    lines.push(
      `Redis holds ${[config.backends.queue === 'redis' ? 'the job queue' : '', config.backends.correlation === 'redis' ? 'the correlation windows' : ''].filter((part) => part !== '').join(' and ')} (keys ${config.redis?.prefix ?? 'watchpost'}:*).`,
      'Run it with appendonly yes and maxmemory-policy noeviction; back up its data directory (appendonlydir/ and dump.rdb,',
      'e.g. after redis-cli BGSAVE). After a restore of the stores without Redis, the worker re-derives pending blocks',
      "and their expiry from the stored state within a minute; windows of correlations in progress start anew.",
    );
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** Options of `watchpost backup`. */
interface BackupOptions extends StoreOptions {
  readonly out?: string;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/** Adds `watchpost backup --out <file>`. */
export function registerBackupCommand(program: Command): void {
  withStoreOptions(
    program
      .command('backup')
      .description(
        'copy the embedded database (watchpost.db) to a new file, online: safe while `watchpost start` runs; for Elasticsearch and Redis, print how to snapshot them',
      )
      .option('-o, --out <file>', 'the backup file to create (never overwritten; mode 0600); needed when a store is SQLite'),
  ).action(async (options: BackupOptions) => {
    const config = configOf(options);
    const usesSqlite = config.backends.events === 'sqlite' || config.backends.cases === 'sqlite' || config.backends.queue === 'sqlite';
    const instructions = clusterBackupInstructions(config);
    if (usesSqlite) {
      const source = join(config.dataDir, SQLITE_FILE);
      if (options.out === undefined) {
        refuse(`name the backup file: watchpost backup --out <file> (copies ${source})`);
        return;
      }
      if (!existsSync(source)) {
        refuse(`no Watchpost database at ${source}; pass the --data-dir or --config of the instance`);
        return;
      }
      const out = resolve(options.out);
      if (existsSync(out)) {
        refuse(`${out} exists; a backup never overwrites a file: name a new one`);
        return;
      }
      if (!existsSync(dirname(out))) {
        refuse(`the directory ${dirname(out)} does not exist`);
        return;
      }
      const result = await backupSqliteFile(source, out);
      await writeOut(
        `backup of ${source} written to ${result.file}: ${result.bytes} bytes (${formatBytes(result.bytes)}), ${result.pages} pages of ${result.pageSize} bytes, integrity ok, in ${result.durationMs} ms\n` +
          'Restore: stop Watchpost, move watchpost.db (and any watchpost.db-wal, watchpost.db-shm) out of the data directory, copy the backup there as watchpost.db, start Watchpost.\n',
      );
    } else if (options.out !== undefined) {
      await writeOut(`no store of this configuration is SQLite, so there is nothing to write to ${options.out}.\n`);
    }
    if (instructions !== '') await writeOut(`${usesSqlite ? '\n' : ''}${instructions}`);
  });
}
