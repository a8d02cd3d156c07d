import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { DEPLOY, deployTool, REPO_ROOT, run } from './tools.js';

/**
 * deploy/Dockerfile without a Docker engine: BuildKit's own parser and build checks (the
 * `docker build --check` rules) through deploy/dev/dockerfile-lint, then the runtime stage's file
 * layout rebuilt from what its COPY lines name and run, as the image would run it.
 */

interface Command {
  name: string;
  line: number;
  code: string;
  from?: string;
  sources?: string[];
  dest?: string;
  user?: string;
  cmdLine?: string[];
  prependShell?: boolean;
  healthTest?: string[];
}
interface Stage {
  name: string;
  base: string;
  commands: Command[];
}
interface LintReport {
  args: Record<string, string>;
  stages: Stage[];
  warnings: { rule: string; detail: string; line: number }[];
  error?: string;
  copySources: { stage: string; line: number; source: string; exists: boolean }[];
}

async function lint(dockerfile: string, context: string): Promise<LintReport> {
  const result = await run(deployTool('dockerfile-lint'), [dockerfile, context]);
  if (result.code !== 0) throw new Error(`dockerfile-lint failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as LintReport;
}

let report: LintReport;
let runtime: Stage;
let scratch: string;

beforeAll(async () => {
  report = await lint(join(DEPLOY, 'Dockerfile'), REPO_ROOT);
  runtime = report.stages.at(-1) as Stage;
  scratch = mkdtempSync(join(tmpdir(), 'wp-dockerfile-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const commands = (stage: Stage, name: string): Command[] => stage.commands.filter((command) => command.name === name);

describe('deploy/Dockerfile', () => {
  it('parses and passes every BuildKit build check', () => {
    expect(report.error).toBeUndefined();
    expect(report.warnings).toEqual([]);
  });

  it('has the stages deps, build, prod-deps and a runtime stage last', () => {
    expect(report.stages.map((stage) => stage.name)).toEqual(['deps', 'build', 'prod-deps', 'runtime']);
    expect(report.stages.find((stage) => stage.name === 'build')?.base).toBe('deps');
  });

  it('pins the Node images to an exact Debian bookworm tag of one Node version, slim at run time', () => {
    const build = report.args.NODE_BUILD_IMAGE ?? '';
    const slim = report.args.NODE_RUNTIME_IMAGE ?? '';
    expect(build).toMatch(/^node:(2[02468])\.\d+\.\d+-bookworm$/);
    expect(slim).toMatch(/^node:(2[02468])\.\d+\.\d+-bookworm-slim$/);
    // The native addon (better-sqlite3) built in one stage must load in the other.
    expect(slim).toBe(`${build}-slim`);
    expect(runtime.base).toBe('${NODE_RUNTIME_IMAGE}');
  });

  it('installs every dependency to build, only production ones for the runtime, and builds with npm run build', () => {
    const runs = (name: string): string => commands(report.stages.find((stage) => stage.name === name) as Stage, 'run').map((command) => command.code).join('\n');
    expect(runs('deps')).toMatch(/npm ci\b/);
    expect(runs('deps')).not.toContain('--omit=dev');
    expect(runs('build')).toContain('npm run build');
    expect(runs('prod-deps')).toMatch(/npm ci --omit=dev/);
    const fromStages = commands(runtime, 'copy').filter((command) => command.from).map((command) => `${command.from}:${command.sources?.join(',')}`);
    expect(fromStages.sort()).toEqual(['build:/src/dist/', 'prod-deps:/src/node_modules/']);
  });

  it('runs as a numeric non-root user, with a health check on /api/health and node bin/watchpost as entry point', () => {
    const users = commands(runtime, 'user');
    expect(users).toHaveLength(1);
    const [uid, gid] = (users[0]?.user ?? '').split(':').map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(gid).toBeGreaterThan(0);
    const health = commands(runtime, 'healthcheck');
    expect(health).toHaveLength(1);
    expect(health[0]?.healthTest).toEqual(['CMD', 'node', 'deploy/docker/healthcheck.mjs']);
    const entrypoint = commands(runtime, 'entrypoint');
    expect(entrypoint).toHaveLength(1);
    expect(entrypoint[0]?.cmdLine).toEqual(['node', 'bin/watchpost']);
    // Exec form (no shell in between): signals reach Node. The helper omits prependShell when false.
    expect(entrypoint[0]?.prependShell).not.toBe(true);
  });

  it('copies from the build context only what exists and .dockerignore lets through', () => {
    expect(report.copySources.length).toBeGreaterThan(10);
    expect(report.copySources.filter((source) => !source.exists)).toEqual([]);
  });

  it('ships no TypeScript source in the runtime stage (the launcher would try to rebuild)', () => {
    const contextSources = commands(runtime, 'copy')
      .filter((command) => !command.from)
      .flatMap((command) => command.sources ?? []);
    for (const dir of ['core/', 'ingest/', 'engine/', 'backends/', 'api/', 'reports/', 'cli/', 'console/', 'playbooks/']) expect(contextSources).not.toContain(dir);
    expect(contextSources).toContain('playbooks/*.yml');
  });

  it('the checker reports what a broken Dockerfile gets wrong (the checks can fail)', async () => {
    const dir = join(scratch, 'broken');
    mkdirSync(dir);
    writeFileSync(join(dir, 'Dockerfile'), 'FROM node:22 as build\nENV A=$UNDEFINED_X\nCOPY missing/ /x/\nENTRYPOINT node x\n');
    const broken = await lint(join(dir, 'Dockerfile'), dir);
    expect(broken.warnings.map((warning) => warning.rule).sort()).toEqual(['FromAsCasing', 'JSONArgsRecommended', 'UndefinedVar']);
    expect(broken.copySources).toEqual([{ stage: 'build', line: 3, source: 'missing/', exists: false }]);
    // A source excluded by .dockerignore is as missing as an absent one.
    mkdirSync(join(dir, 'missing'));
    writeFileSync(join(dir, 'missing', 'file'), 'x');
    writeFileSync(join(dir, '.dockerignore'), 'missing\n');
    expect((await lint(join(dir, 'Dockerfile'), dir)).copySources[0]?.exists).toBe(false);
  });
});

describe('the runtime stage layout', () => {
  it('starts without rebuilding, from exactly what the runtime stage copies', async () => {
    // The build the image would contain: make sure dist/ is current, as the build stage leaves it.
    const built = await run(process.execPath, [BIN, '--version'], { timeoutMs: 300_000 });
    expect(built.code).toBe(0);
    const image = join(scratch, 'opt-watchpost');
    mkdirSync(image);
    // COPY keeps modification times; the launcher compares them, so the copy must too.
    const copy = (from: string, to = from): void => cpSync(join(REPO_ROOT, from), join(image, to), { recursive: true, preserveTimestamps: true });
    for (const command of commands(runtime, 'copy')) {
      if (command.from === 'build') copy('dist');
      else if (command.from === 'prod-deps') symlinkSync(join(REPO_ROOT, 'node_modules'), join(image, 'node_modules'));
      else
        for (const source of command.sources ?? []) {
          if (source === 'playbooks/*.yml') {
            mkdirSync(join(image, 'playbooks'));
            for (const file of readdirSync(join(REPO_ROOT, 'playbooks')).filter((name) => name.endsWith('.yml'))) copy(join('playbooks', file));
          } else if (source.endsWith('/')) copy(source.slice(0, -1));
          else {
            mkdirSync(join(image, source, '..'), { recursive: true });
            copy(source);
          }
        }
    }
    const entry = commands(runtime, 'entrypoint')[0]?.cmdLine ?? [];
    const version = await run(process.execPath, [join(image, entry[1] ?? ''), '--version'], { cwd: image });
    expect(version.stderr).not.toContain('building');
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    // Rules and playbooks are found in the image's layout.
    const rules = await run(process.execPath, [join(image, 'bin', 'watchpost'), 'validate', '--config', join(DEPLOY, 'docker', 'watchpost.yaml')], {
      cwd: image,
      env: { ...process.env, WATCHPOST_ELASTICSEARCH__PASSWORD: 'x', WATCHPOST_REDIS__URL: 'redis://127.0.0.1:6379' },
    });
    expect(rules.stderr).not.toContain('building');
    expect(rules.code).toBe(0);
    expect(rules.stdout).toMatch(/playbook/i);
  }, 300_000);
});
