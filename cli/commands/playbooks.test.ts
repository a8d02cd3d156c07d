import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWatchpost } from '../../test/helpers/cli.js';

const TESTDATA = 'playbooks/definition/testdata';
const dir = mkdtempSync(join(tmpdir(), 'wp-playbooks-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// The launcher compiles dist/ when sources changed: once here, not inside a test's time limit.
beforeAll(async () => {
  await runWatchpost(['--version']);
}, 180_000);

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const notify = (id: string, title: string, extra = ''): string =>
  `id: ${id}\ntitle: ${title}\ntrigger: { on: alert }\nsteps:\n  - id: tell\n    action: notify\n${extra}    with: { subject: s, message: m }\n`;

describe('watchpost playbooks validate', () => {
  it('loads the shipped playbooks with no problem', async () => {
    const { code, stdout } = await runWatchpost(['playbooks', 'validate']);
    expect(stdout).toMatch(/^playbooks: ([5-9]|\d\d+) loaded \(\d+ enabled\); 0 problems$/m);
    expect(code).toBe(0);
  }, 120_000);

  it('prints every problem as file:line:col: message and exits 1', async () => {
    const { code, stdout } = await runWatchpost(['playbooks', 'validate', TESTDATA]);
    expect(code).toBe(1);
    expect(stdout).toContain(`${TESTDATA}/bad.yml:3:1: unknown key "colour"\n`);
    expect(stdout).toContain(`${TESTDATA}/bad.yml:22:13: unknown action "disable-acount"`);
    expect(stdout).toContain(`${TESTDATA}/broken-yaml.yml:3:1: `);
    expect(stdout).toContain(`${TESTDATA}/empty-steps.yml:4:8: "steps" must not be empty\n`);
    // good.yml's two playbooks load; the broken files' do not.
    expect(stdout).toMatch(/^playbooks: 2 loaded \(2 enabled\); 27 problems$/m);
  }, 60_000);

  it('--json gives the summary and the located problems', async () => {
    const { code, stdout } = await runWatchpost(['playbooks', 'validate', TESTDATA, '--json']);
    expect(code).toBe(1);
    const out = JSON.parse(stdout) as { summary: { playbooks: number; problems: number }; problems: { message: string; location: { file: string; line: number; col: number } }[] };
    expect(out.summary).toEqual({ playbooks: 2, enabled: 2, problems: 27 });
    expect(out.problems).toContainEqual({ message: 'unknown key "colour"', path: 'colour', location: { file: `${TESTDATA}/bad.yml`, line: 3, col: 1 } });
  }, 60_000);

  it('checks driver names against the config, and notes a replaced playbook', async () => {
    const local = mkdtempSync(join(dir, 'local-'));
    writeFileSync(join(local, 'mine.yml'), notify('block-ssh-brute-force', 'Mine', '    drivers: [pager]\n'));
    const config = write('drivers.yaml', `response:\n  drivers:\n    - { id: mailer, type: smtp }\n  playbookDirs: [${local}]\n`);
    const { code, stdout } = await runWatchpost(['playbooks', 'validate', '--config', config]);
    expect(code).toBe(1);
    expect(stdout).toMatch(new RegExp(`mine\\.yml:7:15: driver "pager" is not configured \\(response\\.drivers has mailer\\)$`, 'm'));
    expect(stdout).toMatch(/^note: playbook "block-ssh-brute-force" of playbooks\/block-ssh-brute-force\.yml:3 is replaced by .*mine\.yml:1$/m);
  }, 60_000);
});

describe('watchpost playbooks list', () => {
  it('prints each playbook with its trigger, steps and file', async () => {
    const { code, stdout } = await runWatchpost(['playbooks', 'list']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^block-ssh-brute-force \[enabled\] Block SSH brute-force sources\n {4}trigger: on alert; rules f88732c5-e5a2-43e1-83cc-a0caa5f0a7bc; when alert\.entities\.source\.ip exists true\n {4}steps: {3}block=block-ip → notify=notify\n {4}file: {4}playbooks\/block-ssh-brute-force\.yml:3$/m);
    expect(stdout).toMatch(/^ {4}steps: {3}notify-pending=notify → disable=disable-account \(approval\)$/m);
  }, 60_000);
});

describe('watchpost validate: playbooks and drivers', () => {
  it('loads the playbooks of the config and reports a broken one with file:line:col, exit 1', async () => {
    const broken = mkdtempSync(join(dir, 'broken-'));
    const file = join(broken, 'typo.yml');
    writeFileSync(file, notify('typo', 'Typo').replace('action: notify', 'action: notfy'));
    const config = write('broken.yaml', `response:\n  playbookDirs: [${broken}]\n`);
    const failed = await runWatchpost(['validate', '--config', config]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('[WATCHPOST_ERR_PLAYBOOK_INVALID]');
    expect(failed.stderr).toContain(`${file}:6:13: unknown action "notfy"`);
  }, 60_000);

  it('reports a disabled id that no playbook has, and an unknown driver type', async () => {
    const config = write('unknown.yaml', 'response:\n  disabledPlaybooks: [no-such-playbook]\n  drivers:\n    - { id: fw, type: no-such-type }\n');
    const failed = await runWatchpost(['validate', '--config', config]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('response.disabledPlaybooks names "no-such-playbook", but no playbook has that id');
    expect(failed.stderr).toMatch(/response\.drivers\[0\]\.type: unknown driver type "no-such-type"/);
  }, 60_000);

  it('passes with the shipped playbooks and prints the counts', async () => {
    const config = write('good.yaml', 'response:\n  disabledPlaybooks: [block-port-scanner]\n');
    const ok = await runWatchpost(['validate', '--config', config]);
    // (stderr may hold the launcher's "building" line when sources changed meanwhile.)
    expect(ok.stderr).not.toContain('WATCHPOST_ERR');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/is valid: .*; playbooks: \d+ loaded \(\d+ enabled\); drivers: 0 built; weekly report: monday 07:00 UTC, kept, not mailed \(no reports.mail.driver or recipients\)$/m);
    const [, loaded, enabled] = /playbooks: (\d+) loaded \((\d+) enabled\)/.exec(ok.stdout) ?? [];
    expect(Number(enabled)).toBe(Number(loaded) - 1);
  }, 60_000);
});
