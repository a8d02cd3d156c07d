import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BIN, runWatchpost, type CliResult } from '../test/helpers/cli.js';
import { VERSION } from './version.js';

const run = promisify(execFile);

const watchpost = (args: string[]): Promise<CliResult> => runWatchpost(args, { ...process.env, WATCHPOST_LOG__LEVEL: 'info' });

/** Starts `watchpost <role>` on an ephemeral port and resolves with its URL once it logs that it started. */
function startProcess(args: string[]): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [BIN, ...args, '--api-listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        if (!line.startsWith('{')) continue;
        const record = JSON.parse(line) as { msg?: string; url?: string };
        if (record.msg === 'watchpost started' && record.url) {
          clearTimeout(timer);
          resolve({ child, url: record.url, output: () => output });
          return;
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${output}`));
    });
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

describe('watchpost command', () => {
  beforeAll(async () => {
    // The first run compiles dist/; later runs reuse it.
    await watchpost(['--version']);
  }, 180_000);

  it('prints its version and help', async () => {
    expect((await watchpost(['--version'])).stdout.trim()).toBe(VERSION);
    const help = (await watchpost(['--help'])).stdout;
    for (const command of ['start', 'ingest', 'worker', 'api', 'validate', 'search', 'token']) expect(help).toContain(command);
  });

  it('validate accepts a good file and names a bad key with its file:line:col', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wp-cli-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'api:\n  listen: 127.0.0.1:8181\n');
    const ok = await watchpost(['validate', '--config', good]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('is valid');

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'api:\n  listen: 127.0.0.1:8181\nbackends:\n  evnets: sqlite\n');
    const failed = await watchpost(['validate', '--config', bad]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`${bad}:4:3: unknown key "backends.evnets"`);
    expect(failed.stderr).toContain('WATCHPOST_ERR_CONFIG_INVALID');
  });

  it('rejects a malformed flag', async () => {
    const result = await watchpost(['start', '--api-listen', 'not-an-address']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('expected host:port');
  });

  describe.each([['start'], ['api'], ['worker'], ['ingest']])('%s', (role) => {
    let proc: Awaited<ReturnType<typeof startProcess>>;
    const dataDir = mkdtempSync(join(tmpdir(), `wp-${role}-`));
    beforeAll(async () => {
      // `start` keeps its default syslog address (127.0.0.1:5514, udp and tcp), checked below; the
      // ingest role listens on an ephemeral port so the two never compete for 5514.
      proc = await startProcess([role, '--data-dir', dataDir, ...(role === 'ingest' ? ['--syslog-listen', '127.0.0.1:0'] : [])]);
    }, 90_000);
    afterAll(async () => {
      if (proc.child.exitCode === null) await stop(proc.child);
    });

    it('serves /api/health with the embedded backends and /metrics, then stops cleanly on SIGTERM', async () => {
      const health = await fetch(`${proc.url}/api/health`);
      expect(health.status).toBe(200);
      const body = (await health.json()) as { status: string; version: string; backends: Record<string, { kind: string; state: string }> };
      expect(body.status).toBe('ok');
      expect(body.version).toBe(VERSION);
      expect(body.backends.events).toEqual({ kind: 'sqlite', state: 'up' });
      expect(body.backends.cases).toEqual({ kind: 'sqlite', state: 'up' });
      expect(body.backends.queue).toEqual({ kind: 'sqlite', state: 'up' });
      expect(body.backends.correlation).toEqual(role === 'start' || role === 'ingest' ? { kind: 'memory', state: 'up' } : undefined);
      const metrics = await fetch(`${proc.url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('watchpost_process_cpu_user_seconds_total');
      expect((await fetch(`${proc.url}/api/v1/alerts`)).status).toBe(401);
      if (role === 'start') {
        // The embedded start listens for syslog on 127.0.0.1:5514 over UDP and TCP by default.
        const marker = `default-listener-${Date.now()}`;
        await run('logger', ['-n', '127.0.0.1', '-P', '5514', '-T', `${marker} tcp`]);
        await run('logger', ['-n', '127.0.0.1', '-P', '5514', '-d', `${marker} udp`]);
        let found = '';
        for (let i = 0; i < 50 && found !== '2'; i++) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          found = (await watchpost(['search', marker, '--data-dir', dataDir, '--count'])).stdout.trim();
        }
        expect(found).toBe('2');
      }
      expect(await stop(proc.child)).toBe(0);
      expect(proc.output()).toContain('"msg":"stopped"');
    });
  });
});
