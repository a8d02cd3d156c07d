/**
 * What the end-to-end response tests (response-nftables, attack-range) share: a `watchpost start`
 * child process awaited until a syslog listener of a given protocol and the playbook runner are
 * up, and the shipped SSH brute-force playbook replaced by one that only blocks, for the
 * shortest TTL a playbook may ask for.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from './cli.js';
import { waitUntil } from './response-worker.js';

/** The shipped SSH brute-force correlation (rules/watchpost). */
export const SSH_BRUTE_FORCE_RULE = 'f88732c5-e5a2-43e1-83cc-a0caa5f0a7bc';

/** The shortest block a playbook may ask for (`duration: 1m`). */
export const SHORT_BLOCK_SECONDS = 60;

const ROOT = new URL('../../', import.meta.url).pathname;

/**
 * Writes `<dir>/playbooks/block-ssh-brute-force.yml`, which replaces the shipped playbook of that
 * id: block the source on driver `fw` for {@link SHORT_BLOCK_SECONDS}. Returns the playbook dir.
 */
export function writeShortBlockPlaybook(dir: string, label: string): string {
  const playbooks = join(dir, 'playbooks');
  mkdirSync(playbooks);
  writeFileSync(
    join(playbooks, 'block-ssh-brute-force.yml'),
    `id: block-ssh-brute-force
title: Block SSH brute-force sources (${label}, ${SHORT_BLOCK_SECONDS} s)
trigger:
  on: alert
  rules: [${SSH_BRUTE_FORCE_RULE}]
steps:
  - id: block
    action: block-ip
    drivers: [fw]
    with:
      address: "{{ alert.entities.source.ip }}"
      reason: "{{ alert.ruleTitle }}: {{ alert.entities.source.ip }}"
      duration: 1m
`,
  );
  return playbooks;
}

/**
 * Starts `watchpost start -c <configFile> --data-dir <dataDir> --api-listen 127.0.0.1:0` plus
 * `extraArgs`, and resolves once a syslog listener of `protocol` and the playbook runner are up.
 */
export async function startWatchpostFor(
  configFile: string,
  dataDir: string,
  protocol: 'tcp' | 'tls',
  extraArgs: readonly string[] = [],
): Promise<{ child: ChildProcess; log: () => string }> {
  const started = spawn(process.execPath, [BIN, 'start', '-c', configFile, '--data-dir', dataDir, '--api-listen', '127.0.0.1:0', ...extraArgs], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  started.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output = (output + chunk).slice(-200_000)));
  started.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output = (output + chunk).slice(-200_000)));
  const log = () => output;
  const listening = new RegExp(`"protocol":"${protocol}"[^\\n]*syslog listener started`);
  await waitUntil(() => {
    if (started.exitCode !== null) throw new Error(`watchpost exited with ${started.exitCode}: ${output.slice(-4000)}`);
    return listening.test(output) && output.includes('playbook runner started') ? true : undefined;
  }, 'watchpost to listen and run playbooks', 60_000).catch((error: unknown) => {
    throw new Error(`${String(error)}: ${output.slice(-4000)}`);
  });
  return { child: started, log };
}
