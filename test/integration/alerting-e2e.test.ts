import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteCaseStore } from '../../backends/sqlite/case-store.js';
import { openSqliteDatabase } from '../../backends/sqlite/database.js';
import { SqliteJobQueue } from '../../backends/sqlite/job-queue.js';
import { PLAYBOOK_TRIGGER_JOB, triggerJobId } from '../../engine/alerting/index.js';

// `watchpost start` as a real process: sshd failures sent by util-linux `logger` become one
// deduplicated brute-force alert in the case store, grouped into an incident by source.ip, with
// playbook triggers queued. Proves the wiring of cli/alerting.ts into detection and the roles.

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'watchpost');
const run = promisify(execFile);
let dataDir: string;
let child: ChildProcess | undefined;

async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  await run(process.execPath, [BIN, '--version'], { cwd: ROOT, timeout: 180_000 });
  dataDir = mkdtempSync(join(tmpdir(), 'wp-alerting-e2e-'));
}, 200_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await new Promise((resolve) => child?.once('exit', resolve));
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe('watchpost start: matches become alerts and incidents', () => {
  it('raises one brute-force alert for a burst of sshd failures, in an incident of the attacker, with triggers queued', async () => {
    const port = await freePort();
    child = spawn(process.execPath, [BIN, 'start', '--data-dir', dataDir, '--api-listen', '127.0.0.1:0', '--syslog-listen', `127.0.0.1:${port}`], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(async () => (output.includes('"syslog-tcp"') && output.includes('watchpost started') ? true : undefined), 60_000, 'the start');
    const attacker = '203.0.113.88';
    for (let i = 0; i < 14; i++) {
      await run('logger', ['-n', '127.0.0.1', '-P', String(port), '-T', '--rfc3164', '-t', 'sshd', '-p', 'auth.info', `Failed password for root from ${attacker} port ${41000 + i} ssh2`], {
        timeout: 10_000,
      });
    }
    const db = openSqliteDatabase(join(dataDir, 'watchpost.db'));
    try {
      const store = new SqliteCaseStore(db);
      const byAttacker = { op: 'eq', field: 'entities.source.ip', value: attacker } as const;
      const alert = await waitFor(
        async () => (await store.alerts.list({ filter: byAttacker })).items.find((a) => /brute force/i.test(a.ruleTitle) && a.incidentId !== undefined),
        30_000,
        'the brute-force alert',
      );
      expect(alert).toMatchObject({ status: 'new', entities: { 'source.ip': attacker } });
      expect(alert.ruleAuthor).toEqual(expect.any(String));
      expect(alert.explanation.correlation).toBeDefined();
      // One burst, one alert for the correlation, however many failures passed its threshold.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const all = (await store.alerts.list({ filter: byAttacker })).items.filter((a) => a.ruleId === alert.ruleId);
      expect(all).toHaveLength(1);
      const incident = await store.incidents.get(alert.incidentId!);
      expect(incident).toMatchObject({ entity: { field: 'source.ip', value: attacker }, alertIds: expect.arrayContaining([alert.id]) });
      const queue = new SqliteJobQueue(db);
      try {
        await expect(queue.get(triggerJobId('alert', alert.id))).resolves.toMatchObject({ name: PLAYBOOK_TRIGGER_JOB, data: { alertId: alert.id } });
        await expect(queue.get(triggerJobId('incident', incident!.id))).resolves.toMatchObject({ name: PLAYBOOK_TRIGGER_JOB });
      } finally {
        await queue.close();
      }
      expect(output).toContain('"alert raised"');
    } finally {
      db.close();
    }
    child.kill('SIGTERM');
    await new Promise((resolve) => child?.once('exit', resolve));
    expect(child.exitCode).toBe(0);
  }, 120_000);
});
