import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElasticsearchCaseStore } from '../../backends/elasticsearch/case-store.js';
import { ElasticsearchEventStore } from '../../backends/elasticsearch/event-store.js';
import type { Alert } from '../../core/cases/types.js';
import { silentLogger } from '../../core/log.js';
import { makeAlert, makeAuditEntry, makePlaybookRun } from '../contracts/case-fixtures.js';
import { ev, HOUR, T0 } from '../contracts/event-store-fixtures.js';
import { BIN, runWatchpost } from '../helpers/cli.js';
import { testElasticsearchUrl, uniquePrefix } from '../helpers/services.js';
import { freePort, signIn } from '../helpers/watchpost-server.js';

// The restore procedure of docs/operations.md, run for real.
//
// SQLite: `watchpost start` on a data directory receives an SSH brute force over TCP syslog (an
// alert); `watchpost backup` copies the database while it runs and writes; more events and a
// second alert follow the backup; the process stops, the data directory is moved away, the
// backup becomes watchpost.db of a fresh data directory, and `watchpost start` runs on it: what
// came before the backup is there (events, the alert, the administrator's password), what came
// after is not, and `watchpost search` answers.
//
// Elasticsearch: the case and event indices of a prefix are snapshotted into an fs repository
// (under the node's path.repo, which deploy/dev/services.sh sets), deleted, restored: every index
// holds as many documents as before and the stores read and write them again.

const ROOT = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);
const BRUTE_FORCE_TITLE = 'SSH Brute Force From One Address';
const BEFORE = '203.0.113.41';
const AFTER = '203.0.113.42';
/** The rule's threshold: ten failures from one address in five minutes. */
const FAILURES = 10;

const dir = mkdtempSync(join(tmpdir(), 'wpt-backup-restore-'));
const children = new Set<ChildProcess>();

