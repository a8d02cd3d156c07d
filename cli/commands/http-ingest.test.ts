import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, runWatchpost, type CliResult } from '../../test/helpers/cli.js';
import { gzipSync } from 'node:zlib';

const watchpost = (args: string[]): Promise<CliResult> => runWatchpost(args);

/** Starts `watchpost start` on ephemeral ports and resolves with its URL once it logs that it started. */
function start(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'start', '--data-dir', dataDir, '--api-listen', '127.0.0.1:0', '--syslog-listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const started = output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { msg?: string; url?: string })
        .find((record) => record.msg === 'watchpost started' && record.url);
      if (started?.url) {
        clearTimeout(timer);
        resolve({ child, url: started.url });
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

describe('HTTP ingest end to end', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wp-http-ingest-'));
  let child: ChildProcess | undefined;
  let url = '';

  beforeAll(async () => {
    await watchpost(['--version']);
    ({ child, url } = await start(dataDir));
  }, 180_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('accepts events from a token made by `watchpost token create` and finds them with `watchpost search`', async () => {
    const created = await watchpost(['token', 'create', '--data-dir', dataDir, '--name', 'e2e agent', '--roles', 'ingest']);
    expect(created.code, created.stderr).toBe(0);
    const bearer = created.stdout.trim();

    const body = gzipSync(
      [
        JSON.stringify({ message: 'Failed password for root from 203.0.113.7', event: { id: 'agent-1' } }),
        'not json',
        JSON.stringify({ event_id: '99', trigger_name: 'Zabbix agent unreachable', host: 'db-01', severity: 'High', status: 'PROBLEM' }),
      ].join('\n'),
    );
    const post = () =>
      fetch(`${url}/api/v1/ingest`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
        body,
      });
    const response = await post();
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 2, rejected: [{ index: 1, reason: 'invalid_json' }] });
    // A retry of the same request is idempotent for events with a client id.
    expect((await post()).status).toBe(202);

    const unauthorized = await fetch(`${url}/api/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(unauthorized.status).toBe(401);

    // The pipeline drains the spool to the store in the background.
    let found = '';
    for (let attempt = 0; attempt < 50 && found === ''; attempt++) {
      found = (await watchpost(['search', 'failed password', '--data-dir', dataDir])).stdout;
      if (found === '') await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const events = found.trim().split('\n').map((line) => JSON.parse(line) as { message: string; event: { id: string } });
    expect(events).toHaveLength(1);
    expect(events[0]?.message).toBe('Failed password for root from 203.0.113.7');

    let alerts = '';
    for (let attempt = 0; attempt < 50 && alerts === ''; attempt++) {
      alerts = (await watchpost(['search', 'agent unreachable', '--data-dir', dataDir])).stdout;
      if (alerts === '') await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const alert = JSON.parse(alerts.trim().split('\n')[0] ?? '{}') as { event: { kind: string; module: string; severity: number }; host: { name: string } };
    expect(alert.event).toMatchObject({ kind: 'alert', module: 'zabbix', severity: 4 });
    expect(alert.host.name).toBe('db-01');
  }, 60_000);
});