/** Polls `check` until it returns a value; fails with `what` and `context()` after `timeoutMs`. */
async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined, context: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${context()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** `watchpost start` on a data directory; resolves once it serves and its TCP syslog listener is up. */
async function startWatchpost(dataDir: string): Promise<{ child: ChildProcess; url: string; syslogPort: number; output: () => string; stop: () => Promise<number | null> }> {
  const apiPort = await freePort();
  const syslogPort = await freePort();
  const child = spawn(process.execPath, [BIN, 'start', '--data-dir', dataDir, '--api-listen', `127.0.0.1:${apiPort}`, '--syslog-listen', `127.0.0.1:${syslogPort}`], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-1_000_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor(
    'watchpost start to serve and listen for syslog',
    90_000,
    () => {
      if (child.exitCode !== null) throw new Error(`watchpost exited with ${child.exitCode}:\n${output.slice(-4000)}`);
      return output.includes('"msg":"watchpost started"') && /"protocol":"tcp"[^\n]*syslog listener started/.test(output) ? true : undefined;
    },
    () => output.slice(-4000),
  );
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const code = await exited;
    children.delete(child);
    return code;
  };
  return { child, url: `http://127.0.0.1:${apiPort}`, syslogPort, output: () => output, stop };
}

/** Sends lines of `program` (RFC 5424 over TCP, newline-framed) and closes the connection. */
async function sendSyslog(port: number, messages: readonly string[], program = 'sshd'): Promise<void> {
  const socket: Socket = await new Promise((resolve, reject) => {
    const opened = connect(port, '127.0.0.1', () => resolve(opened));
    opened.once('error', reject);
  });
  for (const message of messages) socket.write(`<38>1 ${new Date().toISOString()} bastion-01 ${program} 4242 - - ${message}\n`);
  await new Promise<void>((resolve) => socket.end(() => resolve()));
}

function failures(address: string, marker: string): string[] {
  return Array.from({ length: FAILURES }, (_, n) => `Failed password for invalid user ${marker} from ${address} port ${41000 + n} ssh2`);
}

/** `watchpost search --count` on a data directory (works beside a running start). */
async function count(dataDir: string, query: string): Promise<number> {
  const result = await runWatchpost(['search', query, '--data-dir', dataDir, '--count', '--from', '1h']);
  if (result.code !== 0) throw new Error(`watchpost search failed (${result.code}): ${result.stderr}`);
  return Number(result.stdout.trim());
}

beforeAll(async () => {
  // Build once up front (bin/watchpost compiles when dist/ is stale).
  await run(process.execPath, [BIN, '--version'], { cwd: ROOT, timeout: 180_000 });
}, 200_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('SQLite: online backup, then restore into a fresh data directory', () => {
  it('keeps what came before the backup and nothing after it', async () => {
    const original = join(dir, 'data');
    const first = await startWatchpost(original);
    const password = /with the password\n\n {4}(\S+)\n/.exec(first.output())?.[1];
    expect(password, first.output().slice(-2000)).toBeDefined();

    // Before the backup: a brute force (an alert) and one marked line.
    await sendSyslog(first.syslogPort, failures(BEFORE, 'before'));
    await sendSyslog(first.syslogPort, ['nightly job beforemarker done'], 'backup-test');
    const session = await signIn(first.url, 'admin', password as string);
    const alertsOf = async (base: typeof session): Promise<Alert[]> => (await base.call<{ items: Alert[] }>('GET', '/api/v1/alerts?limit=200')).items.filter((a) => a.ruleTitle === BRUTE_FORCE_TITLE);
    await waitFor('the first alert', 30_000, async () => ((await alertsOf(session)).some((a) => a.entities['source.ip'] === BEFORE) ? true : undefined), first.output);
    await waitFor('the events before the backup to be searchable', 30_000, async () => ((await count(original, `source.ip:${BEFORE}`)) === FAILURES ? true : undefined));

    // The backup, while the process runs and keeps receiving lines (not asserted: before or after).
    const during = sendSyslog(
      first.syslogPort,
      Array.from({ length: 500 }, (_, n) => `nightly job during-${n} done`),
      'backup-test',
    );
    const backupFile = join(dir, 'watchpost-backup.db');
    const backup = await runWatchpost(['backup', '--data-dir', original, '--out', backupFile]);
    await during;
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toMatch(new RegExp(`written to ${backupFile}: (\\d+) bytes .*, (\\d+) pages of (\\d+) bytes, integrity ok`));
    expect(statSync(backupFile).mode & 0o777).toBe(0o600);
    process.stdout.write(`backup-restore: ${backup.stdout.split('\n')[0]}\n`);

    // A second backup to the same file is refused and changes nothing.
    const size = statSync(backupFile).size;
    const again = await runWatchpost(['backup', '--data-dir', original, '--out', backupFile]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('never overwrites');
    expect(statSync(backupFile).size).toBe(size);

    // After the backup: another brute force (a second alert) and another marked line.
    await sendSyslog(first.syslogPort, failures(AFTER, 'after'));
    await sendSyslog(first.syslogPort, ['nightly job aftermarker done'], 'backup-test');
    await waitFor('the second alert', 30_000, async () => ((await alertsOf(session)).some((a) => a.entities['source.ip'] === AFTER) ? true : undefined), first.output);
    await waitFor('the events after the backup to be searchable', 30_000, async () => ((await count(original, `source.ip:${AFTER}`)) === FAILURES ? true : undefined));
    expect(await count(original, 'aftermarker')).toBe(1);

    // Restore as docs/operations.md says: stop, move the data directory away, the backup becomes
    // watchpost.db of a fresh data directory, start.
    expect(await first.stop()).toBe(0);
    renameSync(original, join(dir, 'data.old'));
    const restored = join(dir, 'data-restored');
    mkdirSync(restored);
    copyFileSync(backupFile, join(restored, 'watchpost.db'));

    const second = await startWatchpost(restored);
    // The administrator came back with the database: no new first-start password.
    expect(second.output()).not.toContain('created the first administrator');
    const restoredSession = await signIn(second.url, 'admin', password as string);
    const alerts = await alertsOf(restoredSession);
    expect(alerts.map((a) => a.entities['source.ip'])).toEqual([BEFORE]);
    expect(await count(restored, `source.ip:${BEFORE}`)).toBe(FAILURES);
    expect(await count(restored, 'beforemarker')).toBe(1);
    expect(await count(restored, `source.ip:${AFTER}`)).toBe(0);
    expect(await count(restored, 'aftermarker')).toBe(0);
    const search = await runWatchpost(['search', `source.ip:${BEFORE}`, '--data-dir', restored, '--limit', '3']);
    expect(search.code).toBe(0);
    expect(search.stdout.trim().split('\n')).toHaveLength(3);
    expect(JSON.parse(search.stdout.split('\n')[0] as string)).toMatchObject({ source: { ip: BEFORE } });

    // The restored instance keeps working: a new brute force is detected on it.
    await sendSyslog(second.syslogPort, failures(AFTER, 'again'));
    await waitFor('an alert on the restored instance', 30_000, async () => ((await alertsOf(restoredSession)).some((a) => a.entities['source.ip'] === AFTER) ? true : undefined), second.output);
    expect(await second.stop()).toBe(0);
    expect(existsSync(join(dir, 'data.old', 'watchpost.db'))).toBe(true);
  }, 240_000);
});

describe('Elasticsearch: snapshot, delete, restore of the case and event indices', () => {
  const prefix = uniquePrefix('snapshot');
  const repository = `${prefix}-repo`;
  const es = new Client({ node: testElasticsearchUrl() });

  afterAll(async () => {
    await es.snapshot.delete({ repository, snapshot: '*' }).catch(() => undefined);
    await es.snapshot.deleteRepository({ name: repository }).catch(() => undefined);
    await es.indices.delete({ index: `${prefix}-*`, ignore_unavailable: true, allow_no_indices: true });
    const templates = await es.indices.getIndexTemplate({ name: `${prefix}-*` }).catch(() => ({ index_templates: [] }));
    for (const template of templates.index_templates) await es.indices.deleteIndexTemplate({ name: template.name });
    await es.close();
  });

  /** Documents per index of the prefix, after a refresh. */
  async function counts(): Promise<Record<string, number>> {
    await es.indices.refresh({ index: `${prefix}-*`, ignore_unavailable: true, allow_no_indices: true });
    const rows = await es.cat.indices({ index: `${prefix}-*`, format: 'json', h: ['index', 'docs.count'] });
    return Object.fromEntries(rows.map((row) => [row.index as string, Number(row['docs.count'])]));
  }

  it('restores every index with all its documents, and the stores use them again', async () => {
    // path.repo is a static node setting: an fs repository can only live under it.
    const settings = await es.nodes.info({ metric: 'settings', filter_path: 'nodes.*.settings.path.repo' });
    const repos = Object.values((settings as { nodes?: Record<string, { settings?: { path?: { repo?: string[] | string } } }> }).nodes ?? {}).map((node) => node.settings?.path?.repo);
    if (repos.length === 0 || repos.some((repo) => repo === undefined || repo.length === 0)) {
      throw new Error(
        `Elasticsearch at ${testElasticsearchUrl()} runs without path.repo, so no fs snapshot repository can be registered. ` +
          'deploy/dev/services.sh sets path.repo for a node it starts; a node started before that change must be restarted: ' +
          'bash deploy/dev/services.sh down && bash deploy/dev/services.sh up',
      );
    }

    const events = await ElasticsearchEventStore.open(es, { indexPrefix: prefix, logger: silentLogger() });
    const cases = await ElasticsearchCaseStore.open(es, { indexPrefix: prefix, logger: silentLogger() });
    // Sixty hours of events (three daily indices), alerts, a run and audit entries.
    const written = Array.from({ length: 60 }, (_, i) =>
      ev(`${prefix}-e${i}`, T0 + i * HOUR, { message: `Failed password for root from 203.0.113.${i % 50} port ${i} ssh2`, source: { ip: `203.0.113.${i % 50}` } }),
    );
    expect((await events.append(written)).written).toBe(written.length);
    const alerts = Array.from({ length: 7 }, () => makeAlert());
    for (const alert of alerts) await cases.alerts.create(alert);
    await cases.runs.create(makePlaybookRun());
    for (let i = 0; i < 5; i++) await cases.audit.append(makeAuditEntry());
    const before = await counts();
    expect(Object.keys(before).filter((index) => index.startsWith(`${prefix}-events-`))).toHaveLength(3);
    expect(before[`${prefix}-cases-alerts`]).toBe(alerts.length);
    expect(before[`${prefix}-cases-audit`]).toBe(5);

    // The calls `watchpost backup` prints for an Elasticsearch configuration.
    await es.snapshot.createRepository({ name: repository, repository: { type: 'fs', settings: { location: repository } } });
    const indices = `${prefix}-events-*,${prefix}-cases-*`;
    const taken = await es.snapshot.create({ repository, snapshot: 'snap-1', wait_for_completion: true, indices, include_global_state: false });
    expect(taken.snapshot?.state).toBe('SUCCESS');
    expect(taken.snapshot?.shards?.failed).toBe(0);
    expect(new Set(taken.snapshot?.indices)).toEqual(new Set(Object.keys(before)));

    await es.indices.delete({ index: Object.keys(before).join(',') });
    expect(await counts()).toEqual({});

    const restored = await es.snapshot.restore({ repository, snapshot: 'snap-1', wait_for_completion: true, indices, include_global_state: false });
    expect(restored.snapshot?.shards.failed).toBe(0);
    await es.cluster.health({ index: `${prefix}-*`, wait_for_status: 'yellow', timeout: '30s' });
    expect(await counts()).toEqual(before);

    // The stores read the restored documents and write on them (optimistic concurrency intact).
    const again = await ElasticsearchCaseStore.open(es, { indexPrefix: prefix, logger: silentLogger() });
    const stored = await again.alerts.get(alerts[0]?.id as string);
    expect(stored?.entities).toEqual(alerts[0]?.entities);
    const updated = await again.alerts.replace({ ...(stored as NonNullable<typeof stored>), status: 'acknowledged' });
    expect(updated.status).toBe('acknowledged');
    await expect(again.alerts.replace({ ...(stored as NonNullable<typeof stored>), status: 'closed' })).rejects.toMatchObject({ code: 'WATCHPOST_ERR_STORE_CONFLICT' });
    const reopened = await ElasticsearchEventStore.open(es, { indexPrefix: prefix, logger: silentLogger() });
    expect(await reopened.count({ from: new Date(T0), to: new Date(T0 + 3 * 24 * HOUR) })).toBe(written.length);
  }, 120_000);
});
